"""Pages of the relay's redistributions (propose, adjust, approve, pay, transfer files), of
payees' bank details, and of the money a maker received."""

from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from fablabs.models import Organisation
from makers import selectors as maker_selectors
from makers.models import Maker
from tilab.errors import TWO_FACTOR_REQUIRED, BadInput, NotAllowed, Refusal, WrongState
from tilab.money import format_euros
from tilab.permissions import (
    SIGNED_IN,
    held_back_by_second_factor,
    page_permission,
    require,
    within_reach,
)

from . import bank, errors, selectors, services
from . import recap as recap_of
from .models import BankAccount, Redistribution, RedistributionLine
from .recap_forms import ApprovalForm
from .redistribution_forms import (
    AdjustForm,
    BankAccountForm,
    OwnUseFormSet,
    own_use_lines,
)
from .transfers import unpaid_transfers

OWNER_MODELS = {"maker": Maker, "organisation": Organisation}


def _euros(cents: int) -> str:
    return format_euros(cents, language=_("fr"))


def iban_masked(iban: str) -> str:
    """Enough of an IBAN to recognise it, not to use it: "FR76 **** **** 0189"."""
    return f"{iban[:4]} **** **** {iban[-4:]}"


def iban_grouped(iban: str) -> str:
    """An IBAN as printed on a bank statement: groups of four."""
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


# Who sees what ------------------------------------------------------------------------------


def _visible_redistribution(request, pk) -> Redistribution:
    """A redistribution the person may see (Région, auditors, the relay's staff); else 404."""
    return get_object_or_404(selectors.redistributions_visible_to(request.user), pk=pk)


def _managed_redistribution(request, pk) -> Redistribution:
    """A redistribution the person may see and work on; those who only read it get 403."""
    redistribution = _visible_redistribution(request, pk)
    if not request.user.has_perm("subsidies.manage_redistribution", redistribution):
        raise PermissionDenied
    return redistribution


def _owner_key(line: RedistributionLine) -> tuple[str, int] | None:
    if line.maker_id:
        return ("maker", line.maker_id)
    if line.organisation_id:
        return ("organisation", line.organisation_id)
    return None


@dataclass
class LineRow:
    """One line of the redistribution table with what this person may see and do on it."""

    line: RedistributionLine
    payment: object
    has_account: bool
    account: BankAccount | None  # only when the person may see the payee's bank details
    bank_url: str = ""  # where to set the payee's bank details, for those allowed
    amount_field: object = None  # the adjustment input, while the redistribution is proposed
    payable: bool = False
    flags: list = field(default_factory=list)  # selectors.iban_flags of the payee's account

    @property
    def iban_masked(self) -> str:
        return iban_masked(self.account.iban) if self.account else ""


def _line_rows(request, redistribution, lines, *, adjust_form=None):
    accounts = selectors.bank_accounts_for(lines)
    flags = selectors.iban_flags(accounts=accounts.values(), now=timezone.now())
    access = selectors.PayeeAccess.of(request.user)
    back = reverse("subsidies:redistribution_detail", args=[redistribution.pk])
    rows = []
    for line in lines:
        key = _owner_key(line)
        account = accounts.get(key) if key else None
        allowed = key is not None and access.covers(line)
        payment = getattr(line, "payment", None)
        row = LineRow(
            line=line,
            payment=payment,
            has_account=account is not None,
            account=account if allowed else None,
            payable=payment is None and line.amount_cents > 0,
            flags=flags.get(account.pk, []) if account else [],
        )
        if allowed:
            row.bank_url = (
                reverse("subsidies:bank_account_edit", args=[key[0], key[1]]) + f"?next={back}"
            )
        if adjust_form is not None:
            row.amount_field = adjust_form[AdjustForm.field_name(line)]
        rows.append(row)
    return rows


