"""Background work of needs: the beat that closes due needs. Their e-mails are written to the
outbox (tilab.outbox) by the service of each event, and sent by the core's tasks."""

from celery import shared_task
from django.utils import timezone

from . import services


@shared_task(name="needs.needs_close_due")
def needs_close_due() -> int:
    """Close the open needs whose date has passed. Idempotent."""
    return services.needs_close_due(now=timezone.now())
