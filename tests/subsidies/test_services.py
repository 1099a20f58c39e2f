"""The subsidy chain's rules, as the services enforce them: how a programme is split between
relays and a relay's allocation between payees, to the cent; who may decide what; and that a
refused decision leaves every figure, decision and ledger entry as it was."""

import datetime
import json
from fractions import Fraction
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, transaction
from django.utils import timezone

from makers.models import ItemType, Membership
from subsidies import services
from subsidies.models import (
    Allocation,
    BankAccount,
    LedgerEntry,
    Payment,
    Programme,
    Redistribution,
    RedistributionLine,
)
from tests.factories import (
    SPRING_2020,
    approve_all,
    make_maker,
    make_organisation,
    make_programme,
    make_report,
    make_terms,
    make_user,
    region_controller,
    relay_colleague,
    step_up,
)
from tests.refusals import refused
from tilab import roles
from tilab.errors import BadInput, WrongState
from tilab.models import Decision
from tilab.money import format_euros

NOW = timezone.make_aware(datetime.datetime(2020, 6, 15, 10, 0))
IN_PERIOD = datetime.date(2020, 4, 2)
IBAN_ANNE = "FR76 3000 6000 0112 3456 7890 189"


def money_state() -> dict:
    """Everything a refused decision must leave as it was."""
    return {
        "decisions": Decision.objects.count(),
        "ledger": LedgerEntry.objects.count(),
        "payments": Payment.objects.count(),
        "programmes": sorted(Programme.objects.values_list("pk", "status", "approved_at")),
        "allocations": sorted(
            Allocation.objects.values_list("pk", "amount_cents", "status", "motivation")
        ),
        "redistributions": sorted(
            Redistribution.objects.values_list("pk", "status", "motivation", "computed_at")
        ),
        "lines": sorted(
            RedistributionLine.objects.values_list("pk", "kind", "purpose", "amount_cents")
        ),
        "accounts": sorted(BankAccount.objects.values_list("pk", "holder", "iban", "bic")),
    }


def validated(maker, staff, *, quantity, item="visor", cost_cents=0, on=IN_PERIOD, **extra):
    return make_report(
        maker=maker, item=item, quantity=quantity, cost_cents=cost_cents, produced_on=on,
        status="validated", decided_by=staff, **extra,
    )  # fmt: skip


@pytest.fixture
def relays(relay_staff, other_relay_staff, loch_staff):
    """The three relays of 2020: LabFab de Rennes (35, 22), La Fabrique du Loch (56), ENSTA
    Bretagne (29), each with its staff."""
    return SimpleNamespace(
        rennes=relay_staff.relays.get(),
        loch=loch_staff.relays.get(),
        ensta=other_relay_staff.relays.get(),
        staff={"35": relay_staff, "22": relay_staff, "29": other_relay_staff, "56": loch_staff},
    )


@pytest.fixture
def programme_2020(region_staff, relays):
    """The 2020 grant: 30 000 € in fixed shares 50/25/25."""
    return make_programme(
        by=region_staff, relays=[relays.rennes, relays.loch, relays.ensta],
        envelope_cents=3_000_000,
        fixed_shares=[(relays.rennes, 50), (relays.loch, 25), (relays.ensta, 25)],
    )  # fmt: skip


def by_relay(programme) -> dict:
    return {a.relay_id: a for a in programme.allocations.all()}


# Programmes and allocations ----------------------------------------------------------------


def test_the_2020_grant_gives_15_000_7_500_and_7_500_euros(programme_2020, relays):
    allocations = by_relay(programme_2020)
    amounts = {pk: (a.proposed_cents, a.amount_cents) for pk, a in allocations.items()}
    assert amounts == {
        relays.rennes.pk: (1_500_000, 1_500_000),
        relays.loch.pk: (750_000, 750_000),
        relays.ensta.pk: (750_000, 750_000),
    }
    assert allocations[relays.rennes.pk].fixed_share == 50
    assert programme_2020.status == Programme.Status.DRAFT
    assert programme_2020.uses_fixed_shares
    created = Decision.objects.get(action="programme_create")
    assert created.data["envelope_cents"] == 3_000_000


# (department, item, quantity) of the makers of four departments over spring 2020, weighted
# per item: a gown takes longer than a visor, an ear saver much less.
WEIGHTS = {"visor": Fraction(1), "gown": Fraction(7, 2), "fabric-mask": Fraction(1, 2)}
REALISTIC = [
    ("35", "visor", 412), ("35", "visor", 187), ("35", "gown", 23), ("35", "fabric-mask", 90),
    ("35", "ear-saver", 301), ("22", "visor", 95), ("22", "fabric-mask", 64),
    ("22", "gown", 11), ("56", "visor", 233), ("56", "visor", 17), ("56", "gown", 41),
    ("56", "ear-saver", 77), ("29", "visor", 388), ("29", "fabric-mask", 141),
    ("29", "gown", 7), ("29", "door-opener", 12),
]  # fmt: skip


