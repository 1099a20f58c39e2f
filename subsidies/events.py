"""What the subsidy chain tells other programs through webhooks (webhooks/): each function is
called by the service that makes the change, inside its transaction. A relay's endpoints hear
of their relay's money, the Région's of everyone's; amounts and ids only, never a payee's name
or bank details."""

from datetime import date, datetime

from webhooks.models import Event
from webhooks.services import webhook_event_emit

from .models import Allocation, PaymentBatch, Redistribution


def allocation_approved_emit(allocation: Allocation, *, now: datetime) -> None:
    webhook_event_emit(
        event=Event.ALLOCATION_APPROVED,
        obj="allocation",
        obj_id=allocation.pk,
        url_name="allocation-detail",
        fields={
            "programme": allocation.programme_id,
            "relay": allocation.relay_id,
            "amount_cents": allocation.amount_cents,
            "approved_at": now,
        },
        relay_id=allocation.relay_id,
        now=now,
    )


def redistribution_approved_emit(
    redistribution: Redistribution, *, lines: int, total_cents: int, now: datetime
) -> None:
    relay_id = redistribution.allocation.relay_id
    webhook_event_emit(
        event=Event.REDISTRIBUTION_APPROVED,
        obj="redistribution",
        obj_id=redistribution.pk,
        url_name="redistribution-detail",
        fields={
            "allocation": redistribution.allocation_id,
            "relay": relay_id,
            "lines": lines,
            "amount_cents": total_cents,
            "approved_at": now,
        },
        relay_id=relay_id,
        now=now,
    )


def payment_batch_created_emit(batch: PaymentBatch, *, lines: int, now: datetime) -> None:
    relay_id = batch.redistribution.allocation.relay_id
    webhook_event_emit(
        event=Event.PAYMENT_BATCH_CREATED,
        obj="payment_batch",
        obj_id=batch.pk,
        url_name="payment-batch-detail",
        fields={
            "redistribution": batch.redistribution_id,
            "relay": relay_id,
            "message_id": batch.message_id,
            "format": batch.format,
            "lines": lines,
            "total_cents": batch.total_cents,
        },
        relay_id=relay_id,
        now=now,
    )


def payments_recorded_emit(
    redistribution: Redistribution,
    *,
    lines: int,
    paid_cents: int,
    paid_on: date,
    now: datetime,
    batch: PaymentBatch | None = None,
) -> None:
    """One message per recording: of a batch (the object is the batch), or of lines paid
    outside any batch (the object is their redistribution)."""
    relay_id = redistribution.allocation.relay_id
    if batch is not None:
        obj, obj_id, url_name = "payment_batch", batch.pk, "payment-batch-detail"
    else:
        obj, obj_id, url_name = "redistribution", redistribution.pk, "redistribution-detail"
    webhook_event_emit(
        event=Event.PAYMENT_RECORDED,
        obj=obj,
        obj_id=obj_id,
        url_name=url_name,
        fields={
            "redistribution": redistribution.pk,
            "relay": relay_id,
            "lines": lines,
            "paid_cents": paid_cents,
            "paid_on": paid_on,
        },
        relay_id=relay_id,
        now=now,
    )
