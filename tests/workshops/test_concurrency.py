"""Registrations, cancellations and reminders at the same moment, on PostgreSQL with one
connection per thread: seats are never oversold, nobody jumps the queue, nobody is promoted
or reminded twice, and nothing deadlocks.

"Arrival order" is the order in which registrations obtain the workshop's row lock (that is
what the service promises: the row is the queue). Threads released by a barrier have no other
order to compare with, and `registered_at` is the time each caller read before waiting for
the lock, so it is not ordered. The tests therefore record each insert as it happens, under
the lock, and check that seats, the waitlist and later promotions follow that record.
"""

from unittest import mock

import pytest
from django.utils import timezone

from tests import concurrency
from tests.conftest import require_postgresql
from tests.factories import make_workshop, register_and_confirm, register_guest
from tests.workshops.test_emails import tomorrow_at
from tilab.errors import WrongState
from tilab.models import OutboxEmail
from workshops import selectors, services, tasks
from workshops.models import Registration, WorkshopMessage
from workshops.reference import themes_ensure

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgresql():
    require_postgresql()


@pytest.fixture(autouse=True)
def _themes(_postgresql):
    # A transactional test starts from a flushed database: the migration's themes are gone.
    themes_ensure()


def at_once(calls) -> tuple[list, list[str]]:
    return concurrency.at_once(calls, expected=WrongState)


@pytest.fixture
def arrivals():
    """The e-mail of each registration inserted, in the order of the inserts. They happen
    while the workshop's row is locked, so this is the order of the lock."""
    order = []
    create = Registration.objects.create

    def recording_create(**values):
        registration = create(**values)
        order.append(registration.email)
        return registration

    with mock.patch.object(Registration.objects, "create", side_effect=recording_create):
        yield order


def guest(workshop, n):
    """Person n registers as a guest and follows the link of the e-mail at once: the seats go
    in the order the confirmations take the workshop's lock."""
    return lambda: register_and_confirm(workshop, name=f"Personne {n}", email=f"p{n}@example.org")


def test_fifty_people_registering_at_once_for_ten_seats(facilitator, arrivals, mailoutbox):
    workshop = make_workshop(by=facilitator, capacity=10)

    results, refusals = at_once([guest(workshop, n) for n in range(50)])

    assert (len(results), refusals) == (50, [])
    assert sorted(arrivals) == sorted(f"p{n}@example.org" for n in range(50))  # each once
    stored = list(workshop.registrations.order_by("pk").values_list("email", "status"))
    assert [email for email, _status in stored] == arrivals
    assert [status for _email, status in stored] == ["confirmed"] * 10 + ["waitlisted"] * 40
    waitlist = [r.email for r in selectors.registrations_of(workshop) if r.status == "waitlisted"]
    assert waitlist == arrivals[10:]

    # Each person was told, once, what they got; those waiting, their place in the queue
    # (besides the link each followed).
    told = [m for m in mailoutbox if "/inscription/confirmer/" not in m.body]
    assert sorted(to for m in told for to in m.to) == sorted(arrivals)
    for message in told:
        (email,) = message.to
        rank = arrivals.index(email)
        if rank < 10:
            assert "Inscription confirmée" in message.subject
        else:
            assert f"en position {rank - 9}." in message.body

    # Seats freed later go to the people waiting, in the order they arrived.
    seated = workshop.registrations.filter(status="confirmed").order_by("pk")
    promoted = [
        services.registration_cancel(registration=r, now=timezone.now()).email
        for r in list(seated[:3])
    ]
    assert promoted == arrivals[10:13]


def test_cancellations_at_once_promote_distinct_people_in_order(facilitator, mailoutbox):
    workshop = make_workshop(by=facilitator, capacity=10)
    registrations = [register_guest(workshop, n) for n in range(25)]
    seated, waiting = registrations[:10], registrations[10:]

    results, refusals = at_once(
        [
            lambda r=r: services.registration_cancel(registration=r, now=timezone.now())
            for r in seated[:8]
        ]
    )

    assert refusals == [] and None not in results
    assert sorted(r.pk for r in results) == [r.pk for r in waiting[:8]]  # distinct, in order
    assert workshop.registrations.filter(status="confirmed").count() == 10
    promoted_mails = [m.to[0] for m in mailoutbox if "Une place s'est libérée" in m.subject]
    assert sorted(promoted_mails) == sorted(r.email for r in waiting[:8])


