"""Writes of the subsidy chain: programmes and their allocations to relays, redistributions to
payees, payments and bank details. Every money decision records a `Decision` and, when money
moves, a ledger entry, in the same transaction.

Callers check that the person may see the object (selectors) and hold the permission; the
services check it again for money decisions and enforce every rule on amounts and states.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fablabs.models import Organisation, Relay
from makers.models import ItemType, Maker
from tilab.errors import BadInput, Refusal
from tilab.money import format_euros, split_largest_remainder
from tilab.permissions import require
from tilab.services import decision_record

from . import bank, errors, events, notices, recap, selectors
from .ledger import Movement, account, ledger_append, ledger_append_many, payee_account
from .models import (
    Allocation,
    ItemWeight,
    LedgerEntry,
    Payment,
    PaymentBatchLine,
    Programme,
    Redistribution,
    RedistributionLine,
)

MAX_ENVELOPE_CENTS = 10**13  # EUR 100 billion: anything above is a typing error


def _euros(cents: int) -> str:
    return format_euros(cents, language=_("fr"))


def _require(user, perm: str, obj=None) -> None:
    # The core's check: a money decision held back only by the second factor raises
    # two_factor_required (a page then asks for the code), anything else role_not_allowed.
    require(user, perm, obj)


# Programmes and allocations ----------------------------------------------------------------


def _check_programme_input(*, name, envelope_cents, period_start_on, period_end_on, relays, now):
    """Refuse (bad input) every field of a programme's terms that breaks a rule, at once."""
    refused = []
    if not name.strip():
        refused.append(errors.PROGRAMME_NAME_MISSING())
    if not isinstance(envelope_cents, int) or envelope_cents <= 0:
        refused.append(errors.ENVELOPE_NOT_POSITIVE())
    elif envelope_cents > MAX_ENVELOPE_CENTS:
        refused.append(errors.ENVELOPE_TOO_LARGE())
    if period_end_on < period_start_on:
        refused.append(errors.PERIOD_ENDS_BEFORE_START())
    if not relays:
        refused.append(errors.RELAYS_MISSING())
    Refusal.raise_all(refused)


@dataclass(frozen=True)
class ProgrammeTerms:
    """What a programme grants and how it is split (the input of creation and amendment)."""

    name: str
    envelope_cents: int
    period_start_on: date
    period_end_on: date
    basis: str
    relays: tuple[Relay, ...]
    item_weights: tuple[tuple[ItemType, Fraction], ...] = ()
    fixed_shares: tuple[tuple[Relay, int], ...] = ()


def programme_create(
    *,
    terms: ProgrammeTerms,
    by,
    now: datetime,
    amends: Programme | None = None,
    motivation: str = "",
) -> Programme:
    """Create a programme and its proposed allocations, one per relay, from the validated
    figures of each relay's departments over the period (or from fixed shares)."""
    _require(by, "subsidies.manage_programmes")
    relays = list(dict.fromkeys(terms.relays))
    _check_programme_input(
        name=terms.name,
        envelope_cents=terms.envelope_cents,
        period_start_on=terms.period_start_on,
        period_end_on=terms.period_end_on,
        relays=relays,
        now=now,
    )
    if terms.basis not in Programme.Basis.values:
        raise errors.BASIS_UNKNOWN()
    for _item, weight in terms.item_weights:
        if weight < 0:
            raise errors.WEIGHT_NEGATIVE()
        # ItemWeight keeps two decimals (max_digits=8): refuse what it cannot store exactly.
        if (Fraction(weight) * 100).denominator != 1 or weight >= 10**6:
            raise errors.WEIGHT_TOO_PRECISE()
    if len({item.pk for item, _weight in terms.item_weights}) != len(terms.item_weights):
        raise errors.WEIGHT_GIVEN_TWICE()
    shares = {relay.pk: share for relay, share in terms.fixed_shares}
    if len(shares) != len(terms.fixed_shares):
        raise errors.FIXED_SHARE_GIVEN_TWICE()
    if terms.fixed_shares:
        if set(shares) != {relay.pk for relay in relays}:
            raise errors.FIXED_SHARES_INCOMPLETE()
        if any(share < 0 for share in shares.values()) or not any(shares.values()):
            raise errors.FIXED_SHARES_NOT_POSITIVE()
    with transaction.atomic():
        programme = Programme.objects.create(
            name=terms.name.strip(),
            envelope_cents=terms.envelope_cents,
            period_start_on=terms.period_start_on,
            period_end_on=terms.period_end_on,
            basis=terms.basis,
            uses_fixed_shares=bool(terms.fixed_shares),
            amends=amends,
            motivation=motivation.strip(),
            created_by=by,
            created_at=now,
        )
        ItemWeight.objects.bulk_create(
            [
                ItemWeight(
                    programme=programme,
                    item_type=item,
                    weight=Decimal(int(Fraction(weight) * 100)).scaleb(-2),
                )
                for item, weight in terms.item_weights
            ]
        )
        proposal = _propose_allocations(programme, relays, shares, now=now)
        Allocation.objects.bulk_create(proposal)
        decision_record(
            actor=by,
            subject=programme,
            action="programme_create",
            now=now,
            to_state=programme.status,
            motivation=programme.motivation,
            data={
                "envelope_cents": programme.envelope_cents,
                "allocations": {a.relay_id: a.proposed_cents for a in proposal},
            },
        )
        notices.allocations_proposed_notify(programme=programme, by=by, now=now)
    return programme


