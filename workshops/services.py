"""Writes of the workshops: scheduling, registration with a waitlist, cancellation and
promotion, attendance, messages, syntheses, calendar feeds.

E-mails leave through tasks queued when the transaction commits (`tasks.py`); a broker that
is down delays them and never undoes a registration.
"""

import logging
from dataclasses import dataclass, fields
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation

from tilab.errors import EMAIL_INVALID, ROLE_NOT_ALLOWED, Refusal
from tilab.links import link_sent_to, link_target, link_token
from tilab.outbox import supported_language
from tilab.services import decision_record
from webhooks.models import Event
from webhooks.services import webhook_event_emit

from . import errors
from .models import (
    CalendarFeed,
    PendingRegistration,
    Registration,
    Synthesis,
    Theme,
    Workshop,
    WorkshopMessage,
    new_token,
)

log = logging.getLogger(__name__)

CANCEL_SALT = "workshops.registration.cancel"
CONFIRM_SALT = "workshops.registration.confirm"
PARIS = ZoneInfo(settings.TIME_ZONE)
MAX_CAPACITY = 10_000


def _require(user, perm: str, obj=None) -> None:
    if not user.has_perm(perm, obj):
        raise ROLE_NOT_ALLOWED(rule=perm)


def _emails():
    """The workshops' e-mails (they read this module's signed links, so imported late)."""
    from . import emails

    return emails


# Workshops ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkshopDetails:
    """What a facilitator fills in to schedule a workshop."""

    title: str
    description: str
    theme: Theme
    starts_at: datetime
    duration_minutes: int
    capacity: int
    registration_deadline: datetime | None = None
    address: str = ""
    commune: str = ""
    department_id: str | None = None
    online_url: str = ""
    is_public: bool = True


def _check_details(details: WorkshopDetails, *, now: datetime, starts_may_be_past=False) -> dict:
    """The values to store; refuses (bad input) every detail that breaks a rule, at once."""
    values = {f.name: getattr(details, f.name) for f in fields(details)}
    values["title"] = details.title.strip()
    values["commune"] = details.commune.strip()
    values["address"] = details.address.strip()
    values["online_url"] = details.online_url.strip()
    refused = []
    if not values["title"]:
        refused.append(errors.TITLE_MISSING())
    if details.starts_at <= now and not starts_may_be_past:
        refused.append(errors.WORKSHOP_IN_PAST())
    if not 1 <= details.duration_minutes <= 7 * 24 * 60:
        refused.append(errors.DURATION_OUT_OF_RANGE())
    if not 1 <= details.capacity <= MAX_CAPACITY:
        refused.append(errors.CAPACITY_OUT_OF_RANGE())
    deadline = details.registration_deadline or details.starts_at
    if deadline > details.starts_at:
        refused.append(errors.DEADLINE_AFTER_START())
    values["registration_deadline"] = deadline
    has_place = bool(values["commune"] and details.department_id)
    if values["commune"] and not details.department_id:
        refused.append(errors.DEPARTMENT_MISSING())
    elif not has_place and not values["online_url"]:
        refused.append(errors.PLACE_MISSING())
    Refusal.raise_all(refused)
    return values


def workshop_create(
    *, details: WorkshopDetails, by, now: datetime, co_facilitators=(), duplicated_from=None
) -> Workshop:
    """Schedule a workshop; its author and co-facilitators manage it."""
    _require(by, "workshops.manage_workshops")
    values = _check_details(details, now=now)
    with transaction.atomic():
        workshop = Workshop.objects.create(
            **values, created_by=by, created_at=now, updated_at=now, duplicated_from=duplicated_from
        )
        workshop.facilitators.add(by, *co_facilitators)
        decision_record(
            actor=by, subject=workshop, action="workshop_create", now=now, to_state=workshop.status
        )
        _workshop_emit(workshop, Event.WORKSHOP_CREATED, now=now)
    return workshop


def _workshop_emit(workshop: Workshop, event: Event, *, now: datetime) -> None:
    """Tell the webhooks of the workshop's department (and the Région's)."""
    webhook_event_emit(
        event=event,
        obj="workshop",
        obj_id=workshop.pk,
        url_name="workshop-detail",
        fields={
            "status": workshop.status,
            "starts_at": workshop.starts_at,
            "department": workshop.department_id,
            "is_public": workshop.is_public,
        },
        departments=[workshop.department_id],
        now=now,
    )


