"""Money decisions clicked many times at once, on PostgreSQL with one connection per thread:
exactly one wins, the others are told it is already done, and the ledger stays one chain."""

import datetime

import pytest
from django.utils import timezone

from makers.reference import item_catalogue_ensure
from subsidies import bank, batches, services
from subsidies.ledger import ledger_verify
from subsidies.models import (
    Allocation,
    BankAccountChange,
    LedgerEntry,
    Payment,
    PaymentBatch,
    PaymentBatchLine,
)
from tests import concurrency
from tests.conftest import require_postgresql
from tests.factories import (
    approve_all,
    make_maker,
    make_programme,
    make_report,
    region_controller,
    relay_colleague,
)
from tilab.errors import WrongState
from tilab.models import Decision, User

NOW = timezone.make_aware(datetime.datetime(2020, 6, 15, 10, 0))

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgresql():
    require_postgresql()


def at_once(calls) -> tuple[list, list[str]]:
    return concurrency.at_once(calls, expected=WrongState)


def as_fresh(user):
    # Each thread reads its own copy of the user (permission caches live on the instance).
    return lambda: User.objects.get(pk=user.pk)


def test_twenty_approvals_of_one_allocation_at_once_approve_it_once(
    region_staff, relay_staff, other_region_staff
):
    rennes = relay_staff.relays.get()
    programme = make_programme(by=region_staff, relays=[rennes], fixed_shares=[(rennes, 1)])
    allocation = programme.allocations.get()
    region = as_fresh(other_region_staff)  # four eyes: not who proposed it

    results, conflicts = at_once(
        [
            lambda: services.allocation_approve(allocation=allocation, by=region(), now=NOW)
            for _ in range(20)
        ]
    )

    assert len(results) == 1 and len(conflicts) == 19
    assert set(conflicts) == {"Cette allocation est déjà approuvée."}
    assert Allocation.objects.get().status == Allocation.Status.APPROVED
    assert Decision.objects.filter(action="allocation_approve").count() == 1
    assert Decision.objects.filter(action="programme_approve").count() == 1
    assert LedgerEntry.objects.count() == 1
    check = ledger_verify()
    assert check.intact, check.breaks


def test_approvals_of_different_allocations_at_once_form_one_chain(
    region_staff, relay_staff, other_region_staff
):
    # An empty ledger: the head row itself is created by whichever append comes first.
    rennes = relay_staff.relays.get()
    allocations = [
        make_programme(
            by=region_staff, relays=[rennes], fixed_shares=[(rennes, 1)], name=f"Programme {n}",
            envelope_cents=100_000 + n,
        ).allocations.get()
        for n in range(8)
    ]  # fmt: skip
    region = as_fresh(other_region_staff)  # four eyes: not who proposed it

    results, conflicts = at_once(
        [
            lambda allocation=allocation: services.allocation_approve(
                allocation=allocation, by=region(), now=NOW
            )
            for allocation in allocations
        ]
    )

    assert len(results) == 8 and conflicts == []
    assert sorted(LedgerEntry.objects.values_list("seq", flat=True)) == list(range(1, 9))
    assert sorted(LedgerEntry.objects.values_list("amount_cents", flat=True)) == [
        100_000 + n for n in range(8)
    ]
    check = ledger_verify()
    assert check.intact, check.breaks


