"""The money ledger: append-only, hash-chained entries, and the check of the chain and of every
balance the subsidy chain promises."""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.utils.translation import gettext as _

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


def _entry_hash(entry: LedgerEntry) -> str:
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
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


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


def ledger_verify() -> LedgerCheck:
    """Walk the chain from the first entry, then check every balance. The first break found in
    the chain comes first in `breaks`; balances follow."""
    breaks: list[str] = []
    previous, expected_seq, count = GENESIS, 1, 0
    for entry in LedgerEntry.objects.order_by("seq").iterator(chunk_size=2000):
        count += 1
        if entry.seq != expected_seq:
            breaks.append(
                _("Écriture n° %(seq)s : la n° %(expected)s manque avant elle.")
                % {"seq": entry.seq, "expected": expected_seq}
            )
            break
        if entry.previous_hash != previous:
            breaks.append(
                _("Écriture n° %(seq)s : elle ne suit pas l'écriture précédente.")
                % {"seq": entry.seq}
            )
            break
        if _entry_hash(entry) != entry.entry_hash:
            breaks.append(
                _("Écriture n° %(seq)s : son contenu a été modifié.") % {"seq": entry.seq}
            )
            break
        previous, expected_seq = entry.entry_hash, expected_seq + 1
    else:
        head = LedgerHead.objects.filter(pk=1).first()
        if count and (head is None or head.seq != count or head.entry_hash != previous):
            breaks.append(_("La fin de la chaîne ne correspond pas à la dernière écriture."))
    breaks.extend(_balance_breaks())
    return LedgerCheck(entries=count, breaks=breaks)


def _ledger_sums(kind: str, field: str) -> dict[int, tuple[int, int]]:
    return {
        row[field]: (row["total"], row["n"])
        for row in LedgerEntry.objects.filter(kind=kind)
        .values(field)
        .annotate(total=Sum("amount_cents"), n=Count("pk"))
        .order_by()
    }


def _balance_breaks() -> list[str]:
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
                    "Programme « %(name)s » : les allocations font %(total)s centimes pour une "
                    "enveloppe de %(envelope)s."
                )
                % {"name": programme.name, "total": total, "envelope": programme.envelope_cents}
            )
    entries = _ledger_sums(LedgerEntry.Kind.ALLOCATION, "allocation")
    for allocation in Allocation.objects.order_by("pk").only("pk", "status", "amount_cents"):
        expected = (
            (allocation.amount_cents, 1)
            if allocation.status == Allocation.Status.APPROVED
            else None
        )
        if entries.get(allocation.pk) != expected:
            breaks.append(
                _(
                    "Allocation n° %(id)s : le grand livre ne porte pas son approbation "
                    "telle quelle."
                )
                % {"id": allocation.pk}
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
                    "Redistribution n° %(id)s : les lignes font %(total)s centimes pour une "
                    "allocation de %(amount)s."
                )
                % {
                    "id": redistribution.pk,
                    "total": total,
                    "amount": redistribution.allocation.amount_cents,
                }
            )
    entries = _ledger_sums(LedgerEntry.Kind.REDISTRIBUTION, "line")
    for line in RedistributionLine.objects.select_related("redistribution").order_by("pk"):
        approved = line.redistribution.status == Redistribution.Status.APPROVED
        expected = (line.amount_cents, 1) if approved else None
        if entries.get(line.pk) != expected:
            breaks.append(
                _("Ligne n° %(id)s : le grand livre ne porte pas son approbation telle quelle.")
                % {"id": line.pk}
            )
    entries = _ledger_sums(LedgerEntry.Kind.PAYMENT, "payment")
    for payment in Payment.objects.select_related("line__redistribution").order_by("pk"):
        if payment.amount_cents > payment.line.amount_cents:
            breaks.append(_("Paiement n° %(id)s : il dépasse sa ligne.") % {"id": payment.pk})
        if payment.line.redistribution.status != Redistribution.Status.APPROVED:
            breaks.append(
                _("Paiement n° %(id)s : sa redistribution n'est pas approuvée.")
                % {"id": payment.pk}
            )
        if entries.get(payment.pk) != (payment.amount_cents, 1):
            breaks.append(
                _("Paiement n° %(id)s : le grand livre ne le porte pas tel quel.")
                % {"id": payment.pk}
            )
    return breaks
