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
from subsidies.ledger import (
    Movement,
    _entry_hash,
    entry_canonical,
    ledger_append,
    ledger_append_many,
    ledger_verify,
)
from subsidies.models import (
    Allocation,
    LedgerEntry,
    LedgerHead,
    Payment,
    RedistributionLine,
)
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
from tilab.money import format_euros

NOW = timezone.make_aware(datetime.datetime(2020, 6, 15, 10, 0))
APPEND_ONLY = importlib.import_module("subsidies.migrations.0004_money_append_only")
HEAD_GUARD = importlib.import_module("subsidies.migrations.0007_ledger_head_guard")


def eur(cents: int) -> str:
    """An amount as the checks write it: 1500000 → "15 000,00 €"."""
    return format_euros(cents)


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


def _run(statements) -> None:
    with connection.cursor() as cursor:
        for statement in [statements] if isinstance(statements, str) else statements:
            cursor.execute(statement)


@contextmanager
def triggers_dropped(*migrations):
    """What an attacker with direct database access could do; put back afterwards."""
    postgres = connection.vendor == "postgresql"
    for migration in migrations:
        _run(migration.POSTGRES_DOWN if postgres else migration.SQLITE_DOWN)
    try:
        yield
    finally:
        for migration in migrations:
            _run(migration.POSTGRES_UP if postgres else migration.SQLITE_UP)


def append_only_triggers_dropped():
    return triggers_dropped(APPEND_ONLY)


def every_guard_dropped():
    return triggers_dropped(APPEND_ONLY, HEAD_GUARD)


CHAIN_BREAKS = (
    "manque avant elle.",
    "ne suit pas l'écriture précédente.",
    "son contenu a été modifié.",
    "ne correspond pas à la dernière écriture.",
)


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


# --- The hash format, pinned ----------------------------------------------------------------------


def fixed_entry(**changes) -> LedgerEntry:
    """A payment entry with fixed content (never saved): its canonical text and hash are pinned
    below, so any change to the hash format (which would break every chain written so far)
    fails a test."""
    paris = datetime.timezone(datetime.timedelta(hours=2))
    fields = {
        "seq": 8,
        "recorded_at": datetime.datetime(2020, 6, 15, 12, 0, 30, 250000, tzinfo=paris),
        "kind": "payment",
        "programme_id": 7,
        "allocation_id": 3,
        "line_id": 11,
        "payment_id": 5,
        "source": "relay:3",
        "destination": "maker:12",
        "amount_cents": 600_000,
        "actor_id": 42,
        "previous_hash": "ab" * 32,
        **changes,
    }
    return LedgerEntry(**fields)


PINNED_CANONICAL = (
    '{"actor":42,"allocation":3,"amount_cents":600000,"destination":"maker:12","kind":"payment",'
    '"line":11,"payment":5,"previous_hash":"' + "ab" * 32 + '","programme":7,'
    '"recorded_at":"2020-06-15T10:00:30.250000+00:00","seq":8,"source":"relay:3"}'
)
PINNED_HASH = "63f0ff43e81a894efef9593928f7444d28c4fdf6e11ecf0f6873fbbabcef858a"


def test_the_entry_hash_covers_a_pinned_canonical_text():
    entry = fixed_entry()
    assert entry_canonical(entry) == PINNED_CANONICAL
    assert _entry_hash(entry) == PINNED_HASH


def test_an_entry_naming_no_object_is_hashed_with_nulls():
    entry = fixed_entry(kind="allocation", line_id=None, payment_id=None, seq=1)
    entry.recorded_at = datetime.datetime(2020, 6, 15, 10, 0, tzinfo=datetime.UTC)
    assert entry_canonical(entry) == (
        '{"actor":42,"allocation":3,"amount_cents":600000,"destination":"maker:12",'
        '"kind":"allocation","line":null,"payment":null,"previous_hash":"' + "ab" * 32 + '",'
        '"programme":7,"recorded_at":"2020-06-15T10:00:00+00:00","seq":1,"source":"relay:3"}'
    )


@pytest.mark.parametrize(
    "change",
    [
        {"seq": 9},
        {"recorded_at": datetime.datetime(2020, 6, 15, 10, 0, 30, 250001, tzinfo=datetime.UTC)},
        {"kind": "redistribution"},
        {"programme_id": 8},
        {"allocation_id": 4},
        {"line_id": 12},
        {"payment_id": 6},
        {"source": "relay:4"},
        {"destination": "maker:13"},
        {"amount_cents": 600_001},
        {"actor_id": 43},
        {"previous_hash": "ab" * 31 + "ac"},
    ],
    ids=lambda change: next(iter(change)),
)
def test_every_field_of_an_entry_changes_its_hash(change):
    assert _entry_hash(fixed_entry(**change)) != PINNED_HASH