def _propose_allocations(
    programme: Programme, relays: list[Relay], shares: dict[int, int], *, now: datetime
) -> list[Allocation]:
    weights = selectors.weights_of(programme)
    snapshots, basis_weights = {}, {}
    for relay in relays:
        departments = sorted(c.department_id for c in relay.coverage.all())
        figures = selectors.figures_per_department(
            departments=departments,
            start=programme.period_start_on,
            end=programme.period_end_on,
            basis=programme.basis,
            weights=weights,
        )
        relay_weight = sum((f["weighted"] for f in figures.values()), Fraction(0))
        basis_weights[relay.pk] = shares[relay.pk] if shares else relay_weight
        snapshots[relay.pk] = {
            "basis": programme.basis,
            "fixed_share": shares.get(relay.pk),
            "period": [programme.period_start_on.isoformat(), programme.period_end_on.isoformat()],
            "weights": {str(item): str(weight) for item, weight in sorted(weights.items())},
            "departments": {
                code: {
                    "quantity": figures.get(code, {}).get("quantity", 0),
                    "material_cost_cents": figures.get(code, {}).get("material_cost_cents", 0),
                    "reports": figures.get(code, {}).get("reports", 0),
                    "weighted": str(figures.get(code, {}).get("weighted", Fraction(0))),
                }
                for code in departments
            },
            "weighted": str(relay_weight),
        }
    try:
        split = split_largest_remainder(programme.envelope_cents, basis_weights)
    except BadInput as error:
        raise errors.NO_VALIDATED_PRODUCTION() from error
    return [
        Allocation(
            programme=programme,
            relay=relay,
            fixed_share=shares.get(relay.pk),
            proposed_cents=split[relay.pk],
            amount_cents=split[relay.pk],
            snapshot=snapshots[relay.pk],
            computed_at=now,
        )
        for relay in relays
    ]


def allocations_adjust(
    *, programme: Programme, amounts: dict[int, int], motivation: str, by, now: datetime
) -> list[Allocation]:
    """Set the amounts of the programme's allocations that are not approved yet, keyed by
    allocation id. The total must still equal the envelope; the motivation is required."""
    _require(by, "subsidies.manage_programmes")
    if not motivation.strip():
        raise errors.ALLOCATIONS_MOTIVATION_MISSING()
    with transaction.atomic():
        # Lock the programme: two adjustments or an approval cannot interleave.
        programme = Programme.objects.select_for_update().get(pk=programme.pk)
        allocations = {a.pk: a for a in programme.allocations.select_for_update().order_by("pk")}
        unknown = set(amounts) - set(allocations)
        if unknown:
            raise errors.ALLOCATION_NOT_IN_PROGRAMME()
        for pk, cents in amounts.items():
            if not isinstance(cents, int) or cents < 0:
                raise errors.NEGATIVE_AMOUNT()
            if allocations[pk].status == Allocation.Status.APPROVED and (
                cents != allocations[pk].amount_cents
            ):
                raise errors.ALLOCATION_APPROVED(relay=allocations[pk].relay)
        new = {pk: amounts.get(pk, a.amount_cents) for pk, a in allocations.items()}
        total = sum(new.values())
        if total != programme.envelope_cents:
            raise errors.ALLOCATIONS_OFF_ENVELOPE(
                total=_euros(total),
                envelope=_euros(programme.envelope_cents),
                gap=_euros(total - programme.envelope_cents),
            )
        changed = [a for pk, a in allocations.items() if new[pk] != a.amount_cents]
        told = {a.relay_id: (a.amount_cents, new[a.pk]) for a in changed}
        for allocation in changed:
            decision_record(
                actor=by,
                subject=allocation,
                action="allocation_adjust",
                now=now,
                from_state=allocation.status,
                to_state=allocation.status,
                motivation=motivation.strip(),
                data={"from_cents": allocation.amount_cents, "to_cents": new[allocation.pk]},
            )
            allocation.amount_cents = new[allocation.pk]
            allocation.motivation = motivation.strip()
            allocation.save(update_fields=["amount_cents", "motivation"])
        notices.allocations_changed_notify(
            programme=programme, changes=told, by=by, now=now, motivation=motivation
        )
    return list(allocations.values())