def test_a_units_programme_splits_the_envelope_exactly_and_each_share_within_a_cent(
    region_staff, relays
):
    for n, (department, item, quantity) in enumerate(REALISTIC):
        maker = make_maker(display_name=f"Maker {n}", department=department)
        validated(maker, relays.staff[department], quantity=quantity, item=item)
    # Not counted: a report outside the period, one not validated yet, one rejected.
    outsider = make_maker(display_name="Hors période", department="35")
    validated(outsider, relays.staff["35"], quantity=5_000, on=datetime.date(2020, 6, 2))
    make_report(maker=outsider, quantity=5_000, produced_on=IN_PERIOD)
    make_report(maker=outsider, quantity=5_000, status="rejected", decided_by=relays.staff["35"])
    envelope = 3_000_001  # a cent that cannot be split evenly
    items = {slug: ItemType.objects.get(slug=slug) for slug in WEIGHTS}
    programme = make_programme(
        by=region_staff, relays=[relays.rennes, relays.loch, relays.ensta],
        envelope_cents=envelope,
        item_weights=[(items[slug], weight) for slug, weight in WEIGHTS.items()],
    )  # fmt: skip

    covers = {relays.rennes.pk: {"35", "22"}, relays.loch.pk: {"56"}, relays.ensta.pk: {"29"}}
    weighted = {
        relay: sum(
            (q * WEIGHTS.get(item, Fraction(1)) for d, item, q in REALISTIC if d in departments),
            Fraction(0),
        )
        for relay, departments in covers.items()
    }
    total = sum(weighted.values())
    allocations = by_relay(programme)
    assert sum(a.amount_cents for a in allocations.values()) == envelope
    for relay, allocation in allocations.items():
        exact = envelope * weighted[relay] / total
        assert abs(allocation.amount_cents - exact) < 1, (allocation.amount_cents, exact)
        assert Fraction(allocation.snapshot["weighted"]) == weighted[relay]
    snapshot = allocations[relays.rennes.pk].snapshot
    assert snapshot["departments"]["35"]["quantity"] == 412 + 187 + 23 + 90 + 301
    assert snapshot["departments"]["22"]["reports"] == 3
    assert {item: Fraction(weight) for item, weight in snapshot["weights"].items()} == {
        str(items[slug].pk): weight for slug, weight in WEIGHTS.items()
    }


def test_a_material_cost_programme_splits_on_declared_costs(region_staff, relays):
    validated(make_maker(department="35"), relays.staff["35"], quantity=10, cost_cents=30_000)
    validated(make_maker(department="22"), relays.staff["22"], quantity=900, cost_cents=10_000)
    validated(make_maker(department="29"), relays.staff["29"], quantity=1, cost_cents=60_000)
    programme = make_programme(
        by=region_staff, relays=[relays.rennes, relays.ensta], envelope_cents=1_000_000,
        basis="material_cost",
    )  # fmt: skip
    # 400 € of material in Rennes's departments, 600 € in Finistère: units do not count.
    amounts = {pk: a.amount_cents for pk, a in by_relay(programme).items()}
    assert amounts == {relays.rennes.pk: 400_000, relays.ensta.pk: 600_000}


def test_a_programme_with_no_validated_production_is_refused(region_staff, relays):
    before = money_state()
    with refused("no_validated_production", kind=BadInput):
        make_programme(by=region_staff, relays=[relays.loch])
    assert money_state() == before


def test_later_validations_never_change_an_allocation_once_computed(region_staff, relays):
    validated(make_maker(department="35"), relays.staff["35"], quantity=100)
    validated(make_maker(department="29"), relays.staff["29"], quantity=100)
    programme = make_programme(
        by=region_staff, relays=[relays.rennes, relays.ensta], envelope_cents=100_000
    )
    before = {pk: (a.amount_cents, a.snapshot) for pk, a in by_relay(programme).items()}
    assert before[relays.rennes.pk][0] == before[relays.ensta.pk][0] == 50_000

    validated(make_maker(department="29"), relays.staff["29"], quantity=200)
    after_creation = {pk: (a.amount_cents, a.snapshot) for pk, a in by_relay(programme).items()}
    approve_all(programme, by=region_controller())
    validated(make_maker(department="29"), relays.staff["29"], quantity=100)
    after_approval = {pk: (a.amount_cents, a.snapshot) for pk, a in by_relay(programme).items()}

    assert after_creation == before and after_approval == before
    # The same terms computed today give another split: the snapshot is what kept the figures.
    today = make_programme(
        by=region_staff, relays=[relays.rennes, relays.ensta], envelope_cents=100_000
    )
    assert {a.relay_id: a.amount_cents for a in today.allocations.all()} == {
        relays.rennes.pk: 20_000,
        relays.ensta.pk: 80_000,
    }


def test_the_database_refuses_to_change_or_delete_an_approved_allocation(
    programme_2020, region_staff, relays
):
    approve_all(programme_2020, by=region_controller())
    allocation = by_relay(programme_2020)[relays.rennes.pk]
    with pytest.raises(DatabaseError), transaction.atomic():
        Allocation.objects.filter(pk=allocation.pk).update(amount_cents=1_600_000)
    allocation.amount_cents = 1_600_000
    with pytest.raises(DatabaseError), transaction.atomic():
        allocation.save()
    with pytest.raises(DatabaseError), transaction.atomic():
        Allocation.objects.filter(pk=allocation.pk).delete()
    allocation.refresh_from_db()
    assert allocation.amount_cents == 1_500_000


def test_adjusting_moves_money_between_relays_with_one_decision_per_change(
    programme_2020, region_staff, relays
):
    allocations = by_relay(programme_2020)
    rennes, loch, ensta = (allocations[r.pk] for r in (relays.rennes, relays.loch, relays.ensta))
    services.allocations_adjust(
        programme=programme_2020, amounts={rennes.pk: 1_490_000, loch.pk: 760_000},
        motivation="  Le Loch a acheté les plaques PET pour tout le réseau.  ",
        by=region_staff, now=NOW,
    )  # fmt: skip
    allocations = by_relay(programme_2020)
    assert allocations[relays.rennes.pk].amount_cents == 1_490_000
    assert allocations[relays.rennes.pk].proposed_cents == 1_500_000
    assert allocations[relays.loch.pk].amount_cents == 760_000
    assert allocations[relays.loch.pk].motivation.startswith("Le Loch a acheté")
    decisions = {int(d.object_id): d for d in Decision.objects.filter(action="allocation_adjust")}
    assert set(decisions) == {rennes.pk, loch.pk}  # none for ENSTA, unchanged
    assert decisions[rennes.pk].data == {"from_cents": 1_500_000, "to_cents": 1_490_000}
    assert decisions[loch.pk].data == {"from_cents": 750_000, "to_cents": 760_000}
    assert decisions[loch.pk].actor == region_staff
    assert ensta.pk not in decisions