# --- The head of the chain, guarded by the database ----------------------------------------------


def test_the_head_of_the_chain_names_the_last_entry(chain):
    head = LedgerHead.objects.get()
    last = LedgerEntry.objects.order_by("seq").last()
    assert (head.pk, head.seq, head.entry_hash) == (1, 9, last.entry_hash)


def head_moves():
    entry = {seq: LedgerEntry.objects.get(seq=seq).entry_hash for seq in (1, 8, 9)}
    return {
        "deleted": lambda: LedgerHead.objects.all().delete(),
        "moved back": lambda: LedgerHead.objects.update(seq=8, entry_hash=entry[8]),
        "moved back to the start": lambda: LedgerHead.objects.update(seq=0, entry_hash="0" * 64),
        "moved past the last entry": lambda: LedgerHead.objects.update(seq=10),
        "given another hash": lambda: LedgerHead.objects.update(entry_hash="f" * 64),
        "given another entry's hash": lambda: LedgerHead.objects.update(entry_hash=entry[1]),
        "renumbered": lambda: LedgerHead.objects.update(id=2),
        "doubled": lambda: LedgerHead.objects.create(pk=2, seq=9, entry_hash=entry[9]),
    }


@pytest.mark.parametrize(
    "move",
    [
        "deleted",
        "moved back",
        "moved back to the start",
        "moved past the last entry",
        "given another hash",
        "given another entry's hash",
        "renumbered",
        "doubled",
    ],
)
def test_the_database_refuses_to_move_the_head_anywhere_but_to_the_last_entry(chain, move):
    with pytest.raises(DatabaseError, match="ledger head"), transaction.atomic():
        head_moves()[move]()
    head = LedgerHead.objects.get()
    assert (head.seq, head.entry_hash) == (9, LedgerEntry.objects.get(seq=9).entry_hash)


def test_the_database_refuses_a_head_created_anywhere_but_at_the_last_entry(chain):
    with triggers_dropped(HEAD_GUARD):
        LedgerHead.objects.all().delete()
    for seq, entry_hash in [(0, "0" * 64), (8, LedgerEntry.objects.get(seq=8).entry_hash)]:
        with pytest.raises(DatabaseError, match="ledger head"), transaction.atomic():
            LedgerHead.objects.create(pk=1, seq=seq, entry_hash=entry_hash)
    LedgerHead.objects.create(pk=1, seq=9, entry_hash=LedgerEntry.objects.get(seq=9).entry_hash)
    assert ledger_verify().intact


def test_the_first_entry_creates_the_head_at_the_genesis_then_moves_it(region_staff, relay_staff):
    assert not LedgerHead.objects.exists()
    with pytest.raises(DatabaseError, match="ledger head"), transaction.atomic():
        LedgerHead.objects.create(pk=1, seq=1, entry_hash="0" * 64)
    relay = relay_staff.relays.get()
    programme = make_programme(
        by=region_controller(), relays=[relay], envelope_cents=100_000, fixed_shares=[(relay, 1)]
    )
    approve_all(programme, by=region_staff)
    head = LedgerHead.objects.get()
    last = LedgerEntry.objects.order_by("seq").last()
    assert (head.seq, head.entry_hash) == (programme.allocations.count(), last.entry_hash)


# --- Tampering, each way -------------------------------------------------------------------------


def tampered(at: int, **fields) -> None:
    """Entry n° `at` changed behind the database's guard."""
    with append_only_triggers_dropped():
        LedgerEntry.objects.filter(seq=at).update(**fields)


@pytest.mark.ledger_tampered
def test_a_changed_amount_breaks_the_chain_at_that_entry(chain):
    anne = chain["lines"]["Anne Le Goff"]
    entry = entry_of(anne)
    tampered(entry.seq, amount_cents=entry.amount_cents + 100_000)
    # The guard is back once the attacker is gone.
    with pytest.raises(DatabaseError), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).update(amount_cents=1)

    check = ledger_verify()
    assert not check.intact
    assert check.breaks[0] == f"Écriture n° {entry.seq} : son contenu a été modifié."
    # The reconciliation sees it too: the entry no longer matches its line.
    assert check.breaks[1] == (
        f"Écriture n° {entry.seq} : elle ne correspond pas à la ligne n° {anne.pk} (montant)."
    )
    with pytest.raises(CommandError, match=f"Première rupture : Écriture n° {entry.seq} ") as cm:
        run_ledger_verify()
    assert cm.value.returncode == 1