def allocation_approve(
    *,
    allocation: Allocation,
    by,
    now: datetime,
    confirmation: recap.Confirmation | None = None,
) -> Allocation:
    """Approve one relay's allocation: recorded as a decision and a ledger entry, and frozen
    for good. Approving twice is refused (the row lock makes concurrent clicks queue up, and
    all but the first find it approved). `confirmation` is what the person saw on the recap
    (`recap.approval_check`: figures not recomputed nor stale since, flags acknowledged); the
    pages and the API always pass one."""
    _require(by, "subsidies.approve_allocation")
    with transaction.atomic():
        # Lock the programme first (as allocations_adjust does): approvals of two allocations
        # of one programme queue up, so the last one sees the other approved and approves the
        # programme; without it each could see the other still proposed and neither would.
        Programme.objects.select_for_update().filter(pk=allocation.programme_id).first()
        allocation = (
            Allocation.objects.select_for_update()
            .select_related("programme", "relay__organisation")
            .get(pk=allocation.pk)
        )
        if allocation.status == Allocation.Status.APPROVED:
            raise errors.ALLOCATION_ALREADY_APPROVED()
        # Four eyes, read under the programme's lock: no adjustment slips in after the check.
        if by.pk in selectors.allocation_shapers(allocation):
            raise errors.ALLOCATION_OWN_PROPOSAL(relay=allocation.relay)
        confirmed = recap.allocation_confirmed(allocation, confirmation, now=now)
        allocation.status = Allocation.Status.APPROVED
        allocation.approved_by = by
        allocation.approved_at = now
        allocation.save(update_fields=["status", "approved_by", "approved_at"])
        decision_record(
            actor=by,
            subject=allocation,
            action="allocation_approve",
            now=now,
            from_state=Allocation.Status.PROPOSED,
            to_state=Allocation.Status.APPROVED,
            motivation=allocation.motivation,
            data={
                "amount_cents": allocation.amount_cents,
                "proposed_cents": allocation.proposed_cents,
                "figures": allocation.snapshot,
                **confirmed,
            },
        )
        ledger_append(
            kind=LedgerEntry.Kind.ALLOCATION,
            programme=allocation.programme,
            allocation=allocation,
            source=account("programme", allocation.programme_id),
            destination=account("relay", allocation.relay_id),
            amount_cents=allocation.amount_cents,
            actor=by,
            now=now,
        )
        events.allocation_approved_emit(allocation, now=now)
        programme = allocation.programme
        waiting = programme.allocations.exclude(status=Allocation.Status.APPROVED).exists()
        if not waiting:
            Programme.objects.filter(pk=programme.pk).update(
                status=Programme.Status.APPROVED, approved_at=now
            )
            decision_record(
                actor=by,
                subject=programme,
                action="programme_approve",
                now=now,
                from_state=Programme.Status.DRAFT,
                to_state=Programme.Status.APPROVED,
                data={"envelope_cents": programme.envelope_cents},
            )
    return allocation


def programme_check_amendable(*, programme: Programme) -> None:
    """Only an approved programme is amended; one not approved yet is adjusted directly
    (programme_not_approved)."""
    if programme.status != Programme.Status.APPROVED:
        raise errors.PROGRAMME_NOT_APPROVED()