@pytest.mark.parametrize("motivation", ["", "   "])
def test_adjusting_requires_a_motivation(programme_2020, region_staff, relays, motivation):
    rennes, loch = (by_relay(programme_2020)[r.pk] for r in (relays.rennes, relays.loch))
    before = money_state()
    with refused("allocations_motivation_missing", kind=BadInput):
        services.allocations_adjust(
            programme=programme_2020, amounts={rennes.pk: 1_490_000, loch.pk: 760_000},
            motivation=motivation, by=region_staff, now=NOW,
        )  # fmt: skip
    assert money_state() == before


def test_adjusting_refuses_a_total_other_than_the_envelope_and_shows_the_gap(
    programme_2020, region_staff, relays
):
    loch = by_relay(programme_2020)[relays.loch.pk]
    before = money_state()
    with refused(
        "allocations_off_envelope",
        kind=BadInput,
        gap=format_euros(10_000),
        total=format_euros(3_010_000),
        envelope=format_euros(3_000_000),
    ):
        services.allocations_adjust(
            programme=programme_2020, amounts={loch.pk: 760_000}, motivation="Plaques PET",
            by=region_staff, now=NOW,
        )  # fmt: skip
    assert money_state() == before


def test_adjusting_refuses_negative_amounts_and_foreign_allocations(
    programme_2020, region_staff, relays
):
    other = make_programme(
        by=region_staff, relays=[relays.rennes], fixed_shares=[(relays.rennes, 1)]
    )
    loch = by_relay(programme_2020)[relays.loch.pk]
    before = money_state()
    with refused("negative_amount", kind=BadInput):
        services.allocations_adjust(
            programme=programme_2020, amounts={loch.pk: -1}, motivation="x",
            by=region_staff, now=NOW,
        )  # fmt: skip
    with refused("allocation_not_in_programme", kind=BadInput):
        services.allocations_adjust(
            programme=programme_2020, amounts={other.allocations.get().pk: 1}, motivation="x",
            by=region_staff, now=NOW,
        )  # fmt: skip
    assert money_state() == before


def test_an_approved_allocation_can_no_longer_be_adjusted(
    programme_2020, region_staff, relays, other_region_staff
):
    allocations = by_relay(programme_2020)
    rennes, loch, ensta = (allocations[r.pk] for r in (relays.rennes, relays.loch, relays.ensta))
    services.allocation_approve(allocation=rennes, by=other_region_staff, now=NOW)
    before = money_state()
    with refused("allocation_approved", kind=WrongState):
        services.allocations_adjust(
            programme=programme_2020, amounts={rennes.pk: 1_490_000, loch.pk: 760_000},
            motivation="Trop tard", by=region_staff, now=NOW,
        )  # fmt: skip
    assert money_state() == before
    # The others still can, between themselves.
    services.allocations_adjust(
        programme=programme_2020, amounts={loch.pk: 760_000, ensta.pk: 740_000},
        motivation="Plaques PET", by=region_staff, now=NOW,
    )  # fmt: skip
    assert by_relay(programme_2020)[relays.ensta.pk].amount_cents == 740_000


def test_approving_records_one_decision_and_one_ledger_entry(
    programme_2020, region_staff, relays, other_region_staff
):
    rennes = by_relay(programme_2020)[relays.rennes.pk]
    services.allocation_approve(allocation=rennes, by=other_region_staff, now=NOW)
    rennes.refresh_from_db()
    assert rennes.status == Allocation.Status.APPROVED
    assert (rennes.approved_by, rennes.approved_at) == (other_region_staff, NOW)
    decision = Decision.objects.get(action="allocation_approve")
    assert (decision.object_id, decision.from_state, decision.to_state) == (
        str(rennes.pk), "proposed", "approved",
    )  # fmt: skip
    assert decision.data["amount_cents"] == 1_500_000
    entry = LedgerEntry.objects.get()
    assert (entry.kind, entry.allocation_id, entry.amount_cents, entry.actor) == (
        "allocation", rennes.pk, 1_500_000, other_region_staff,
    )  # fmt: skip
    assert (entry.source, entry.destination) == (
        f"programme:{programme_2020.pk}", f"relay:{relays.rennes.pk}",
    )  # fmt: skip
    programme_2020.refresh_from_db()
    assert programme_2020.status == Programme.Status.DRAFT  # two allocations still wait


def test_approving_twice_is_a_conflict_and_changes_nothing(
    programme_2020, region_staff, relays, other_region_staff
):
    rennes = by_relay(programme_2020)[relays.rennes.pk]
    services.allocation_approve(allocation=rennes, by=other_region_staff, now=NOW)
    before = money_state()
    with refused("allocation_already_approved", kind=WrongState):
        services.allocation_approve(allocation=rennes, by=other_region_staff, now=NOW)
    assert money_state() == before
    assert LedgerEntry.objects.count() == 1


def test_the_programme_is_approved_with_its_last_allocation(programme_2020, region_staff):
    approve_all(programme_2020, by=region_controller())
    assert programme_2020.status == Programme.Status.APPROVED
    assert Decision.objects.filter(action="programme_approve").count() == 1
    assert LedgerEntry.objects.filter(kind="allocation").count() == 3


@pytest.mark.parametrize("role", ["maker", "facilitator", "auditor", "relay_staff"])
def test_only_region_staff_create_adjust_and_approve_programmes(
    request, programme_2020, relays, role
):
    user = request.getfixturevalue(role)
    allocations = by_relay(programme_2020)
    before = money_state()
    with pytest.raises(PermissionDenied):
        services.programme_create(terms=make_terms(relays=[relays.rennes]), by=user, now=NOW)
    with pytest.raises(PermissionDenied):
        services.allocations_adjust(
            programme=programme_2020,
            amounts={allocations[relays.rennes.pk].pk: 1_490_000,
                     allocations[relays.loch.pk].pk: 760_000},
            motivation="x", by=user, now=NOW,
        )  # fmt: skip
    with pytest.raises(PermissionDenied):
        services.allocation_approve(allocation=allocations[relays.loch.pk], by=user, now=NOW)
    assert money_state() == before