def other_objects(chain, region_staff) -> dict:
    """Valid values for each foreign key of Anne's redistribution entry, other than its own."""
    yann = chain["lines"]["Yann Kervella"]
    relay = yann.redistribution.allocation.relay
    return {
        "programme": make_programme(
            by=region_staff, relays=[relay], envelope_cents=100, fixed_shares=[(relay, 1)]
        ),
        "allocation": chain["programme"].allocations.order_by("pk").last(),
        "line": yann,
        "payment": Payment.objects.get(line=yann),
        "actor": region_staff,
    }


MODIFIED = "son contenu a été modifié."
NOT_ANNE = "elle ne correspond pas à la ligne n° {anne} "


@pytest.mark.ledger_tampered
@pytest.mark.parametrize(
    ("field", "value", "first_break", "reconciled"),
    [
        ("recorded_at", NOW + datetime.timedelta(seconds=1), MODIFIED, None),
        ("kind", "payment", MODIFIED, "elle ne nomme aucun paiement."),
        ("programme", None, MODIFIED, NOT_ANNE + "(programme)."),
        ("allocation", None, MODIFIED, NOT_ANNE + "(allocation)."),
        ("line", None, MODIFIED, "elle ne correspond pas à la ligne n° {yann} ({line_words})."),
        ("payment", None, MODIFIED, NOT_ANNE + "(paiement)."),
        ("source", "relay:999", MODIFIED, NOT_ANNE + "(compte débité)."),
        ("destination", "maker:999", MODIFIED, NOT_ANNE + "(compte crédité)."),
        ("amount_cents", 1, MODIFIED, NOT_ANNE + "(montant)."),
        ("actor", None, MODIFIED, None),
        ("previous_hash", "1" * 64, "elle ne suit pas l'écriture précédente.", None),
        ("entry_hash", "2" * 64, MODIFIED, None),
    ],
)  # fmt: skip
def test_each_field_changed_breaks_the_chain_at_that_entry(
    chain, relay_staff, region_staff, field, value, first_break, reconciled
):
    """The chain breaks at the entry whatever field changed; the reconciliation also names
    the object it no longer matches, for the fields that say what moved where."""
    anne, yann = chain["lines"]["Anne Le Goff"], chain["lines"]["Yann Kervella"]
    seq = entry_of(anne).seq
    if value is None:
        value = other_objects(chain, region_staff)[field]
    tampered(seq, **{field: value})
    breaks = ledger_verify().breaks
    assert breaks[0] == f"Écriture n° {seq} : {first_break}"
    if reconciled is None:
        assert breaks == [breaks[0]]
    else:
        words = "montant, compte crédité" if anne.amount_cents != yann.amount_cents else ""
        assert breaks[1] == f"Écriture n° {seq} : " + reconciled.format(
            anne=anne.pk, yann=yann.pk, line_words=words
        )


def test_an_empty_ledger_verifies_intact(reference_data):
    check = ledger_verify()
    assert (check.entries, check.breaks, check.intact) == (0, [], True)


def test_appending_nothing_writes_nothing(chain, relay_staff):
    assert ledger_append_many(movements=[], actor=relay_staff, now=NOW) == []
    assert LedgerEntry.objects.count() == 9
    assert LedgerHead.objects.get().seq == 9


@pytest.mark.ledger_tampered
def test_a_missing_head_is_a_break(chain):
    with triggers_dropped(HEAD_GUARD):
        LedgerHead.objects.all().delete()
    assert ledger_verify().breaks == [
        "La fin de la chaîne ne correspond pas à la dernière écriture."
    ]


@pytest.mark.ledger_tampered
def test_every_entry_deleted_leaves_a_head_that_names_nothing(chain):
    with append_only_triggers_dropped():
        LedgerEntry.objects.all().delete()
    check = ledger_verify()
    assert check.entries == 0
    assert check.breaks[0] == "La fin de la chaîne ne correspond pas à la dernière écriture."
    allocation = chain["programme"].allocations.order_by("pk").first()
    assert check.breaks[1] == (
        f"Allocation n° {allocation.pk} : approuvée, elle n'est pas au grand livre."
    )
    assert (
        f"Compte programme:{chain['programme'].pk}, allocations au débit : le grand livre porte "
        f"{eur(0)}, les décisions {eur(3000000)}." in check.breaks
    )


