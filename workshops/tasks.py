"""Background work of the workshops: the e-mails (confirmation, waitlist, promotion,
cancellation, facilitators' messages, reminders the day before). Each task fetches by id,
sends one e-mail per recipient, and is safe to run twice; its docstring says how.

Two ways to be safe, chosen by what a duplicate would cost:
- reminders and facilitators' messages are claimed in the database (a conditional UPDATE)
  before they are sent, so they are sent at most once, even by two runs at once; a send that
  fails after the claim is logged and not retried;
- the other e-mails are remembered in the shared cache once sent, so a second run sends
  nothing; a failed send is forgotten and retried, as a confirmation that never arrives would
  leave a guest without their cancel link.
"""

import logging

from celery import shared_task
from django.core import mail
from django.utils import timezone

from tilab.emails import RETRY, email_send_once

from . import emails, services
from .models import Registration, Workshop, WorkshopMessage

log = logging.getLogger(__name__)


REGISTRATION_KINDS = {
    # kind → the state the registration must still be in for the e-mail to be true
    "confirmed": Registration.Status.CONFIRMED,
    "waitlisted": Registration.Status.WAITLISTED,
    "promoted": Registration.Status.CONFIRMED,
}


@shared_task(name="workshops.registration_notify", **RETRY)
def registration_notify(*, registration_id: int, kind: str) -> bool:
    """Tell a person they have a seat (`confirmed`), wait in the waitlist (`waitlisted`, with
    their position) or got a freed seat (`promoted`), with their signed cancel link.

    Safe to run twice: the cache remembers each (registration, kind) e-mail sent for 30 days
    and a second run sends nothing. Nothing is sent when it is no longer true (the person
    cancelled, was promoted meanwhile, or the workshop was cancelled, which its own e-mail
    says). Returns whether an e-mail left."""
    state = REGISTRATION_KINDS.get(kind)
    if state is None:
        log.error("unknown registration e-mail %r for registration %s", kind, registration_id)
        return False
    registration = (
        Registration.objects.select_related("workshop__department")
        .filter(pk=registration_id)
        .first()
    )
    if (
        registration is None
        or registration.status != state
        or registration.workshop.status != Workshop.Status.SCHEDULED
        or (kind == "promoted") != (registration.promoted_at is not None)
    ):
        return False
    return email_send_once(
        app="workshops",
        what=f"registration:{registration.pk}:{kind}",
        build=lambda: emails.registration_email(registration, kind),
    )


@shared_task(name="workshops.workshop_cancellation_notify", **RETRY)
def workshop_cancellation_notify(*, workshop_id: int) -> int:
    """Tell everyone registered or waiting that the workshop is cancelled, and why.

    Safe to run twice: the cache remembers each person told, so a second run (or a retry after
    a sending error) writes only to those not told yet. Returns how many e-mails left."""
    workshop = (
        Workshop.objects.select_related("department")
        .filter(pk=workshop_id, status=Workshop.Status.CANCELLED)
        .first()
    )
    if workshop is None:
        return 0
    sent = 0
    with mail.get_connection() as connection:
        for registration in emails.cancellation_recipients(workshop):
            sent += email_send_once(
                app="workshops",
                what=f"cancelled:{registration.pk}",
                build=lambda registration=registration: emails.cancellation_email(registration),
                connection=connection,
            )
    return sent


@shared_task(name="workshops.workshop_message_deliver", **RETRY)
def workshop_message_deliver(*, message_id: int) -> int:
    """Deliver a facilitator's message, one e-mail per person: the seated ones, and those
    waiting if the facilitator asked.

    Safe to run twice: the message is claimed (`delivered_at` set by a conditional UPDATE)
    before anything is sent, so only one run ever delivers it, even two at once. The mail
    server is reached before the claim, so a server out of reach leaves the message for a
    retry; an e-mail refused once the claim is taken is logged and not sent again, rather than
    risk sending the message twice. Returns how many e-mails left (also `recipient_count`)."""
    message = (
        WorkshopMessage.objects.select_related("workshop__department", "sent_by")
        .filter(pk=message_id, delivered_at=None)
        .first()
    )
    if message is None:
        return 0
    sent = 0
    with mail.get_connection() as connection:
        if not services.workshop_message_claim(message=message, now=timezone.now()):
            return 0
        for registration in emails.message_recipients(message):
            try:
                email = emails.message_email(message, registration)
                email.connection = connection
                email.send()
            except Exception:
                log.exception("message %s not sent to registration %s", message.pk, registration.pk)
            else:
                sent += 1
    services.workshop_message_delivered(message=message, recipient_count=sent)
    return sent


@shared_task(name="workshops.workshop_reminders_send")
def workshop_reminders_send() -> int:
    """Remind the people seated at tomorrow's workshops (Paris calendar day; see
    `services.workshop_reminders_due`). Run by the beat schedule during the day.

    Never sends a reminder twice: each is claimed (`reminder_sent_at` set by a conditional
    UPDATE) before it is sent, so two runs at once split the work without overlap. A reminder
    refused by the mail server after its claim is logged and not retried (a lost reminder is
    better than two); the run stops there and leaves the others, unclaimed, to the next run.
    Returns how many reminders left."""
    now = timezone.now()
    due = list(services.workshop_reminders_due(now=now))
    if not due:
        return 0
    sent = 0
    with mail.get_connection() as connection:
        for registration in due:
            if not services.registration_reminder_claim(registration=registration, now=now):
                continue  # another run has it
            try:
                email = emails.reminder_email(registration)
                email.connection = connection
                email.send()
            except Exception:
                # The rest stay unclaimed: the next run sends them if the server is back.
                log.exception("reminder of registration %s not sent", registration.pk)
                break
            sent += 1
    return sent


@shared_task(name="workshops.workshop_messages_requeue")
def workshop_messages_requeue() -> int:
    """Queue again the facilitators' messages still undelivered a few minutes after they were
    written (a lost task message, a broker that was down). Safe to run twice: delivery claims
    each message once. Returns how many were queued."""
    waiting = services.workshop_messages_undelivered(now=timezone.now())
    for message_id in waiting:
        workshop_message_deliver.delay(message_id=message_id)
    return len(waiting)