def test_region_staff_approve_only_with_two_factor_when_required(
    mfa_required, programme_2020, region_staff, relays, other_region_staff
):
    rennes = by_relay(programme_2020)[relays.rennes.pk]
    before = money_state()
    with pytest.raises(PermissionDenied):
        services.allocation_approve(allocation=rennes, by=other_region_staff, now=NOW)
    assert money_state() == before
    # Preparing is not deciding: adjusting needs no second factor.
    loch, ensta = (by_relay(programme_2020)[r.pk] for r in (relays.loch, relays.ensta))
    services.allocations_adjust(
        programme=programme_2020, amounts={loch.pk: 760_000, ensta.pk: 740_000},
        motivation="Plaques PET", by=region_staff, now=NOW,
    )  # fmt: skip
    step_up(other_region_staff)
    services.allocation_approve(allocation=rennes, by=other_region_staff, now=NOW)
    assert LedgerEntry.objects.count() == 1


def test_an_approved_programme_is_amended_by_a_new_linked_programme(
    programme_2020, region_staff, relays
):
    approve_all(programme_2020, by=region_controller())
    before = {a.pk: a.amount_cents for a in programme_2020.allocations.all()}
    amendment = services.programme_amend(
        programme=programme_2020,
        terms=make_terms(
            relays=[relays.loch], envelope_cents=200_000, name="Complément Morbihan 2020",
            fixed_shares=[(relays.loch, 1)],
        ),
        motivation="Les achats groupés du Loch ont été oubliés.", by=region_staff, now=NOW,
    )  # fmt: skip
    assert amendment.pk != programme_2020.pk
    assert amendment.amends == programme_2020
    assert amendment.status == Programme.Status.DRAFT
    assert amendment.motivation == "Les achats groupés du Loch ont été oubliés."
    assert [a.amount_cents for a in amendment.allocations.all()] == [200_000]
    assert {a.pk: a.amount_cents for a in programme_2020.allocations.all()} == before
    amended = Decision.objects.get(action="programme_amend")
    assert amended.object_id == str(programme_2020.pk)
    assert amended.data == {"amendment": amendment.pk, "envelope_cents": 200_000}


def test_only_an_approved_programme_is_amended_and_with_a_motivation(
    programme_2020, region_staff, relays
):
    terms = make_terms(relays=[relays.loch], fixed_shares=[(relays.loch, 1)])
    before = money_state()
    with refused("programme_not_approved", kind=WrongState):
        services.programme_amend(
            programme=programme_2020, terms=terms, motivation="Oubli", by=region_staff, now=NOW
        )
    approve_all(programme_2020, by=region_controller())
    before = money_state()
    with refused("amendment_motivation_missing", kind=BadInput):
        services.programme_amend(
            programme=programme_2020, terms=terms, motivation=" ", by=region_staff, now=NOW
        )
    assert money_state() == before
    with pytest.raises(PermissionDenied):
        services.programme_amend(
            programme=programme_2020, terms=terms, motivation="Oubli",
            by=relays.staff["56"], now=NOW,
        )  # fmt: skip
    assert money_state() == before


# Redistributions ---------------------------------------------------------------------------


@pytest.fixture
def rennes_allocation(region_staff, relay_staff):
    """Rennes's approved allocation of 10 000 €."""
    rennes = relay_staff.relays.get()
    programme = make_programme(
        by=region_staff, relays=[rennes], envelope_cents=1_000_000, fixed_shares=[(rennes, 1)]
    )
    return approve_all(programme, by=region_controller()).allocations.get()


@pytest.fixture
def payees(relay_staff, other_relay_staff):
    """Anne (35) 30 visors of her own and 20 for her FabLab; Yann (22) 10 visors. Around
    them, reports that must not count: Finistère's, one outside the period, one waiting."""
    anne = make_maker(display_name="Anne Le Goff", department="35")
    yann = make_maker(display_name="Yann Kervella", department="22")
    fablab = make_organisation(name="FabLab de Saint-Brieuc", department="22")
    Membership.objects.create(maker=anne, organisation=fablab, is_manager=True)
    validated(anne, relay_staff, quantity=30, cost_cents=9_000)
    validated(anne, relay_staff, quantity=20, organisation=fablab)
    validated(yann, relay_staff, quantity=10)
    validated(make_maker(department="29"), other_relay_staff, quantity=500)
    validated(yann, relay_staff, quantity=500, on=datetime.date(2020, 6, 5))
    make_report(maker=yann, quantity=500, produced_on=IN_PERIOD)
    return SimpleNamespace(anne=anne, yann=yann, fablab=fablab)


def lines_by_payee(redistribution) -> dict:
    return {line.payee_name: line for line in redistribution.lines.all()}


def test_a_redistribution_shares_pro_rata_to_validated_contributions(
    rennes_allocation, payees, relay_staff
):
    redistribution = services.redistribution_propose(
        allocation=rennes_allocation, own_use=[("  Achat groupé de PLA ", 100_000)],
        by=relay_staff, now=NOW,
    )  # fmt: skip
    lines = lines_by_payee(redistribution)
    # 9 000 € over 60 visors: 150 € a visor; the FabLab's 20 count for the FabLab, not Anne.
    assert {name: line.amount_cents for name, line in lines.items()} == {
        "Achat groupé de PLA": 100_000,
        "Anne Le Goff": 450_000,
        "FabLab de Saint-Brieuc": 300_000,
        "Yann Kervella": 150_000,
    }
    assert lines["FabLab de Saint-Brieuc"].kind == "organisation"
    assert lines["Achat groupé de PLA"].kind == "own_use"
    assert lines["Anne Le Goff"].figures == {
        "quantity": 30, "material_cost_cents": 9_000, "reports": 1, "weighted": "30",
    }  # fmt: skip
    assert all(line.proposed_cents == line.amount_cents for line in lines.values())
    assert sum(line.amount_cents for line in lines.values()) == rennes_allocation.amount_cents
    assert redistribution.status == Redistribution.Status.PROPOSED
    assert Decision.objects.filter(action="redistribution_propose").count() == 1
    assert not LedgerEntry.objects.filter(kind="redistribution").exists()


