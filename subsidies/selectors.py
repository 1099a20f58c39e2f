"""Reads of the subsidy chain shared by pages and the API: what each person may see, and the
validated figures money is split on."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

import rules
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Sum

from fablabs.models import Organisation, Relay
from fablabs.selectors import departments_covered_by, relay_team
from makers.models import Maker, Membership, ProductionReport
from tilab import roles
from tilab.models import Decision

from .models import (
    Allocation,
    BankAccount,
    BankAccountChange,
    PaymentBatch,
    Programme,
    Redistribution,
    RedistributionLine,
)


def programmes_visible_to(user) -> QuerySet[Programme]:
    """Région staff and auditors see every programme; relay staff those their relay is in."""
    programmes = Programme.objects.all()
    if rules.has_perm("subsidies.view_all", user):
        return programmes
    if rules.has_perm("subsidies.view_own_relay", user):
        return programmes.filter(
            pk__in=Allocation.objects.filter(relay__staff=user).values("programme")
        )
    return programmes.none()


def allocations_visible_to(user) -> QuerySet[Allocation]:
    """Région staff and auditors see every allocation; relay staff their relay's only."""
    allocations = Allocation.objects.select_related(
        "programme", "relay__organisation", "approved_by"
    )
    if rules.has_perm("subsidies.view_all", user):
        return allocations
    if rules.has_perm("subsidies.view_own_relay", user):
        return allocations.filter(relay__staff=user)
    return allocations.none()


def redistributions_visible_to(user) -> QuerySet[Redistribution]:
    redistributions = Redistribution.objects.select_related(
        "allocation__programme", "allocation__relay__organisation", "approved_by"
    )
    if rules.has_perm("subsidies.view_all", user):
        return redistributions
    if rules.has_perm("subsidies.view_own_relay", user):
        return redistributions.filter(allocation__relay__staff=user)
    return redistributions.none()


def lines_of(redistribution: Redistribution) -> QuerySet[RedistributionLine]:
    return redistribution.lines.select_related("maker", "organisation", "payment").order_by(
        "kind", "-amount_cents", "pk"
    )


# Four eyes on money: who shaped an allocation or a redistribution does not approve it -------


def _last_adjusters(model, ids) -> dict[int, int | None]:
    """Object id → who made the latest "…_adjust" decision on it, for these objects of
    `model` (allocations), in one query (none for no object)."""
    if not ids:
        return {}
    decisions = Decision.objects.filter(
        content_type=ContentType.objects.get_for_model(model),
        object_id__in=[str(pk) for pk in ids],
        action="allocation_adjust",
    ).order_by("decided_at", "pk")
    return {int(pk): actor for pk, actor in decisions.values_list("object_id", "actor")}


def allocation_shapers(allocation: Allocation) -> set[int]:
    """Who proposed the allocation (the creator of its programme: creating a programme proposes
    its allocations) and who last adjusted its amount, read from the programme and the
    decisions: neither approves it."""
    adjuster = _last_adjusters(Allocation, [allocation.pk]).get(allocation.pk)
    return {allocation.programme.created_by_id} | ({adjuster} if adjuster else set())


def allocations_shaped_by(user, allocations) -> set[int]:
    """The ids of these allocations `user` proposed or last adjusted (`allocation_shapers`
    for a whole table, in one query)."""
    allocations = list(allocations)
    adjusters = _last_adjusters(Allocation, [a.pk for a in allocations])
    return {
        a.pk for a in allocations if user.pk in (a.programme.created_by_id, adjusters.get(a.pk))
    }


def redistribution_shapers(redistribution: Redistribution) -> set[int]:
    """Who made the lines now on the table: the person who last (re)proposed the
    redistribution (a new proposal replaces every line) and the person who last adjusted it
    since, read from the decisions: neither approves it. A recomputation on today's figures
    keeps the own-use lines of the proposal before it: its proposer stays the proposer, and
    whoever recomputed is not one (as for allocations_recompute)."""
    return redistributions_shapers([redistribution.pk])[redistribution.pk]


