"""The e-mails of the workshops, built one per recipient so that nobody sees another person's
address (guests included): confirmation, waitlist, promotion, cancellation, facilitators'
messages and reminders.

Each is written to the outbox (tilab.outbox) in the transaction of its event, rendered in the
recipient's language: their account's choice, else the language they registered in. Dates are
shown in Paris time whatever the server's clock says.
"""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from tilab.outbox import language_of, outbox_email_write

from . import selectors, services
from .models import PendingRegistration, Registration, Workshop, WorkshopMessage

SUBJECT_PREFIX = "[Ti Lab] "
# RFC 3834: automatic e-mails say so, and well-behaved autoresponders stay quiet.
AUTOMATIC = {"Auto-Submitted": "auto-generated"}


def absolute_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def cancel_url(registration: Registration) -> str:
    """The signed link a person follows to see or cancel their registration, no account needed."""
    token = services.registration_cancel_token(registration)
    return absolute_url(reverse("workshops:registration_manage", args=[token]))


def workshop_url(workshop: Workshop) -> str:
    """The workshop's page: the agenda's for a public one, the invitation link otherwise (the
    person was invited, so the link is theirs to have)."""
    if workshop.is_public:
        return absolute_url(reverse("workshops:detail", args=[workshop.pk]))
    return absolute_url(reverse("workshops:invitation", args=[workshop.invitation_token]))


def ics_url(workshop: Workshop) -> str:
    """The workshop's .ics file; an invitation-only one opens with its invitation, as its page."""
    url = absolute_url(reverse("workshops:ics", args=[workshop.pk]))
    return url if workshop.is_public else f"{url}?invitation={workshop.invitation_token}"


def language(registration: Registration) -> str:
    """The language of a registration's e-mails."""
    return language_of(registration.email, default=registration.language)


def _write(key: str, registration: Registration, build, *, now) -> None:
    """Render `build(language)` in the registration's language and write it to the outbox."""
    chosen = language(registration)
    outbox_email_write(key=f"workshops:{key}", message=build(chosen), language=chosen, now=now)


def _build(
    template: str,
    context: dict,
    *,
    to: str,
    language: str,
    automatic: bool = True,
    reply_to=(),
) -> EmailMessage:
    with (
        translation.override(language),
        timezone.override(ZoneInfo(settings.TIME_ZONE)),
    ):
        subject = render_to_string(f"workshops/email/{template}_subject.txt", context)
        body = render_to_string(f"workshops/email/{template}.txt", context)
    return EmailMessage(
        subject=SUBJECT_PREFIX + " ".join(subject.split()),
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        reply_to=list(reply_to),
        headers=AUTOMATIC if automatic else {},
    )


def _context(registration: Registration, **extra) -> dict:
    workshop = registration.workshop
    paris = ZoneInfo(settings.TIME_ZONE)
    return {
        "registration": registration,
        "workshop": workshop,
        "same_day": workshop.starts_at.astimezone(paris).date()
        == workshop.ends_at.astimezone(paris).date(),
        "agenda_url": absolute_url(reverse("workshops:agenda")),
        "workshop_url": workshop_url(workshop),
        "ics_url": ics_url(workshop),
        "cancel_url": cancel_url(registration),
        **extra,
    }


def registration_email(registration: Registration, kind: str, *, language: str) -> EmailMessage:
    """`kind`: confirmed (a seat), waitlisted (a place in the waitlist), promoted (a seat freed
    for someone who was waiting), already (asked again for an address already registered)."""
    extra = {}
    if kind in ("waitlisted", "already"):
        extra["position"] = selectors.registration_waitlist_position(registration)
    return _build(
        f"registration_{kind}",
        _context(registration, **extra),
        to=registration.email,
        language=language,
    )


def registration_email_write(*, registration: Registration, kind: str, now) -> None:
    """Queue the e-mail of a registration's new state; once per (registration, kind)."""
    _write(
        f"registration:{registration.pk}:{kind}",
        registration,
        lambda chosen: registration_email(registration, kind, language=chosen),
        now=now,
    )