def test_lines_sum_exactly_to_an_allocation_that_does_not_divide_evenly(region_staff, relay_staff):
    rennes = relay_staff.relays.get()
    quantities = [7, 7, 7, 13, 1]
    for n, quantity in enumerate(quantities):
        validated(make_maker(display_name=f"M{n}", department="35"), relay_staff, quantity=quantity)
    programme = make_programme(
        by=region_staff, relays=[rennes], envelope_cents=1_000_003, fixed_shares=[(rennes, 1)]
    )
    allocation = approve_all(programme, by=region_controller()).allocations.get()
    redistribution = services.redistribution_propose(
        allocation=allocation, own_use=[("Prototypes", 333)], by=relay_staff, now=NOW
    )
    lines = lines_by_payee(redistribution)
    assert sum(line.amount_cents for line in lines.values()) == 1_000_003
    to_share, units = 1_000_003 - 333, sum(quantities)
    for n, quantity in enumerate(quantities):
        exact = Fraction(to_share * quantity, units)
        assert abs(lines[f"M{n}"].amount_cents - exact) < 1


def test_proposing_again_recomputes_with_the_new_figures(rennes_allocation, payees, relay_staff):
    first = services.redistribution_propose(allocation=rennes_allocation, by=relay_staff, now=NOW)
    validated(payees.yann, relay_staff, quantity=50)
    again = services.redistribution_propose(allocation=rennes_allocation, by=relay_staff, now=NOW)
    assert again.pk == first.pk
    lines = lines_by_payee(again)
    assert len(lines) == 3
    # 10 000 € over 110 visors now: Yann's 60 weigh more.
    assert lines["Yann Kervella"].amount_cents == 545_455
    assert sum(line.amount_cents for line in lines.values()) == 1_000_000


def test_a_redistribution_waits_for_the_region_to_approve_the_allocation(
    region_staff, relay_staff, payees
):
    rennes = relay_staff.relays.get()
    programme = make_programme(by=region_staff, relays=[rennes], fixed_shares=[(rennes, 1)])
    before = money_state()
    with refused("allocation_not_approved", kind=WrongState):
        services.redistribution_propose(
            allocation=programme.allocations.get(), by=relay_staff, now=NOW
        )
    assert money_state() == before


def test_own_use_lines_need_a_purpose_and_fit_in_the_allocation(
    rennes_allocation, payees, relay_staff
):
    before = money_state()
    with refused("own_use_purpose_missing", kind=BadInput):
        services.redistribution_propose(
            allocation=rennes_allocation, own_use=[("  ", 1_000)], by=relay_staff, now=NOW
        )
    with refused("own_use_exceeds_allocation", kind=BadInput):
        services.redistribution_propose(
            allocation=rennes_allocation, own_use=[("PLA", 600_000), ("PET", 400_001)],
            by=relay_staff, now=NOW,
        )  # fmt: skip
    with refused("negative_amount", kind=BadInput):
        services.redistribution_propose(
            allocation=rennes_allocation, own_use=[("PLA", -1)], by=relay_staff, now=NOW
        )
    assert money_state() == before


@pytest.fixture
def proposal(rennes_allocation, payees, relay_staff):
    return services.redistribution_propose(
        allocation=rennes_allocation, own_use=[("Achat groupé de PLA", 100_000)],
        by=relay_staff, now=NOW,
    )  # fmt: skip


def test_adjusting_a_redistribution_records_each_change_from_and_to(proposal, relay_staff):
    lines = lines_by_payee(proposal)
    anne, yann = lines["Anne Le Goff"], lines["Yann Kervella"]
    services.redistribution_adjust(
        redistribution=proposal, amounts={anne.pk: 400_000, yann.pk: 150_000},
        add_own_use=[("Plaques PET", 50_000)],
        motivation="Anne a déjà reçu des bobines de PLA.", by=relay_staff, now=NOW,
    )  # fmt: skip
    lines = lines_by_payee(proposal)
    assert lines["Anne Le Goff"].amount_cents == 400_000
    assert lines["Anne Le Goff"].proposed_cents == 450_000
    assert lines["Plaques PET"].amount_cents == 50_000
    assert lines["Plaques PET"].kind == "own_use"
    assert sum(line.amount_cents for line in lines.values()) == 1_000_000
    decision = Decision.objects.get(action="redistribution_adjust")
    assert decision.data["lines"] == {str(anne.pk): [450_000, 400_000]}  # Yann's is unchanged
    assert decision.data["own_use_added"] == [["Plaques PET", 50_000]]
    assert decision.motivation == "Anne a déjà reçu des bobines de PLA."
    proposal.refresh_from_db()
    assert proposal.motivation == "Anne a déjà reçu des bobines de PLA."


def test_adjusting_a_redistribution_keeps_the_sum_and_needs_a_motivation(
    proposal, relay_staff, rennes_allocation
):
    anne = lines_by_payee(proposal)["Anne Le Goff"]
    before = money_state()
    with refused("redistribution_motivation_missing", kind=BadInput):
        services.redistribution_adjust(
            redistribution=proposal, amounts={anne.pk: 400_000}, motivation="",
            add_own_use=[("PET", 50_000)], by=relay_staff, now=NOW,
        )  # fmt: skip
    with refused("lines_off_allocation", kind=BadInput, gap=format_euros(-50_000)):
        services.redistribution_adjust(
            redistribution=proposal, amounts={anne.pk: 400_000}, motivation="Bobines",
            by=relay_staff, now=NOW,
        )  # fmt: skip
    assert money_state() == before


