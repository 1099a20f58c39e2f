"""Background tasks of accounts: the daily digest of notices."""

from celery import shared_task
from django.utils import timezone

from . import notices


@shared_task(name="accounts.notice_digests_send")
def notice_digests_send() -> int:
    """Write today's digest e-mail of everyone concerned to the outbox (tilab.outbox sends
    it). Run by beat each morning; safe to run twice: each person's digest is written once a
    day, and notices that came after it wait for the next."""
    return notices.notice_digests_write(now=timezone.now())
