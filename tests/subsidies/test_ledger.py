"""The money ledger: every movement of the 2020 chain is one hash-chained entry, the database
refuses to change or remove one, and whoever goes around the database's guard (an attacker
with direct access, simulated here by dropping the triggers) is caught by `ledger_verify`."""

import datetime
import importlib
from contextlib import contextmanager

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from makers.models import Membership
from subsidies import services
from subsidies.ledger import Movement, ledger_append, ledger_append_many, ledger_verify
from subsidies.models import Allocation, LedgerEntry, Payment, RedistributionLine
from tests.factories import (
    approve_all,
    make_maker,
    make_organisation,
    make_programme,
    make_relay,
    make_report,
    region_controller,
    relay_colleague,
)

NOW = timezone.make_aware(datetime.datetime(2020, 6, 15, 10, 0))
APPEND_ONLY = importlib.import_module("subsidies.migrations.0004_money_append_only")


@pytest.fixture
def chain(region_staff, relay_staff, other_relay_staff):
    """The 2020 grant approved (3 entries), Rennes's redistribution approved (4 lines, 4
    entries) and two of its lines paid (2 entries): 9 entries."""
    rennes = relay_staff.relays.get()
    loch = make_relay(name="La Fabrique du Loch", departments=["56"])
    ensta = other_relay_staff.relays.get()
    programme = make_programme(
        by=region_staff, relays=[rennes, loch, ensta], envelope_cents=3_000_000,
        fixed_shares=[(rennes, 50), (loch, 25), (ensta, 25)],
    )  # fmt: skip
    approve_all(programme, by=region_controller())
    anne = make_maker(display_name="Anne Le Goff", department="35")
    yann = make_maker(display_name="Yann Kervella", department="22")
    fablab = make_organisation(name="FabLab de Saint-Brieuc", department="22")
    Membership.objects.create(maker=anne, organisation=fablab)
    for maker, quantity, organisation in [(anne, 30, None), (yann, 10, None), (anne, 20, fablab)]:
        make_report(
            maker=maker, quantity=quantity, organisation=organisation, status="validated",
            decided_by=relay_staff,
        )  # fmt: skip
    allocation = programme.allocations.get(relay=rennes)
    redistribution = services.redistribution_propose(
        allocation=allocation, own_use=[("Achat groupé de PLA", 300_000)], by=relay_staff,
        now=NOW,
    )  # fmt: skip
    services.redistribution_approve(
        redistribution=redistribution, by=relay_colleague(relay_staff), now=NOW
    )
    lines = {line.payee_name: line for line in redistribution.lines.all()}
    services.payments_record(
        lines=[lines["Anne Le Goff"], lines["Yann Kervella"]], paid_on=NOW.date(),
        reference="VIR-2020-06-15", by=relay_staff, now=NOW,
    )  # fmt: skip
    return {"programme": programme, "redistribution": redistribution, "lines": lines}


def run_ledger_verify() -> tuple[str, str]:
    """`manage.py ledger_verify`: its output, or CommandError (exit status 1) on a break."""
    out, err = _Buffer(), _Buffer()
    call_command("ledger_verify", stdout=out, stderr=err)
    return out.text, err.text


class _Buffer:
    def __init__(self):
        self.text = ""

    def write(self, text):
        self.text += text

    def flush(self):
        pass


@contextmanager
def append_only_triggers_dropped():
    """What an attacker with direct database access could do; put back afterwards."""
    down, up = (
        (APPEND_ONLY.POSTGRES_DOWN, APPEND_ONLY.POSTGRES_UP)
        if connection.vendor == "postgresql"
        else (APPEND_ONLY.SQLITE_DOWN, APPEND_ONLY.SQLITE_UP)
    )
    with connection.cursor() as cursor:
        for statement in [down] if isinstance(down, str) else down:
            cursor.execute(statement)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for statement in [up] if isinstance(up, str) else up:
                cursor.execute(statement)


def entry_of(line: RedistributionLine, kind: str = "redistribution") -> LedgerEntry:
    return LedgerEntry.objects.get(kind=kind, line=line)


