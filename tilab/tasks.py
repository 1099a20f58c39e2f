"""Background tasks of the core app."""

from celery import shared_task
from django.utils import timezone

from . import outbox, sessions
from .models import Department


@shared_task(name="tilab.probe", ignore_result=False)
def probe() -> dict:
    """Answer from wherever the task runs, reading the database it is configured with.

    Used by the readiness tooling and the tests to prove that a worker receives work through
    the broker and sees the same database as the web process. Read-only, so safe to run twice.
    """
    import socket

    return {"pong": True, "host": socket.gethostname(), "departments": Department.objects.count()}


@shared_task(name="tilab.outbox_email_send")
def outbox_email_send(*, email_id: int) -> bool:
    """Send one e-mail of the outbox. Safe to run twice: the row is claimed before it is
    sent, and a row sent already is left alone. A failure is recorded on the row and never
    raised; `outbox_emails_send_due` (beat) tries it again when it is due."""
    return outbox.outbox_email_send(email_id=email_id, now=timezone.now())


@shared_task(name="tilab.outbox_emails_send_due")
def outbox_emails_send_due() -> int:
    """Send the e-mails of the outbox that are due: those a dead broker never handed to a
    worker, and those a mail server refused (after their back-off). Run by beat every
    minute; safe to run twice (each row is claimed)."""
    return outbox.outbox_emails_send_due(now=timezone.now())


@shared_task(name="tilab.housekeeping")
def housekeeping() -> dict:
    """Nightly: forget ended sessions and e-mails sent long ago (outbox_emails_prune). Safe to
    run twice."""
    sessions.sessions_clear_expired()
    return {"emails_forgotten": outbox.outbox_emails_prune(now=timezone.now())}
