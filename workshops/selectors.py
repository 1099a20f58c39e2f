"""Reads of the workshops shared by pages, feeds and the API."""

from datetime import datetime, timedelta

from django.db.models import (
    Case,
    Count,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Now
from django.utils import timezone

from .models import PendingRegistration, Registration, Synthesis, Workshop


def _with_counts(workshops: QuerySet[Workshop]) -> QuerySet[Workshop]:
    """Seats taken and people waiting; and, for the facilitators alone, the registrations
    still waiting for their confirmation link (they hold nothing: counted apart, never in
    what the public sees)."""
    pending = (
        PendingRegistration.objects.filter(
            workshop=OuterRef("pk"), confirmed_at=None, expires_at__gt=Now()
        )
        .order_by()
        .values("workshop")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return workshops.select_related("theme", "department").annotate(
        confirmed_count=Count("registrations", filter=Q(registrations__status="confirmed")),
        waitlist_count=Count("registrations", filter=Q(registrations__status="waitlisted")),
        pending_count=Coalesce(Subquery(pending, output_field=IntegerField()), 0),
    )


def workshops_upcoming(*, now: datetime) -> QuerySet[Workshop]:
    """The public agenda: public, scheduled workshops not over yet, soonest first."""
    return _with_counts(
        Workshop.objects.filter(
            is_public=True, status=Workshop.Status.SCHEDULED, starts_at__gte=now
        )
    ).order_by("starts_at", "pk")


def workshops_public() -> QuerySet[Workshop]:
    """Every public workshop, past and cancelled included (its page stays reachable)."""
    return _with_counts(Workshop.objects.filter(is_public=True))


def workshop_by_invitation(token: str) -> Workshop | None:
    return _with_counts(Workshop.objects.filter(invitation_token=token)).first()


def workshops_managed_by(user) -> QuerySet[Workshop]:
    """The workshops a facilitator created or co-facilitates."""
    if not user.is_authenticated:
        return Workshop.objects.none()
    return _with_counts(Workshop.objects.filter(facilitators=user)).distinct()


# The waitlist position ----------------------------------------------------------------------
# The rule, written once: the waitlist is served in arrival order (`pk`: rows are inserted
# under the workshop's lock), so a person waiting is at the position of how many people wait
# for the same workshop with a `pk` up to their own (1: the next served). Cancelled and
# confirmed registrations hold no position. Pages, the API and the e-mails all read it here.


def _waiting_up_to(*, workshop, pk) -> QuerySet[Registration]:
    return Registration.objects.filter(
        workshop=workshop, status=Registration.Status.WAITLISTED, pk__lte=pk
    )


def registration_waitlist_position(registration: Registration) -> int | None:
    """One registration's position in its workshop's waitlist, or None when it is not
    waiting: one query (none when it is not waiting)."""
    if registration.status != Registration.Status.WAITLISTED:
        return None
    return _waiting_up_to(workshop=registration.workshop_id, pk=registration.pk).count()


def with_waitlist_position(registrations: QuerySet[Registration]) -> QuerySet[Registration]:
    """Annotate each registration's `waitlist_position` (None unless waiting), as a
    subquery: the list is still read in one query, whatever its length."""
    ahead = (
        _waiting_up_to(workshop=OuterRef("workshop"), pk=OuterRef("pk"))
        .order_by()
        .values("workshop")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return registrations.annotate(
        waitlist_position=Case(
            When(status=Registration.Status.WAITLISTED, then=Subquery(ahead)),
            default=Value(None),
            output_field=IntegerField(),
        )
    )


def registrations_of(workshop: Workshop) -> QuerySet[Registration]:
    """Confirmed first, then the waitlist, each in arrival order, with their
    `waitlist_position`."""
    return with_waitlist_position(
        workshop.registrations.exclude(status=Registration.Status.CANCELLED)
    ).order_by("status", "pk")


def registrations_of_user(user) -> QuerySet[Registration]:
    """One's registrations not cancelled, with their workshop and `waitlist_position`."""
    return with_waitlist_position(
        Registration.objects.filter(user=user)
        .exclude(status=Registration.Status.CANCELLED)
        .select_related("workshop__theme", "workshop__department")
    )


def syntheses_published() -> QuerySet[Synthesis]:
    return (
        Synthesis.objects.filter(status=Synthesis.Status.PUBLISHED)
        .select_related("workshop__theme", "workshop__department")
        .annotate(
            attended_count=Count(
                "workshop__registrations", filter=Q(workshop__registrations__attended=True)
            ),
            registered_count=Count(
                "workshop__registrations",
                filter=Q(workshop__registrations__status="confirmed"),
            ),
        )
        .order_by("-published_at", "-pk")
    )


# Reads of the API (workshops/api.py) -------------------------------------------------------


def _facilitated_by(user):
    return Workshop.facilitators.through.objects.filter(user_id=user.pk).values("workshop_id")


def workshops_listed_for(user, *, now: datetime) -> QuerySet[Workshop]:
    """The API's list: the public agenda for everyone, and for a facilitator also every
    workshop they facilitate (invitation-only, past and cancelled included)."""
    shown = Q(is_public=True, status=Workshop.Status.SCHEDULED, starts_at__gte=now)
    if user.is_authenticated:
        # A subquery, not a join: a workshop with two facilitators is listed once.
        shown |= Q(pk__in=_facilitated_by(user))
    return _with_counts(Workshop.objects.filter(shown))


def workshops_visible_to(user, *, invitation_token: str = "") -> QuerySet[Workshop]:
    """The workshops whose page a caller may read: every public one (past and cancelled
    too), those they facilitate or hold a registration for, and the invitation-only one
    whose secret token they give. Any other answers 404."""
    shown = Q(is_public=True)
    if user.is_authenticated:
        registered = Registration.objects.filter(user_id=user.pk).exclude(
            status=Registration.Status.CANCELLED
        )
        shown |= Q(pk__in=_facilitated_by(user)) | Q(pk__in=registered.values("workshop_id"))
    if invitation_token:
        shown |= Q(invitation_token=invitation_token)
    return _with_counts(Workshop.objects.filter(shown))


# What a to-do counts and the filtered pages list, written once --------------------------------


def _start_of_day(now: datetime) -> datetime:
    return timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)


def workshops_this_week(workshops: QuerySet[Workshop], *, now: datetime) -> QuerySet[Workshop]:
    """Those of `workshops` held (not cancelled) today or in the six days after."""
    today = _start_of_day(now)
    return workshops.filter(
        status=Workshop.Status.SCHEDULED,
        starts_at__gte=today,
        starts_at__lt=today + timedelta(days=7),
    )


def workshops_awaiting_synthesis(
    workshops: QuerySet[Workshop], *, now: datetime
) -> QuerySet[Workshop]:
    """Those of `workshops` held before today (not cancelled) whose synthesis is not published
    yet: none written, or a draft."""
    return workshops.filter(
        status=Workshop.Status.SCHEDULED, starts_at__lt=_start_of_day(now)
    ).exclude(synthesis__status=Synthesis.Status.PUBLISHED)


def registrations_this_week(user, *, now: datetime) -> QuerySet[Registration]:
    """One's registrations (confirmed or waiting) for workshops held this week."""
    today = _start_of_day(now)
    return registrations_of_user(user).filter(
        workshop__status=Workshop.Status.SCHEDULED,
        workshop__starts_at__gte=today,
        workshop__starts_at__lt=today + timedelta(days=7),
    )