def programme_amend(
    *, programme: Programme, terms: ProgrammeTerms, motivation: str, by, now: datetime
) -> Programme:
    """Correct an approved programme the only way it can be: a new programme linked to it,
    granting the additional envelope in `terms`, with its own allocations to approve."""
    _require(by, "subsidies.manage_programmes")
    if not motivation.strip():
        raise errors.AMENDMENT_MOTIVATION_MISSING()
    programme_check_amendable(programme=programme)
    with transaction.atomic():
        amendment = programme_create(
            terms=terms, by=by, now=now, amends=programme, motivation=motivation
        )
        decision_record(
            actor=by,
            subject=programme,
            action="programme_amend",
            now=now,
            from_state=programme.status,
            to_state=programme.status,
            motivation=motivation.strip(),
            data={"amendment": amendment.pk, "envelope_cents": amendment.envelope_cents},
        )
    return amendment


def allocations_recompute(*, programme: Programme, by, now: datetime) -> list[Allocation]:
    """Propose the programme's allocations again from the validated figures now (the same
    relays, the same fixed shares), when figures changed since they were computed. Amounts
    adjusted before are reset to the new proposal. Only while none is approved: an approved
    allocation never changes (allocations_not_recomputable)."""
    _require(by, "subsidies.manage_programmes")
    with transaction.atomic():
        # Lock the programme: an approval or an adjustment waits for the new figures.
        programme = Programme.objects.select_for_update().get(pk=programme.pk)
        allocations = list(
            programme.allocations.select_for_update().select_related("relay").order_by("pk")
        )
        if any(a.status == Allocation.Status.APPROVED for a in allocations):
            raise errors.ALLOCATIONS_NOT_RECOMPUTABLE()
        shares = (
            {a.relay_id: a.fixed_share or 0 for a in allocations}
            if programme.uses_fixed_shares
            else {}
        )
        fresh = {
            a.relay_id: a
            for a in _propose_allocations(
                programme, [a.relay for a in allocations], shares, now=now
            )
        }
        changes = {}
        for allocation in allocations:
            new = fresh[allocation.relay_id]
            changes[str(allocation.relay_id)] = [allocation.amount_cents, new.amount_cents]
            allocation.proposed_cents = new.proposed_cents
            allocation.amount_cents = new.amount_cents
            allocation.snapshot = new.snapshot
            allocation.computed_at = now
            allocation.motivation = ""
            allocation.save(
                update_fields=[
                    "proposed_cents",
                    "amount_cents",
                    "snapshot",
                    "computed_at",
                    "motivation",
                ]
            )
        decision_record(
            actor=by,
            subject=programme,
            action="allocations_recompute",
            now=now,
            from_state=programme.status,
            to_state=programme.status,
            data={"allocations": changes},
        )
        notices.allocations_changed_notify(
            programme=programme,
            changes={int(relay): (old, new) for relay, (old, new) in changes.items()},
            by=by,
            now=now,
        )
    return allocations


# Redistributions ---------------------------------------------------------------------------


def _check_own_use(own_use) -> list[tuple[str, int]]:
    lines = []
    for purpose, cents in own_use:
        purpose = (purpose or "").strip()
        if not purpose:
            raise errors.OWN_USE_PURPOSE_MISSING()
        if not isinstance(cents, int) or cents < 0:
            raise errors.NEGATIVE_AMOUNT()
        lines.append((purpose[:200], cents))
    return lines