def _detail_context(request, redistribution, *, adjust_form=None, own_use=None):
    user = request.user
    lines = list(selectors.lines_of(redistribution))
    proposed = redistribution.status == Redistribution.Status.PROPOSED
    staff = user.has_perm("subsidies.manage_redistribution", redistribution)
    # Staff held back only by a code they can type see the buttons: the act asks for it. The
    # Région approves where nobody else on the relay's team may (four eyes).
    may_approve = within_reach(user, "subsidies.approve_redistribution", redistribution)
    approval_needs_totp = held_back_by_second_factor(
        user, "subsidies.approve_redistribution", redistribution
    )
    # Four eyes: who proposed or adjusted it sees who approves instead, not a button.
    shaped_it = proposed and user.pk in selectors.redistribution_shapers(redistribution)
    may_pay = staff and within_reach(user, "subsidies.create_payment_batch", redistribution)
    if staff and proposed:
        adjust_form = adjust_form or AdjustForm(lines=lines)
        own_use = own_use or OwnUseFormSet(prefix="own")
    else:
        adjust_form = own_use = None
    rows = _line_rows(request, redistribution, lines, adjust_form=adjust_form)
    plan = unpaid_transfers(redistribution)
    allocation = redistribution.allocation
    relay_account = relay_bank_url = None
    if staff and not proposed:
        # The SEPA file is paid from the relay's own account: say when it is missing.
        relay_account = BankAccount.objects.filter(
            organisation_id=allocation.relay.organisation_id
        ).first()
        relay_bank_url = (
            reverse(
                "subsidies:bank_account_edit",
                args=["organisation", allocation.relay.organisation_id],
            )
            + "?next="
            + reverse("subsidies:redistribution_detail", args=[redistribution.pk])
        )
    # The anomaly flags, while it waits for approval: the relay's staff and the Région alike
    # see them; the details (the end of an IBAN) only those who may see bank details.
    recap = recap_of.redistribution_recap(redistribution, now=timezone.now()) if proposed else None
    return {
        "redistribution": redistribution,
        "allocation": allocation,
        "programme": allocation.programme,
        "recap": recap,
        "flag_details": staff,
        "rows": rows,
        "total_cents": sum(line.amount_cents for line in lines),
        "proposed_total_cents": sum(line.proposed_cents for line in lines),
        "paid_cents": sum(row.payment.amount_cents for row in rows if row.payment),
        "payees": sum(1 for line in lines if line.kind != RedistributionLine.Kind.OWN_USE),
        "staff": staff,
        "may_approve": may_approve and not shaped_it,
        "approval_needs_totp": approval_needs_totp and not shaped_it,
        "shaped_it": shaped_it,
        "region_approves": proposed
        and selectors.redistribution_second_person_is_region(redistribution),
        "may_pay": may_pay,
        "adjust_form": adjust_form,
        "own_use": own_use,
        "any_payable": any(row.payable for row in rows),
        "plan": plan,
        "own_use_cents": sum(line.amount_cents for line in plan.own_use),
        "batches": list(
            selectors.payment_batches_visible_to(user)
            .filter(redistribution=redistribution)
            .order_by("-pk")
        ),
        "missing_accounts": [
            row
            for row in rows
            if row.line.kind != RedistributionLine.Kind.OWN_USE
            and not row.has_account
            and row.payable
        ],
        "relay_account": relay_account,
        "relay_account_masked": iban_masked(relay_account.iban) if relay_account else "",
        "relay_bank_url": relay_bank_url,
    }


def _render_detail(request, redistribution, **forms):
    response = render(
        request,
        "subsidies/redistribution_detail.html",
        _detail_context(request, redistribution, **forms),
    )
    add_never_cache_headers(response)  # the staff's view shows bank details
    return response


def _to_detail(redistribution, anchor: str = ""):
    url = reverse("subsidies:redistribution_detail", args=[redistribution.pk])
    return redirect(url + (f"#{anchor}" if anchor else ""))


# Pages ----------------------------------------------------------------------------------