def workshop_update(
    *, workshop: Workshop, details: WorkshopDetails, by, now: datetime, co_facilitators=None
) -> Workshop:
    """Change a scheduled workshop. More seats promote the first people waiting, in order;
    fewer seats than people already confirmed is refused."""
    _require(by, "workshops.change_workshop", workshop)
    with transaction.atomic():
        workshop = Workshop.objects.select_for_update().get(pk=workshop.pk)
        if workshop.status == Workshop.Status.CANCELLED:
            raise errors.CANCELLED_WORKSHOP_UNCHANGEABLE()
        values = _check_details(
            details, now=now, starts_may_be_past=details.starts_at == workshop.starts_at
        )
        confirmed = workshop.registrations.filter(status=Registration.Status.CONFIRMED).count()
        if values["capacity"] < confirmed:
            raise errors.CAPACITY_BELOW_CONFIRMED(confirmed=confirmed)
        for name, value in values.items():
            setattr(workshop, name, value)
        workshop.updated_at = now
        workshop.save()
        if co_facilitators is not None:
            workshop.facilitators.set({workshop.created_by, by, *co_facilitators})
        _promote_waiting(workshop, now=now)
        decision_record(
            actor=by, subject=workshop, action="workshop_update", now=now, to_state=workshop.status
        )
    return workshop


def workshop_duplicate(*, workshop: Workshop, starts_at: datetime, by, now: datetime) -> Workshop:
    """A new workshop like this one at another date (same deadline offset), no registrations.
    The copy is invitation-only, so it stays out of the public agenda until a facilitator
    has checked it and made it public (the workshop has no draft state of its own)."""
    _require(by, "workshops.change_workshop", workshop)
    offset = workshop.starts_at - workshop.registration_deadline
    details = WorkshopDetails(
        title=workshop.title,
        description=workshop.description,
        theme=workshop.theme,
        starts_at=starts_at,
        duration_minutes=workshop.duration_minutes,
        capacity=workshop.capacity,
        registration_deadline=starts_at - offset,
        address=workshop.address,
        commune=workshop.commune,
        department_id=workshop.department_id,
        online_url=workshop.online_url,
        is_public=False,
    )
    if details.registration_deadline <= now < starts_at:
        details = WorkshopDetails(**{**details.__dict__, "registration_deadline": starts_at})
    co = [user for user in workshop.facilitators.all() if user.pk != by.pk]
    return workshop_create(
        details=details, by=by, now=now, co_facilitators=co, duplicated_from=workshop
    )


def workshop_check_cancellable(*, workshop: Workshop) -> None:
    """A workshop is cancelled once (workshop_already_cancelled)."""
    if workshop.status == Workshop.Status.CANCELLED:
        raise errors.WORKSHOP_ALREADY_CANCELLED()


def workshop_cancel(*, workshop: Workshop, reason: str, by, now: datetime) -> Workshop:
    """Cancel a workshop; everyone registered or waiting is told by e-mail."""
    _require(by, "workshops.change_workshop", workshop)
    if not reason.strip():
        raise errors.CANCELLATION_REASON_MISSING()
    with transaction.atomic():
        workshop = Workshop.objects.select_for_update().get(pk=workshop.pk)
        workshop_check_cancellable(workshop=workshop)
        workshop.status = Workshop.Status.CANCELLED
        workshop.cancellation_reason = reason.strip()
        workshop.cancelled_at = now
        workshop.updated_at = now
        workshop.save(update_fields=["status", "cancellation_reason", "cancelled_at", "updated_at"])
        decision_record(
            actor=by,
            subject=workshop,
            action="workshop_cancel",
            now=now,
            from_state=Workshop.Status.SCHEDULED,
            to_state=Workshop.Status.CANCELLED,
            motivation=workshop.cancellation_reason,
        )
        _emails().cancellation_emails_write(workshop=workshop, now=now)
        _workshop_emit(workshop, Event.WORKSHOP_CANCELLED, now=now)
    return workshop


# Registrations -----------------------------------------------------------------------------


def _own_verified_address(user) -> bool:
    """Whether the account proved its address (allauth's verification): its registrations
    take a seat at once; otherwise the address confirms by link, as a guest's does."""
    return user.emailaddress_set.filter(email__iexact=user.email, verified=True).exists()