def test_adjusting_refuses_a_line_of_another_redistribution(
    proposal, region_staff, relay_staff, payees
):
    rennes = relay_staff.relays.get()
    other = approve_all(
        make_programme(by=region_staff, relays=[rennes], fixed_shares=[(rennes, 1)],
                       name="Autre"),
        by=region_controller(),
    ).allocations.get()  # fmt: skip
    foreign = services.redistribution_propose(allocation=other, by=relay_staff, now=NOW)
    foreign_line = foreign.lines.first()
    before = money_state()
    with refused("line_not_in_redistribution", kind=BadInput):
        services.redistribution_adjust(
            redistribution=proposal, amounts={foreign_line.pk: 0}, motivation="x",
            by=relay_staff, now=NOW,
        )  # fmt: skip
    assert money_state() == before


def test_approving_a_redistribution_writes_one_ledger_entry_per_line(
    proposal, relay_staff, rennes_allocation
):
    services.redistribution_approve(
        redistribution=proposal, by=relay_colleague(relay_staff), now=NOW
    )
    proposal.refresh_from_db()
    assert proposal.status == Redistribution.Status.APPROVED
    assert (proposal.approved_by, proposal.approved_at) == (relay_colleague(relay_staff), NOW)
    entries = {
        e.line_id: (e.amount_cents, e.source, e.destination)
        for e in LedgerEntry.objects.filter(kind="redistribution")
    }
    relay = f"relay:{rennes_allocation.relay_id}"
    lines = lines_by_payee(proposal)
    assert entries == {
        lines["Achat groupé de PLA"].pk: (100_000, relay, f"{relay}:own_use"),
        lines["Anne Le Goff"].pk: (450_000, relay, f"maker:{lines['Anne Le Goff'].maker_id}"),
        lines["Yann Kervella"].pk: (150_000, relay, f"maker:{lines['Yann Kervella'].maker_id}"),
        lines["FabLab de Saint-Brieuc"].pk: (
            300_000, relay, f"organisation:{lines['FabLab de Saint-Brieuc'].organisation_id}",
        ),
    }  # fmt: skip
    assert Decision.objects.filter(action="redistribution_approve").count() == 1


def test_an_approved_redistribution_no_longer_changes(proposal, relay_staff, rennes_allocation):
    services.redistribution_approve(
        redistribution=proposal, by=relay_colleague(relay_staff), now=NOW
    )
    anne = lines_by_payee(proposal)["Anne Le Goff"]
    before = money_state()
    with refused("redistribution_already_approved", kind=WrongState):
        services.redistribution_approve(
            redistribution=proposal, by=relay_colleague(relay_staff), now=NOW
        )
    with refused("redistribution_approved", kind=WrongState):
        services.redistribution_adjust(
            redistribution=proposal, amounts={anne.pk: 450_000}, motivation="x",
            by=relay_staff, now=NOW,
        )  # fmt: skip
    with refused("redistribution_already_approved", kind=WrongState):
        services.redistribution_propose(allocation=rennes_allocation, by=relay_staff, now=NOW)
    assert money_state() == before


@pytest.mark.parametrize("role", ["other_relay_staff", "region_staff", "auditor", "maker"])
def test_only_the_relays_own_staff_redistribute_approve_and_pay(
    request, rennes_allocation, payees, relay_staff, role
):
    user = request.getfixturevalue(role)
    colleague = relay_colleague(relay_staff)  # the Région approves only a relay of one staffer
    before = money_state()
    with pytest.raises(PermissionDenied):
        services.redistribution_propose(allocation=rennes_allocation, by=user, now=NOW)
    assert money_state() == before
    proposal = services.redistribution_propose(
        allocation=rennes_allocation, by=relay_staff, now=NOW
    )
    anne, yann = (lines_by_payee(proposal)[n] for n in ("Anne Le Goff", "Yann Kervella"))
    before = money_state()
    with pytest.raises(PermissionDenied):
        services.redistribution_adjust(
            redistribution=proposal, amounts={anne.pk: anne.amount_cents - 1,
                                              yann.pk: yann.amount_cents + 1},
            motivation="x", by=user, now=NOW,
        )  # fmt: skip
    with pytest.raises(PermissionDenied):
        services.redistribution_approve(redistribution=proposal, by=user, now=NOW)
    assert money_state() == before
    services.redistribution_approve(redistribution=proposal, by=colleague, now=NOW)
    before = money_state()
    with pytest.raises(PermissionDenied):
        services.payments_record(
            lines=[anne], paid_on=NOW.date(), reference="VIR-1", by=user, now=NOW
        )
    assert money_state() == before


def test_without_two_factor_relay_staff_prepare_but_neither_approve_nor_pay(
    rennes_allocation, payees, relay_staff, settings
):
    settings.TILAB_MFA_REQUIRED_FOR_MONEY = True
    # Preparing is not deciding: proposing needs no second factor.
    proposal = services.redistribution_propose(
        allocation=rennes_allocation, by=relay_staff, now=NOW
    )
    before = money_state()
    with pytest.raises(PermissionDenied):
        services.redistribution_approve(
            redistribution=proposal, by=relay_colleague(relay_staff), now=NOW
        )
    assert money_state() == before
    settings.TILAB_MFA_REQUIRED_FOR_MONEY = False
    services.redistribution_approve(
        redistribution=proposal, by=relay_colleague(relay_staff), now=NOW
    )
    settings.TILAB_MFA_REQUIRED_FOR_MONEY = True
    before = money_state()
    with pytest.raises(PermissionDenied):
        services.payments_record(
            lines=list(proposal.lines.all()), paid_on=NOW.date(), reference="VIR-1",
            by=relay_staff, now=NOW,
        )  # fmt: skip
    assert money_state() == before


