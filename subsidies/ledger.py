"""The money ledger: append-only, hash-chained entries, and the check of the chain and of every
balance the subsidy chain promises."""

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from tilab.money import format_euros

from .models import (
    Allocation,
    LedgerEntry,
    LedgerHead,
    Payment,
    Programme,
    Redistribution,
    RedistributionLine,
)

GENESIS = "0" * 64


def entry_canonical(entry: LedgerEntry) -> str:
    """The exact text an entry's hash covers: compact JSON, keys sorted, times in UTC. Never
    change it: every hash already written rests on it (tests pin it with a fixed entry)."""
    content = {
        "seq": entry.seq,
        "recorded_at": entry.recorded_at.astimezone(UTC).isoformat(),
        "kind": entry.kind,
        "programme": entry.programme_id,
        "allocation": entry.allocation_id,
        "line": entry.line_id,
        "payment": entry.payment_id,
        "source": entry.source,
        "destination": entry.destination,
        "amount_cents": entry.amount_cents,
        "actor": entry.actor_id,
        "previous_hash": entry.previous_hash,
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"))


def _entry_hash(entry: LedgerEntry) -> str:
    return hashlib.sha256(entry_canonical(entry).encode()).hexdigest()


@dataclass(frozen=True)
class Movement:
    """One movement to append (see `ledger_append_many`)."""

    kind: str
    programme: Programme
    source: str
    destination: str
    amount_cents: int
    allocation: Allocation | None = None
    line: RedistributionLine | None = None
    payment: Payment | None = None


def _locked_head() -> LedgerHead:
    # The head row is locked until the transaction ends: appends queue up one by one, so no
    # two entries ever claim the same predecessor.
    head = LedgerHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        # The very first entry: create the head; if another transaction just did, use theirs.
        try:
            with transaction.atomic():
                LedgerHead.objects.create(pk=1)
        except IntegrityError:
            pass
        head = LedgerHead.objects.select_for_update().get(pk=1)
    return head


def ledger_append_many(*, movements: Sequence[Movement], actor, now: datetime) -> list[LedgerEntry]:
    """Append movements in the order given, exactly as that many `ledger_append` calls would
    (same numbers, same previous hashes, same hashes), but locking and moving the head once
    and inserting in bulk: a redistribution of 2,400 lines approves in one go. Call it inside
    the transaction that makes the money decision."""
    if not movements:
        return []
    head = _locked_head()
    seq, previous, entries = head.seq, head.entry_hash, []
    for movement in movements:
        seq += 1
        entry = LedgerEntry(
            seq=seq,
            recorded_at=now,
            kind=movement.kind,
            programme=movement.programme,
            allocation=movement.allocation,
            line=movement.line,
            payment=movement.payment,
            source=movement.source,
            destination=movement.destination,
            amount_cents=movement.amount_cents,
            actor=actor,
            previous_hash=previous,
        )
        entry.entry_hash = previous = _entry_hash(entry)
        entries.append(entry)
    LedgerEntry.objects.bulk_create(entries, batch_size=1000)
    head.seq, head.entry_hash = seq, previous
    head.save(update_fields=["seq", "entry_hash"])
    return entries


def ledger_append(
    *,
    kind: str,
    programme: Programme,
    source: str,
    destination: str,
    amount_cents: int,
    actor,
    now: datetime,
    allocation: Allocation | None = None,
    line: RedistributionLine | None = None,
    payment: Payment | None = None,
) -> LedgerEntry:
    """Append one movement. Call it inside the transaction that makes the money decision: the
    entry commits or vanishes with it."""
    movement = Movement(
        kind=kind,
        programme=programme,
        source=source,
        destination=destination,
        amount_cents=amount_cents,
        allocation=allocation,
        line=line,
        payment=payment,
    )
    return ledger_append_many(movements=[movement], actor=actor, now=now)[0]


@dataclass
class LedgerCheck:
    entries: int
    breaks: list[str]

    @property
    def intact(self) -> bool:
        return not self.breaks


# --- What every entry must reconcile with -------------------------------------------------------
#
# Accounts are the strings entries move money between: "programme:7", "relay:3", "maker:12",
# "organisation:5", and "relay:3:own_use" for what a relay keeps for its stated own use.


def account(kind: str, pk: int) -> str:
    return f"{kind}:{pk}"


def payee_account(*, maker_id: int | None, organisation_id: int | None, relay_id: int) -> str:
    """The account a redistribution line pays into."""
    if maker_id:
        return account("maker", maker_id)
    if organisation_id:
        return account("organisation", organisation_id)
    return f"relay:{relay_id}:own_use"


@dataclass(frozen=True)
class Expected:
    """The one entry an approved object must have in the ledger, field by field."""

    programme: int
    allocation: int | None
    line: int | None
    payment: int | None
    source: str
    destination: str
    amount_cents: int


# The fields compared (on `Expected`, on the entry), with the word a controller reads when one
# differs.
_COMPARED = (
    ("amount_cents", "amount_cents", gettext_lazy("montant")),
    ("source", "source", gettext_lazy("compte débité")),
    ("destination", "destination", gettext_lazy("compte crédité")),
    ("programme", "programme_id", gettext_lazy("programme")),
    ("allocation", "allocation_id", gettext_lazy("allocation")),
    ("line", "line_id", gettext_lazy("ligne")),
    ("payment", "payment_id", gettext_lazy("paiement")),
)


def _approved_allocations() -> dict[int, Expected]:
    return {
        pk: Expected(
            programme=programme,
            allocation=pk,
            line=None,
            payment=None,
            source=account("programme", programme),
            destination=account("relay", relay),
            amount_cents=amount,
        )
        for pk, programme, relay, amount in Allocation.objects.filter(
            status=Allocation.Status.APPROVED
        ).values_list("pk", "programme_id", "relay_id", "amount_cents")
    }


def _line_expected(row: tuple, *, payment: int | None = None, amount: int | None = None):
    line, allocation, programme, relay, maker, organisation, line_amount = row
    return Expected(
        programme=programme,
        allocation=allocation,
        line=line,
        payment=payment,
        source=account("relay", relay),
        destination=payee_account(maker_id=maker, organisation_id=organisation, relay_id=relay),
        amount_cents=line_amount if amount is None else amount,
    )


_LINE_FIELDS = (
    "redistribution__allocation_id",
    "redistribution__allocation__programme_id",
    "redistribution__allocation__relay_id",
    "maker_id",
    "organisation_id",
    "amount_cents",
)


def _approved_lines() -> dict[int, Expected]:
    return {
        row[0]: _line_expected(row)
        for row in RedistributionLine.objects.filter(
            redistribution__status=Redistribution.Status.APPROVED
        ).values_list("pk", *_LINE_FIELDS)
    }


def _payments() -> dict[int, Expected]:
    return {
        pk: _line_expected(row, payment=pk, amount=amount)
        for pk, amount, *row in Payment.objects.values_list(
            "pk", "amount_cents", "line_id", *(f"line__{field}" for field in _LINE_FIELDS)
        )
    }


@dataclass(frozen=True)
class Reconciliation:
    """How entries of one kind reconcile with the objects they name: `field` is the entry's
    foreign key naming the object, `objects` loads what the ledger must carry (one entry each,
    by primary key), and the messages name the object for a controller."""

    field: str
    objects: Callable[[], dict[int, Expected]]
    names_none: str
    not_found: str
    twice: str
    mismatch: str
    missing: str


# One row per kind of entry: a new kind of movement adds its row here.
RECONCILIATIONS: dict[str, Reconciliation] = {
    LedgerEntry.Kind.ALLOCATION: Reconciliation(
        field="allocation",
        objects=_approved_allocations,
        names_none=gettext_lazy("Écriture n° %(seq)s : elle ne nomme aucune allocation."),
        not_found=gettext_lazy(
            "Écriture n° %(seq)s : elle nomme l'allocation n° %(id)s, qui n'est pas approuvée."
        ),
        twice=gettext_lazy(
            "Écriture n° %(seq)s : l'allocation n° %(id)s est déjà au grand livre "
            "(écriture n° %(first)s)."
        ),
        mismatch=gettext_lazy(
            "Écriture n° %(seq)s : elle ne correspond pas à l'allocation n° %(id)s (%(fields)s)."
        ),
        missing=gettext_lazy("Allocation n° %(id)s : approuvée, elle n'est pas au grand livre."),
    ),
    LedgerEntry.Kind.REDISTRIBUTION: Reconciliation(
        field="line",
        objects=_approved_lines,
        names_none=gettext_lazy(
            "Écriture n° %(seq)s : elle ne nomme aucune ligne de redistribution."
        ),
        not_found=gettext_lazy(
            "Écriture n° %(seq)s : elle nomme la ligne n° %(id)s, dont la redistribution "
            "n'est pas approuvée."
        ),
        twice=gettext_lazy(
            "Écriture n° %(seq)s : la ligne n° %(id)s est déjà au grand livre "
            "(écriture n° %(first)s)."
        ),
        mismatch=gettext_lazy(
            "Écriture n° %(seq)s : elle ne correspond pas à la ligne n° %(id)s (%(fields)s)."
        ),
        missing=gettext_lazy("Ligne n° %(id)s : approuvée, elle n'est pas au grand livre."),
    ),
    LedgerEntry.Kind.PAYMENT: Reconciliation(
        field="payment",
        objects=_payments,
        names_none=gettext_lazy("Écriture n° %(seq)s : elle ne nomme aucun paiement."),
        not_found=gettext_lazy(
            "Écriture n° %(seq)s : elle nomme le paiement n° %(id)s, qui n'existe pas."
        ),
        twice=gettext_lazy(
            "Écriture n° %(seq)s : le paiement n° %(id)s est déjà au grand livre "
            "(écriture n° %(first)s)."
        ),
        mismatch=gettext_lazy(
            "Écriture n° %(seq)s : elle ne correspond pas au paiement n° %(id)s (%(fields)s)."
        ),
        missing=gettext_lazy("Paiement n° %(id)s : enregistré, il n'est pas au grand livre."),
    ),
}


@dataclass(frozen=True)
class FlowLimit:
    """An account passes on (`out_kind` entries on its `out_side`) at most what it received
    (`in_kind` entries on its `in_side`), in the ledger's own sums."""

    out_kind: str
    out_side: str
    in_kind: str
    in_side: str
    message: str


# A relay redistributes at most what it was allocated; a payee is paid at most what was
# redistributed to it. A new kind of movement adds its limits here.
FLOW_LIMITS = [
    FlowLimit(
        out_kind=LedgerEntry.Kind.REDISTRIBUTION,
        out_side="source",
        in_kind=LedgerEntry.Kind.ALLOCATION,
        in_side="destination",
        message=gettext_lazy("Compte %(account)s : %(out)s redistribués pour %(in)s alloués."),
    ),
    FlowLimit(
        out_kind=LedgerEntry.Kind.PAYMENT,
        out_side="destination",
        in_kind=LedgerEntry.Kind.REDISTRIBUTION,
        in_side="destination",
        message=gettext_lazy("Compte %(account)s : %(out)s payés pour %(in)s redistribués."),
    ),
]


def ledger_verify() -> LedgerCheck:
    """Check the ledger as a financial controller would: the chain (numbers, previous hashes,
    content hashes, the head at the last entry), every entry against the object it names (an
    approved allocation, a line of an approved redistribution, a recorded payment: same
    amount, same accounts, same programme), every such object present once, then the balances
    of every programme, relay and payee account and of the objects themselves.

    `breaks` starts with the first break in the chain, if any (what follows it in the chain
    cannot be trusted, so only the first is reported), then the entries that do not reconcile,
    in ledger order, then the balances."""
    objects = {kind: rule.objects() for kind, rule in RECONCILIATIONS.items()}
    chain: list[str] = []
    entries: list[str] = []
    seen: dict[tuple[str, int], int] = {}
    got: dict[tuple[str, str, str], int] = defaultdict(int)
    previous, expected_seq, count = GENESIS, 1, 0
    for entry in LedgerEntry.objects.order_by("seq").iterator(chunk_size=2000):
        count += 1
        if not chain:
            chain_break = _chain_break(entry, expected_seq=expected_seq, previous=previous)
            if chain_break:
                chain.append(chain_break)
        previous, expected_seq = entry.entry_hash, entry.seq + 1
        got[(entry.kind, "source", entry.source)] += entry.amount_cents
        got[(entry.kind, "destination", entry.destination)] += entry.amount_cents
        entries.extend(_entry_breaks(entry, objects=objects, seen=seen))
    if not chain:
        # No head is the same as a new head (at the genesis): the ledger before its first entry.
        head = LedgerHead.objects.filter(pk=1).first() or LedgerHead()
        if (head.seq, head.entry_hash) != (expected_seq - 1, previous):
            chain.append(_("La fin de la chaîne ne correspond pas à la dernière écriture."))
    for kind, rule in RECONCILIATIONS.items():
        for pk in sorted(objects[kind].keys() - {pk for k, pk in seen if k == kind}):
            entries.append(rule.missing % {"id": pk})
    breaks = chain + entries + _account_breaks(got, objects) + _object_breaks()
    return LedgerCheck(entries=count, breaks=breaks)


def _chain_break(entry: LedgerEntry, *, expected_seq: int, previous: str) -> str | None:
    if entry.seq != expected_seq:
        return _("Écriture n° %(seq)s : la n° %(expected)s manque avant elle.") % {
            "seq": entry.seq,
            "expected": expected_seq,
        }
    if entry.previous_hash != previous:
        return _("Écriture n° %(seq)s : elle ne suit pas l'écriture précédente.") % {
            "seq": entry.seq
        }
    if _entry_hash(entry) != entry.entry_hash:
        return _("Écriture n° %(seq)s : son contenu a été modifié.") % {"seq": entry.seq}
    return None


def _entry_breaks(entry: LedgerEntry, *, objects, seen) -> list[str]:
    rule = RECONCILIATIONS.get(entry.kind)
    if rule is None:
        return [
            _("Écriture n° %(seq)s : mouvement inconnu « %(kind)s ».")
            % {"seq": entry.seq, "kind": entry.kind}
        ]
    pk = getattr(entry, f"{rule.field}_id")
    if pk is None:
        return [rule.names_none % {"seq": entry.seq}]
    expected = objects[entry.kind].get(pk)
    if expected is None:
        return [rule.not_found % {"seq": entry.seq, "id": pk}]
    first = seen.setdefault((entry.kind, pk), entry.seq)
    if first != entry.seq:
        return [rule.twice % {"seq": entry.seq, "id": pk, "first": first}]
    differ = [
        str(word)
        for field, attribute, word in _COMPARED
        if getattr(expected, field) != getattr(entry, attribute)
    ]
    if differ:
        return [rule.mismatch % {"seq": entry.seq, "id": pk, "fields": ", ".join(differ)}]
    return []


_KIND_WORDS = {
    LedgerEntry.Kind.ALLOCATION: gettext_lazy("allocations"),
    LedgerEntry.Kind.REDISTRIBUTION: gettext_lazy("redistributions"),
    LedgerEntry.Kind.PAYMENT: gettext_lazy("paiements"),
}


def _account_breaks(got: dict[tuple[str, str, str], int], objects) -> list[str]:
    """Per account (programme, relay, payee), the ledger's sums against the approved objects',
    then the flow limits between kinds."""
    want: dict[tuple[str, str, str], int] = defaultdict(int)
    for kind, expected in objects.items():
        for one in expected.values():
            want[(kind, "source", one.source)] += one.amount_cents
            want[(kind, "destination", one.destination)] += one.amount_cents
    breaks = []
    for key in sorted(got.keys() | want.keys()):
        kind, side, name = key
        if got[key] != want[key]:
            message = (
                _(
                    "Compte %(account)s, %(kind)s au débit : le grand livre porte %(got)s, "
                    "les décisions %(want)s."
                )
                if side == "source"
                else _(
                    "Compte %(account)s, %(kind)s au crédit : le grand livre porte %(got)s, "
                    "les décisions %(want)s."
                )
            )
            breaks.append(
                message
                % {
                    "account": name,
                    "kind": _KIND_WORDS.get(kind, kind),
                    "got": _euros(got[key]),
                    "want": _euros(want[key]),
                }
            )
    for limit in FLOW_LIMITS:
        accounts = {
            name for kind, side, name in got if (kind, side) == (limit.out_kind, limit.out_side)
        }
        for name in sorted(accounts):
            passed_on = got[(limit.out_kind, limit.out_side, name)]
            received = got[(limit.in_kind, limit.in_side, name)]
            if passed_on > received:
                breaks.append(
                    limit.message
                    % {"account": name, "out": _euros(passed_on), "in": _euros(received)}
                )
    return breaks


def _euros(cents: int) -> str:
    """An amount of a break as the auditor reads amounts elsewhere: "15 000,00 €"."""
    return format_euros(cents, language=get_language() or "fr")


def _object_breaks() -> list[str]:
    """What the objects must say of themselves, whatever the ledger says: allocations fill the
    envelope, lines fill the allocation, a payment never exceeds its line nor pays an
    unapproved one."""
    breaks = []
    allocated = {
        row["programme"]: row["total"]
        for row in Allocation.objects.values("programme")
        .annotate(total=Sum("amount_cents"))
        .order_by()
    }
    for programme in Programme.objects.order_by("pk").only("pk", "name", "envelope_cents"):
        total = allocated.get(programme.pk, 0)
        if total != programme.envelope_cents:
            breaks.append(
                _(
                    "Programme « %(name)s » : les allocations font %(total)s pour une "
                    "enveloppe de %(envelope)s."
                )
                % {
                    "name": programme.name,
                    "total": _euros(total),
                    "envelope": _euros(programme.envelope_cents),
                }
            )
    lines = {
        row["redistribution"]: row["total"]
        for row in RedistributionLine.objects.values("redistribution")
        .annotate(total=Sum("amount_cents"))
        .order_by()
    }
    for redistribution in Redistribution.objects.select_related("allocation").order_by("pk"):
        total = lines.get(redistribution.pk, 0)
        if total != redistribution.allocation.amount_cents:
            breaks.append(
                _(
                    "Redistribution n° %(id)s : les lignes font %(total)s pour une "
                    "allocation de %(amount)s."
                )
                % {
                    "id": redistribution.pk,
                    "total": _euros(total),
                    "amount": _euros(redistribution.allocation.amount_cents),
                }
            )
    for payment in Payment.objects.select_related("line__redistribution").order_by("pk"):
        if payment.amount_cents > payment.line.amount_cents:
            breaks.append(_("Paiement n° %(id)s : il dépasse sa ligne.") % {"id": payment.pk})
        if payment.line.redistribution.status != Redistribution.Status.APPROVED:
            breaks.append(
                _("Paiement n° %(id)s : sa redistribution n'est pas approuvée.")
                % {"id": payment.pk}
            )
    return breaks
