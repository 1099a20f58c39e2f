"""The rules of the workshop services: scheduling, the waitlist, cancel links, attendance,
messages, syntheses, and who may do what. Every refusal leaves everything as it was."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from tests.factories import (
    make_details,
    make_user,
    make_workshop,
    register_and_confirm,
    register_guest,
)
from tests.refusals import refused as refused_with
from tilab import roles
from tilab.errors import BadInput, Refusal, WrongState
from tilab.models import Decision
from workshops import selectors, services
from workshops.models import (
    CalendarFeed,
    PendingRegistration,
    Registration,
    Synthesis,
    Workshop,
    WorkshopMessage,
)

PARIS = ZoneInfo("Europe/Paris")
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)


def state():
    """Everything the services write, to show that a refusal changed nothing."""
    return (
        list(Workshop.objects.order_by("pk").values()),
        sorted(Workshop.facilitators.through.objects.values_list("workshop_id", "user_id")),
        list(Registration.objects.order_by("pk").values()),
        list(WorkshopMessage.objects.order_by("pk").values()),
        list(Synthesis.objects.order_by("pk").values()),
        list(CalendarFeed.objects.order_by("pk").values()),
        Decision.objects.count(),
    )


def refused(code, call, *, kind=Refusal):
    """Assert `call()` is refused with `code` (and `kind`) and changes nothing."""
    before = state()
    with refused_with(code, kind=kind):
        call()
    assert state() == before


def statuses(workshop):
    return list(workshop.registrations.order_by("pk").values_list("email", "status"))


# Scheduling ---------------------------------------------------------------------------------


def test_a_facilitator_schedules_a_workshop_run_with_co_facilitators(
    facilitator, other_facilitator
):
    now = timezone.now()
    details = make_details(registration_deadline=None, title="  Makers et hôpitaux  ")

    workshop = services.workshop_create(
        details=details, by=facilitator, now=now, co_facilitators=[other_facilitator]
    )

    assert workshop.title == "Makers et hôpitaux"
    assert workshop.status == Workshop.Status.SCHEDULED
    assert workshop.registration_deadline == details.starts_at  # open until it starts
    assert set(workshop.facilitators.all()) == {facilitator, other_facilitator}
    decision = Decision.objects.get(action="workshop_create")
    assert (decision.actor, decision.to_state) == (facilitator, "scheduled")


def test_an_online_workshop_needs_no_place(facilitator):
    workshop = make_workshop(
        by=facilitator,
        address="",
        commune="",
        department_id=None,
        online_url=" https://visio.example.org/atelier ",
    )
    assert (workshop.commune, workshop.department_id) == ("", None)
    assert workshop.online_url == "https://visio.example.org/atelier"


@pytest.mark.parametrize(
    "overrides, code",
    [
        ({"starts_at": timezone.now() - HOUR}, "workshop_in_past"),
        ({"registration_deadline": timezone.now() + 20 * DAY}, "deadline_after_start"),
        ({"capacity": 0}, "capacity_out_of_range"),
        ({"capacity": 10_001}, "capacity_out_of_range"),
        ({"duration_minutes": 0}, "duration_out_of_range"),
        ({"duration_minutes": 7 * 24 * 60 + 1}, "duration_out_of_range"),
        ({"title": "   "}, "title_missing"),
        (
            {"address": "", "commune": "", "department_id": None, "online_url": ""},
            "place_missing",
        ),
        ({"commune": "Rennes", "department_id": None, "online_url": "https://v.example.org"},
         "department_missing"),
        ({"commune": "  ", "department_id": "35", "online_url": ""}, "place_missing"),
    ],
)  # fmt: skip
def test_a_workshop_with_bad_details_is_refused_and_nothing_is_created(
    facilitator, overrides, code
):
    details = make_details(**overrides)
    refused(
        code,
        lambda: services.workshop_create(details=details, by=facilitator, now=timezone.now()),
    )


@pytest.mark.parametrize(
    "role", [roles.MAKER, roles.RELAY_STAFF, roles.REGION_STAFF, roles.AUDITOR, None]
)
def test_only_facilitators_schedule_workshops(reference_data, role):
    someone = make_user(role=role)
    refused(
        "role_not_allowed",
        lambda: services.workshop_create(details=make_details(), by=someone, now=timezone.now()),
    )


# Changing, duplicating, cancelling -------------------------------------------------------


def test_more_seats_go_to_the_first_people_waiting_in_arrival_order(facilitator, workshop):
    for n in range(5):
        register_guest(workshop, n)
    now = timezone.now()

    services.workshop_update(
        workshop=workshop,
        details=make_details(starts_at=workshop.starts_at, capacity=4),
        by=facilitator,
        now=now,
    )

    assert statuses(workshop) == [
        ("invite0@example.org", "confirmed"),
        ("invite1@example.org", "confirmed"),
        ("invite2@example.org", "confirmed"),
        ("invite3@example.org", "confirmed"),
        ("invite4@example.org", "waitlisted"),
    ]
    promoted = workshop.registrations.filter(promoted_at=now)
    assert sorted(promoted.values_list("email", flat=True)) == [
        "invite2@example.org",
        "invite3@example.org",
    ]


def test_fewer_seats_than_people_confirmed_is_refused(facilitator, workshop):
    for n in range(3):
        register_guest(workshop, n)
    details = make_details(starts_at=workshop.starts_at, capacity=1)
    refused(
        "capacity_below_confirmed",
        lambda: services.workshop_update(
            workshop=workshop, details=details, by=facilitator, now=timezone.now()
        ),
    )


def test_seats_may_come_down_to_the_people_confirmed(facilitator):
    workshop = make_workshop(by=facilitator, capacity=5)
    for n in range(2):
        register_guest(workshop, n)
    services.workshop_update(
        workshop=workshop,
        details=make_details(starts_at=workshop.starts_at, capacity=2),
        by=facilitator,
        now=timezone.now(),
    )
    workshop.refresh_from_db()
    assert workshop.capacity == 2
    assert register_guest(workshop, 9).status == "waitlisted"


def test_a_started_workshop_can_be_corrected_without_moving_its_date(facilitator):
    starts_at = timezone.now() + HOUR
    workshop = services.workshop_create(
        details=make_details(starts_at=starts_at, registration_deadline=starts_at),
        by=facilitator,
        now=starts_at - DAY,
    )
    services.workshop_update(
        workshop=workshop,
        details=make_details(
            starts_at=starts_at, registration_deadline=starts_at, title="Titre corrigé"
        ),
        by=facilitator,
        now=starts_at + HOUR,
    )
    workshop.refresh_from_db()
    assert workshop.title == "Titre corrigé"
    refused(
        "workshop_in_past",
        lambda: services.workshop_update(
            workshop=workshop,
            details=make_details(starts_at=starts_at - HOUR, registration_deadline=starts_at - DAY),
            by=facilitator,
            now=starts_at + HOUR,
        ),
    )


def test_the_author_stays_a_facilitator_when_co_facilitators_change(facilitator, other_facilitator):
    workshop = make_workshop(by=facilitator, co_facilitators=[other_facilitator])
    third = make_user(role=roles.FACILITATOR)
    services.workshop_update(
        workshop=workshop,
        details=make_details(starts_at=workshop.starts_at),
        by=other_facilitator,
        now=timezone.now(),
        co_facilitators=[third],
    )
    assert set(workshop.facilitators.all()) == {facilitator, other_facilitator, third}


def test_a_cancelled_workshop_no_longer_changes(facilitator, workshop):
    services.workshop_cancel(
        workshop=workshop, reason="Tempête", by=facilitator, now=timezone.now()
    )
    details = make_details(starts_at=workshop.starts_at, capacity=8)
    refused(
        "cancelled_workshop_unchangeable",
        lambda: services.workshop_update(
            workshop=workshop, details=details, by=facilitator, now=timezone.now()
        ),
    )


def test_a_duplicate_keeps_the_details_at_a_new_date_without_the_registrations(
    facilitator, other_facilitator
):
    original = make_workshop(by=facilitator, co_facilitators=[other_facilitator], capacity=3)
    register_guest(original, 1)
    starts_at = original.starts_at + 7 * DAY

    copy = services.workshop_duplicate(
        workshop=original, starts_at=starts_at, by=other_facilitator, now=timezone.now()
    )

    assert copy.pk != original.pk and copy.duplicated_from == original
    assert (copy.title, copy.capacity, copy.commune, copy.theme) == (
        original.title,
        3,
        "Rennes",
        original.theme,
    )
    assert copy.starts_at == starts_at
    assert copy.starts_at - copy.registration_deadline == (
        original.starts_at - original.registration_deadline
    )
    assert not copy.registrations.exists()
    assert set(copy.facilitators.all()) == {facilitator, other_facilitator}


def test_a_duplicate_soon_stays_open_until_it_starts(facilitator):
    # Registrations close 8 days before the start: a copy tomorrow would be closed already.
    original = make_workshop(by=facilitator, registration_deadline=timezone.now() + 2 * DAY)
    starts_at = timezone.now() + DAY
    copy = services.workshop_duplicate(
        workshop=original, starts_at=starts_at, by=facilitator, now=timezone.now()
    )
    assert copy.registration_deadline == starts_at


def test_a_duplicate_stays_out_of_the_public_agenda_until_it_is_opened(facilitator, workshop):
    now = timezone.now()
    copy = services.workshop_duplicate(
        workshop=workshop, starts_at=workshop.starts_at + 7 * DAY, by=facilitator, now=now
    )

    assert not copy.is_public
    assert list(selectors.workshops_upcoming(now=now)) == [workshop]
    services.workshop_update(
        workshop=copy,
        details=make_details(starts_at=copy.starts_at, is_public=True),
        by=facilitator,
        now=now,
    )
    assert list(selectors.workshops_upcoming(now=now)) == [workshop, copy]


def test_a_duplicate_in_the_past_is_refused(facilitator, workshop):
    refused(
        "workshop_in_past",
        lambda: services.workshop_duplicate(
            workshop=workshop, starts_at=timezone.now() - DAY, by=facilitator, now=timezone.now()
        ),
    )


def test_cancelling_needs_a_reason_and_happens_once(facilitator, workshop):
    for reason in ["", "   "]:
        refused(
            "cancellation_reason_missing",
            lambda reason=reason: services.workshop_cancel(
                workshop=workshop, reason=reason, by=facilitator, now=timezone.now()
            ),
        )
    now = timezone.now()

    services.workshop_cancel(workshop=workshop, reason=" Salle inondée ", by=facilitator, now=now)

    workshop.refresh_from_db()
    assert (workshop.status, workshop.cancellation_reason, workshop.cancelled_at) == (
        "cancelled",
        "Salle inondée",
        now,
    )
    decision = Decision.objects.get(action="workshop_cancel")
    assert (decision.from_state, decision.to_state, decision.motivation) == (
        "scheduled",
        "cancelled",
        "Salle inondée",
    )
    refused(
        "workshop_already_cancelled",
        lambda: services.workshop_cancel(
            workshop=workshop, reason="Encore", by=facilitator, now=timezone.now()
        ),
    )


# Registrations -----------------------------------------------------------------------------


def test_seats_go_first_then_the_waitlist_in_arrival_order(workshop):
    registrations = [register_guest(workshop, n) for n in range(4)]
    assert [r.status for r in registrations] == [
        "confirmed",
        "confirmed",
        "waitlisted",
        "waitlisted",
    ]
    assert [r.pk for r in registrations] == sorted(r.pk for r in registrations)


def test_a_person_with_an_account_registers_in_one_click(maker, workshop):
    registration = services.registration_create(
        workshop=workshop, user=maker, now=timezone.now(), name="ignoré", email="ignore@x.org"
    )
    assert (registration.user, registration.name, registration.email) == (
        maker,
        "Anne Le Goff",
        "anne@example.org",
    )


def test_the_same_email_cannot_register_twice_whatever_its_case(maker, workshop):
    first = register_guest(workshop, 1)
    for email in ["invite1@example.org", "  INVITE1@Example.ORG "]:
        # A guest is not told (no stranger learns who attends): the registration there is
        # returned unchanged, and its address gets its link again.
        assert (
            services.registration_create(
                workshop=workshop, now=timezone.now(), name="Autre", email=email
            )
            is None
        )
    assert list(workshop.registrations.values_list("pk", "name")) == [(first.pk, first.name)]
    assert not PendingRegistration.objects.filter(confirmed_at=None).exists()
    services.registration_create(workshop=workshop, user=maker, now=timezone.now())
    maker.email = "ANNE@example.org"
    refused(
        "already_registered",
        lambda: services.registration_create(workshop=workshop, user=maker, now=timezone.now()),
    )


def test_after_cancelling_the_same_email_may_register_again_at_the_end(workshop):
    first = register_guest(workshop, 1)
    for n in range(2, 4):
        register_guest(workshop, n)
    services.registration_cancel(registration=first, now=timezone.now())

    again = register_guest(workshop, 1)

    assert again.pk != first.pk and again.status == "waitlisted"


@pytest.mark.parametrize(
    "name, email, code",
    [
        ("", "a@example.org", "name_missing"),
        ("  ", "a@example.org", "name_missing"),
        ("Anne", "", "email_invalid"),
        ("Anne", "pas-une-adresse", "email_invalid"),
    ],
)
def test_a_registration_needs_a_name_and_an_email(workshop, name, email, code):
    refused(
        code,
        lambda: services.registration_create(
            workshop=workshop, now=timezone.now(), name=name, email=email
        ),
    )


def test_registrations_close_at_the_deadline(workshop):
    register_guest(workshop, 1, now=workshop.registration_deadline)  # still on time
    refused(
        "registration_closed",
        lambda: register_guest(workshop, 2, now=workshop.registration_deadline + HOUR),
    )


def test_a_cancelled_workshop_takes_no_registration(facilitator, workshop):
    services.workshop_cancel(
        workshop=workshop, reason="Tempête", by=facilitator, now=timezone.now()
    )
    refused("workshop_cancelled", lambda: register_guest(workshop, 1))


def test_a_cancellation_gives_the_seat_to_the_first_person_waiting_at_once(workshop):
    first, _second, third, fourth = [register_guest(workshop, n) for n in range(4)]
    now = timezone.now()

    promoted = services.registration_cancel(registration=first, now=now)

    # Already true when the cancellation returns: no task or later step is needed.
    assert promoted.pk == third.pk
    third.refresh_from_db()
    first.refresh_from_db()
    assert (third.status, third.promoted_at) == ("confirmed", now)
    assert (first.status, first.cancelled_at) == ("cancelled", now)
    assert Registration.objects.get(pk=fourth.pk).status == "waitlisted"
    assert workshop.registrations.filter(status="confirmed").count() == workshop.capacity


def test_leaving_the_waitlist_promotes_nobody_and_keeps_the_order(workshop):
    registrations = [register_guest(workshop, n) for n in range(5)]
    assert services.registration_cancel(registration=registrations[2], now=timezone.now()) is None
    assert statuses(workshop)[3:] == [
        ("invite3@example.org", "waitlisted"),
        ("invite4@example.org", "waitlisted"),
    ]
    promoted = services.registration_cancel(registration=registrations[0], now=timezone.now())
    assert promoted.pk == registrations[3].pk


def test_a_registration_is_cancelled_once_and_not_after_the_start(workshop):
    first = register_guest(workshop, 1)
    second = register_guest(workshop, 2)
    services.registration_cancel(registration=first, now=timezone.now())
    refused(
        "registration_already_cancelled",
        lambda: services.registration_cancel(registration=first, now=timezone.now()),
    )
    refused(
        "workshop_started",
        lambda: services.registration_cancel(registration=second, now=workshop.starts_at),
    )


def test_a_cancel_link_opens_its_own_registration(workshop):
    registration = register_guest(workshop, 1)
    token = services.registration_cancel_token(registration)
    assert services.registration_from_token(token) == registration
    assert "invite1" not in token.split(":")[-1]  # the signature is not the address


def _altered(token: str) -> str:
    last = token[-1]
    return token[:-1] + ("A" if last != "A" else "B")


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(_altered, id="altered signature"),
        pytest.param(lambda t: t[:-10], id="truncated"),
        pytest.param(lambda t: "", id="empty"),
        pytest.param(lambda t: "n'importe quoi", id="garbage"),
        pytest.param(
            lambda t: signing.dumps({"r": 1, "e": "invite1@example.org"}, key="pas la clé",
                                    salt=services.CANCEL_SALT),
            id="signed with another key",
        ),
        pytest.param(
            lambda t: signing.dumps({"r": 1, "e": "invite1@example.org"}), id="other purpose"
        ),
        pytest.param(
            lambda t: signing.dumps({"r": 1}, salt=services.CANCEL_SALT), id="no address"
        ),
    ],
)  # fmt: skip
def test_a_forged_or_altered_cancel_link_is_refused(workshop, forge):
    token = services.registration_cancel_token(register_guest(workshop, 1))
    with refused_with("cancel_link_invalid", kind=BadInput, field="token"):
        services.registration_from_token(forge(token))


def test_a_link_whose_payload_names_another_registration_is_refused(workshop):
    mine = register_guest(workshop, 1)
    theirs = register_guest(workshop, 2)
    token = services.registration_cancel_token(mine)
    payload, *signature = token.split(":")
    other_payload = services.registration_cancel_token(theirs).split(":")[0]
    with refused_with("cancel_link_invalid", kind=BadInput, field="token"):
        services.registration_from_token(":".join([other_payload, *signature]))
    assert payload != other_payload


# Attendance, messages, syntheses --------------------------------------------------------


def test_attendance_is_recorded_for_the_people_seated(facilitator, workshop):
    present, absent, waiting = [register_guest(workshop, n) for n in range(3)]
    now = workshop.starts_at

    count = services.attendance_record(
        workshop=workshop, attended={present.pk: True, absent.pk: False}, by=facilitator, now=now
    )

    assert count == 2
    assert list(workshop.registrations.order_by("pk").values_list("attended", flat=True)) == [
        True,
        False,
        None,
    ]
    refused(
        "attendance_not_registered",
        lambda: services.attendance_record(
            workshop=workshop,
            attended={present.pk: False, waiting.pk: True},
            by=facilitator,
            now=now,
        ),
    )


def test_attendance_refuses_cancelled_people_and_other_workshops(facilitator, workshop):
    gone = register_guest(workshop, 1)
    services.registration_cancel(registration=gone, now=timezone.now())
    elsewhere = register_guest(make_workshop(by=facilitator), 2)
    for pk in (gone.pk, elsewhere.pk):
        refused(
            "attendance_not_registered",
            lambda pk=pk: services.attendance_record(
                workshop=workshop, attended={pk: True}, by=facilitator, now=workshop.starts_at
            ),
        )


def test_check_in_opens_on_the_workshops_day_in_paris(facilitator):
    # 00:30 in Paris is still the day before in UTC: the day is read on a Breton clock.
    day = timezone.now().astimezone(PARIS).date() + 10 * DAY
    starts_at = datetime.datetime.combine(day, datetime.time(0, 30), tzinfo=PARIS)
    workshop = make_workshop(by=facilitator, starts_at=starts_at)
    seated = register_guest(workshop, 1)
    midnight = datetime.datetime.combine(day, datetime.time(0, 0), tzinfo=PARIS)

    for too_early in (midnight - datetime.timedelta(minutes=1), starts_at - 30 * DAY):
        refused(
            "checkin_too_early",
            lambda too_early=too_early: services.attendance_record(
                workshop=workshop, attended={seated.pk: True}, by=facilitator, now=too_early
            ),
            kind=WrongState,
        )
    services.attendance_record(
        workshop=workshop, attended={seated.pk: True}, by=facilitator, now=midnight
    )
    seated.refresh_from_db()
    assert seated.attended is True


def test_a_synthesis_waits_for_the_workshop_to_start(facilitator, workshop):
    before = workshop.starts_at - datetime.timedelta(minutes=1)
    refused(
        "synthesis_too_early",
        lambda: services.synthesis_save(
            workshop=workshop, body="Bilan", by=facilitator, now=before
        ),
        kind=WrongState,
    )
    synthesis = services.synthesis_save(
        workshop=workshop, body="Bilan", by=facilitator, now=workshop.starts_at
    )
    refused(
        "synthesis_too_early",
        lambda: services.synthesis_publish(synthesis=synthesis, by=facilitator, now=before),
        kind=WrongState,
    )
    services.synthesis_publish(synthesis=synthesis, by=facilitator, now=workshop.ends_at)
    assert Synthesis.objects.get().status == "published"


def test_a_message_needs_a_subject_and_a_text(facilitator, workshop):
    for subject, body in [("", "Texte"), ("Objet", "  "), (" ", " ")]:
        refused(
            "message_incomplete",
            lambda subject=subject, body=body: services.workshop_message_send(
                workshop=workshop,
                subject=subject,
                body=body,
                include_waitlist=False,
                by=facilitator,
                now=timezone.now(),
            ),
        )
    message = services.workshop_message_send(
        workshop=workshop,
        subject=" Salle B ",
        body=" On change de salle. ",
        include_waitlist=True,
        by=facilitator,
        now=timezone.now(),
    )
    assert (message.subject, message.body, message.include_waitlist) == (
        "Salle B",
        "On change de salle.",
        True,
    )
    assert message.delivered_at is None  # the task delivers it


def test_a_synthesis_is_drafted_rewritten_then_published_once(facilitator, workshop):
    started = workshop.starts_at
    refused(
        "synthesis_empty",
        lambda: services.synthesis_save(workshop=workshop, body="  ", by=facilitator, now=started),
    )
    services.synthesis_save(workshop=workshop, body="# Brouillon", by=facilitator, now=started)
    synthesis = services.synthesis_save(
        workshop=workshop, body="# Synthèse", by=facilitator, now=started
    )
    assert Synthesis.objects.get() == synthesis
    assert (synthesis.body, synthesis.status) == ("# Synthèse", "draft")
    now = workshop.ends_at

    services.synthesis_publish(synthesis=synthesis, by=facilitator, now=now)

    synthesis.refresh_from_db()
    assert (synthesis.status, synthesis.published_at) == ("published", now)
    assert Decision.objects.filter(action="synthesis_publish").count() == 1
    refused(
        "synthesis_already_published",
        lambda: services.synthesis_publish(synthesis=synthesis, by=facilitator, now=now),
    )
    services.synthesis_save(workshop=workshop, body="# Corrigée", by=facilitator, now=now)
    synthesis.refresh_from_db()
    assert (synthesis.body, synthesis.status) == ("# Corrigée", "published")


# Who may do what ------------------------------------------------------------------------

ACTIONS = {
    "change": lambda w, by: services.workshop_update(
        workshop=w, details=make_details(starts_at=w.starts_at), by=by, now=timezone.now()
    ),
    "duplicate": lambda w, by: services.workshop_duplicate(
        workshop=w, starts_at=w.starts_at + DAY, by=by, now=timezone.now()
    ),
    "cancel": lambda w, by: services.workshop_cancel(
        workshop=w, reason="Non", by=by, now=timezone.now()
    ),
    "record attendance": lambda w, by: services.attendance_record(
        workshop=w, attended={w.registrations.get().pk: True}, by=by, now=w.starts_at
    ),
    "message": lambda w, by: services.workshop_message_send(
        workshop=w, subject="Objet", body="Texte", include_waitlist=False, by=by,
        now=timezone.now(),
    ),
    "write the synthesis": lambda w, by: services.synthesis_save(
        workshop=w, body="Texte", by=by, now=w.starts_at
    ),
    "publish the synthesis": lambda w, by: services.synthesis_publish(
        synthesis=w.synthesis, by=by, now=w.starts_at
    ),
}  # fmt: skip


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize(
    "who", ["another facilitator", roles.MAKER, roles.RELAY_STAFF, roles.REGION_STAFF,
            roles.AUDITOR]
)  # fmt: skip
def test_only_the_facilitators_of_a_workshop_manage_it(facilitator, who, action):
    workshop = make_workshop(by=facilitator)
    register_guest(workshop, 1)
    services.synthesis_save(
        workshop=workshop, body="Brouillon", by=facilitator, now=workshop.starts_at
    )
    someone = make_user(role=roles.FACILITATOR if who == "another facilitator" else who)
    refused("role_not_allowed", lambda: ACTIONS[action](workshop, someone), kind=PermissionDenied)


@pytest.mark.parametrize("action", ACTIONS)
def test_a_co_facilitator_manages_the_workshop_too(facilitator, other_facilitator, action):
    workshop = make_workshop(by=facilitator, co_facilitators=[other_facilitator])
    register_guest(workshop, 1)
    services.synthesis_save(
        workshop=workshop, body="Brouillon", by=facilitator, now=workshop.starts_at
    )
    ACTIONS[action](workshop, other_facilitator)


# Calendar feeds -----------------------------------------------------------------------------


def test_a_personal_calendar_address_is_made_once_and_renewed_on_demand(maker):
    now = timezone.now()
    feed = services.calendar_feed_of(user=maker, now=now)
    assert services.calendar_feed_of(user=maker, now=now + HOUR) == feed
    assert len(feed.token) == 43
    renewed = services.calendar_feed_renew(user=maker, now=now + DAY)
    assert renewed.pk == feed.pk and renewed.token != feed.token
    assert CalendarFeed.objects.get().token == renewed.token


# Reminders (claims of the e-mail tasks) --------------------------------------------------

# The Saturday before clocks go forward (Sunday 31 March 2030, 2:00 → 3:00 in Paris).
SATURDAY = datetime.datetime(2030, 3, 30, 9, 0, tzinfo=PARIS)


def paris(day, hour, minute=0):
    return datetime.datetime(2030, 3, day, hour, minute, tzinfo=PARIS)


def seated_at(facilitator, starts_at, *, n=1, capacity=10, now=SATURDAY - 7 * DAY):
    workshop = services.workshop_create(
        details=make_details(
            starts_at=starts_at, capacity=capacity, registration_deadline=starts_at - HOUR
        ),
        by=facilitator,
        now=now,
    )
    return [
        register_and_confirm(
            workshop, name=f"P{k}", email=f"p{k}.{workshop.pk}@example.org", now=now
        )
        for k in range(n)
    ]


def test_reminders_are_due_for_tomorrow_as_a_paris_calendar_day(facilitator):
    just_after_midnight = seated_at(facilitator, paris(31, 0, 0))
    late_evening = seated_at(facilitator, paris(31, 23, 30))
    seated_at(facilitator, paris(30, 23, 30))  # today
    day_after = seated_at(facilitator, datetime.datetime(2030, 4, 1, 0, 0, tzinfo=PARIS))
    day_after += seated_at(facilitator, datetime.datetime(2030, 4, 1, 20, 0, tzinfo=PARIS))

    due = list(services.workshop_reminders_due(now=SATURDAY))

    # The first one starts in 15 hours, the second in 37 (a 23-hour day): "tomorrow" is the
    # date on the calendar, not 24 to 48 hours from now.
    assert due == just_after_midnight + late_evening
    assert list(services.workshop_reminders_due(now=paris(30, 23, 59))) == due
    # Half past midnight in Paris, still Saturday in UTC: the Paris date decides.
    assert list(services.workshop_reminders_due(now=paris(31, 0, 30))) == day_after


def test_reminders_are_due_only_to_seated_people_of_scheduled_workshops(facilitator):
    seated, waiting = seated_at(facilitator, paris(31, 14), n=2, capacity=1)
    cancelled = seated_at(facilitator, paris(31, 15))
    services.workshop_cancel(
        workshop=cancelled[0].workshop, reason="Tempête", by=facilitator, now=SATURDAY
    )
    (gone, next_one) = seated_at(facilitator, paris(31, 16), n=2)
    services.registration_cancel(registration=gone, now=SATURDAY)

    assert list(services.workshop_reminders_due(now=SATURDAY)) == [seated, next_one]
    assert waiting.status == "waitlisted"  # seated at the same workshop, not reminded


def test_a_reminder_is_written_once(facilitator):
    (registration,) = seated_at(facilitator, paris(31, 14))

    assert services.registration_reminder_send(registration=registration, now=SATURDAY)
    assert not services.registration_reminder_send(registration=registration, now=SATURDAY + HOUR)

    registration.refresh_from_db()
    assert registration.reminder_sent_at == SATURDAY
    assert list(services.workshop_reminders_due(now=SATURDAY)) == []


def test_a_waiting_person_is_not_written_a_reminder(facilitator):
    _seated, waiting = seated_at(facilitator, paris(31, 14), n=2, capacity=1)
    assert not services.registration_reminder_send(registration=waiting, now=SATURDAY)


def test_a_message_is_delivered_with_its_writing_and_only_then(facilitator, workshop):
    now = timezone.now()
    message = services.workshop_message_send(
        workshop=workshop,
        subject="Objet",
        body="Texte",
        include_waitlist=False,
        by=facilitator,
        now=now,
    )
    assert services.workshop_message_deliver(message=message, now=now + HOUR) == 0
    message.refresh_from_db()
    assert message.delivered_at == now