@page_permission("subsidies.view_redistributions", not_found=True, methods=["GET", "POST"])
def redistribution_propose(request, pk):
    """Relay staff propose how their approved allocation is passed on: the lines they keep for
    grouped purchases, the rest to the payees pro rata to their validated contribution."""
    allocation = get_object_or_404(selectors.allocations_visible_to(request.user), pk=pk)
    if not request.user.has_perm("subsidies.manage_redistribution", allocation):
        raise PermissionDenied
    existing = Redistribution.objects.filter(allocation=allocation).first()
    if existing is not None:
        try:
            services.redistribution_check_open(redistribution=existing)
        except WrongState as refusal:
            messages.info(request, refusal.message)
            return _to_detail(existing)
    approved = allocation.status == allocation.Status.APPROVED
    formset = OwnUseFormSet(request.POST or None, prefix="own")
    error = ""
    if request.method == "POST" and formset.is_valid():
        try:
            redistribution = services.redistribution_propose(
                allocation=allocation,
                own_use=own_use_lines(formset),
                by=request.user,
                now=timezone.now(),
            )
        except BadInput as refusal:
            error = refusal.message
        except WrongState as refusal:
            messages.error(request, refusal.message)
            return redirect("subsidies:redistribution_propose", pk=allocation.pk)
        else:
            count = redistribution.lines.count()
            messages.success(
                request,
                ngettext(
                    "Redistribution proposée : %(count)d ligne pour %(amount)s. Vérifiez-la, "
                    "ajustez-la si besoin, puis approuvez-la.",
                    "Redistribution proposée : %(count)d lignes pour %(amount)s. Vérifiez-la, "
                    "ajustez-la si besoin, puis approuvez-la.",
                    count,
                )
                % {"count": count, "amount": _euros(allocation.amount_cents)},
            )
            return _to_detail(redistribution)
    return render(
        request,
        "subsidies/redistribution_propose.html",
        {
            "allocation": allocation,
            "programme": allocation.programme,
            "approved": approved,
            "existing": existing,
            "formset": formset,
            "error": error,
        },
    )


@page_permission("subsidies.view_redistributions", not_found=True, methods=["GET"])
def redistribution_detail(request, pk):
    return _render_detail(request, _visible_redistribution(request, pk))


@page_permission("subsidies.view_redistributions", not_found=True, methods=["POST"])
def redistribution_adjust(request, pk):
    """Change line amounts and add own-use lines, with a motivation; the lines must still add
    up to the allocation, or nothing changes and the gap is shown."""
    redistribution = _managed_redistribution(request, pk)
    lines = list(selectors.lines_of(redistribution))
    form = AdjustForm(request.POST, lines=lines)
    own_use = OwnUseFormSet(request.POST, prefix="own")
    try:
        services.redistribution_check_open(redistribution=redistribution)
    except WrongState as refusal:
        messages.error(request, refusal.message)
        return _to_detail(redistribution)
    if form.is_valid() and own_use.is_valid():
        try:
            services.redistribution_adjust(
                redistribution=redistribution,
                amounts=form.amounts(),
                motivation=form.cleaned_data["motivation"],
                add_own_use=own_use_lines(own_use),
                by=request.user,
                now=timezone.now(),
            )
        except BadInput as refusal:
            form.add_refusal(refusal)
        except WrongState as refusal:
            messages.error(request, refusal.message)
            return _to_detail(redistribution)
        else:
            messages.success(request, _("Ajustement enregistré ; la motivation est conservée."))
            return _to_detail(redistribution)
    return _render_detail(request, redistribution, adjust_form=form, own_use=own_use)


def _recap_url(redistribution) -> str:
    return reverse("subsidies:redistribution_approve", args=[redistribution.pk])