def _check_open(workshop: Workshop, *, now: datetime) -> None:
    if workshop.status == Workshop.Status.CANCELLED:
        raise errors.WORKSHOP_CANCELLED()
    if now > workshop.registration_deadline:
        raise errors.REGISTRATION_CLOSED()


def registration_create(
    *, workshop: Workshop, now: datetime, user=None, name: str = "", email: str = ""
) -> Registration | None:
    """Register a person with an account (`user`) or a guest (`name`, `email`).

    With an account whose address is verified, the registration is made at once (returned): a
    seat if one is free, else the waitlist, in arrival order; registering again is refused
    (already_registered). Anyone else (a guest, or an account whose address is not verified
    yet) is e-mailed a link to confirm with and gets None: the registration is pending
    (`PendingRegistration`), holds no seat and changes nothing anybody sees until the link is
    followed (`registration_confirm`). A guest's answer is the same whether the address is new
    here, already pending, seated or waiting: only the mailbox tells (a confirmation link, or
    "you are already registered" with its management link), so registering a stranger's
    address tells nothing about that person, not even through the seats line."""
    if user is not None:
        name = user.get_full_name()
        email = user.email
    name, email = (name or "").strip(), (email or "").strip().lower()
    refused = []
    if not name:
        refused.append(errors.NAME_MISSING())
    if not email or "@" not in email:
        refused.append(EMAIL_INVALID())
    Refusal.raise_all(refused)
    at_once = user is not None and _own_verified_address(user)
    language = supported_language(translation.get_language())
    with transaction.atomic():
        # The workshop's row is the queue: registrations take it one at a time, so seats are
        # never oversold and the waitlist keeps the order people arrived in.
        workshop = Workshop.objects.select_for_update().get(pk=workshop.pk)
        _check_open(workshop, now=now)
        taken = workshop.registrations.exclude(status=Registration.Status.CANCELLED)
        if (existing := taken.filter(email=email).first()) is not None:
            if user is not None:
                # One's own address: nothing to hide from its owner.
                raise errors.ALREADY_REGISTERED()
            _emails().registration_already_email_write(registration=existing, now=now)
            return None
        if at_once:
            return _registration_seat(
                workshop, now=now, user=user, name=name, email=email, language=language
            )
        _pending_registration_request(
            workshop, now=now, user=user, name=name, email=email, language=language
        )
    return None


def _registration_seat(
    workshop: Workshop, *, now: datetime, user, name: str, email: str, language: str
) -> Registration:
    """A seat if one is free, else the waitlist; e-mails which. Call it holding the workshop's
    lock, once no active registration of `email` exists."""
    seats_taken = workshop.registrations.filter(status=Registration.Status.CONFIRMED).count()
    status = (
        Registration.Status.CONFIRMED
        if seats_taken < workshop.capacity
        else Registration.Status.WAITLISTED
    )
    registration = Registration.objects.create(
        workshop=workshop,
        user=user,
        name=name[:150],
        email=email,
        status=status,
        registered_at=now,
        language=language,
    )
    _emails().registration_email_write(registration=registration, kind=status, now=now)
    return registration


def _pending_registration_request(
    workshop: Workshop, *, now: datetime, user, name: str, email: str, language: str
) -> PendingRegistration:
    """The pending registration of `email` (made, or the one still waiting), and its link
    e-mailed: at most once a day per pending registration, so asking again renews a lost link
    but floods nobody. Call it holding the workshop's lock."""
    waiting = PendingRegistration.objects.filter(workshop=workshop, email=email, confirmed_at=None)
    # An expired one housekeeping has not removed yet: the new request starts afresh.
    waiting.filter(expires_at__lte=now).delete()
    pending = waiting.first()
    if pending is None:
        pending = PendingRegistration.objects.create(
            workshop=workshop,
            user=user,
            name=name[:150],
            email=email,
            language=language,
            requested_at=now,
            expires_at=now + timedelta(hours=settings.TILAB_WORKSHOP_CONFIRM_HOURS),
        )
    _emails().registration_confirm_email_write(pending=pending, now=now)
    return pending


def registration_confirm_token(pending: PendingRegistration) -> str:
    """The token of a pending registration's confirmation link: opaque (its id and a digest of
    its address, tilab.links), ending with the pending registration (expires_at)."""
    return link_token(purpose=CONFIRM_SALT, pk=pending.pk, address=pending.email)


