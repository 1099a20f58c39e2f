"""Payment batches: a transfer file (CSV or SEPA) is made once, as a recorded batch with a
unique message id, the lines it pays and the bank details of each frozen at that moment, and
its exact bytes kept (every download gives them again). While a batch waits for the bank its
lines are in no other open batch (a database constraint). The relay then records what the bank
paid (all lines, or some marked rejected, which frees them for a later batch) or cancels the
batch with a reason (which frees them all). The relay's own-use lines are settled as its own
spending, never transferred. Every step is a decision, every payment a ledger entry, and each
happens whole or not at all."""

import hashlib
import uuid
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tilab.services import decision_record

from . import errors, events, notices
from .bank import _require
from .ledger import Movement, ledger_append_many, payee_account
from .models import (
    LedgerEntry,
    Payment,
    PaymentBatch,
    PaymentBatchLine,
    Redistribution,
)
from .transfers import Transfer, bic_of, transfers_csv, transfers_pain001, unpaid_transfers

REFERENCE_MAX = 140


def _message_id(now: datetime) -> str:
    # At most 35 characters (SEPA MsgId); unique in the database, random so that two batches
    # made in the same second never share one.
    return f"TILAB-{now:%Y%m%d}-{uuid.uuid4().hex[:12].upper()}"


def _open_batch_of(lines) -> PaymentBatch | None:
    taken = PaymentBatchLine.objects.filter(line__in=lines, open=True).select_related("batch")
    first = taken.order_by("batch_id").first()
    return first.batch if first else None


def payment_batch_create(
    *,
    redistribution: Redistribution,
    format: str,
    by,
    now: datetime,
    execution_on: date | None = None,
) -> PaymentBatch:
    """Make the transfer file of the lines payable now (confirmed bank details, in no open
    batch, own-use lines left out) and record it as a batch. The redistribution row is locked:
    batches made at once over the same lines queue up, and all but the first find the lines
    taken (transfers_already_in_batch, naming the open batch); the partial unique index on
    open batch lines is the last guard.

    Refuses a redistribution not approved (transfers_not_approved), an unknown format, an
    execution date past, a SEPA file without the relay's paying account (missing, or waiting
    for the Région's confirmation), nothing payable (nothing_to_transfer)."""
    _require(by, "subsidies.create_payment_batch", redistribution)
    if format not in PaymentBatch.Format.values:
        raise errors.BATCH_FORMAT_UNKNOWN()
    if format == PaymentBatch.Format.SEPA:
        execution_on = execution_on or timezone.localdate(now)
        if execution_on < timezone.localdate(now):
            raise errors.EXECUTION_DATE_PAST()
    else:
        execution_on = None
    with transaction.atomic():
        redistribution = (
            Redistribution.objects.select_for_update()
            .select_related("allocation__programme", "allocation__relay")
            .get(pk=redistribution.pk)
        )
        if redistribution.status != Redistribution.Status.APPROVED:
            raise errors.TRANSFERS_NOT_APPROVED()
        plan = unpaid_transfers(redistribution, now=now)
        if not plan.payable:
            if plan.in_batch:
                raise errors.TRANSFERS_ALREADY_IN_BATCH(
                    batch=_open_batch_of(plan.in_batch).message_id
                )
            raise errors.NOTHING_TO_TRANSFER()
        debtor = plan.debtor
        if format == PaymentBatch.Format.SEPA:
            if debtor is None:
                raise errors.RELAY_BANK_ACCOUNT_MISSING()
            if not debtor.usable_at(now):
                raise errors.RELAY_BANK_ACCOUNT_PENDING()
        message_id = _message_id(now)
        tag = message_id.rsplit("-", 1)[-1][:8]
        transfers = [
            Transfer(
                line=line,
                holder=account.holder,
                iban=account.iban,
                bic=bic_of(account),
                end_to_end_id=f"TILAB-L{line.pk}-{tag}",
            )
            for line, account in plan.payable
        ]
        if format == PaymentBatch.Format.SEPA:
            content = transfers_pain001(
                redistribution,
                transfers,
                debtor=debtor,
                message_id=message_id,
                execution_on=execution_on,
                now=now,
            )
            filename = f"virements-sepa-{message_id}.xml"
        else:
            content = transfers_csv(redistribution, transfers, message_id=message_id)
            filename = f"virements-{message_id}.csv"
        batch = PaymentBatch.objects.create(
            redistribution=redistribution,
            message_id=message_id,
            format=format,
            execution_on=execution_on,
            total_cents=plan.total_cents,
            content=content,
            content_sha256=hashlib.sha256(content).hexdigest(),
            filename=filename,
            debtor_iban=debtor.iban if debtor is not None else "",
            created_by=by,
            created_at=now,
        )
        try:
            with transaction.atomic():
                PaymentBatchLine.objects.bulk_create(
                    [
                        PaymentBatchLine(
                            batch=batch,
                            line=transfer.line,
                            amount_cents=transfer.line.amount_cents,
                            holder=transfer.holder,
                            iban=transfer.iban,
                            bic=transfer.bic,
                            end_to_end_id=transfer.end_to_end_id,
                        )
                        for transfer in transfers
                    ]
                )
        except IntegrityError as error:
            # Only reachable if a line was batched outside the lock: the index refuses it.
            taken = _open_batch_of([transfer.line for transfer in transfers])
            raise errors.TRANSFERS_ALREADY_IN_BATCH(
                batch=taken.message_id if taken else "?"
            ) from error
        decision_record(
            actor=by,
            subject=batch,
            action="payment_batch_create",
            now=now,
            to_state=PaymentBatch.Status.OPEN,
            data={
                "message_id": message_id,
                "format": format,
                "redistribution": redistribution.pk,
                "lines": [transfer.line.pk for transfer in transfers],
                "total_cents": plan.total_cents,
                "sha256": batch.content_sha256,
                "iban_ends": {str(t.line.pk): t.iban[-4:] for t in transfers},
                "held": [line.pk for line, _account in plan.held],
                "blocked": [line.pk for line, _account in plan.blocked],
            },
        )
        events.payment_batch_created_emit(batch, lines=len(transfers), now=now)
    return batch