def redistributions_shapers(ids) -> dict[int, set[int]]:
    """Redistribution id → its `redistribution_shapers`, for these ids, in one query."""
    decisions = Decision.objects.filter(
        content_type=ContentType.objects.get_for_model(Redistribution),
        object_id__in=[str(pk) for pk in ids],
        action__in=["redistribution_propose", "redistribution_adjust"],
    ).order_by("-decided_at", "-pk")
    per_redistribution = defaultdict(list)
    for pk, action, actor, data in decisions.values_list("object_id", "action", "actor", "data"):
        per_redistribution[int(pk)].append((action, actor, data))
    return {pk: _shapers_from(per_redistribution[pk]) for pk in ids}


def _shapers_from(decisions) -> set[int]:
    # Newest first: the last adjuster, then the proposer that is not a recomputation.
    shapers, adjuster_seen = set(), False
    for action, actor, data in decisions:
        if action == "redistribution_propose":
            if (data or {}).get("recompute"):
                continue
            shapers.add(actor)
            break
        if not adjuster_seen:
            shapers.add(actor)
            adjuster_seen = True
    return shapers - {None}


def redistributions_approvable_by(user) -> list[Redistribution]:
    """The proposed redistributions of the user's relays that this person may approve: they
    are on the team and did not shape it (four eyes). Two queries whatever their number.
    (Where nobody else on a team may approve, the Région does: see its detail page.)"""
    if not rules.has_perm("subsidies.view_own_relay", user):
        return []
    proposed = list(
        Redistribution.objects.filter(
            status=Redistribution.Status.PROPOSED, allocation__relay__staff=user
        )
        .select_related("allocation__programme")
        .order_by("pk")
    )
    shapers = redistributions_shapers([r.pk for r in proposed])
    return [r for r in proposed if user.pk not in shapers[r.pk]]


def allocations_approvable_by(user) -> list[Allocation]:
    """The proposed allocations this person may approve: Région staff, and not who proposed or
    last adjusted them (four eyes). Three queries whatever their number. Their fields other
    than the programme (and who created it) are deferred: a list of ids to count or link."""
    if not rules.has_perm("subsidies.manage_programmes", user):
        return []
    # Only what the four-eyes rule and the callers read (the allocation, its programme and who
    # created it): the whole rows of four tables cost more to write and read than the query.
    proposed = list(
        allocations_visible_to(user)
        .filter(status=Allocation.Status.PROPOSED)
        .select_related(None)
        .select_related("programme")
        .only("pk", "programme", "programme__created_by")
        .order_by("programme", "pk")
    )
    shaped = allocations_shaped_by(user, proposed)
    return [a for a in proposed if a.pk not in shaped]


def programmes_awaiting_approval_by(user) -> set[int]:
    """The ids of the programmes holding an allocation or a redistribution this person may
    approve (`allocations_approvable_by`, `redistributions_approvable_by`)."""
    return {a.programme_id for a in allocations_approvable_by(user)} | {
        r.allocation.programme_id for r in redistributions_approvable_by(user)
    }


def lines_without_bank_account(user) -> QuerySet[RedistributionLine]:
    """The lines still to pay to a payee who gave no bank details, in the redistributions the
    user sees (proposed or approved: the IBAN may be asked for before the approval): no
    payment batch takes them until it is entered."""
    lines = RedistributionLine.objects.filter(
        payment__isnull=True,
        amount_cents__gt=0,
    ).filter(
        Q(kind=RedistributionLine.Kind.MAKER, maker__bank_account__isnull=True)
        | Q(kind=RedistributionLine.Kind.ORGANISATION, organisation__bank_account__isnull=True)
    )
    if rules.has_perm("subsidies.view_all", user):
        return lines
    if rules.has_perm("subsidies.view_own_relay", user):
        return lines.filter(redistribution__allocation__relay__staff=user)
    return lines.none()


def redistribution_second_person_is_region(redistribution: Redistribution) -> bool:
    """Nobody on the relay's team (holding the relay-staff role) is left to approve besides
    those who shaped the redistribution: the Région is the second person."""
    team = relay_team(redistribution.allocation.relay)
    return not team.acting - redistribution_shapers(redistribution)


