"""Background tasks of webhooks: send one delivery, and beat's run over what is due."""

from celery import shared_task
from django.utils import timezone

from . import delivering


@shared_task(name="webhooks.webhook_delivery_send")
def webhook_delivery_send(*, delivery_id: int) -> bool | None:
    """Send one delivery. Safe to run twice: it is claimed before it is sent, and one
    delivered, not due or of an endpoint turned off is left alone. A failure is recorded and
    never raised; `webhook_deliveries_send_due` (beat) tries again after the back-off."""
    return delivering.webhook_delivery_send(delivery_id=delivery_id, now=timezone.now())


@shared_task(name="webhooks.webhook_deliveries_send_due")
def webhook_deliveries_send_due() -> int:
    """Send the deliveries that are due: retries whose back-off is over, and those a dead
    broker never handed to a worker. Run by beat every minute; safe to run twice."""
    return delivering.webhook_deliveries_send_due(now=timezone.now())