def redistribution_propose(
    *, allocation: Allocation, own_use=(), by, now: datetime, recompute: bool = False
) -> Redistribution:
    """Propose (or propose again, while not approved) how the relay passes its allocation on:
    `own_use` lines (purpose, cents) first, the rest to the payees of its departments pro rata
    to their validated contribution over the programme's period, on the programme's basis.
    `recompute` (redistribution_recompute): the same proposal on today's figures, the own-use
    lines kept; recorded as such, it leaves the proposer who chose them the proposer (four
    eyes: selectors.redistribution_shapers)."""
    _require(by, "subsidies.manage_redistribution", allocation)
    own_use = _check_own_use(own_use)
    with transaction.atomic():
        allocation = (
            Allocation.objects.select_for_update()
            .select_related("programme", "relay")
            .get(pk=allocation.pk)
        )
        if allocation.status != Allocation.Status.APPROVED:
            raise errors.ALLOCATION_NOT_APPROVED()
        kept = sum(cents for _purpose, cents in own_use)
        if kept > allocation.amount_cents:
            raise errors.OWN_USE_EXCEEDS_ALLOCATION(
                kept=_euros(kept), amount=_euros(allocation.amount_cents)
            )
        programme = allocation.programme
        contributions = selectors.contributions_per_payee(
            departments=sorted(allocation.snapshot.get("departments", {})),
            start=programme.period_start_on,
            end=programme.period_end_on,
            basis=programme.basis,
            weights=selectors.weights_of(programme),
        )
        to_share = allocation.amount_cents - kept
        try:
            split = split_largest_remainder(
                to_share, {key: f["weighted"] for key, f in contributions.items()}
            )
        except BadInput as error:
            raise errors.NO_VALIDATED_CONTRIBUTION() from error
        redistribution = Redistribution.objects.filter(allocation=allocation).first()
        if redistribution is not None:
            if redistribution.status == Redistribution.Status.APPROVED:
                raise errors.REDISTRIBUTION_ALREADY_APPROVED()
            redistribution.lines.all().delete()
            redistribution.computed_at = now
            redistribution.motivation = ""
            redistribution.save(update_fields=["computed_at", "motivation"])
        else:
            redistribution = Redistribution.objects.create(allocation=allocation, computed_at=now)
        lines = [
            RedistributionLine(
                redistribution=redistribution,
                kind=RedistributionLine.Kind.OWN_USE,
                purpose=purpose,
                proposed_cents=cents,
                amount_cents=cents,
            )
            for purpose, cents in own_use
        ]
        for (kind, pk), figures in sorted(contributions.items()):
            lines.append(
                RedistributionLine(
                    redistribution=redistribution,
                    kind=kind,
                    maker_id=pk if kind == "maker" else None,
                    organisation_id=pk if kind == "organisation" else None,
                    figures={**figures, "weighted": str(figures["weighted"])},
                    proposed_cents=split[(kind, pk)],
                    amount_cents=split[(kind, pk)],
                )
            )
        RedistributionLine.objects.bulk_create(lines, batch_size=1000)
        decision_record(
            actor=by,
            subject=redistribution,
            action="redistribution_propose",
            now=now,
            to_state=redistribution.status,
            data={
                "payees": len(contributions),
                "own_use_cents": kept,
                **({"recompute": True} if recompute else {}),
            },
        )
    return redistribution


def redistribution_recompute(
    *, redistribution: Redistribution, by, now: datetime
) -> Redistribution:
    """Propose the redistribution again from the validated figures now, keeping the lines the
    relay keeps for its own use (purpose and amount); the payees' lines are computed anew, so
    their adjustments are undone."""
    own_use = [
        (line.purpose, line.amount_cents)
        for line in redistribution.lines.filter(kind=RedistributionLine.Kind.OWN_USE).order_by("pk")
    ]
    return redistribution_propose(
        allocation=redistribution.allocation, own_use=own_use, by=by, now=now, recompute=True
    )


def redistribution_check_open(*, redistribution: Redistribution) -> None:
    """An approved redistribution changes no more (redistribution_approved)."""
    if redistribution.status == Redistribution.Status.APPROVED:
        raise errors.REDISTRIBUTION_APPROVED()