def test_with_two_factor_relay_staff_approve_and_pay(proposal, relay_staff, settings):
    settings.TILAB_MFA_REQUIRED_FOR_MONEY = True
    step_up(relay_staff)
    colleague = step_up(relay_colleague(relay_staff))
    services.redistribution_approve(redistribution=proposal, by=colleague, now=NOW)
    anne = lines_by_payee(proposal)["Anne Le Goff"]
    services.payments_record(
        lines=[anne], paid_on=NOW.date(), reference="VIR-1", by=relay_staff, now=NOW
    )
    assert Payment.objects.get().line == anne


# Payments ----------------------------------------------------------------------------------


@pytest.fixture
def approved(proposal, relay_staff):
    services.redistribution_approve(
        redistribution=proposal, by=relay_colleague(relay_staff), now=NOW
    )
    return lines_by_payee(proposal)


def test_paying_records_the_payment_a_decision_and_a_ledger_entry(approved, relay_staff):
    anne, yann = approved["Anne Le Goff"], approved["Yann Kervella"]
    payments = services.payments_record(
        lines=[anne, yann], paid_on=datetime.date(2020, 6, 12), reference=" VIR-2020-06-12 ",
        by=relay_staff, now=NOW,
    )  # fmt: skip
    assert {(p.line_id, p.amount_cents, p.reference) for p in payments} == {
        (anne.pk, 450_000, "VIR-2020-06-12"),
        (yann.pk, 150_000, "VIR-2020-06-12"),
    }
    entries = LedgerEntry.objects.filter(kind="payment")
    assert {(e.line_id, e.amount_cents, e.payment_id) for e in entries} == {
        (p.line_id, p.amount_cents, p.pk) for p in payments
    }
    decisions = Decision.objects.filter(action="payment_record")
    assert {(d.object_id, d.from_state, d.to_state) for d in decisions} == {
        (str(anne.pk), "unpaid", "paid"),
        (str(yann.pk), "unpaid", "paid"),
    }


def test_a_batch_with_one_bad_line_records_nothing(approved, relay_staff):
    anne, yann, fablab = (
        approved[n] for n in ("Anne Le Goff", "Yann Kervella", "FabLab de Saint-Brieuc")
    )
    services.payments_record(
        lines=[yann], paid_on=NOW.date(), reference="VIR-1", by=relay_staff, now=NOW
    )
    before = money_state()
    with refused("line_already_paid", kind=WrongState):
        services.payments_record(
            lines=[anne, fablab, yann], paid_on=NOW.date(), reference="VIR-2",
            by=relay_staff, now=NOW,
        )  # fmt: skip
    assert money_state() == before
    assert not Payment.objects.filter(line__in=[anne, fablab]).exists()


def test_a_line_not_yet_approved_is_not_paid_nor_are_its_batch_mates(
    approved, proposal, region_staff, relay_staff
):
    rennes = relay_staff.relays.get()
    other = approve_all(
        make_programme(by=region_staff, relays=[rennes], fixed_shares=[(rennes, 1)],
                       name="Autre"),
        by=region_controller(),
    ).allocations.get()  # fmt: skip
    unapproved = services.redistribution_propose(allocation=other, by=relay_staff, now=NOW)
    before = money_state()
    with refused("line_not_approved", kind=WrongState):
        services.payments_record(
            lines=[approved["Anne Le Goff"], *unapproved.lines.all()], paid_on=NOW.date(),
            reference="VIR-1", by=relay_staff, now=NOW,
        )  # fmt: skip
    assert money_state() == before


def test_paying_a_line_twice_is_refused(approved, relay_staff):
    anne = approved["Anne Le Goff"]
    services.payments_record(
        lines=[anne], paid_on=NOW.date(), reference="VIR-1", by=relay_staff, now=NOW
    )
    before = money_state()
    with refused("line_already_paid", kind=WrongState):
        services.payments_record(
            lines=[anne], paid_on=NOW.date(), reference="VIR-1 bis", by=relay_staff, now=NOW
        )
    assert money_state() == before
    assert Payment.objects.get().reference == "VIR-1"


@pytest.mark.parametrize(
    ("paid_on", "reference", "code"),
    [
        (datetime.date(2020, 6, 16), "VIR-1", "paid_on_in_future"),
        (datetime.date(2020, 6, 15), "", "payment_reference_missing"),
        (datetime.date(2020, 6, 15), "   ", "payment_reference_missing"),
        (datetime.date(2020, 6, 15), "V" * 141, "payment_reference_too_long"),
    ],
)
def test_a_payment_needs_a_past_date_and_a_reference(
    approved, relay_staff, paid_on, reference, code
):
    before = money_state()
    with refused(code, kind=BadInput):
        services.payments_record(
            lines=[approved["Anne Le Goff"]], paid_on=paid_on, reference=reference,
            by=relay_staff, now=NOW,
        )  # fmt: skip
    assert money_state() == before


def test_a_zero_euro_line_and_an_empty_batch_are_refused(proposal, relay_staff):
    anne, yann = (lines_by_payee(proposal)[n] for n in ("Anne Le Goff", "Yann Kervella"))
    services.redistribution_adjust(
        redistribution=proposal, amounts={anne.pk: 600_000, yann.pk: 0},
        motivation="Yann renonce à sa part.", by=relay_staff, now=NOW,
    )  # fmt: skip
    services.redistribution_approve(
        redistribution=proposal, by=relay_colleague(relay_staff), now=NOW
    )
    before = money_state()
    with refused("line_amount_zero", kind=BadInput):
        services.payments_record(
            lines=[anne, yann], paid_on=NOW.date(), reference="VIR-1", by=relay_staff, now=NOW
        )
    with refused("payment_lines_missing", kind=BadInput):
        services.payments_record(
            lines=[], paid_on=NOW.date(), reference="VIR-1", by=relay_staff, now=NOW
        )
    assert money_state() == before