def test_ten_payments_of_one_line_at_once_pay_it_once(region_staff, relay_staff):
    item_catalogue_ensure()  # a transactional test starts from a flushed database
    rennes = relay_staff.relays.get()
    programme = approve_all(
        make_programme(by=region_staff, relays=[rennes], fixed_shares=[(rennes, 1)]),
        by=region_controller(),
    )
    for name, quantity in [("Anne Le Goff", 30), ("Yann Kervella", 10)]:
        make_report(
            maker=make_maker(display_name=name, department="35"), quantity=quantity,
            status="validated", decided_by=relay_staff,
        )  # fmt: skip
    redistribution = services.redistribution_propose(
        allocation=programme.allocations.get(), by=relay_staff, now=NOW
    )
    services.redistribution_approve(
        redistribution=redistribution, by=relay_colleague(relay_staff), now=NOW
    )
    line = redistribution.lines.get(maker__display_name="Anne Le Goff")
    staff = as_fresh(relay_staff)

    results, conflicts = at_once(
        [
            lambda n=n: services.payments_record(
                lines=[line], paid_on=NOW.date(), reference=f"VIR-{n}", by=staff(), now=NOW
            )
            for n in range(10)
        ]
    )

    assert len(results) == 1 and len(conflicts) == 9
    assert set(conflicts) == {f"La ligne n° {line.pk} est déjà payée."}
    payment = Payment.objects.get()
    assert (payment.line_id, payment.amount_cents) == (line.pk, line.amount_cents)
    assert payment.reference == results[0][0].reference
    assert Decision.objects.filter(action="payment_record").count() == 1
    assert LedgerEntry.objects.filter(kind="payment").count() == 1
    check = ledger_verify()
    assert check.intact, check.breaks


def _approved_redistribution_with_ibans(region_staff, relay_staff):
    """Rennes's approved redistribution to Anne and Yann, whose bank details were confirmed."""
    item_catalogue_ensure()  # a transactional test starts from a flushed database
    rennes = relay_staff.relays.get()
    # Four eyes: another agent proposes what `region_staff` approves; a colleague approves
    # what Camille proposes.
    programme = approve_all(
        make_programme(by=region_controller(), relays=[rennes], fixed_shares=[(rennes, 1)]),
        by=region_staff,
    )
    for name, quantity, iban in [
        ("Anne Le Goff", 30, "FR7630006000011234567890189"),
        ("Yann Kervella", 10, "DE89370400440532013000"),
    ]:
        person = make_maker(display_name=name, department="35")
        make_report(maker=person, quantity=quantity, status="validated", decided_by=relay_staff)
        account = services.bank_account_set(
            owner=person, holder=name, iban=iban, by=relay_staff, now=NOW
        )
        bank.bank_change_confirm(change=account.changes.get(), by=region_staff, now=NOW)
    redistribution = services.redistribution_propose(
        allocation=programme.allocations.get(), by=relay_staff, now=NOW
    )
    return services.redistribution_approve(
        redistribution=redistribution, by=relay_colleague(relay_staff), now=NOW
    )


def test_ten_batch_creations_over_the_same_lines_at_once_make_one_batch(region_staff, relay_staff):
    redistribution = _approved_redistribution_with_ibans(region_staff, relay_staff)
    staff = as_fresh(relay_staff)

    results, conflicts = at_once(
        [
            lambda: batches.payment_batch_create(
                redistribution=redistribution, format="csv", by=staff(), now=NOW
            )
            for _ in range(10)
        ]
    )

    assert len(results) == 1 and len(conflicts) == 9
    batch = PaymentBatch.objects.get()
    assert batch.lines.count() == 2
    assert PaymentBatchLine.objects.filter(open=True).count() == 2
    assert Decision.objects.filter(action="payment_batch_create").count() == 1


def test_ten_confirmations_of_a_bank_change_at_once_confirm_it_once(region_staff, relay_staff):
    item_catalogue_ensure()
    anne = make_maker(display_name="Anne Le Goff", department="35")
    account = services.bank_account_set(
        owner=anne, holder="Anne", iban="FR7630006000011234567890189", by=relay_staff, now=NOW
    )
    change = account.changes.get()
    region = as_fresh(region_staff)

    results, conflicts = at_once(
        [lambda: bank.bank_change_confirm(change=change, by=region(), now=NOW) for _ in range(10)]
    )

    assert len(results) == 1 and len(conflicts) == 9
    assert set(conflicts) == {"Ce changement de coordonnées bancaires est déjà confirmé."}
    assert Decision.objects.filter(action="bank_change_confirm").count() == 1
    assert BankAccountChange.objects.get().confirmed_by_id == region_staff.pk