def test_one_registration_cancelled_many_times_at_once_frees_one_seat(facilitator):
    workshop = make_workshop(by=facilitator, capacity=2)
    first, _second, third, fourth = [register_guest(workshop, n) for n in range(4)]

    results, refusals = at_once(
        [lambda: services.registration_cancel(registration=first, now=timezone.now())] * 10
    )

    assert [r.pk for r in results] == [third.pk]
    assert refusals == ["Cette inscription est déjà annulée."] * 9
    fourth.refresh_from_db()
    assert fourth.status == "waitlisted"
    assert workshop.registrations.filter(status="confirmed").count() == 2


def test_registrations_and_cancellations_at_once_never_let_anyone_jump_the_queue(
    facilitator,
):
    workshop = make_workshop(by=facilitator, capacity=10)
    registrations = [register_guest(workshop, n) for n in range(15)]
    cancels = [
        lambda r=r: services.registration_cancel(registration=r, now=timezone.now())
        for r in registrations[:5]
    ]

    results, refusals = at_once(cancels + [guest(workshop, n) for n in range(100, 120)])

    assert (len(results), refusals) == (25, [])
    active = workshop.registrations.exclude(status="cancelled")
    confirmed = sorted(active.filter(status="confirmed").values_list("pk", flat=True))
    waiting = sorted(active.filter(status="waitlisted").values_list("pk", flat=True))
    assert len(confirmed) == 10 and len(waiting) == 20
    assert confirmed[-1] < waiting[0]  # every seat went to someone who arrived earlier


def test_two_beat_runs_at_once_send_each_reminder_once(facilitator, mailoutbox):
    workshop = make_workshop(
        by=facilitator, capacity=30, starts_at=tomorrow_at(10),
        registration_deadline=tomorrow_at(9),
    )  # fmt: skip
    registrations = [register_guest(workshop, n) for n in range(30)]
    mailoutbox.clear()  # their confirmations

    results, _refusals = at_once([tasks.workshop_reminders_send] * 6)

    assert sum(results) == 30
    assert sorted(m.to[0] for m in mailoutbox) == sorted(r.email for r in registrations)
    assert not workshop.registrations.filter(reminder_sent_at=None).exists()


def test_one_reminder_written_by_many_at_once_is_written_once(facilitator):
    workshop = make_workshop(
        by=facilitator, starts_at=tomorrow_at(10), registration_deadline=tomorrow_at(9)
    )
    registration = register_guest(workshop, 1)

    results, _refusals = at_once(
        [lambda: services.registration_reminder_send(registration=registration, now=timezone.now())]
        * 12
    )

    assert sorted(results) == [False] * 11 + [True]
    assert OutboxEmail.objects.filter(key=f"workshops:reminder:{registration.pk}").count() == 1


def test_one_message_delivered_by_many_runs_at_once_reaches_each_person_once(
    facilitator, mailoutbox
):
    workshop = make_workshop(by=facilitator, capacity=20)
    registrations = [register_guest(workshop, n) for n in range(20)]
    # Recorded, not delivered yet.
    message = WorkshopMessage.objects.create(
        workshop=workshop, subject="Objet", body="Texte", sent_by=facilitator,
        created_at=timezone.now(),
    )  # fmt: skip
    mailoutbox.clear()  # the confirmations

    results, _refusals = at_once(
        [lambda: services.workshop_message_deliver(message=message, now=timezone.now())] * 6
    )

    assert sorted(results) == [0] * 5 + [20]
    assert sorted(m.to[0] for m in mailoutbox) == sorted(r.email for r in registrations)
    message.refresh_from_db()
    assert message.delivered_at is not None and message.recipient_count == 20