def pending_registration_from_token(token: str, *, now: datetime) -> PendingRegistration:
    """The pending registration a confirmation link points to. A forged or altered link, or
    one forgotten by housekeeping, is refused (registration_link_invalid); one past its
    expiry too (registration_link_expired): registering again sends a new one."""
    try:
        pk, digest = link_target(token, purpose=CONFIRM_SALT)
        pending = PendingRegistration.objects.select_related("workshop", "registration").get(pk=pk)
    except (
        signing.BadSignature,
        ValueError,
        TypeError,
        PendingRegistration.DoesNotExist,
    ) as error:
        raise errors.CONFIRM_LINK_INVALID() from error
    if not link_sent_to(digest, purpose=CONFIRM_SALT, address=pending.email):
        raise errors.CONFIRM_LINK_INVALID()
    if now > pending.expires_at:
        raise errors.CONFIRM_LINK_EXPIRED()
    return pending


def registration_confirm(*, token: str, now: datetime) -> Registration:
    """Confirm a pending registration from its e-mailed link: the person takes a seat if one is
    free now, else a place in the waitlist, and is e-mailed which (with the link to manage it).
    Confirming twice returns the same registration and changes nothing; an address registered
    meanwhile (by its account) keeps the registration it has. Refused once the workshop is
    cancelled or its registrations closed."""
    pending = pending_registration_from_token(token, now=now)
    with transaction.atomic():
        workshop = Workshop.objects.select_for_update().get(pk=pending.workshop_id)
        pending = PendingRegistration.objects.select_for_update().get(pk=pending.pk)
        if pending.registration_id is not None:
            return pending.registration
        existing = (
            workshop.registrations.exclude(status=Registration.Status.CANCELLED)
            .filter(email=pending.email)
            .first()
        )
        if existing is None:
            _check_open(workshop, now=now)
            existing = _registration_seat(
                workshop,
                now=now,
                user=pending.user,
                name=pending.name,
                email=pending.email,
                language=pending.language,
            )
        pending.registration = existing
        pending.confirmed_at = now
        pending.save(update_fields=["registration", "confirmed_at"])
    return existing


def pending_registrations_prune(*, now: datetime) -> int:
    """Forget the pending registrations past their expiry, confirmed or not (a confirmed one
    only kept its link answering). Returns how many; safe to run twice."""
    deleted, _by_model = PendingRegistration.objects.filter(expires_at__lt=now).delete()
    return deleted


def _promote_waiting(workshop: Workshop, *, now: datetime) -> list[Registration]:
    """Give free seats to the first people waiting. Call it holding the workshop's lock."""
    registrations = workshop.registrations
    free = workshop.capacity - registrations.filter(status=Registration.Status.CONFIRMED).count()
    if free <= 0 or workshop.status == Workshop.Status.CANCELLED:
        return []
    promoted = list(
        registrations.filter(status=Registration.Status.WAITLISTED).order_by("pk")[:free]
    )
    for registration in promoted:
        registration.status = Registration.Status.CONFIRMED
        registration.promoted_at = now
        registration.save(update_fields=["status", "promoted_at"])
        _emails().registration_email_write(registration=registration, kind="promoted", now=now)
    return promoted


def registration_cancel(*, registration: Registration, now: datetime) -> Registration | None:
    """Cancel a registration; a freed seat goes to the first person waiting, in the same
    transaction. Returns the person promoted, if any."""
    with transaction.atomic():
        workshop = Workshop.objects.select_for_update().get(pk=registration.workshop_id)
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        if registration.status == Registration.Status.CANCELLED:
            raise errors.REGISTRATION_ALREADY_CANCELLED()
        if now >= workshop.starts_at:
            raise errors.WORKSHOP_STARTED()
        registration.status = Registration.Status.CANCELLED
        registration.cancelled_at = now
        registration.save(update_fields=["status", "cancelled_at"])
        promoted = _promote_waiting(workshop, now=now)
    return promoted[0] if promoted else None


def registration_cancel_token(registration: Registration) -> str:
    """The token of a registration's link (sent by e-mail; no account needed): opaque, it names
    the registration and a digest of its address, never the address (tilab.links)."""
    return link_token(purpose=CANCEL_SALT, pk=registration.pk, address=registration.email)