def payees_managed_by(user) -> Q:
    """The lines a person receives: as the maker, or as a manager of the organisation."""
    if not user.is_authenticated:
        return Q(pk__in=[])
    return Q(maker__user=user) | Q(
        organisation__memberships__maker__user=user,
        organisation__memberships__is_manager=True,
    )


def money_received_by(user) -> QuerySet[RedistributionLine]:
    """What a maker (or the organisations they manage) received: approved lines only."""
    return (
        RedistributionLine.objects.filter(payees_managed_by(user))
        .filter(redistribution__status=Redistribution.Status.APPROVED)
        .select_related(
            "maker",
            "organisation",
            "payment",
            "redistribution__allocation__programme",
            "redistribution__allocation__relay__organisation",
        )
        .distinct()
        .order_by("-redistribution__approved_at", "pk")
    )


@dataclass(frozen=True)
class PayeeAccess:
    """Whose bank details a person may read and change: the maker themself, an organisation's
    manager, and the staff of the relay covering the payee's department (the relay-staff role
    and the place in the team, both: `fablabs.selectors.departments_covered_by`); never Région
    staff nor auditors. Read in two queries, then asked for as many payees as needed, so a page of
    500 lines costs the same as one of 5."""

    user_id: int | None
    departments: frozenset[str]
    organisations: frozenset[int]

    @classmethod
    def of(cls, user) -> "PayeeAccess":
        if not user.is_authenticated:
            return cls(None, frozenset(), frozenset())
        departments = departments_covered_by(user).values_list("code", flat=True)
        organisations = Membership.objects.filter(maker__user=user, is_manager=True).values_list(
            "organisation_id", flat=True
        )
        return cls(user.pk, frozenset(departments), frozenset(organisations))

    def covers_payee(self, payee: Maker | Organisation) -> bool:
        if isinstance(payee, Maker):
            mine = self.user_id is not None and payee.user_id == self.user_id
            return mine or payee.department_id in self.departments
        return payee.pk in self.organisations or payee.department_id in self.departments

    def covers(self, line: RedistributionLine) -> bool:
        """For a redistribution line (its maker or organisation loaded); own use: nobody."""
        if line.maker_id:
            return self.covers_payee(line.maker)
        if line.organisation_id:
            return self.covers_payee(line.organisation)
        return False


def bank_account_visible_to(user, account: BankAccount) -> bool:
    """The payee and the staff of the relay covering the payee's department; nobody else."""
    return PayeeAccess.of(user).covers_payee(account.maker or account.organisation)


def bank_accounts_for(lines) -> dict[tuple[str, int], BankAccount]:
    """The bank accounts of these lines' payees, keyed ("maker", id) or ("organisation", id)."""
    makers = [line.maker_id for line in lines if line.maker_id]
    organisations = [line.organisation_id for line in lines if line.organisation_id]
    accounts = {}
    for account in BankAccount.objects.filter(
        Q(maker_id__in=makers) | Q(organisation_id__in=organisations)
    ):
        key = (
            ("maker", account.maker_id)
            if account.maker_id
            else (
                "organisation",
                account.organisation_id,
            )
        )
        accounts[key] = account
    return accounts


# The validated figures money is split on ---------------------------------------------------


def _validated_in(departments, start: date, end: date) -> QuerySet[ProductionReport]:
    return ProductionReport.objects.filter(
        status=ProductionReport.Status.VALIDATED,
        department_id__in=list(departments),
        produced_on__gte=start,
        produced_on__lte=end,
    ).order_by()


def weighted(quantity: int, cost_cents: int, *, basis: str, weight: Fraction) -> Fraction:
    """What a group of reports counts for in a split: units or euros of material, weighted."""
    base = quantity if basis == Programme.Basis.UNITS else cost_cents
    return base * weight