@pytest.mark.ledger_tampered
def test_a_head_at_the_last_number_with_another_hash_is_a_break(chain):
    with triggers_dropped(HEAD_GUARD):
        LedgerHead.objects.update(entry_hash=LedgerEntry.objects.get(seq=8).entry_hash)
    assert ledger_verify().breaks == [
        "La fin de la chaîne ne correspond pas à la dernière écriture."
    ]


@pytest.mark.ledger_tampered
def test_a_renumbered_entry_leaves_a_gap(chain):
    tampered(5, seq=100)
    check = ledger_verify()
    assert check.breaks[0] == "Écriture n° 6 : la n° 5 manque avant elle."
    assert check.entries == 9


@pytest.mark.ledger_tampered
def test_a_rehashed_forgery_breaks_the_chain_at_the_next_entry(chain):
    entry = entry_of(chain["lines"]["Anne Le Goff"])
    entry.amount_cents += 100_000
    tampered(entry.seq, amount_cents=entry.amount_cents, entry_hash=_entry_hash(entry))
    check = ledger_verify()
    assert check.breaks[0] == (
        f"Écriture n° {entry.seq + 1} : elle ne suit pas l'écriture précédente."
    )


def rechained(since: int) -> None:
    """What an attacker who also recomputes every later hash and moves the head would do:
    the chain itself verifies again from entry n° `since`."""
    previous = LedgerEntry.objects.get(seq=since - 1).entry_hash if since > 1 else "0" * 64
    with every_guard_dropped():
        for entry in LedgerEntry.objects.filter(seq__gte=since).order_by("seq"):
            entry.previous_hash = previous
            entry.entry_hash = previous = _entry_hash(entry)
            entry.save(update_fields=["previous_hash", "entry_hash"])
        LedgerHead.objects.update(
            seq=LedgerEntry.objects.order_by("seq").last().seq, entry_hash=previous
        )


def accounts(chain) -> dict[str, str]:
    lines = chain["lines"]
    return {
        "rennes": f"relay:{chain['redistribution'].allocation.relay_id}",
        "anne": f"maker:{lines['Anne Le Goff'].maker_id}",
        "yann": f"maker:{lines['Yann Kervella'].maker_id}",
    }


@pytest.mark.ledger_tampered
def test_a_forgery_rehashed_to_the_end_is_caught_by_the_reconciliation(chain):
    anne = chain["lines"]["Anne Le Goff"]
    entry = entry_of(anne)
    tampered(entry.seq, amount_cents=entry.amount_cents + 100_000)
    rechained(since=entry.seq)
    account = accounts(chain)
    assert ledger_verify().breaks == [
        f"Écriture n° {entry.seq} : elle ne correspond pas à la ligne n° {anne.pk} (montant).",
        f"Compte {account['anne']}, redistributions au crédit : le grand livre porte "
        f"{eur(entry.amount_cents + 100_000)}, les décisions {eur(entry.amount_cents)}.",
        f"Compte {account['rennes']}, redistributions au débit : le grand livre porte "
        f"{eur(1600000)}, les décisions {eur(1500000)}.",
        f"Compte {account['rennes']} : {eur(1600000)} redistribués pour {eur(1500000)} alloués.",
    ]


@pytest.mark.ledger_tampered
def test_a_deleted_entry_leaves_a_gap_that_is_reported(chain):
    yann = chain["lines"]["Yann Kervella"]
    entry = entry_of(yann)
    with append_only_triggers_dropped():
        LedgerEntry.objects.filter(pk=entry.pk).delete()
    check = ledger_verify()
    assert check.breaks[0] == (
        f"Écriture n° {entry.seq + 1} : la n° {entry.seq} manque avant elle."
    )
    assert f"Ligne n° {yann.pk} : approuvée, elle n'est pas au grand livre." in check.breaks
    with pytest.raises(CommandError, match=f"la n° {entry.seq} manque"):
        run_ledger_verify()


