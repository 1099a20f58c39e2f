"""Pages of programmes and allocations: Région staff create, adjust, approve and amend them;
relay staff read their own allocation; auditors read everything and change nothing."""

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import rules
from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from fablabs.selectors import relays_with_coverage
from makers.models import ItemType
from tilab.errors import TWO_FACTOR_REQUIRED, BadInput, NotAllowed, WrongState
from tilab.models import Decision, Department
from tilab.money import format_euros
from tilab.permissions import page_permission, require, within_reach

from . import errors, selectors, services
from . import recap as recap_of
from .forms import AllocationsAdjustForm, ProgrammeAmendForm, ProgrammeForm
from .models import Allocation, Programme
from .recap_forms import ApprovalForm

PROGRAMMES_PER_PAGE = 50

ACTIONS = {
    "programme_create": gettext_lazy("Programme créé"),
    "programme_amend": gettext_lazy("Avenant créé"),
    "programme_approve": gettext_lazy("Programme approuvé (toutes ses allocations le sont)"),
    "allocation_adjust": gettext_lazy("Allocation ajustée"),
    "allocation_approve": gettext_lazy("Allocation approuvée"),
    "allocations_recompute": gettext_lazy("Répartition recalculée sur les chiffres validés"),
}


def _reads_all(user) -> bool:
    return rules.has_perm("subsidies.view_all", user)


def _programmes(user):
    """The programmes the user sees (`selectors.programmes_seen_by`), newest first, with the
    names the pages show: a fixed number of queries."""
    return (
        selectors.programmes_seen_by(user)
        .select_related("amends", "created_by")
        .order_by("-created_at", "-pk")
    )


def _detail_url(programme_id: int) -> str:
    # No anchor: the message saying what happened shows at the top, the allocations just below.
    return reverse("subsidies:programme_detail", kwargs={"pk": programme_id})


def _programme_form(form_class, request, **kwargs):
    return form_class(
        request.POST if request.method == "POST" else None,
        relays=relays_with_coverage(),
        item_types=ItemType.objects.filter(is_active=True).order_by("position", "slug"),
        **kwargs,
    )


@page_permission("subsidies.view_programmes")
@require_safe
def programme_list(request):
    programmes = _programmes(request.user)
    # ?a_approuver=1: those waiting for this person's approval, where the to-do leads.
    to_approve = bool(request.GET.get("a_approuver"))
    if to_approve:
        programmes = programmes.filter(
            pk__in=selectors.programmes_awaiting_approval_by(request.user)
        )
    page = Paginator(programmes, PROGRAMMES_PER_PAGE).get_page(request.GET.get("page"))
    for programme in page:
        allocations = programme.allocations.all()
        programme.approved_count = sum(a.status == Allocation.Status.APPROVED for a in allocations)
    return render(
        request,
        "subsidies/programme_list.html",
        {
            "page": page,
            "can_manage": request.user.has_perm("subsidies.manage_programmes"),
            "can_audit": request.user.has_perm("subsidies.audit"),
            "reads_all": _reads_all(request.user),
            "to_approve": to_approve,
        },
    )


@page_permission("subsidies.manage_programmes")
@require_http_methods(["GET", "POST"])
def programme_create(request):
    form = _programme_form(ProgrammeForm, request)
    if request.method == "POST" and form.is_valid():
        try:
            programme = services.programme_create(
                terms=form.terms(), by=request.user, now=timezone.now()
            )
        except BadInput as refusal:
            form.add_refusal(refusal)
        else:
            messages.success(
                request,
                _(
                    "Programme « %(name)s » créé. Vérifiez la répartition proposée, ajustez-la "
                    "au besoin, puis approuvez chaque allocation."
                )
                % {"name": programme.name},
            )
            return redirect(_detail_url(programme.pk))
    return render(request, "subsidies/programme_create.html", {"form": form})


def _number(value: Fraction) -> str:
    """A weighted quantity, to two decimals at most ("1 500", "37,5")."""
    rounded = (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )
    places = 0 if rounded == rounded.to_integral_value() else 2
    return number_format(rounded, decimal_pos=places, force_grouping=True)


def _weighted(value: str, basis: str) -> str:
    """What a relay or a department counts for in the split, as a person reads it."""
    fraction = Fraction(value or "0")
    if basis == Programme.Basis.MATERIAL_COST:
        return format_euros(round(fraction), language=get_language() or "fr")
    return _number(fraction)