def figures_per_department(
    *, departments, start: date, end: date, basis: str, weights: dict[int, Fraction]
) -> dict[str, dict]:
    """Validated quantity, cost, reports and weighted contribution per department, in one
    GROUP BY (department, item type)."""
    figures: dict[str, dict] = defaultdict(
        lambda: {"quantity": 0, "material_cost_cents": 0, "reports": 0, "weighted": Fraction(0)}
    )
    rows = (
        _validated_in(departments, start, end)
        .values_list("department_id", "item_type_id")
        .annotate(Sum("quantity"), Sum("material_cost_cents"), Count("pk"))
    )
    for department, item_type, quantity, cost, count in rows:
        entry = figures[department]
        entry["quantity"] += quantity
        entry["material_cost_cents"] += cost
        entry["reports"] += count
        entry["weighted"] += weighted(
            quantity, cost, basis=basis, weight=weights.get(item_type, Fraction(1))
        )
    return dict(figures)


def contributions_per_payee(
    *, departments, start: date, end: date, basis: str, weights: dict[int, Fraction]
) -> dict[tuple[str, int], dict]:
    """Each payee's validated contribution: a report made on behalf of an organisation counts
    for the organisation, any other for its maker. One GROUP BY (maker, organisation, item)."""
    figures: dict[tuple[str, int], dict] = defaultdict(
        lambda: {"quantity": 0, "material_cost_cents": 0, "reports": 0, "weighted": Fraction(0)}
    )
    rows = (
        _validated_in(departments, start, end)
        .values_list("maker_id", "organisation_id", "item_type_id")
        .annotate(Sum("quantity"), Sum("material_cost_cents"), Count("pk"))
    )
    for maker, organisation, item_type, quantity, cost, count in rows:
        key = ("organisation", organisation) if organisation else ("maker", maker)
        entry = figures[key]
        entry["quantity"] += quantity
        entry["material_cost_cents"] += cost
        entry["reports"] += count
        entry["weighted"] += weighted(
            quantity, cost, basis=basis, weight=weights.get(item_type, Fraction(1))
        )
    return dict(figures)


def weights_of(programme: Programme) -> dict[int, Fraction]:
    return {w.item_type_id: Fraction(w.weight) for w in programme.weights.all()}


def programmes_seen_by(user) -> QuerySet[Programme]:
    """The programmes a person sees, pages and API alike (`programmes_visible_to`), each with
    what they may see of it: its `allocations` (their relay's only, for relay staff, by relay
    name), the programmes that amend it (`visible_amendments`, oldest first), and whether they
    may see the programme it amends (`amends_visible`). Three queries whatever their number."""
    visible = programmes_visible_to(user)
    return visible.prefetch_related(
        Prefetch(
            "allocations",
            queryset=allocations_visible_to(user)
            .select_related("redistribution")
            .order_by("relay__organisation__name", "pk"),
        ),
        Prefetch(
            "amendments",
            queryset=visible.order_by("created_at", "pk"),
            to_attr="visible_amendments",
        ),
    ).annotate(amends_visible=Exists(visible.filter(pk=OuterRef("amends"))))


def makers_by_id(ids) -> dict[int, Maker]:
    return Maker.objects.in_bulk(list(ids))


# Bank details under control and payment batches ----------------------------------------------

IBAN_SHARED = "shared"  # the same IBAN is on file for another payee
IBAN_RELAY = "relay_iban"  # the IBAN is a relay's own paying account, given to a payee
IBAN_PENDING = "pending"  # changed recently: held out of transfer files until confirmed