@pytest.mark.ledger_tampered
def test_a_deleted_last_entry_no_longer_matches_the_end_of_the_chain(chain):
    payment = LedgerEntry.objects.get(seq=9).payment
    with append_only_triggers_dropped():
        LedgerEntry.objects.filter(seq=9).delete()
    check = ledger_verify()
    assert check.entries == 8
    assert check.breaks[:2] == [
        "La fin de la chaîne ne correspond pas à la dernière écriture.",
        f"Paiement n° {payment.pk} : enregistré, il n'est pas au grand livre.",
    ]


@pytest.mark.ledger_tampered
def test_a_deleted_last_entry_with_the_head_moved_back_is_still_missing(chain):
    payment = LedgerEntry.objects.get(seq=9).payment
    with every_guard_dropped():
        LedgerEntry.objects.filter(seq=9).delete()
        LedgerHead.objects.update(seq=8, entry_hash=LedgerEntry.objects.get(seq=8).entry_hash)
    breaks = ledger_verify().breaks
    assert breaks[0] == f"Paiement n° {payment.pk} : enregistré, il n'est pas au grand livre."


@pytest.mark.ledger_tampered
def test_two_entries_swapped_break_the_chain(chain):
    with append_only_triggers_dropped():
        LedgerEntry.objects.filter(seq=5).update(seq=1000)
        LedgerEntry.objects.filter(seq=6).update(seq=5)
        LedgerEntry.objects.filter(seq=1000).update(seq=6)
    check = ledger_verify()
    assert check.entries == 9
    assert check.breaks[0] == "Écriture n° 5 : elle ne suit pas l'écriture précédente."


def forged_payment(chain, *, seq: int, previous_hash: str, **fields) -> LedgerEntry:
    """A payment entry of 10,000 € to Yann that names no payment."""
    account = accounts(chain)
    entry = LedgerEntry(
        seq=seq,
        recorded_at=NOW,
        kind="payment",
        programme=chain["programme"],
        source=account["rennes"],
        destination=account["yann"],
        amount_cents=1_000_000,
        actor_id=LedgerEntry.objects.get(seq=1).actor_id,
        previous_hash=previous_hash,
        **fields,
    )
    entry.entry_hash = _entry_hash(entry)
    return entry


@pytest.mark.ledger_tampered
def test_an_entry_inserted_in_the_middle_breaks_the_chain_after_it(chain):
    with append_only_triggers_dropped():
        for seq in range(9, 5, -1):
            LedgerEntry.objects.filter(seq=seq).update(seq=seq + 1)
        previous = LedgerEntry.objects.get(seq=5).entry_hash
        forged_payment(chain, seq=6, previous_hash=previous).save()
    check = ledger_verify()
    assert check.entries == 10
    assert check.breaks[:2] == [
        "Écriture n° 7 : elle ne suit pas l'écriture précédente.",
        "Écriture n° 6 : elle ne nomme aucun paiement.",
    ]


@pytest.mark.ledger_tampered
def test_an_entry_inserted_and_the_chain_rehashed_is_caught_by_the_reconciliation(chain):
    with append_only_triggers_dropped():
        for seq in range(9, 5, -1):
            LedgerEntry.objects.filter(seq=seq).update(seq=seq + 1)
        forged_payment(chain, seq=6, previous_hash="").save()
    rechained(since=6)
    account = accounts(chain)
    yann = chain["lines"]["Yann Kervella"].amount_cents
    paid = sum(payment.amount_cents for payment in Payment.objects.all())
    assert ledger_verify().breaks == [
        "Écriture n° 6 : elle ne nomme aucun paiement.",
        f"Compte {account['yann']}, paiements au crédit : le grand livre porte "
        f"{eur(yann + 1_000_000)}, les décisions {eur(yann)}.",
        f"Compte {account['rennes']}, paiements au débit : le grand livre porte "
        f"{eur(paid + 1_000_000)}, les décisions {eur(paid)}.",
        f"Compte {account['yann']} : {eur(yann + 1_000_000)} payés pour {eur(yann)} redistribués.",
    ]


@pytest.mark.ledger_tampered
def test_ten_thousand_euros_appended_with_the_ledgers_own_function_are_not_intact(
    chain, relay_staff
):
    """No trigger dropped: the append function itself writes an entry that names nothing."""
    account = accounts(chain)
    ledger_append(
        kind="payment", programme=chain["programme"], source=account["rennes"],
        destination=account["yann"], amount_cents=1_000_000, actor=relay_staff, now=NOW,
    )  # fmt: skip
    check = ledger_verify()
    assert not check.intact
    assert check.breaks[0] == "Écriture n° 10 : elle ne nomme aucun paiement."
    assert not [b for b in check.breaks if b.endswith(CHAIN_BREAKS)]
    with pytest.raises(CommandError, match="Première rupture : Écriture n° 10 : elle ne nomme"):
        run_ledger_verify()


