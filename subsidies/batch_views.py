"""Pages of payment batches (the relay's staff make them, download their file again, record
what the bank paid or cancel them; Région staff and auditors read them) and of the relay's
own-use settlement. Each irreversible act shows a recap first and asks to confirm. Pages that
carry bank details are never stored by a cache."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache

from tilab.errors import Refusal
from tilab.money import format_euros
from tilab.permissions import page_permission

from . import batches, selectors
from .models import PaymentBatch
from .redistribution_forms import BatchCancelForm, BatchCreateForm, BatchRecordForm
from .transfers import unpaid_transfers

VIEW = "subsidies.view_payment_batches"


def _euros(cents: int) -> str:
    return format_euros(cents, language=_("fr"))


def masked(iban: str) -> str:
    """Enough of an IBAN to tell two apart, not to use one: its last four characters."""
    return f"**** {iban[-4:]}" if iban else ""


def _visible_batch(request, pk) -> PaymentBatch:
    return get_object_or_404(selectors.payment_batches_visible_to(request.user), pk=pk)


def _staff_of(request, redistribution) -> bool:
    return request.user.has_perm("subsidies.manage_redistribution", redistribution)


def _managed_batch(request, pk) -> PaymentBatch:
    """A batch of the person's relay; those who only read it (Région, auditors) get 403."""
    batch = _visible_batch(request, pk)
    if not _staff_of(request, batch.redistribution):
        raise PermissionDenied
    return batch


def _flag_rows(items, now):
    """(line, account, flags) for (line, account) pairs, flags from `selectors.iban_flags`."""
    items = list(items)
    flags = selectors.iban_flags(accounts=[account for _line, account in items], now=now)
    return [(line, account, masked(account.iban), flags[account.pk]) for line, account in items]


@page_permission(VIEW, not_found=True, methods=["GET"])
@never_cache
def payment_batch_list(request):
    """The payment batches a person may read, newest first; with ?etat=open, only those whose
    payments are still to record once the bank has executed them (to reconcile)."""
    batches = selectors.payment_batches_visible_to(request.user)
    status = request.GET.get("etat", "")
    if status in PaymentBatch.Status.values:
        batches = batches.filter(status=status)
    else:
        status = ""
    rows = list(batches.order_by("-created_at", "-pk")[:200])
    return render(request, "subsidies/payment_batch_list.html", {"batches": rows, "status": status})


@page_permission(VIEW, not_found=True, methods=["GET", "POST"])
@never_cache
def payment_batch_create(request, pk):
    """The recap before a batch is made (amounts, payees, IBAN flags, lines held out and why,
    what happens next), then the batch itself on confirmation."""
    redistribution = get_object_or_404(selectors.redistributions_visible_to(request.user), pk=pk)
    if not _staff_of(request, redistribution):
        raise PermissionDenied
    now = timezone.now()
    form = BatchCreateForm(
        request.POST or None, initial={"execution_on": timezone.localdate(now), "format": "sepa"}
    )
    if request.method == "POST" and form.is_valid():
        try:
            batch = batches.payment_batch_create(
                redistribution=redistribution,
                format=form.cleaned_data["format"],
                execution_on=form.cleaned_data["execution_on"],
                by=request.user,
                now=now,
            )
        except Refusal as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(
                request,
                _(
                    "Lot %(id)s créé : téléchargez son fichier et transmettez-le à la banque. "
                    "Chaque téléchargement donne exactement le même fichier."
                )
                % {"id": batch.message_id},
            )
            return redirect("subsidies:payment_batch_detail", pk=batch.pk)
    plan = unpaid_transfers(redistribution, now=now)
    open_batches = redistribution.batches.filter(status=PaymentBatch.Status.OPEN).order_by("pk")
    return render(
        request,
        "subsidies/payment_batch_create.html",
        {
            "redistribution": redistribution,
            "allocation": redistribution.allocation,
            "programme": redistribution.allocation.programme,
            "plan": plan,
            "payable": _flag_rows(plan.payable, now),
            "held": _flag_rows(plan.held, now),
            "blocked": _flag_rows(plan.blocked, now),
            "debtor_masked": masked(plan.debtor.iban) if plan.debtor else "",
            "debtor_usable": plan.debtor is not None and plan.debtor.usable_at(now),
            "own_use_cents": sum(line.amount_cents for line in plan.own_use),
            "open_batches": list(open_batches),
            "form": form,
            "may_create": request.user.has_perm("subsidies.create_payment_batch", redistribution),
        },
    )


def _batch_context(request, batch):
    lines = list(selectors.batch_lines_of(batch))
    accounts = selectors.bank_accounts_for([bl.line for bl in lines])
    flags = selectors.iban_flags(accounts=accounts.values())
    rows = []
    for batch_line in lines:
        line = batch_line.line
        account = accounts.get((line.kind, line.maker_id or line.organisation_id))
        changed = account is not None and account.iban != batch_line.iban
        rows.append(
            {
                "batch_line": batch_line,
                "line": line,
                "iban_masked": masked(batch_line.iban),
                "flags": flags.get(account.pk, []) if account else [],
                "changed_since": changed,
            }
        )
    redistribution = batch.redistribution
    staff = _staff_of(request, redistribution)
    return {
        "batch": batch,
        "redistribution": redistribution,
        "allocation": redistribution.allocation,
        "rows": rows,
        "staff": staff,
        "is_open": batch.status == PaymentBatch.Status.OPEN,
    }