@page_permission("subsidies.view_redistributions", not_found=True, methods=["GET", "POST"])
def redistribution_approve(request, pk):
    """The recap of a redistribution (GET: the lines and their payees, the contributions they
    rest on and their date, what changed since, the anomaly flags, what approving changes),
    and its approval (POST: the confirmation of what the recap showed). Stale figures are
    recomputed first; flags are acknowledged with a motivation."""
    # The relay's staff, or the Région when nobody else on the relay's team may (four eyes).
    redistribution = _visible_redistribution(request, pk)
    if not request.user.has_perm(
        "subsidies.approve_redistribution", redistribution
    ) and not held_back_by_second_factor(
        request.user, "subsidies.approve_redistribution", redistribution
    ):
        raise PermissionDenied
    # Held back by the second factor: the person types their code and comes back.
    require(request.user, "subsidies.approve_redistribution", redistribution)
    if redistribution.status != Redistribution.Status.PROPOSED:
        messages.info(request, errors.REDISTRIBUTION_ALREADY_APPROVED().message)
        return _to_detail(redistribution)
    now = timezone.now()
    recap = recap_of.redistribution_recap(redistribution, now=now)
    form = ApprovalForm(request.POST if request.method == "POST" else None, recap=recap)
    if request.method == "POST" and form.is_valid():
        try:
            services.redistribution_approve(
                redistribution=redistribution,
                by=request.user,
                now=now,
                confirmation=form.confirmation(),
            )
        except BadInput as refusal:
            form.add_refusal(refusal)
        except NotAllowed as refusal:
            if refusal.code == TWO_FACTOR_REQUIRED.code:
                raise
            # Four eyes: who proposed or adjusted it is told who approves instead.
            messages.error(request, refusal.message)
            return _to_detail(redistribution)
        except WrongState as refusal:
            messages.error(request, refusal.message)
            return redirect(_recap_url(redistribution))
        else:
            messages.success(
                request,
                _(
                    "Redistribution approuvée : elle ne change plus. Vous pouvez préparer les "
                    "virements puis enregistrer les paiements."
                ),
            )
            return _to_detail(redistribution)
    allocation = redistribution.allocation
    return render(
        request,
        "subsidies/redistribution_recap.html",
        {
            "redistribution": redistribution,
            "allocation": allocation,
            "programme": allocation.programme,
            "recap": recap,
            "form": form,
            # `require` above let the person through: they approve (after their code).
            "may_approve": True,
        },
    )


@page_permission("subsidies.view_redistributions", not_found=True, methods=["POST"])
def redistribution_recompute(request, pk):
    """Propose the redistribution again on the validated figures now, keeping the relay's
    own-use lines (offered by the recap when figures changed), then back to the recap."""
    redistribution = _managed_redistribution(request, pk)
    try:
        services.redistribution_recompute(
            redistribution=redistribution, by=request.user, now=timezone.now()
        )
    except (BadInput, WrongState) as refusal:
        messages.error(request, refusal.message)
        return _to_detail(redistribution)
    messages.success(
        request,
        _(
            "Redistribution recalculée sur les chiffres validés d'aujourd'hui : relisez le "
            "récapitulatif, puis approuvez."
        ),
    )
    return redirect(_recap_url(redistribution))