def test_the_whole_chain_is_in_the_ledger_and_verifies_intact(chain, region_staff, relay_staff):
    entries = list(LedgerEntry.objects.order_by("seq"))
    assert [e.kind for e in entries] == ["allocation"] * 3 + ["redistribution"] * 4 + [
        "payment"
    ] * 2
    assert [e.seq for e in entries] == list(range(1, 10))
    assert entries[0].previous_hash == "0" * 64
    assert all(b.previous_hash == a.entry_hash for a, b in zip(entries, entries[1:], strict=False))
    assert sum(e.amount_cents for e in entries[:3]) == 3_000_000
    assert sum(e.amount_cents for e in entries[3:7]) == 1_500_000

    check = ledger_verify()
    assert check.intact, check.breaks
    assert check.entries == 9
    out, err = run_ledger_verify()
    assert "Grand livre intact : 9 écritures" in out and err == ""


def test_the_database_refuses_to_change_or_delete_a_ledger_entry(chain):
    entry = LedgerEntry.objects.get(seq=4)
    entry.amount_cents += 1
    for attempt in (
        entry.save,
        entry.delete,
        lambda: LedgerEntry.objects.filter(seq=4).update(amount_cents=1),
        lambda: LedgerEntry.objects.filter(seq__gte=8).delete(),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            attempt()
    assert LedgerEntry.objects.count() == 9
    assert ledger_verify().intact


def test_the_database_refuses_to_change_or_delete_a_payment(chain):
    payment = Payment.objects.order_by("pk").first()
    payment.reference = "VIR-FAUX"

    def raw_delete():
        # The ORM would stop first (the ledger protects its payments): ask the database.
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM subsidies_payment WHERE id = %s", [payment.pk])

    for attempt in (payment.save, lambda: Payment.objects.update(amount_cents=1), raw_delete):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            attempt()
    assert Payment.objects.get(pk=payment.pk).reference == "VIR-2020-06-15"
    assert Payment.objects.count() == 2


def test_a_changed_amount_breaks_the_chain_at_that_entry(chain):
    anne = chain["lines"]["Anne Le Goff"]
    entry = entry_of(anne)
    with append_only_triggers_dropped():
        LedgerEntry.objects.filter(pk=entry.pk).update(amount_cents=entry.amount_cents + 100_000)
    # The guard is back once the attacker is gone.
    with pytest.raises(DatabaseError), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).update(amount_cents=1)

    check = ledger_verify()
    assert not check.intact
    assert check.breaks[0] == f"Écriture n° {entry.seq} : son contenu a été modifié."
    # The balance checks see it too: the line's approval is not in the ledger as it is.
    assert f"Ligne n° {anne.pk} : le grand livre ne porte pas son approbation telle quelle." in (
        check.breaks
    )
    with pytest.raises(CommandError, match=f"Première rupture : Écriture n° {entry.seq} ") as cm:
        run_ledger_verify()
    assert cm.value.returncode == 1


def test_a_rehashed_forgery_breaks_the_chain_at_the_next_entry(chain):
    from subsidies.ledger import _entry_hash

    entry = entry_of(chain["lines"]["Anne Le Goff"])
    entry.amount_cents += 100_000
    forged = _entry_hash(entry)
    with append_only_triggers_dropped():
        LedgerEntry.objects.filter(pk=entry.pk).update(
            amount_cents=entry.amount_cents, entry_hash=forged
        )
    check = ledger_verify()
    assert check.breaks[0] == (
        f"Écriture n° {entry.seq + 1} : elle ne suit pas l'écriture précédente."
    )


def test_a_deleted_entry_leaves_a_gap_that_is_reported(chain):
    entry = entry_of(chain["lines"]["Yann Kervella"])
    with append_only_triggers_dropped():
        LedgerEntry.objects.filter(pk=entry.pk).delete()
    check = ledger_verify()
    assert check.breaks[0] == (
        f"Écriture n° {entry.seq + 1} : la n° {entry.seq} manque avant elle."
    )
    with pytest.raises(CommandError, match=f"la n° {entry.seq} manque"):
        run_ledger_verify()