@pytest.mark.ledger_tampered
@pytest.mark.parametrize("kind", ["allocation", "redistribution", "payment", "subsidy"])
def test_an_entry_naming_nothing_of_its_kind_is_a_break(chain, relay_staff, kind):
    """One cent between accounts no decision knows: the entry, both accounts' balances and,
    where the kind passes money on, the flow limit all say so."""
    ledger_append(
        kind=kind, programme=chain["programme"], source="relay:999999",
        destination="maker:999999", amount_cents=1, actor=relay_staff, now=NOW,
    )  # fmt: skip
    word = {"allocation": "allocations", "redistribution": "redistributions"}.get(kind, kind)
    word = "paiements" if kind == "payment" else word
    balances = [
        f"Compte maker:999999, {word} au crédit : le grand livre porte {eur(1)}, les "
        f"décisions {eur(0)}.",
        f"Compte relay:999999, {word} au débit : le grand livre porte {eur(1)}, les "
        f"décisions {eur(0)}.",
    ]
    expected = {
        "allocation": ["Écriture n° 10 : elle ne nomme aucune allocation.", *balances],
        "redistribution": [
            "Écriture n° 10 : elle ne nomme aucune ligne de redistribution.",
            *balances,
            f"Compte relay:999999 : {eur(1)} redistribués pour {eur(0)} alloués.",
        ],
        "payment": [
            "Écriture n° 10 : elle ne nomme aucun paiement.",
            *balances,
            f"Compte maker:999999 : {eur(1)} payés pour {eur(0)} redistribués.",
        ],
        "subsidy": ["Écriture n° 10 : mouvement inconnu « subsidy ».", *balances],
    }[kind]
    assert ledger_verify().breaks == expected


def append_again(entry: LedgerEntry, **changes) -> None:
    fields = {
        "kind": entry.kind, "programme": entry.programme, "allocation": entry.allocation,
        "line": entry.line, "payment": entry.payment, "source": entry.source,
        "destination": entry.destination, "amount_cents": entry.amount_cents,
        "actor": entry.actor, "now": NOW, **changes,
    }  # fmt: skip
    ledger_append(**fields)


@pytest.mark.ledger_tampered
@pytest.mark.parametrize(
    ("seq", "expected"),
    [
        (
            1,
            "l'allocation n° {allocation} est déjà au grand livre (écriture n° 1).",
        ),
        (4, "la ligne n° {line} est déjà au grand livre (écriture n° 4)."),
        (8, "le paiement n° {payment} est déjà au grand livre (écriture n° 8)."),
    ],
)
def test_an_object_in_the_ledger_twice_is_a_break(chain, seq, expected):
    entry = LedgerEntry.objects.get(seq=seq)
    append_again(entry)
    assert ledger_verify().breaks[0] == "Écriture n° 10 : " + expected.format(
        allocation=entry.allocation_id, line=entry.line_id, payment=entry.payment_id
    )


@pytest.mark.ledger_tampered
@pytest.mark.parametrize(
    ("field", "word"),
    [
        ("amount_cents", "montant"),
        ("source", "compte débité"),
        ("destination", "compte crédité"),
        ("programme", "programme"),
        ("allocation", "allocation"),
        ("line", "ligne"),
    ],
)
def test_an_entry_that_does_not_match_its_object_says_which_field(chain, region_staff, field, word):
    """The payment of Anne's line is taken out of the ledger, then appended with one field
    wrong: the entry names the payment, and differs from it in exactly that field."""
    anne = chain["lines"]["Anne Le Goff"]
    entry = LedgerEntry.objects.get(kind="payment", line=anne)
    with every_guard_dropped():
        LedgerEntry.objects.filter(seq__gte=entry.seq).delete()
        LedgerHead.objects.update(
            seq=entry.seq - 1, entry_hash=LedgerEntry.objects.get(seq=entry.seq - 1).entry_hash
        )
    wrong = {
        "amount_cents": 1,
        "source": "relay:999",
        "destination": "maker:999",
        "programme": make_programme(
            by=region_staff,
            relays=[anne.redistribution.allocation.relay],
            envelope_cents=100,
            fixed_shares=[(anne.redistribution.allocation.relay, 1)],
        ),  # fmt: skip
        "allocation": chain["programme"].allocations.exclude(pk=entry.allocation_id).first(),
        "line": chain["lines"]["Yann Kervella"],
    }[field]
    append_again(entry, **{field: wrong})
    breaks = ledger_verify().breaks
    assert breaks[0] == (
        f"Écriture n° {entry.seq} : elle ne correspond pas au paiement n° {entry.payment_id} "
        f"({word})."
    )