def _safe_next(request) -> str:
    """Where to go back after saving: a page of this site only, never another one."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


@page_permission(SIGNED_IN)
@require_http_methods(["GET", "POST"])
@never_cache
def bank_account_edit(request, kind, pk):
    """A payee's bank details, for the payee and the staff of the relay that pays them; anybody
    else gets 404 (the details are not theirs to know exist). A change is held out of
    transfer files until confirmed or until the waiting period passes; the page says so,
    shows the history of changes and lets a second person confirm the pending one."""
    model = OWNER_MODELS.get(kind)
    if model is None:
        raise Http404
    owner = get_object_or_404(model.objects.select_related("department"), pk=pk)
    if not services.may_change_bank_account(request.user, owner):
        raise Http404
    account = BankAccount.objects.filter(**{kind: owner}).first()
    next_url = _safe_next(request)
    if account is not None:
        initial = {"holder": account.holder, "iban": iban_grouped(account.iban), "bic": account.bic}
    else:
        name = owner.display_name if kind == "maker" else owner.name
        initial = {"holder": name[:70]}
    form = BankAccountForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            account = services.bank_account_set(
                owner=owner,
                holder=form.cleaned_data["holder"],
                iban=form.cleaned_data["iban"],
                bic=form.cleaned_data["bic"],
                by=request.user,
                now=timezone.now(),
            )
        except BadInput as refusal:
            form.add_refusal(refusal)
        except Refusal as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(
                request,
                _(
                    "Coordonnées bancaires enregistrées : IBAN se terminant par %(end)s. Le "
                    "bénéficiaire et le relais en sont avertis par e-mail ; elles n'entrent dans "
                    "un fichier de virements qu'une fois confirmées."
                )
                % {"end": account.iban[-4:]},
            )
            return redirect(next_url or request.path)
    now = timezone.now()
    changes = list(selectors.bank_changes_of(account)[:50]) if account else []
    pending = next((c for c in changes if not c.confirmed_at and not c.superseded), None)
    if pending is not None and account.usable_at(now) and pending.usable_from:
        pending = None  # the waiting period passed: nothing left to confirm
    may_confirm = pending is not None and (
        pending.changed_by_id != request.user.pk
        and request.user.has_perm("subsidies.confirm_bank_change", pending)
    )
    return render(
        request,
        "subsidies/bank_account_edit.html",
        {
            "owner": owner,
            "kind": kind,
            "owner_name": owner.display_name if kind == "maker" else owner.name,
            "account": account,
            "iban_display": iban_grouped(account.iban) if account else "",
            "usable": account is not None and account.usable_at(now),
            "flags": selectors.iban_flags(accounts=[account])[account.pk] if account else [],
            "is_relay_account": bank.is_relay_paying_account(owner),
            "changes": changes,
            "pending": pending,
            "may_confirm": may_confirm,
            "form": form,
            "next_url": next_url,
            "is_self": kind == "maker" and owner.user_id == request.user.pk,
        },
    )


@page_permission(SIGNED_IN, methods=["POST"])
def bank_change_confirm(request, pk):
    """A second person confirms a pending bank change (the page of the bank details shows the
    button to those who may). A change the person may not see answers 404."""
    change = get_object_or_404(selectors.bank_changes_visible_to(request.user), pk=pk)
    account = change.account
    kind = "maker" if account.maker_id else "organisation"
    url = reverse(
        "subsidies:bank_account_edit", args=[kind, account.maker_id or account.organisation_id]
    )
    try:
        bank.bank_change_confirm(change=change, by=request.user, now=timezone.now())
    except Refusal as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request,
            _(
                "Changement confirmé : l'IBAN se terminant par %(end)s peut entrer dans les "
                "virements."
            )
            % {"end": change.new_iban_end},
        )
    return redirect(url)


@page_permission(SIGNED_IN)
@require_GET
@never_cache  # the end of the maker's IBAN
def money_received(request):
    """What a maker (and the organisations they manage) received from the subsidy, and the
    validated figures each amount rests on. Only their own lines, ever."""
    lines = list(selectors.money_received_by(request.user))
    maker = maker_selectors.maker_of(request.user)
    account = BankAccount.objects.filter(maker=maker).first() if maker else None
    organisations = {}
    for line in lines:
        if line.organisation_id:
            organisations[line.organisation_id] = line.organisation
    back = reverse("subsidies:money_received")
    rows = [(line, getattr(line, "payment", None)) for line in lines]
    return render(
        request,
        "subsidies/money_received.html",
        {
            "lines": rows,
            "maker": maker,
            "account": account,
            "account_masked": iban_masked(account.iban) if account else "",
            "organisations": [
                (
                    organisation,
                    reverse("subsidies:bank_account_edit", args=["organisation", pk])
                    + f"?next={back}",
                )
                for pk, organisation in sorted(organisations.items())
            ],
            "received_cents": sum(payment.amount_cents for _line, payment in rows if payment),
            "pending_cents": sum(line.amount_cents for line, payment in rows if not payment),
        },
    )