def payment_batch_record(
    *,
    batch: PaymentBatch,
    paid_on: date,
    by,
    now: datetime,
    reference: str = "",
    rejected=(),
) -> PaymentBatch:
    """Record what the bank did with an open batch: every line paid on `paid_on`, except the
    lines (redistribution line ids) in `rejected`, which the bank refused and which are free
    for a later batch. The bank's reference defaults to the batch's message id. One payment,
    one decision and one ledger entry per line paid; all or nothing."""
    _require(by, "subsidies.record_payment", batch.redistribution)
    reference = (reference or "").strip() or batch.message_id
    if len(reference) > REFERENCE_MAX:
        raise errors.PAYMENT_REFERENCE_TOO_LONG()
    if paid_on > timezone.localdate(now):
        raise errors.PAID_ON_IN_FUTURE()
    rejected = {int(pk) for pk in rejected}
    with transaction.atomic():
        batch = (
            PaymentBatch.objects.select_for_update()
            .select_related("redistribution__allocation__programme")
            .get(pk=batch.pk)
        )
        if batch.status != PaymentBatch.Status.OPEN:
            raise errors.BATCH_NOT_OPEN(batch=batch.message_id, status=batch.get_status_display())
        batch_lines = list(
            batch.lines.select_for_update().select_related("line").order_by("line_id")
        )
        unknown = sorted(rejected - {bl.line_id for bl in batch_lines})
        if unknown:
            raise errors.BATCH_REJECTED_NOT_IN_BATCH(lines=", ".join(f"n° {pk}" for pk in unknown))
        if len(rejected) == len(batch_lines):
            raise errors.BATCH_ALL_REJECTED()
        redistribution = batch.redistribution
        allocation = redistribution.allocation
        movements, paid, refused, payments = [], [], [], []
        for batch_line in batch_lines:
            line = batch_line.line
            batch_line.open = False
            if line.pk in rejected:
                batch_line.status = PaymentBatchLine.Status.REJECTED
                refused.append(line.pk)
                decision_record(
                    actor=by,
                    subject=line,
                    action="payment_reject",
                    now=now,
                    from_state="in_batch",
                    to_state="unpaid",
                    data={"batch": batch.message_id, "iban_end": batch_line.iban[-4:]},
                )
                continue
            batch_line.status = PaymentBatchLine.Status.PAID
            payment = Payment.objects.create(
                line=line,
                batch=batch,
                amount_cents=batch_line.amount_cents,
                paid_on=paid_on,
                reference=reference,
                recorded_by=by,
                recorded_at=now,
            )
            paid.append(line.pk)
            payments.append(payment)
            decision_record(
                actor=by,
                subject=line,
                action="payment_record",
                now=now,
                from_state="unpaid",
                to_state="paid",
                data={
                    "amount_cents": batch_line.amount_cents,
                    "paid_on": paid_on.isoformat(),
                    "reference": reference,
                    "batch": batch.message_id,
                    "iban_end": batch_line.iban[-4:],
                },
            )
            movements.append(
                Movement(
                    kind=LedgerEntry.Kind.PAYMENT,
                    programme=allocation.programme,
                    allocation=allocation,
                    line=line,
                    payment=payment,
                    source=f"relay:{allocation.relay_id}",
                    destination=payee_account(
                        maker_id=line.maker_id,
                        organisation_id=line.organisation_id,
                        relay_id=redistribution.allocation.relay_id,
                    ),
                    amount_cents=payment.amount_cents,
                )
            )
        PaymentBatchLine.objects.bulk_update(batch_lines, ["status", "open"])
        batch.status = PaymentBatch.Status.RECORDED
        batch.recorded_by = by
        batch.recorded_at = now
        batch.save(update_fields=["status", "recorded_by", "recorded_at"])
        decision_record(
            actor=by,
            subject=batch,
            action="payment_batch_record",
            now=now,
            from_state=PaymentBatch.Status.OPEN,
            to_state=PaymentBatch.Status.RECORDED,
            data={
                "paid": paid,
                "rejected": refused,
                "paid_on": paid_on.isoformat(),
                "reference": reference,
                "paid_cents": sum(m.amount_cents for m in movements),
            },
        )
        # One append for the batch, in line order: the head is locked and moved once.
        ledger_append_many(movements=movements, actor=by, now=now)
        events.payments_recorded_emit(
            redistribution,
            lines=len(paid),
            paid_cents=sum(m.amount_cents for m in movements),
            paid_on=paid_on,
            now=now,
            batch=batch,
        )
        notices.payments_notify(payments=payments, now=now)
    return batch