@pytest.mark.ledger_tampered
def test_several_fields_wrong_are_all_named(chain):
    anne = chain["lines"]["Anne Le Goff"]
    entry = LedgerEntry.objects.get(kind="payment", line=anne)
    with every_guard_dropped():
        LedgerEntry.objects.filter(seq__gte=entry.seq).delete()
        LedgerHead.objects.update(
            seq=entry.seq - 1, entry_hash=LedgerEntry.objects.get(seq=entry.seq - 1).entry_hash
        )
    append_again(entry, amount_cents=2, destination="maker:999", payment=entry.payment)
    assert ledger_verify().breaks[0] == (
        f"Écriture n° {entry.seq} : elle ne correspond pas au paiement n° {entry.payment_id} "
        f"(montant, compte crédité)."
    )


@pytest.mark.ledger_tampered
def test_entries_naming_a_redistribution_no_longer_approved_are_breaks(chain):
    redistribution = chain["redistribution"]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE subsidies_redistribution SET status = 'proposed' WHERE id = %s",
            [redistribution.pk],
        )
    breaks = ledger_verify().breaks
    first = LedgerEntry.objects.filter(kind="redistribution").order_by("seq").first()
    assert breaks[0] == (
        f"Écriture n° {first.seq} : elle nomme la ligne n° {first.line_id}, dont la "
        f"redistribution n'est pas approuvée."
    )
    for payment in Payment.objects.order_by("pk"):
        assert f"Paiement n° {payment.pk} : sa redistribution n'est pas approuvée." in breaks


@pytest.mark.ledger_tampered
def test_an_allocation_entry_for_an_allocation_not_approved_is_a_break(chain, relay_staff):
    allocation = Allocation.objects.get(pk=LedgerEntry.objects.get(seq=2).allocation_id)
    with append_only_triggers_dropped():
        Allocation.objects.filter(pk=allocation.pk).update(status="proposed")
    assert ledger_verify().breaks[0] == (
        f"Écriture n° 2 : elle nomme l'allocation n° {allocation.pk}, qui n'est pas approuvée."
    )


