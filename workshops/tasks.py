"""Background work of the workshops: the reminders the day before, the facilitators'
messages written before the outbox that are still undelivered, and the guests' registrations
never confirmed, forgotten at night. Every other e-mail of the
workshops is written to the outbox (tilab.outbox) by the service of its event, and sent by the
core's tasks. Each task is safe to run twice; its docstring says how."""

from celery import shared_task
from django.utils import timezone

from . import services


@shared_task(name="workshops.workshop_reminders_send")
def workshop_reminders_send() -> int:
    """Remind the people seated at tomorrow's workshops (Paris calendar day; see
    `services.workshop_reminders_due`). Run by the beat schedule during the day.

    Never writes a reminder twice: each is claimed and written to the outbox in one
    transaction, so two runs at once split the work without overlap, and a mail server down
    only delays it (the outbox retries). Returns how many reminders were written."""
    now = timezone.now()
    return sum(
        services.registration_reminder_send(registration=registration, now=now)
        for registration in services.workshop_reminders_due(now=now)
    )


@shared_task(name="workshops.workshop_messages_requeue")
def workshop_messages_requeue() -> int:
    """Write to the outbox the facilitators' messages still undelivered a few minutes after
    they were written (left by a version of the platform that delivered them from a task).
    Safe to run twice: delivery claims each message once. Returns how many were delivered."""
    return services.workshop_messages_deliver_undelivered(now=timezone.now())


@shared_task(name="workshops.pending_registrations_prune")
def pending_registrations_prune() -> int:
    """Nightly housekeeping: forget the guests' registrations whose confirmation link has
    expired (TILAB_WORKSHOP_CONFIRM_HOURS). Safe to run twice: a second run finds nothing
    more. Returns how many were forgotten."""
    return services.pending_registrations_prune(now=timezone.now())