def registration_from_token(token: str, *, now: datetime | None = None) -> Registration:
    """The registration a link points to. A forged or altered link is refused
    (cancel_link_invalid); once the workshop is over, the link has done its work
    (cancel_link_expired): registering again with the address sends a new one while the
    workshop is ahead."""
    try:
        pk, digest = link_target(token, purpose=CANCEL_SALT)
        registration = Registration.objects.select_related("workshop").get(pk=pk)
    except (signing.BadSignature, ValueError, TypeError, Registration.DoesNotExist) as error:
        raise errors.CANCEL_LINK_INVALID() from error
    if not link_sent_to(digest, purpose=CANCEL_SALT, address=registration.email):
        raise errors.CANCEL_LINK_INVALID()
    if (now or timezone.now()) > registration.workshop.ends_at:
        raise errors.CANCEL_LINK_EXPIRED()
    return registration


def attendance_check_open(*, workshop: Workshop, now: datetime) -> None:
    """Check-in opens on the workshop's day, as read on a clock in Paris (checkin_too_early)."""
    if now.astimezone(PARIS).date() < workshop.starts_at.astimezone(PARIS).date():
        raise errors.CHECKIN_TOO_EARLY()


def attendance_record(*, workshop: Workshop, attended: dict[int, bool], by, now: datetime) -> int:
    """Mark who came (registration id → present or not); returns how many were recorded.
    Open from the workshop's day on (Paris time), never before (checkin_too_early)."""
    _require(by, "workshops.change_workshop", workshop)
    attendance_check_open(workshop=workshop, now=now)
    with transaction.atomic():
        registrations = {
            r.pk: r
            for r in workshop.registrations.select_for_update().filter(
                pk__in=list(attended), status=Registration.Status.CONFIRMED
            )
        }
        if set(attended) - set(registrations):
            raise errors.ATTENDANCE_NOT_REGISTERED()
        for pk, present in attended.items():
            registration = registrations[pk]
            registration.attended = bool(present)
            registration.attendance_recorded_at = now
            registration.save(update_fields=["attended", "attendance_recorded_at"])
    return len(registrations)


def workshop_message_send(
    *, workshop: Workshop, subject: str, body: str, include_waitlist: bool, by, now: datetime
) -> WorkshopMessage:
    """Record a message to the registrants and write its e-mails to the outbox, in one
    transaction."""
    _require(by, "workshops.change_workshop", workshop)
    subject, body = subject.strip(), body.strip()
    if not subject or not body:
        raise errors.MESSAGE_INCOMPLETE()
    with transaction.atomic():
        message = WorkshopMessage.objects.create(
            workshop=workshop,
            subject=subject[:200],
            body=body,
            include_waitlist=include_waitlist,
            sent_by=by,
            created_at=now,
        )
        workshop_message_deliver(message=message, now=now)
    return message


# Syntheses ---------------------------------------------------------------------------------


def synthesis_may_be_written(*, workshop: Workshop, now: datetime) -> bool:
    """Whether a synthesis of `workshop` may be written now: once it has started. Pages offer
    to write one only then; the writes refuse it before (synthesis_too_early)."""
    # A synthesis tells what came out of a workshop: nothing has before it starts.
    return now >= workshop.starts_at


def _check_synthesis_time(*, workshop: Workshop, now: datetime) -> None:
    if not synthesis_may_be_written(workshop=workshop, now=now):
        raise errors.SYNTHESIS_TOO_EARLY()


def synthesis_save(*, workshop: Workshop, body: str, by, now: datetime) -> Synthesis:
    """Write or rewrite a workshop's synthesis (Markdown). A published one stays published.
    Only once the workshop has started (synthesis_too_early)."""
    _require(by, "workshops.change_workshop", workshop)
    _check_synthesis_time(workshop=workshop, now=now)
    if not body.strip():
        raise errors.SYNTHESIS_EMPTY()
    synthesis, _created = Synthesis.objects.update_or_create(
        workshop=workshop, defaults={"body": body, "written_by": by, "updated_at": now}
    )
    return synthesis


def synthesis_publish(*, synthesis: Synthesis, by, now: datetime) -> Synthesis:
    """Publish a draft, once the workshop has started (synthesis_too_early)."""
    _require(by, "workshops.change_workshop", synthesis.workshop)
    _check_synthesis_time(workshop=synthesis.workshop, now=now)
    if synthesis.status == Synthesis.Status.PUBLISHED:
        raise errors.SYNTHESIS_ALREADY_PUBLISHED()
    with transaction.atomic():
        synthesis.status = Synthesis.Status.PUBLISHED
        synthesis.published_at = now
        synthesis.save(update_fields=["status", "published_at"])
        decision_record(
            actor=by,
            subject=synthesis,
            action="synthesis_publish",
            now=now,
            from_state=Synthesis.Status.DRAFT,
            to_state=Synthesis.Status.PUBLISHED,
        )
    return synthesis