@pytest.mark.ledger_tampered
def test_a_payment_entry_naming_a_deleted_payment_is_a_break(chain):
    payment = LedgerEntry.objects.get(seq=9).payment
    columns = [field.column for field in Payment._meta.concrete_fields]
    row = [getattr(payment, field.attname) for field in Payment._meta.concrete_fields]
    with append_only_triggers_dropped(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM subsidies_payment WHERE id = %s", [payment.pk])
        breaks = ledger_verify().breaks
        # Put back before the database checks its foreign keys at the end of the test.
        cursor.execute(
            f"INSERT INTO subsidies_payment ({', '.join(columns)}) "
            f"VALUES ({', '.join(['%s'] * len(row))})",
            row,
        )
    assert breaks[0] == (
        f"Écriture n° 9 : elle nomme le paiement n° {payment.pk}, qui n'existe pas."
    )


def test_a_payment_below_its_line_reconciles_with_its_own_amount(chain, relay_staff):
    """A payment records what was paid; its entry must carry that, not the line's amount."""
    fablab = chain["lines"]["FabLab de Saint-Brieuc"]
    payment = Payment.objects.create(
        line=fablab, amount_cents=fablab.amount_cents - 100, paid_on=NOW.date(),
        reference="VIR-PARTIEL", recorded_by=relay_staff, recorded_at=NOW,
    )  # fmt: skip
    ledger_append(
        kind="payment", programme=chain["programme"],
        allocation=chain["redistribution"].allocation, line=fablab, payment=payment,
        source=accounts(chain)["rennes"], destination=f"organisation:{fablab.organisation_id}",
        amount_cents=payment.amount_cents, actor=relay_staff, now=NOW,
    )  # fmt: skip
    check = ledger_verify()
    assert check.intact, check.breaks


# --- Wrong balances ------------------------------------------------------------------------------


@pytest.mark.ledger_tampered
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
    entry = entry_of(fablab)
    account = f"organisation:{fablab.organisation_id}"
    check = ledger_verify()
    assert check.breaks == [
        f"Écriture n° {entry.seq} : elle ne correspond pas à la ligne n° {fablab.pk} (montant).",
        f"Compte {account}, redistributions au crédit : le grand livre porte "
        f"{eur(fablab.amount_cents)}, les décisions {eur(fablab.amount_cents + 5000)}.",
        f"Compte {accounts(chain)['rennes']}, redistributions au débit : le grand livre porte "
        f"{eur(1500000)}, les décisions {eur(1505000)}.",
        f"Redistribution n° {redistribution.pk} : les lignes font {eur(1505000)} pour une "
        f"allocation de {eur(1500000)}.",
    ]
    with pytest.raises(CommandError, match=f"Écriture n° {entry.seq} : elle ne correspond"):
        run_ledger_verify()


def test_a_programme_left_without_allocations_breaks_its_envelope(region_staff, relay_staff):
    relay = relay_staff.relays.get()
    programme = make_programme(
        by=region_staff, relays=[relay], envelope_cents=100, fixed_shares=[(relay, 1)],
        name="Programme vidé",
    )  # fmt: skip
    # Proposed allocations carry no trigger: removed behind the services' back.
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM subsidies_allocation WHERE programme_id = %s", [programme.pk])
    assert ledger_verify().breaks == [
        f"Programme « Programme vidé » : les allocations font {eur(0)} pour une enveloppe de "
        f"{eur(100)}."
    ]


@pytest.mark.ledger_tampered
def test_an_allocation_changed_behind_the_services_back_breaks_the_balance(chain):
    programme = chain["programme"]
    allocation = programme.allocations.order_by("pk").last()
    entry = LedgerEntry.objects.get(kind="allocation", allocation=allocation)
    with append_only_triggers_dropped():
        Allocation.objects.filter(pk=allocation.pk).update(amount_cents=700_000)
    assert ledger_verify().breaks == [
        f"Écriture n° {entry.seq} : elle ne correspond pas à l'allocation n° {allocation.pk} "
        f"(montant).",
        f"Compte relay:{allocation.relay_id}, allocations au crédit : le grand livre porte "
        f"{eur(750000)}, les décisions {eur(700000)}.",
        f"Compte programme:{programme.pk}, allocations au débit : le grand livre porte "
        f"{eur(3000000)}, les décisions {eur(2950000)}.",
        f"Programme « {programme.name} » : les allocations font {eur(2950000)} pour une "
        f"enveloppe de {eur(3000000)}.",
    ]


@pytest.mark.ledger_tampered
def test_a_payment_above_its_line_or_missing_from_the_ledger_is_reported(chain):
    anne = chain["lines"]["Anne Le Goff"]
    payment = Payment.objects.get(line=anne)
    entry = LedgerEntry.objects.get(payment=payment)
    with append_only_triggers_dropped():
        Payment.objects.filter(pk=payment.pk).update(amount_cents=anne.amount_cents + 1)
        LedgerEntry.objects.filter(payment=payment).update(payment=None)
    breaks = ledger_verify().breaks
    assert breaks[:3] == [
        f"Écriture n° {entry.seq} : son contenu a été modifié.",
        f"Écriture n° {entry.seq} : elle ne nomme aucun paiement.",
        f"Paiement n° {payment.pk} : enregistré, il n'est pas au grand livre.",
    ]
    assert breaks[-1] == f"Paiement n° {payment.pk} : il dépasse sa ligne."


@pytest.mark.ledger_tampered
def test_a_relay_passing_on_more_than_it_was_allocated_is_a_break(chain, relay_staff):
    account = accounts(chain)
    ledger_append(
        kind="redistribution", programme=chain["programme"], source=account["rennes"],
        destination=account["anne"], amount_cents=1, actor=relay_staff, now=NOW,
    )  # fmt: skip
    breaks = ledger_verify().breaks
    assert (
        f"Compte {account['rennes']} : {eur(1500001)} redistribués pour {eur(1500000)} "
        f"alloués." in breaks
    )
    assert f"Compte {account['anne']} : " not in " ".join(breaks)


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
                # The chain holds (the reconciliation does not: these lines are in already).
                breaks = ledger_verify().breaks
                assert not [b for b in breaks if b.endswith(CHAIN_BREAKS)], breaks
                assert "est déjà au grand livre (écriture n° " in breaks[0]
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