def iban_flags(*, accounts, now=None) -> dict[int, list[str]]:
    """What should make a person look twice at each of these bank accounts, keyed by account
    id: an IBAN shared with another payee (`shared`), a relay's own paying IBAN given to a
    payee (`relay_iban`), and, with `now`, details not usable yet (`pending`). Two queries
    whatever the number of accounts."""
    accounts = list(accounts)
    ibans = {account.iban for account in accounts}
    holders: dict[str, set[int]] = defaultdict(set)
    for pk, iban in BankAccount.objects.filter(iban__in=ibans).values_list("pk", "iban"):
        holders[iban].add(pk)
    relay_accounts = dict(
        BankAccount.objects.filter(
            iban__in=ibans,
            organisation__in=Relay.objects.values("organisation"),
        ).values_list("pk", "iban")
    )
    relay_ibans = set(relay_accounts.values())
    flags = {}
    for account in accounts:
        found = []
        if account.iban in relay_ibans and account.pk not in relay_accounts:
            found.append(IBAN_RELAY)
        if len(holders[account.iban] - {account.pk}) > 0:
            found.append(IBAN_SHARED)
        if now is not None and not account.usable_at(now):
            found.append(IBAN_PENDING)
        flags[account.pk] = found
    return flags


def bank_changes_visible_to(user) -> QuerySet[BankAccountChange]:
    """The history of bank changes a person may read: Région staff and auditors all of them,
    relay staff those of the payees their relay covers, a payee their own."""
    changes = BankAccountChange.objects.select_related(
        "account__maker", "account__organisation", "changed_by", "confirmed_by"
    )
    if rules.has_perm("subsidies.view_all", user):
        return changes
    if not user.is_authenticated:
        return changes.none()
    access = PayeeAccess.of(user)
    return changes.filter(
        Q(account__maker__department_id__in=access.departments)
        | Q(account__organisation__department_id__in=access.departments)
        | Q(account__maker__user=user)
        | Q(account__organisation_id__in=access.organisations)
    )


def bank_changes_to_confirm_by(user, *, now) -> QuerySet[BankAccountChange]:
    """The bank changes still held (neither confirmed, superseded nor past their waiting
    period) that this relay staffer may confirm as the second person: those of the payees
    they cover, never their own, and not the relay's own paying account (the Région's)."""
    if not rules.has_perm("subsidies.view_own_relay", user):
        return BankAccountChange.objects.none()
    return (
        bank_changes_visible_to(user)
        .filter(confirmed_at__isnull=True, superseded=False, needs_region=False)
        .filter(usable_from__gt=now)
        .exclude(changed_by=user)
    )


def bank_changes_of(account: BankAccount) -> QuerySet[BankAccountChange]:
    return account.changes.select_related("changed_by", "confirmed_by").order_by("-pk")


def bank_change_recipients(change: BankAccountChange) -> list[str]:
    """Who is told of a bank change: the payee (the maker's account, the organisation's
    managers), the staff of the relays covering the payee's department, and for a relay's own
    paying account its staff and the Région staff, who confirm it. Active accounts only."""
    account = change.account
    payee = account.maker or account.organisation
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    if account.maker_id:
        payees = users.filter(pk=account.maker.user_id) if account.maker.user_id else users.none()
    else:
        payees = users.filter(
            maker__memberships__organisation_id=account.organisation_id,
            maker__memberships__is_manager=True,
        )
    staff = users.filter(relays__coverage__department_id=payee.department_id)
    emails = set(payees.values_list("email", flat=True)) | set(
        staff.values_list("email", flat=True)
    )
    if change.needs_region:
        relay_staff = users.filter(relays__organisation_id=account.organisation_id)
        region = users.filter(groups__name=roles.REGION_STAFF)
        emails |= set(relay_staff.values_list("email", flat=True))
        emails |= set(region.values_list("email", flat=True))
    return sorted(emails)


def payment_batches_visible_to(user) -> QuerySet[PaymentBatch]:
    """Région staff and auditors read every batch; relay staff their relay's; nobody else."""
    batches = PaymentBatch.objects.select_related(
        "redistribution__allocation__programme",
        "redistribution__allocation__relay__organisation",
        "created_by",
        "recorded_by",
        "cancelled_by",
    ).defer("content")
    if rules.has_perm("subsidies.view_all", user):
        return batches
    if rules.has_perm("subsidies.view_own_relay", user):
        return batches.filter(redistribution__allocation__relay__staff=user)
    return batches.none()


def batch_lines_of(batch: PaymentBatch):
    return batch.lines.select_related(
        "line__maker", "line__organisation", "line__payment"
    ).order_by("line_id")