def test_a_deleted_last_entry_no_longer_matches_the_end_of_the_chain(chain):
    with append_only_triggers_dropped():
        LedgerEntry.objects.filter(seq=9).delete()
    check = ledger_verify()
    assert check.entries == 8
    assert check.breaks[0] == "La fin de la chaîne ne correspond pas à la dernière écriture."


def test_lines_changed_behind_the_services_back_break_the_balance(chain):
    # Redistribution lines carry no trigger: the ledger is what notices.
    redistribution, lines = chain["redistribution"], chain["lines"]
    fablab = lines["FabLab de Saint-Brieuc"]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE subsidies_redistributionline SET amount_cents = amount_cents + 5000 "
            "WHERE id = %s",
            [fablab.pk],
        )
    check = ledger_verify()
    assert not check.intact
    assert check.breaks == [
        f"Redistribution n° {redistribution.pk} : les lignes font 1505000 centimes pour une "
        f"allocation de 1500000.",
        f"Ligne n° {fablab.pk} : le grand livre ne porte pas son approbation telle quelle.",
    ]
    with pytest.raises(CommandError, match=f"Redistribution n° {redistribution.pk}"):
        run_ledger_verify()


def test_an_allocation_changed_behind_the_services_back_breaks_the_balance(chain):
    programme = chain["programme"]
    allocation = programme.allocations.order_by("pk").last()
    with append_only_triggers_dropped():
        Allocation.objects.filter(pk=allocation.pk).update(amount_cents=700_000)
    breaks = ledger_verify().breaks
    assert breaks[0] == (
        f"Programme « {programme.name} » : les allocations font 2950000 centimes pour une "
        f"enveloppe de 3000000."
    )
    assert (
        f"Allocation n° {allocation.pk} : le grand livre ne porte pas son approbation telle "
        f"quelle." in breaks
    )


def test_a_payment_above_its_line_or_missing_from_the_ledger_is_reported(chain):
    anne = chain["lines"]["Anne Le Goff"]
    payment = Payment.objects.get(line=anne)
    with append_only_triggers_dropped():
        Payment.objects.filter(pk=payment.pk).update(amount_cents=anne.amount_cents + 1)
        LedgerEntry.objects.filter(payment=payment).update(payment=None)
    breaks = ledger_verify().breaks
    assert f"Paiement n° {payment.pk} : il dépasse sa ligne." in breaks
    assert f"Paiement n° {payment.pk} : le grand livre ne le porte pas tel quel." in breaks


def test_appending_many_at_once_writes_the_same_chain_as_one_by_one(chain, relay_staff):
    programme, lines = chain["programme"], list(chain["lines"].values())
    allocation = chain["redistribution"].allocation
    movements = [
        Movement(
            kind="redistribution",
            programme=programme,
            allocation=allocation,
            line=line,
            source="relay:test",
            destination=f"payee:{line.pk}",
            amount_cents=line.amount_cents,
        )
        for line in lines
    ]

    def chain_after(append) -> list[tuple]:
        class Undo(Exception):
            pass

        written = []
        try:
            with transaction.atomic():
                append()
                written = list(
                    LedgerEntry.objects.filter(seq__gt=9)
                    .order_by("seq")
                    .values_list("seq", "previous_hash", "entry_hash", "line_id")
                )
                # The chain holds (the balances do not: these lines were approved already).
                breaks = ledger_verify().breaks
                assert not [b for b in breaks if b.startswith(("Écriture", "La fin"))], breaks
                raise Undo
        except Undo:
            return written

    def one_by_one():
        for m in movements:
            ledger_append(
                kind=m.kind, programme=m.programme, allocation=m.allocation, line=m.line,
                source=m.source, destination=m.destination, amount_cents=m.amount_cents,
                actor=relay_staff, now=NOW,
            )  # fmt: skip

    def at_once():
        ledger_append_many(movements=movements, actor=relay_staff, now=NOW)

    single, batch = chain_after(one_by_one), chain_after(at_once)
    assert len(single) == len(lines) == 4
    assert batch == single
    assert single[0][1] == LedgerEntry.objects.get(seq=9).entry_hash
    assert LedgerEntry.objects.count() == 9  # both undone