def _allocation_rows(programme: Programme, allocations: list[Allocation], user) -> list[dict]:
    """Each allocation with the figures it rests on, per department and in total."""
    codes = {code for a in allocations for code in a.snapshot.get("departments", {})}
    departments = Department.objects.in_bulk(sorted(codes))
    redistributions = {
        r.allocation_id: r
        for r in selectors.redistributions_visible_to(user).filter(allocation__programme=programme)
    }
    # Relay staff see only their own relay's allocations (the selectors make sure of it).
    may_propose = rules.has_perm("subsidies.propose_redistribution", user)
    shaped = selectors.allocations_shaped_by(user, allocations) if user.is_authenticated else set()
    rows = []
    for allocation in allocations:
        snapshot = allocation.snapshot or {}
        basis = snapshot.get("basis", programme.basis)
        per_department = [
            {
                "department": departments.get(code, code),
                "quantity": figures.get("quantity", 0),
                "material_cost_cents": figures.get("material_cost_cents", 0),
                "reports": figures.get("reports", 0),
                "weighted": _weighted(figures.get("weighted", "0"), basis),
            }
            for code, figures in sorted(snapshot.get("departments", {}).items())
        ]
        rows.append(
            {
                "allocation": allocation,
                "departments": per_department,
                "quantity": sum(d["quantity"] for d in per_department),
                "material_cost_cents": sum(d["material_cost_cents"] for d in per_department),
                "reports": sum(d["reports"] for d in per_department),
                "weighted": _weighted(snapshot.get("weighted", "0"), basis),
                "adjusted": allocation.amount_cents != allocation.proposed_cents,
                "redistribution": redistributions.get(allocation.pk),
                "may_redistribute": may_propose and allocation.status == Allocation.Status.APPROVED,
                # Four eyes: who proposed or adjusted it sees that another agent approves.
                "shaped_by_you": allocation.status == Allocation.Status.PROPOSED
                and allocation.pk in shaped,
            }
        )
    return rows


def _history(programme: Programme, allocations: list[Allocation]) -> list[dict]:
    """The decisions on the programme and on the allocations the user sees, oldest first."""
    types = ContentType.objects.get_for_models(Programme, Allocation)
    relays = {str(a.pk): a.relay for a in allocations}
    amendments = {a.pk: a for a in programme.visible_amendments}
    decisions = (
        Decision.objects.filter(
            Q(content_type=types[Programme], object_id=str(programme.pk))
            | Q(content_type=types[Allocation], object_id__in=list(relays))
        )
        .select_related("actor")
        .order_by("decided_at", "pk")
    )
    entries = []
    for decision in decisions:
        on_allocation = decision.content_type_id == types[Allocation].pk
        data = decision.data or {}
        entries.append(
            {
                "decision": decision,
                "action": ACTIONS.get(decision.action, decision.action),
                "relay": relays.get(decision.object_id) if on_allocation else None,
                "from_cents": data.get("from_cents"),
                "to_cents": data.get("to_cents"),
                "amount_cents": data.get("amount_cents")
                if on_allocation
                else data.get("envelope_cents"),
                "amendment": amendments.get(data.get("amendment")),
            }
        )
    return entries


def _detail_context(request, programme: Programme, adjust_form=None) -> dict:
    user = request.user
    allocations = list(programme.allocations.all())
    can_manage = user.has_perm("subsidies.manage_programmes")
    # Staff held back only by a code they can type see the button: approving asks for it.
    can_approve = can_manage and within_reach(user, "subsidies.approve_allocation")
    proposed = [a for a in allocations if a.status == Allocation.Status.PROPOSED]
    if can_manage and proposed and adjust_form is None:
        adjust_form = AllocationsAdjustForm(allocations=allocations)
    return {
        "programme": programme,
        "rows": _allocation_rows(programme, allocations, user),
        "reads_all": _reads_all(user),
        "total_proposed_cents": sum(a.proposed_cents for a in allocations),
        "total_amount_cents": sum(a.amount_cents for a in allocations),
        "can_manage": can_manage,
        "can_approve": can_approve,
        "approval_needs_totp": can_manage and not can_approve,
        "adjust_form": adjust_form if can_manage and proposed else None,
        "can_amend": can_manage and programme.status == Programme.Status.APPROVED,
        "history": _history(programme, allocations),
    }


@page_permission("subsidies.view_programmes")
@require_safe
def programme_detail(request, pk):
    programme = get_object_or_404(_programmes(request.user), pk=pk)
    return render(request, "subsidies/programme_detail.html", _detail_context(request, programme))


@page_permission("subsidies.manage_programmes")
@require_POST
def allocations_adjust(request, pk):
    """Settle the amounts of the allocations not approved yet; they must still make the
    envelope, and the motivation is required. Refused input leaves everything as it was."""
    programme = get_object_or_404(_programmes(request.user), pk=pk)
    form = AllocationsAdjustForm(request.POST, allocations=programme.allocations.all())
    if not form.allocations:
        messages.error(
            request,
            _("Toutes les allocations sont approuvées : modifiez le programme par un avenant."),
        )
        return redirect(_detail_url(programme.pk))
    if form.is_valid():
        try:
            services.allocations_adjust(
                programme=programme,
                amounts=form.amounts(),
                motivation=form.cleaned_data["motivation"],
                by=request.user,
                now=timezone.now(),
            )
        except BadInput as refusal:
            form.add_refusal(refusal)
        except WrongState as refusal:
            messages.error(request, refusal.message)
            return redirect(_detail_url(programme.pk))
        else:
            messages.success(
                request,
                _("Répartition ajustée. Vous pouvez maintenant approuver chaque allocation."),
            )
            return redirect(_detail_url(programme.pk))
    return render(
        request,
        "subsidies/programme_detail.html",
        _detail_context(request, programme, adjust_form=form),
    )