def redistribution_adjust(
    *,
    redistribution: Redistribution,
    amounts: dict[int, int],
    motivation: str,
    by,
    now: datetime,
    add_own_use=(),
) -> Redistribution:
    """Change line amounts (keyed by line id) and add lines for the relay's own use, with a
    motivation. The lines must still add up exactly to the allocation."""
    _require(by, "subsidies.manage_redistribution", redistribution)
    if not motivation.strip():
        raise errors.REDISTRIBUTION_MOTIVATION_MISSING()
    add_own_use = _check_own_use(add_own_use)
    with transaction.atomic():
        redistribution = (
            Redistribution.objects.select_for_update()
            .select_related("allocation")
            .get(pk=redistribution.pk)
        )
        redistribution_check_open(redistribution=redistribution)
        lines = {line.pk: line for line in redistribution.lines.order_by("pk")}
        if set(amounts) - set(lines):
            raise errors.LINE_NOT_IN_REDISTRIBUTION()
        for cents in amounts.values():
            if not isinstance(cents, int) or cents < 0:
                raise errors.NEGATIVE_AMOUNT()
        new = {pk: amounts.get(pk, line.amount_cents) for pk, line in lines.items()}
        total = sum(new.values()) + sum(cents for _purpose, cents in add_own_use)
        allocation_cents = redistribution.allocation.amount_cents
        if total != allocation_cents:
            raise errors.LINES_OFF_ALLOCATION(
                total=_euros(total),
                amount=_euros(allocation_cents),
                gap=_euros(total - allocation_cents),
            )
        changes = {}
        for pk, line in lines.items():
            if new[pk] != line.amount_cents:
                changes[str(pk)] = [line.amount_cents, new[pk]]
                line.amount_cents = new[pk]
                line.save(update_fields=["amount_cents"])
        RedistributionLine.objects.bulk_create(
            [
                RedistributionLine(
                    redistribution=redistribution,
                    kind=RedistributionLine.Kind.OWN_USE,
                    purpose=purpose,
                    amount_cents=cents,
                )
                for purpose, cents in add_own_use
            ]
        )
        redistribution.motivation = motivation.strip()
        redistribution.save(update_fields=["motivation"])
        decision_record(
            actor=by,
            subject=redistribution,
            action="redistribution_adjust",
            now=now,
            from_state=redistribution.status,
            to_state=redistribution.status,
            motivation=motivation.strip(),
            data={"lines": changes, "own_use_added": add_own_use},
        )
    return redistribution


def _check_four_eyes_redistribution(redistribution: Redistribution, by) -> None:
    """Whoever proposed or adjusted the lines now on the table does not approve them; read
    under the redistribution's lock, so no adjustment slips in after the check."""
    if by.pk in selectors.redistribution_shapers(redistribution):
        region = selectors.redistribution_second_person_is_region(redistribution)
        raise errors.REDISTRIBUTION_OWN_PROPOSAL(
            instead=_("la Région") if region else _("un autre membre de l'équipe du relais")
        )


def redistribution_approve(
    *,
    redistribution: Redistribution,
    by,
    now: datetime,
    confirmation: recap.Confirmation | None = None,
) -> Redistribution:
    """Approve a relay's redistribution: one ledger entry per line, then frozen.
    `confirmation`: as for `allocation_approve`."""
    _require(by, "subsidies.approve_redistribution", redistribution)
    with transaction.atomic():
        redistribution = (
            Redistribution.objects.select_for_update()
            .select_related("allocation__programme", "allocation__relay")
            .get(pk=redistribution.pk)
        )
        if redistribution.status == Redistribution.Status.APPROVED:
            raise errors.REDISTRIBUTION_ALREADY_APPROVED()
        _check_four_eyes_redistribution(redistribution, by)
        lines = list(redistribution.lines.order_by("pk"))
        allocation = redistribution.allocation
        total = sum(line.amount_cents for line in lines)
        if total != allocation.amount_cents:
            # Cannot happen through the services; refuse rather than approve a wrong sum.
            raise errors.LINES_NOT_ALLOCATION_TOTAL()
        confirmed = recap.redistribution_confirmed(redistribution, confirmation, now=now)
        redistribution.status = Redistribution.Status.APPROVED
        redistribution.approved_by = by
        redistribution.approved_at = now
        redistribution.save(update_fields=["status", "approved_by", "approved_at"])
        decision_record(
            actor=by,
            subject=redistribution,
            action="redistribution_approve",
            now=now,
            from_state=Redistribution.Status.PROPOSED,
            to_state=Redistribution.Status.APPROVED,
            motivation=redistribution.motivation,
            data={"lines": len(lines), "amount_cents": total, **confirmed},
        )
        # One append for all the lines: the head is locked and moved once, not per line.
        ledger_append_many(
            movements=[
                Movement(
                    kind=LedgerEntry.Kind.REDISTRIBUTION,
                    programme=allocation.programme,
                    allocation=allocation,
                    line=line,
                    source=account("relay", allocation.relay_id),
                    destination=payee_account(
                        maker_id=line.maker_id,
                        organisation_id=line.organisation_id,
                        relay_id=allocation.relay_id,
                    ),
                    amount_cents=line.amount_cents,
                )
                for line in lines
            ],
            actor=by,
            now=now,
        )
        events.redistribution_approved_emit(
            redistribution, lines=len(lines), total_cents=total, now=now
        )
    return redistribution


