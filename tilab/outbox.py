"""The e-mail outbox: every e-mail is written in the transaction of the event that causes it,
then sent by the worker with retries; beat sends what a dead broker or mail server left due.

Nothing here is sent while a request waits: a request only writes rows. A row stays until it
is sent; a failure pushes its `due_at` back (exponential back-off, capped), so a mail server
down for hours delays e-mails and loses none.

At least once, not exactly once: a send is claimed with a conditional UPDATE that pushes
`due_at` a lease ahead, so two runs never send the same row at once; a worker killed between
the send and the record of it leaves the row due again when the lease ends (a rare duplicate
rather than a lost confirmation link).
"""

import logging
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core import mail
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import transaction
from django.utils import translation

from . import due
from .celery import publish
from .models import OutboxEmail, User

log = logging.getLogger(__name__)

# A claimed row is left to its sender this long; longer than a send bounded by EMAIL_TIMEOUT.
LEASE = timedelta(minutes=5)
# Back-off after the n-th failure: FIRST_RETRY * 2**(n-1), never more than LAST_RETRY apart.
FIRST_RETRY = timedelta(minutes=1)
LAST_RETRY = timedelta(hours=6)
# How many rows one beat run sends at most; the next run takes the rest.
BATCH = 200


def language_of(address: str, *, default: str | None = None) -> str:
    """The language to write to `address` in: its account's chosen language, else `default`
    (what the person used when they gave the address), else the active language."""
    chosen = User.objects.filter(email__iexact=address).values_list("language", flat=True).first()
    return supported_language(chosen or default or translation.get_language())


def supported_language(code: str | None) -> str:
    """`code` if the platform writes in it ("en-gb" is "en"), else the platform's language."""
    language = (code or "").split("-")[0]
    supported = {code for code, _name in settings.LANGUAGES}
    return language if language in supported else settings.LANGUAGE_CODE


def outbox_email_write(
    *, key: str, message: EmailMessage, language: str, now: datetime
) -> OutboxEmail | None:
    """Write `message` (one recipient, already rendered in `language`) to the outbox in the
    caller's transaction, and have the worker send it once that transaction commits.

    Idempotent on `key`: the same event never queues twice (None then). A rolled-back
    transaction leaves nothing, and sends nothing."""
    if len(message.to) != 1:
        raise ValueError("An outbox e-mail has exactly one recipient.")
    html = ""
    if isinstance(message, EmailMultiAlternatives):
        html = next((content for content, kind in message.alternatives if kind == "text/html"), "")
    with transaction.atomic():  # a savepoint: a key taken already leaves the caller's work
        row, created = OutboxEmail.objects.get_or_create(
            key=key,
            defaults={
                "to": message.to[0],
                "from_email": message.from_email or settings.DEFAULT_FROM_EMAIL,
                "subject": message.subject,
                "body": message.body,
                "html": html,
                "reply_to": list(message.reply_to),
                "headers": dict(message.extra_headers),
                "language": language,
                "created_at": now,
                "due_at": now,
            },
        )
    if not created:
        return None
    from . import tasks

    transaction.on_commit(partial(publish, tasks.outbox_email_send, email_id=row.pk))
    return row


def retry_delay(attempts: int) -> timedelta:
    """How long after its `attempts`-th failure a row is tried again."""
    return due.retry_delay(attempts, first=FIRST_RETRY, last=LAST_RETRY)


def _message(row: OutboxEmail, connection) -> EmailMessage:
    message = EmailMultiAlternatives(
        subject=row.subject,
        body=row.body,
        from_email=row.from_email,
        to=[row.to],
        reply_to=row.reply_to,
        headers=row.headers,
        connection=connection,
    )
    if row.html:
        message.attach_alternative(row.html, "text/html")
    return message


def outbox_email_send(*, email_id: int, now: datetime) -> bool:
    """Send one row if it is due and unsent; True if it left now.

    Safe to run twice, even at once: the row is claimed first (a conditional UPDATE that
    pushes `due_at` a lease ahead), so only one run sends it. A failure is recorded on the
    row (error, back-off) and never raised: the row is due again later."""
    return _attempt(email_id, now=now) is True


def _attempt(email_id: int, *, now: datetime) -> bool | None:
    """None: not claimed (sent, not due, or another run has it); True: sent; False: failed."""
    if not due.claim(OutboxEmail.objects.filter(sent_at=None), pk=email_id, now=now, lease=LEASE):
        return None
    row = OutboxEmail.objects.get(pk=email_id)
    try:
        # The SMTP backend's socket is bounded by settings.EMAIL_TIMEOUT: a hanging server
        # costs this worker seconds, never a request.
        _message(row, mail.get_connection()).send()
    except Exception as error:
        log.warning("e-mail %s not sent (attempt %s): %s", row.pk, row.attempts, error)
        OutboxEmail.objects.filter(pk=row.pk, sent_at=None).update(
            due_at=now + retry_delay(row.attempts),
            last_error=f"{type(error).__name__}: {error}"[:2000],
        )
        return False
    OutboxEmail.objects.filter(pk=row.pk).update(sent_at=now, last_error="")
    return True


def outbox_emails_due(*, now: datetime, limit: int = BATCH) -> list[int]:
    """The unsent rows due at `now`, oldest first."""
    return list(
        OutboxEmail.objects.filter(sent_at=None, due_at__lte=now)
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def outbox_emails_send_due(*, now: datetime) -> int:
    """Send the rows due (beat's catch-up after a dead broker or mail server); returns how
    many left. Safe to run twice (each row is claimed). Stops at the first failure: the
    server is down, and the other rows wait for the next run rather than each costing a
    timeout."""
    sent = 0
    for email_id in outbox_emails_due(now=now):
        result = _attempt(email_id, now=now)
        if result is False:
            break
        sent += bool(result)
    return sent


def outbox_emails_prune(*, now: datetime) -> int:
    """Forget the e-mails sent more than TILAB_OUTBOX_RETENTION_DAYS ago: their bodies hold
    addresses and links that need not be kept. Unsent e-mails stay, however old. The number of
    e-mails forgotten."""
    cutoff = now - timedelta(days=settings.TILAB_OUTBOX_RETENTION_DAYS)
    deleted, _by_model = OutboxEmail.objects.filter(sent_at__lt=cutoff).delete()
    return deleted