def payment_batch_cancel(*, batch: PaymentBatch, reason: str, by, now: datetime) -> PaymentBatch:
    """Cancel an open batch (the file was never sent, or the bank refused it whole), with a
    reason kept in the decision: its lines are free for a later batch. Nothing was paid, so
    the ledger does not move."""
    _require(by, "subsidies.cancel_payment_batch", batch.redistribution)
    reason = (reason or "").strip()
    if not reason:
        raise errors.BATCH_CANCEL_REASON_MISSING()
    with transaction.atomic():
        batch = PaymentBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status != PaymentBatch.Status.OPEN:
            raise errors.BATCH_NOT_OPEN(batch=batch.message_id, status=batch.get_status_display())
        released = list(batch.lines.values_list("line_id", flat=True))
        batch.lines.update(open=False, status=PaymentBatchLine.Status.RELEASED)
        batch.status = PaymentBatch.Status.CANCELLED
        batch.cancelled_by = by
        batch.cancelled_at = now
        batch.cancel_reason = reason
        batch.save(update_fields=["status", "cancelled_by", "cancelled_at", "cancel_reason"])
        decision_record(
            actor=by,
            subject=batch,
            action="payment_batch_cancel",
            now=now,
            from_state=PaymentBatch.Status.OPEN,
            to_state=PaymentBatch.Status.CANCELLED,
            motivation=reason,
            data={"message_id": batch.message_id, "released": released},
        )
    return batch


def own_use_settle(*, redistribution: Redistribution, by, now: datetime) -> list[Payment]:
    """Settle the relay's own-use lines of an approved redistribution (and any line whose
    payee is the relay's own organisation) as its own spending: a payment record without any
    transfer, a decision and a ledger entry to the relay's own-use account per line. Never a
    transfer from the relay's IBAN to itself."""
    _require(by, "subsidies.settle_own_use", redistribution)
    with transaction.atomic():
        redistribution = (
            Redistribution.objects.select_for_update()
            .select_related("allocation__programme", "allocation__relay")
            .get(pk=redistribution.pk)
        )
        plan = unpaid_transfers(redistribution, now=now)
        if not plan.own_use:
            raise errors.NOTHING_TO_SETTLE()
        allocation = redistribution.allocation
        reference = _("Dépense propre du relais")[:REFERENCE_MAX]
        payments, movements = [], []
        for line in plan.own_use:
            payment = Payment.objects.create(
                line=line,
                own_use=True,
                amount_cents=line.amount_cents,
                paid_on=timezone.localdate(now),
                reference=reference,
                recorded_by=by,
                recorded_at=now,
            )
            decision_record(
                actor=by,
                subject=line,
                action="own_use_settle",
                now=now,
                from_state="unpaid",
                to_state="settled",
                data={"amount_cents": line.amount_cents, "purpose": line.payee_name},
            )
            movements.append(
                Movement(
                    kind=LedgerEntry.Kind.PAYMENT,
                    programme=allocation.programme,
                    allocation=allocation,
                    line=line,
                    payment=payment,
                    source=f"relay:{allocation.relay_id}",
                    # The account the approval named (the own-use account, or the relay's own
                    # organisation): the money stays with the relay, no transfer is made.
                    destination=payee_account(
                        maker_id=line.maker_id,
                        organisation_id=line.organisation_id,
                        relay_id=redistribution.allocation.relay_id,
                    ),
                    amount_cents=line.amount_cents,
                )
            )
            payments.append(payment)
        ledger_append_many(movements=movements, actor=by, now=now)
        events.payments_recorded_emit(
            redistribution,
            lines=len(payments),
            paid_cents=sum(payment.amount_cents for payment in payments),
            paid_on=timezone.localdate(now),
            now=now,
        )
    return payments