def _recap_url(allocation_id: int) -> str:
    return reverse("subsidies:allocation_approve", kwargs={"pk": allocation_id})


@page_permission("subsidies.manage_programmes")
@require_http_methods(["GET", "POST"])
def allocation_approve(request, pk):
    """The recap of one relay's allocation (GET: the amount, the figures it rests on and their
    date, what changed since, the anomaly flags, what approving changes), and its approval for
    good (POST: the confirmation of what the recap showed; anything changed meanwhile, nothing
    is approved and the recap shows what changed)."""
    user = request.user
    # The page is Région staff's (declared above); approving is also a money decision, behind
    # the second factor: staff held back only by it are asked for their code and come back
    # (tilab.middleware.SecondFactorMiddleware), once the method is known to be right (hence
    # here, not in the declaration).
    require(user, "subsidies.approve_allocation")
    allocation = get_object_or_404(selectors.allocations_visible_to(user), pk=pk)
    back = _detail_url(allocation.programme_id)
    if allocation.status == Allocation.Status.APPROVED:
        messages.info(request, errors.ALLOCATION_ALREADY_APPROVED().message)
        return redirect(back)
    now = timezone.now()
    recap = recap_of.allocation_recap(allocation, now=now)
    form = ApprovalForm(request.POST if request.method == "POST" else None, recap=recap)
    if request.method == "POST" and form.is_valid():
        try:
            services.allocation_approve(
                allocation=allocation, by=user, now=now, confirmation=form.confirmation()
            )
        except BadInput as refusal:
            form.add_refusal(refusal)
        except NotAllowed as refusal:
            if refusal.code == TWO_FACTOR_REQUIRED.code:
                raise
            # Four eyes: who proposed or adjusted it is told who approves instead.
            messages.error(request, refusal.message)
            return redirect(back)
        except WrongState as refusal:
            messages.error(request, refusal.message)
            return redirect(_recap_url(allocation.pk))
        else:
            text = _("Allocation de %(amount)s à %(relay)s approuvée : elle ne changera plus.") % {
                "amount": format_euros(allocation.amount_cents, language=get_language() or "fr"),
                "relay": allocation.relay,
            }
            if Programme.objects.filter(
                pk=allocation.programme_id, status=Programme.Status.APPROVED
            ).exists():
                text += " " + _(
                    "Toutes les allocations sont approuvées : le programme est approuvé."
                )
            messages.success(request, text)
            return redirect(back)
    return render(
        request,
        "subsidies/allocation_recap.html",
        {
            "allocation": allocation,
            "programme": allocation.programme,
            "recap": recap,
            "form": form,
            "basis": allocation.programme.basis,
            # `require` above let the person through: they approve (after their code).
            "may_approve": True,
        },
    )


@page_permission("subsidies.manage_programmes")
@require_POST
def allocations_recompute(request, pk):
    """Propose the programme of this allocation again from the validated figures now (offered
    by the recap when they changed), then back to the recap."""
    allocation = get_object_or_404(selectors.allocations_visible_to(request.user), pk=pk)
    try:
        services.allocations_recompute(
            programme=allocation.programme, by=request.user, now=timezone.now()
        )
    except (BadInput, WrongState) as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request,
            _(
                "Répartition recalculée sur les chiffres validés d'aujourd'hui : relisez le "
                "récapitulatif, puis approuvez."
            ),
        )
    return redirect(_recap_url(allocation.pk))


@page_permission("subsidies.manage_programmes")
@require_http_methods(["GET", "POST"])
def programme_amend(request, pk):
    """Correct an approved programme with an amending one, for an additional amount."""
    programme = get_object_or_404(_programmes(request.user).prefetch_related("weights"), pk=pk)
    try:
        services.programme_check_amendable(programme=programme)
    except WrongState as refusal:
        messages.error(request, refusal.message)
        return redirect(_detail_url(programme.pk))
    form = _programme_form(
        ProgrammeAmendForm, request, initial=ProgrammeAmendForm.initial_from(programme)
    )
    if request.method == "POST" and form.is_valid():
        try:
            amendment = services.programme_amend(
                programme=programme,
                terms=form.terms(),
                motivation=form.cleaned_data["motivation"],
                by=request.user,
                now=timezone.now(),
            )
        except BadInput as refusal:
            form.add_refusal(refusal)
        except WrongState as refusal:
            messages.error(request, refusal.message)
            return redirect(_detail_url(programme.pk))
        else:
            messages.success(
                request,
                _(
                    "Avenant « %(name)s » créé. Vérifiez sa répartition, puis approuvez chaque "
                    "allocation."
                )
                % {"name": amendment.name},
            )
            return redirect(_detail_url(amendment.pk))
    return render(request, "subsidies/programme_amend.html", {"form": form, "programme": programme})