# Bank details ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "iban",
    [
        "FR76 3000 6000 0112 3456 7890 188",  # checksum off by one digit
        "FR76 3000 6000 0112 3456 7890 18",  # a digit missing
        "FR76 3000 6000 0112 3456 7890 1899",  # a digit too many
        "pas un IBAN",
        "",
    ],
)
def test_an_invalid_iban_is_refused_with_a_clear_message(maker, iban):
    before = money_state()
    with refused("iban_invalid", kind=BadInput, field="iban", iban=iban):
        services.bank_account_set(
            owner=maker.maker, holder="Anne Le Goff", iban=iban, by=maker, now=NOW
        )
    assert money_state() == before


def test_a_valid_iban_is_stored_compact_with_its_bic_and_never_in_the_decision(maker):
    account = services.bank_account_set(
        owner=maker.maker, holder=" Anne Le Goff ", iban=" fr76 3000 6000 0112 3456 7890 189 ",
        by=maker, now=NOW,
    )  # fmt: skip
    account.refresh_from_db()
    assert (account.holder, account.iban, account.bic) == (
        "Anne Le Goff", "FR7630006000011234567890189", "AGRIFRPPXXX",
    )  # fmt: skip
    decision = Decision.objects.get(action="bank_account_set")
    assert decision.data["iban_end"] == "0189" and decision.data["created"] is True
    assert "FR7630006000011234567890189" not in str(decision.data)
    assert "30006000011234567890" not in json.dumps(decision.data)
    # Changing it updates the one account.
    services.bank_account_set(
        owner=maker.maker, holder="Anne Le Goff", iban="DE89 3704 0044 0532 0130 00",
        bic="cobadeffxxx", by=maker, now=NOW,
    )  # fmt: skip
    assert BankAccount.objects.get().iban == "DE89370400440532013000"
    assert BankAccount.objects.get().bic == "COBADEFFXXX"


def test_a_bad_bic_or_a_missing_holder_is_refused(maker):
    with refused("bic_invalid", kind=BadInput):
        services.bank_account_set(
            owner=maker.maker, holder="Anne", iban=IBAN_ANNE, bic="NOPE", by=maker, now=NOW
        )
    with refused("holder_missing", kind=BadInput):
        services.bank_account_set(owner=maker.maker, holder=" ", iban=IBAN_ANNE, by=maker, now=NOW)
    assert not BankAccount.objects.exists()


def test_who_may_change_a_makers_bank_details(
    maker, relay_staff, other_relay_staff, region_staff, auditor, facilitator
):
    anne = maker.maker
    stranger = make_user(role=roles.MAKER)
    make_maker(user=stranger, display_name="Un autre", department="35")
    allowed = {
        user.email: services.may_change_bank_account(user, anne)
        for user in (maker, relay_staff, other_relay_staff, region_staff, auditor, facilitator,
                     stranger)
    }  # fmt: skip
    assert allowed == {
        maker.email: True,  # the maker
        relay_staff.email: True,  # her relay (35)
        other_relay_staff.email: False,  # another relay (29)
        region_staff.email: False,
        auditor.email: False,
        facilitator.email: False,
        stranger.email: False,
    }
    for user in (other_relay_staff, region_staff, auditor, stranger):
        with pytest.raises(PermissionDenied):
            services.bank_account_set(owner=anne, holder="Pirate", iban=IBAN_ANNE, by=user, now=NOW)
    services.bank_account_set(owner=anne, holder="Anne", iban=IBAN_ANNE, by=relay_staff, now=NOW)
    assert BankAccount.objects.get().updated_by == relay_staff


def test_an_organisations_managers_change_its_bank_details_not_its_members(maker, relay_staff):
    fablab = make_organisation(name="FabLab de Saint-Brieuc", department="22")
    manager_user = make_user(role=roles.MAKER)
    member_user = make_user(role=roles.MAKER)
    manager = make_maker(user=manager_user, display_name="Gérante", department="22")
    member = make_maker(user=member_user, display_name="Membre", department="22")
    Membership.objects.create(maker=manager, organisation=fablab, is_manager=True)
    Membership.objects.create(maker=member, organisation=fablab)
    assert services.may_change_bank_account(manager_user, fablab)
    assert services.may_change_bank_account(relay_staff, fablab)  # Rennes covers 22
    assert not services.may_change_bank_account(member_user, fablab)
    with pytest.raises(PermissionDenied):
        services.bank_account_set(
            owner=fablab, holder="Pirate", iban=IBAN_ANNE, by=member_user, now=NOW
        )
    account = services.bank_account_set(
        owner=fablab, holder="FabLab de Saint-Brieuc", iban=IBAN_ANNE, by=manager_user, now=NOW
    )
    assert account.organisation == fablab and account.maker is None


def test_the_whole_2020_chain_adds_up(programme_2020, region_staff, relays, payees, relay_staff):
    approve_all(programme_2020, by=region_controller())
    assert programme_2020.period_start_on == SPRING_2020[0]
    rennes = by_relay(programme_2020)[relays.rennes.pk]
    redistribution = services.redistribution_propose(
        allocation=rennes, own_use=[("Achat groupé de PLA", 150_000)], by=relay_staff, now=NOW
    )
    services.redistribution_approve(
        redistribution=redistribution, by=relay_colleague(relay_staff), now=NOW
    )
    lines = lines_by_payee(redistribution)
    assert sum(line.amount_cents for line in lines.values()) == 1_500_000
    assert lines["Anne Le Goff"].amount_cents == 675_000


def test_no_one_without_an_account_may_touch_a_maker_without_an_account(reference_data):
    from django.contrib.auth.models import AnonymousUser

    from tests.factories import make_maker

    offline = make_maker(display_name="Maker sans compte", department="29")
    assert offline.user_id is None
    assert not services.may_change_bank_account(AnonymousUser(), offline)