# Calendar feeds ----------------------------------------------------------------------------


def calendar_feed_of(*, user, now: datetime) -> CalendarFeed:
    """The person's secret calendar address, created on first use."""
    feed, _created = CalendarFeed.objects.get_or_create(user=user, defaults={"created_at": now})
    return feed


def calendar_feed_renew(*, user, now: datetime) -> CalendarFeed:
    """A new secret address; the old one stops working at once."""
    feed = calendar_feed_of(user=user, now=now)
    feed.token = new_token()
    feed.created_at = now
    feed.save(update_fields=["token", "created_at"])
    return feed


# Claims of the e-mail tasks ----------------------------------------------------------------
# A task takes the right to send with a conditional UPDATE before sending: exactly one run
# wins it, so two runs at once (a redelivered message, two beat processes) never send twice.


def workshop_reminders_due(*, now: datetime) -> QuerySet[Registration]:
    """Confirmed registrations whose reminder is not sent yet, of the scheduled workshops that
    start tomorrow: the Paris calendar day after `now`'s Paris day, midnight to midnight (a
    workshop at 00:30 tomorrow is due today, one the day after tomorrow is not). The beat
    schedule decides at which hours of the day reminders leave."""
    paris = ZoneInfo(settings.TIME_ZONE)
    tomorrow = now.astimezone(paris).date() + timedelta(days=1)
    # Midnight always exists in Paris (clocks change at 2:00 and 3:00), so these are exact.
    starts = datetime.combine(tomorrow, time(0), tzinfo=paris)
    ends = datetime.combine(tomorrow + timedelta(days=1), time(0), tzinfo=paris)
    return (
        Registration.objects.filter(
            status=Registration.Status.CONFIRMED,
            reminder_sent_at=None,
            workshop__status=Workshop.Status.SCHEDULED,
            workshop__starts_at__gte=starts,
            workshop__starts_at__lt=ends,
        )
        .select_related("workshop__department")
        .order_by("pk")
    )


def registration_reminder_send(*, registration: Registration, now: datetime) -> bool:
    """Write a registration's reminder to the outbox, once ever: the reminder is claimed
    (marked sent) and written in one transaction, so it is never written twice, even by two
    runs at once, and never claimed without its e-mail. True for the run that wrote it."""
    with transaction.atomic():
        # Only columns of the row itself in the condition: PostgreSQL re-checks them on the
        # row a concurrent claim just updated (a condition through a join would be checked on
        # a stale copy and could let two claims win).
        claimed = Registration.objects.filter(
            pk=registration.pk, reminder_sent_at=None, status=Registration.Status.CONFIRMED
        ).update(reminder_sent_at=now)
        if claimed != 1:
            return False
        _emails().reminder_email_write(registration=registration, now=now)
    return True


def workshop_message_deliver(*, message: WorkshopMessage, now: datetime) -> int:
    """Write a facilitator's message to the outbox, one e-mail per recipient, once ever: the
    message is claimed (`delivered_at`, a conditional UPDATE) in the same transaction, and
    `recipient_count` recorded. Returns how many e-mails were written (0 if already done)."""
    with transaction.atomic():
        if not WorkshopMessage.objects.filter(pk=message.pk, delivered_at=None).update(
            delivered_at=now
        ):
            return 0
        count = _emails().message_emails_write(message=message, now=now)
        WorkshopMessage.objects.filter(pk=message.pk).update(recipient_count=count)
    return count


def workshop_messages_undelivered(*, now: datetime, grace_minutes: int = 5) -> list[int]:
    """Messages nobody has claimed for delivery, written more than `grace_minutes` ago."""
    return list(
        WorkshopMessage.objects.filter(
            delivered_at=None, created_at__lt=now - timedelta(minutes=grace_minutes)
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def workshop_messages_deliver_undelivered(*, now: datetime) -> int:
    """Deliver (write to the outbox) the messages `workshop_messages_undelivered` finds;
    returns how many messages were delivered."""
    undelivered = WorkshopMessage.objects.filter(
        pk__in=workshop_messages_undelivered(now=now)
    ).select_related("workshop__department", "sent_by")
    return sum(workshop_message_deliver(message=m, now=now) > 0 for m in undelivered)
