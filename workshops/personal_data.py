"""What the workshops app holds about a person, how it is exported and erased (the registry is
`tilab.personal_data`): registrations (by account or by e-mail address) and those waiting for
their confirmation, the messages a facilitator sent to registrants, the workshops they
facilitate, their calendar feed."""

import contextlib

from django.db.models import Q

from tilab.errors import WrongState
from tilab.personal_data import anonymise, anonymous_address, delete, keep, register

from .models import CalendarFeed, PendingRegistration, Registration, Workshop, WorkshopMessage
from .services import registration_cancel

_anonymise_registrations = anonymise(
    user=None,
    name="Participant anonyme",
    email=lambda registration: anonymous_address("participant", registration.pk),
)


def _registrations_erase(rows, person, now) -> None:
    for registration in rows.select_related("workshop").order_by("pk"):
        upcoming = now < registration.workshop.starts_at
        if upcoming and registration.status != Registration.Status.CANCELLED:
            # Cancelled or started meanwhile: anonymised below all the same.
            with contextlib.suppress(WrongState):
                registration_cancel(registration=registration, now=now)
    _anonymise_registrations(rows, person, now)


def _leave_the_facilitation(rows, person, now) -> None:
    Workshop.facilitators.through.objects.filter(workshop__in=rows, user=person.user).delete()


register(
    Workshop,
    section="facilitated_workshops",
    within="account",
    # Facilitation only: a workshop's address is its venue's, public on the agenda.
    owner="facilitators",
    order_by=("starts_at", "pk"),
    export=("title", "starts_at"),
    erase=_leave_the_facilitation,
    why="The person stops facilitating; the workshops stay, with their registrations.",
)

register(
    CalendarFeed,
    section="calendar_feed",
    within="account",
    many=False,
    owner="user",
    export=("created_at",),
    erase=delete,
    why="Deleted: the secret address of a calendar nobody reads any more.",
)

register(
    Registration,
    section="workshop_registrations",
    owner=lambda person: Q(user=person.user) | Q(email__iexact=person.email),
    select_related=("workshop",),
    order_by=("registered_at", "pk"),
    export=lambda r: {
        "workshop": r.workshop.title,
        "starts_at": r.workshop.starts_at,
        "name": r.name,
        "email": r.email,
        "status": r.status,
        "registered_at": r.registered_at,
        "cancelled_at": r.cancelled_at,
        "attended": r.attended,
    },
    erase=_registrations_erase,
    why=(
        "Those of workshops still to come are cancelled, so the first person waiting gets the "
        "seat; then each is anonymised (« Participant anonyme », an address that reaches "
        "nobody), so attendance counts stay true."
    ),
)

register(
    PendingRegistration,
    section="workshop_pending_registrations",
    owner=lambda person: Q(user=person.user) | Q(email__iexact=person.email),
    select_related=("workshop",),
    order_by=("requested_at", "pk"),
    export=lambda p: {
        "workshop": p.workshop.title,
        "name": p.name,
        "email": p.email,
        "requested_at": p.requested_at,
        "expires_at": p.expires_at,
        "confirmed_at": p.confirmed_at,
    },
    erase=delete,
    why=(
        "Deleted: a request to register that waits for its confirmation link, or the trace of "
        "one confirmed (the registration itself is erased above)."
    ),
)

register(
    WorkshopMessage,
    section="workshop_messages",
    owner="sent_by",
    select_related=("workshop",),
    order_by=("created_at", "pk"),
    export=lambda m: {
        "workshop": m.workshop.title,
        "subject": m.subject,
        "body": m.body,
        "created_at": m.created_at,
        "delivered_at": m.delivered_at,
        "recipient_count": m.recipient_count,
    },
    erase=keep,
    why=(
        "Kept: what a workshop's participants were told belongs to the workshop's record, "
        "written in the facilitator's role; its author is the anonymised account."
    ),
)