def registration_already_email_write(*, registration: Registration, now) -> None:
    """Queue, to a registered address asked for again, its registration and its link: at most
    once a day, so asking again renews a lost link but floods nobody."""
    _write(
        f"registration:{registration.pk}:already:{now.date().isoformat()}",
        registration,
        lambda chosen: registration_email(registration, "already", language=chosen),
        now=now,
    )


def confirm_url(pending: PendingRegistration) -> str:
    """The link a guest follows to confirm a pending registration (opaque, expiring)."""
    token = services.registration_confirm_token(pending)
    return absolute_url(reverse("workshops:registration_confirm", args=[token]))


def registration_confirm_email(pending: PendingRegistration, *, language: str) -> EmailMessage:
    """The link that turns a pending registration into a seat or a place in the waitlist."""
    workshop = pending.workshop
    paris = ZoneInfo(settings.TIME_ZONE)
    context = {
        "pending": pending,
        "workshop": workshop,
        "same_day": workshop.starts_at.astimezone(paris).date()
        == workshop.ends_at.astimezone(paris).date(),
        "workshop_url": workshop_url(workshop),
        "ics_url": ics_url(workshop),
        "confirm_url": confirm_url(pending),
        "expires_at": pending.expires_at,
    }
    return _build("registration_confirm", context, to=pending.email, language=language)


def registration_confirm_email_write(*, pending: PendingRegistration, now) -> None:
    """Queue a pending registration's confirmation link: at most once a day, so asking again
    renews a lost link but floods nobody."""
    chosen = language_of(pending.email, default=pending.language)
    outbox_email_write(
        key=f"workshops:confirm:{pending.pk}:{now.date().isoformat()}",
        message=registration_confirm_email(pending, language=chosen),
        language=chosen,
        now=now,
    )


def cancellation_recipients(workshop: Workshop) -> QuerySet[Registration]:
    """Everyone a cancelled workshop must be told about: seated and waiting."""
    return workshop.registrations.filter(
        status__in=[Registration.Status.CONFIRMED, Registration.Status.WAITLISTED]
    ).order_by("pk")


def cancellation_email(registration: Registration, *, language: str) -> EmailMessage:
    return _build(
        "workshop_cancelled", _context(registration), to=registration.email, language=language
    )


def cancellation_emails_write(*, workshop: Workshop, now) -> int:
    """Queue the cancellation to everyone seated or waiting; returns how many."""
    recipients = list(cancellation_recipients(workshop).select_related("workshop__department"))
    for registration in recipients:
        _write(
            f"cancelled:{registration.pk}",
            registration,
            lambda chosen, r=registration: cancellation_email(r, language=chosen),
            now=now,
        )
    return len(recipients)


def message_recipients(message: WorkshopMessage) -> QuerySet[Registration]:
    statuses = [Registration.Status.CONFIRMED]
    if message.include_waitlist:
        statuses.append(Registration.Status.WAITLISTED)
    return message.workshop.registrations.filter(status__in=statuses).order_by("pk")


def message_email(
    message: WorkshopMessage, registration: Registration, *, language: str
) -> EmailMessage:
    """A facilitator's own words; answers go to the facilitator, not to a no-reply box."""
    return _build(
        "workshop_message",
        _context(registration, message=message),
        to=registration.email,
        language=language,
        automatic=False,
        reply_to=[message.sent_by.email],
    )


def message_emails_write(*, message: WorkshopMessage, now) -> int:
    """Queue a facilitator's message, one e-mail per recipient; returns how many."""
    recipients = list(message_recipients(message).select_related("workshop__department"))
    for registration in recipients:
        _write(
            f"message:{message.pk}:{registration.pk}",
            registration,
            lambda chosen, r=registration: message_email(message, r, language=chosen),
            now=now,
        )
    return len(recipients)


def reminder_email(registration: Registration, *, language: str) -> EmailMessage:
    return _build(
        "workshop_reminder", _context(registration), to=registration.email, language=language
    )


def reminder_email_write(*, registration: Registration, now) -> None:
    _write(
        f"reminder:{registration.pk}",
        registration,
        lambda chosen: reminder_email(registration, language=chosen),
        now=now,
    )