def payments_record(
    *, lines: list[RedistributionLine], paid_on: date, reference: str, by, now: datetime
) -> list[Payment]:
    """Record that these lines were paid, outside any payment batch: all or none. Pages and
    the API record payments per batch (`subsidies.batches`); a line waiting in an open batch
    is refused here (transfers_already_in_batch), so it is never paid twice."""
    reference = (reference or "").strip()
    if not reference:
        raise errors.PAYMENT_REFERENCE_MISSING()
    if len(reference) > 140:
        raise errors.PAYMENT_REFERENCE_TOO_LONG()
    if paid_on > timezone.localdate(now):
        raise errors.PAID_ON_IN_FUTURE()
    if not lines:
        raise errors.PAYMENT_LINES_MISSING()
    payments = []
    with transaction.atomic():
        locked = list(
            RedistributionLine.objects.select_for_update()
            .filter(pk__in=[line.pk for line in lines])
            .order_by("pk")
        )
        redistributions = Redistribution.objects.select_related(
            "allocation__programme", "allocation__relay"
        ).in_bulk({line.redistribution_id for line in locked})
        # Read once for the whole batch (a relay may pay 2,400 lines with one SEPA file).
        paid = set(Payment.objects.filter(line__in=locked).values_list("line_id", flat=True))
        in_batch = PaymentBatchLine.objects.filter(line__in=locked, open=True).select_related(
            "batch"
        )
        if taken := in_batch.order_by("batch_id").first():
            raise errors.TRANSFERS_ALREADY_IN_BATCH(batch=taken.batch.message_id)
        allowed, movements = set(), []
        for line in locked:
            redistribution = redistributions[line.redistribution_id]
            if redistribution.pk not in allowed:
                _require(by, "subsidies.record_payment", redistribution)
                allowed.add(redistribution.pk)
            if redistribution.status != Redistribution.Status.APPROVED:
                raise errors.LINE_NOT_APPROVED(id=line.pk)
            if line.pk in paid:
                raise errors.LINE_ALREADY_PAID(id=line.pk)
            if line.amount_cents == 0:
                raise errors.LINE_AMOUNT_ZERO(id=line.pk)
            allocation = redistribution.allocation
            payment = Payment.objects.create(
                line=line,
                amount_cents=line.amount_cents,
                paid_on=paid_on,
                reference=reference,
                recorded_by=by,
                recorded_at=now,
            )
            decision_record(
                actor=by,
                subject=line,
                action="payment_record",
                now=now,
                from_state="unpaid",
                to_state="paid",
                data={
                    "amount_cents": line.amount_cents,
                    "paid_on": paid_on.isoformat(),
                    "reference": reference,
                },
            )
            movements.append(
                Movement(
                    kind=LedgerEntry.Kind.PAYMENT,
                    programme=allocation.programme,
                    allocation=allocation,
                    line=line,
                    payment=payment,
                    source=account("relay", allocation.relay_id),
                    destination=payee_account(
                        maker_id=line.maker_id,
                        organisation_id=line.organisation_id,
                        relay_id=allocation.relay_id,
                    ),
                    amount_cents=payment.amount_cents,
                )
            )
            payments.append(payment)
        # One append for the batch, in line order: the head is locked and moved once.
        ledger_append_many(movements=movements, actor=by, now=now)
        for redistribution_id in sorted({p.line.redistribution_id for p in payments}):
            paid = [p for p in payments if p.line.redistribution_id == redistribution_id]
            events.payments_recorded_emit(
                redistributions[redistribution_id],
                lines=len(paid),
                paid_cents=sum(p.amount_cents for p in paid),
                paid_on=paid_on,
                now=now,
            )
        notices.payments_notify(payments=payments, now=now)
    return payments


# Bank details ------------------------------------------------------------------------------
# Under control in `subsidies.bank` (held until confirmed, notified, kept in a history).

iban_clean = bank.iban_clean
bic_clean = bank.bic_clean
bank_account_set = bank.bank_account_set


def may_change_bank_account(user, owner: Maker | Organisation) -> bool:
    """The payee themself (the maker, an organisation's manager) or their relay's staff."""
    return selectors.PayeeAccess.of(user).covers_payee(owner)