@page_permission(VIEW, not_found=True, methods=["GET"])
@never_cache
def payment_batch_detail(request, pk):
    batch = _visible_batch(request, pk)
    return render(request, "subsidies/payment_batch_detail.html", _batch_context(request, batch))


@page_permission(VIEW, not_found=True, methods=["GET"])
@never_cache
def payment_batch_file(request, pk):
    """The batch's file, the same bytes on every download. It holds every payee's IBAN: the
    paying relay's staff only (anyone else 404), with the second factor."""
    batch = _visible_batch(request, pk)
    if not _staff_of(request, batch.redistribution):
        raise Http404
    if not request.user.has_perm("subsidies.download_payment_batch", batch.redistribution):
        messages.error(
            request,
            _(
                "Le fichier contient les IBAN des bénéficiaires : activez d'abord la double "
                "authentification."
            ),
        )
        return redirect("subsidies:payment_batch_detail", pk=batch.pk)
    content = PaymentBatch.objects.values_list("content", flat=True).get(pk=batch.pk)
    content_type = (
        "application/xml" if batch.format == PaymentBatch.Format.SEPA else "text/csv; charset=utf-8"
    )
    response = HttpResponse(bytes(content), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{batch.filename}"'
    response["Cache-Control"] = "no-store"  # bank details: never kept by a shared cache
    return response


@page_permission(VIEW, not_found=True, methods=["GET", "POST"])
@never_cache
def payment_batch_record(request, pk):
    """The recap of what is about to be recorded as paid, then the payments on confirmation:
    every line of the batch, except those the bank rejected."""
    batch = _managed_batch(request, pk)
    context = _batch_context(request, batch)
    form = BatchRecordForm(
        request.POST or None,
        batch_lines=[row["batch_line"] for row in context["rows"]],
        initial={"paid_on": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            batches.payment_batch_record(
                batch=batch,
                paid_on=form.cleaned_data["paid_on"],
                reference=form.cleaned_data["reference"],
                rejected=form.cleaned_data["rejected"],
                by=request.user,
                now=timezone.now(),
            )
        except Refusal as refusal:
            if refusal.field in form.fields:
                form.add_refusal(refusal)
            else:
                messages.error(request, refusal.message)
                return redirect("subsidies:payment_batch_detail", pk=batch.pk)
        else:
            rejected = len(form.cleaned_data["rejected"])
            paid = len(context["rows"]) - rejected
            messages.success(
                request,
                ngettext(
                    "%(count)d ligne enregistrée comme payée.",
                    "%(count)d lignes enregistrées comme payées.",
                    paid,
                )
                % {"count": paid},
            )
            return redirect("subsidies:payment_batch_detail", pk=batch.pk)
    return render(request, "subsidies/payment_batch_record.html", {**context, "form": form})


@page_permission(VIEW, not_found=True, methods=["GET", "POST"])
@never_cache
def payment_batch_cancel(request, pk):
    """The recap of a cancellation (its lines are freed for a later batch), with its reason."""
    batch = _managed_batch(request, pk)
    form = BatchCancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            batches.payment_batch_cancel(
                batch=batch,
                reason=form.cleaned_data["reason"],
                by=request.user,
                now=timezone.now(),
            )
        except Refusal as refusal:
            if refusal.field in form.fields:
                form.add_refusal(refusal)
            else:
                messages.error(request, refusal.message)
                return redirect("subsidies:payment_batch_detail", pk=batch.pk)
        else:
            messages.success(
                request, _("Lot annulé : ses lignes pourront entrer dans un prochain lot.")
            )
            return redirect("subsidies:payment_batch_detail", pk=batch.pk)
    return render(
        request,
        "subsidies/payment_batch_cancel.html",
        {**_batch_context(request, batch), "form": form},
    )


@page_permission(VIEW, not_found=True, methods=["POST"])
def own_use_settle(request, pk):
    """Settle the relay's own-use lines as its own spending (no transfer)."""
    redistribution = get_object_or_404(selectors.redistributions_visible_to(request.user), pk=pk)
    if not _staff_of(request, redistribution):
        raise PermissionDenied
    try:
        payments = batches.own_use_settle(
            redistribution=redistribution, by=request.user, now=timezone.now()
        )
    except Refusal as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request,
            _("Lignes du relais soldées comme dépense propre, sans virement : %(amount)s.")
            % {"amount": _euros(sum(p.amount_cents for p in payments))},
        )
    return redirect(
        reverse("subsidies:redistribution_detail", args=[redistribution.pk]) + "#virements"
    )
