"""The workshops through the API: the agenda, registering with or without an account, the
waitlist, cancelling, the facilitators' scheduling, what each role sees, and at what cost."""

import datetime
from urllib.parse import parse_qs, urlparse

import pytest
from django.utils import timezone

from tests.conftest import as_user, count_queries, ids, patch, post
from tests.factories import confirm_token, make_personal_token, make_workshop, register_guest
from tests.refusals import answered, fields_named
from tests.workshops.conftest import moved_to_the_past
from tilab.models import OutboxEmail
from workshops import selectors, services
from workshops.models import Registration, Theme, Workshop

WORKSHOPS = "/api/v1/workshops/"
REGISTRATIONS = "/api/v1/registrations/"
DAY = datetime.timedelta(days=1)


# --- Helpers ------------------------------------------------------------------------------


def in_days(days: float, *, hour: int | None = None) -> datetime.datetime:
    moment = timezone.localtime() + datetime.timedelta(days=days)
    if hour is not None:
        moment = moment.replace(hour=hour, minute=0, second=0, microsecond=0)
    return moment


def cancelled(workshop, by) -> Workshop:
    return services.workshop_cancel(
        workshop=workshop, reason="Salle indisponible", by=by, now=timezone.now()
    )


def register(workshop, user) -> Registration:
    return services.registration_create(workshop=workshop, user=user, now=timezone.now())


def confirm(client, workshop, email: str):
    """What a program does with the link a guest received: POST its token."""
    return post(client, f"{REGISTRATIONS}confirm/", {"token": confirm_token(workshop, email)})


def new_workshop_body(**changes) -> dict:
    starts_at = in_days(20, hour=18)
    return {
        "title": "Coopérer avec les hôpitaux",
        "description": "Ce que 2020 nous a appris.",
        "theme": "cooperation",
        "starts_at": starts_at.isoformat(),
        "duration_minutes": 90,
        "capacity": 12,
        "registration_deadline": (starts_at - DAY).isoformat(),
        "address": "1 rue de la République",
        "commune": "Rennes",
        "department": "35",
        **changes,
    }


@pytest.fixture
def named_facilitator(facilitator):
    facilitator.full_name = "Benoît Lemoine"
    facilitator.save(update_fields=["full_name"])
    return facilitator


# --- The agenda ---------------------------------------------------------------------------


def test_anyone_lists_the_upcoming_public_workshops_soonest_first(client, facilitator):
    later = make_workshop(by=facilitator, starts_at=in_days(30))
    sooner = make_workshop(by=facilitator, starts_at=in_days(5))
    make_workshop(by=facilitator, is_public=False)
    cancelled(make_workshop(by=facilitator), facilitator)
    moved_to_the_past(make_workshop(by=facilitator))

    assert ids(client.get(WORKSHOPS)) == [sooner.pk, later.pk]


def test_a_facilitator_also_lists_every_workshop_they_facilitate(
    client, facilitator, other_facilitator
):
    public = make_workshop(by=other_facilitator, starts_at=in_days(5))
    co_facilitated = make_workshop(
        by=other_facilitator, co_facilitators=[facilitator], is_public=False
    )
    private = make_workshop(by=facilitator, is_public=False, starts_at=in_days(3))
    gone = cancelled(make_workshop(by=facilitator, starts_at=in_days(4)), facilitator)
    past = moved_to_the_past(make_workshop(by=facilitator))
    make_workshop(by=other_facilitator, is_public=False)

    listed = ids(as_user(client, facilitator).get(WORKSHOPS))

    assert listed == [past.pk, private.pk, gone.pk, public.pk, co_facilitated.pk]
    upcoming = ids(client.get(WORKSHOPS, {"starts_after": timezone.now().isoformat()}))
    assert past.pk not in upcoming


def test_the_agenda_filters_by_department_theme_dates_and_status(client, facilitator):
    rennes = make_workshop(by=facilitator, starts_at=in_days(5))
    brest = make_workshop(
        by=facilitator, starts_at=in_days(10), commune="Brest", department_id="29"
    )
    online = make_workshop(
        by=facilitator,
        starts_at=in_days(40),
        commune="",
        address="",
        department_id=None,
        online_url="https://visio.example.org/tilab",
        theme=Theme.objects.get(slug="funding"),
    )
    gone = cancelled(make_workshop(by=facilitator, starts_at=in_days(6)), facilitator)
    as_user(client, facilitator)

    assert ids(client.get(WORKSHOPS, {"department": "29"})) == [brest.pk]
    assert ids(client.get(WORKSHOPS, {"theme": "funding"})) == [online.pk]
    window = {"starts_after": in_days(7).isoformat(), "starts_before": in_days(20).isoformat()}
    assert ids(client.get(WORKSHOPS, window)) == [brest.pk]
    assert ids(client.get(WORKSHOPS, {"starts_before": in_days(8).date().isoformat()})) == [
        rennes.pk,
        gone.pk,
    ]
    assert ids(client.get(WORKSHOPS, {"status": "cancelled"})) == [gone.pk]
    refused = client.get(WORKSHOPS, {"starts_after": "demain"})
    assert refused.status_code == 400
    assert "starts_after" in refused.json()


def test_the_agenda_is_paged_by_cursor_in_date_order(client, facilitator):
    workshops = [make_workshop(by=facilitator, starts_at=in_days(days)) for days in (9, 3, 6)]
    seen, url = [], f"{WORKSHOPS}?page_size=2"
    while url:
        page = client.get(url).json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
        if url:
            assert "cursor" in parse_qs(urlparse(url).query)
    assert seen == [workshops[1].pk, workshops[2].pk, workshops[0].pk]


def test_a_public_workshop_shows_its_details_to_anyone(client, named_facilitator):
    starts_at = in_days(20, hour=18)
    workshop = make_workshop(
        by=named_facilitator,
        starts_at=starts_at,
        registration_deadline=starts_at - DAY,
        capacity=2,
        online_url="https://visio.example.org/tilab",
    )
    for n in range(3):
        register_guest(workshop, n)

    detail = client.get(f"{WORKSHOPS}{workshop.pk}/").json()

    assert detail["title"] == workshop.title
    assert detail["theme"] == {
        "slug": "cooperation",
        "name": "Coopération makers, FabLabs et institutions",
    }
    paris = timezone.localtime(starts_at)
    assert detail["starts_at"] == paris.isoformat()
    assert detail["starts_at"][-6:] in {"+01:00", "+02:00"}
    assert detail["ends_at"] == (paris + datetime.timedelta(minutes=120)).isoformat()
    assert detail["department"] == {"code": "35", "name": "Ille-et-Vilaine"}
    assert detail["commune"] == "Rennes"
    assert (detail["capacity"], detail["has_seats"]) == (2, False)
    # Counts that a registration moves go to the workshop's facilitators only.
    assert (detail["seats_left"], detail["waitlist_count"]) == (None, None)
    assert detail["registration_open"] is True
    assert detail["facilitators"] == [{"id": named_facilitator.pk, "name": "Benoît Lemoine"}]
    assert detail["ics_url"].endswith(f"/workshops/{workshop.pk}/atelier.ics")
    assert detail["page_url"].endswith(f"/workshops/{workshop.pk}/")
    assert detail["online"] is True
    assert detail["online_url"] is None
    assert detail["invitation_url"] is None
    assert detail["synthesis_url"] is None
    assert detail["my_registration"] is None


def test_a_past_or_cancelled_public_workshop_stays_readable(client, facilitator):
    gone = cancelled(make_workshop(by=facilitator), facilitator)
    past = moved_to_the_past(make_workshop(by=facilitator))

    detail = client.get(f"{WORKSHOPS}{gone.pk}/").json()
    assert (detail["status"], detail["cancellation_reason"]) == ("cancelled", "Salle indisponible")
    assert detail["registration_open"] is False
    assert client.get(f"{WORKSHOPS}{past.pk}/").status_code == 200


def test_a_published_synthesis_is_linked_from_its_workshop(client, facilitator):
    make_workshop(by=facilitator)  # so that the workshop's and the synthesis's numbers differ
    workshop = moved_to_the_past(make_workshop(by=facilitator))
    synthesis = services.synthesis_save(
        workshop=workshop, body="# Ce que nous retenons", by=facilitator, now=workshop.starts_at
    )
    assert client.get(f"{WORKSHOPS}{workshop.pk}/").json()["synthesis_url"] is None

    services.synthesis_publish(
        synthesis=synthesis, by=facilitator, now=synthesis.workshop.starts_at
    )

    url = client.get(f"{WORKSHOPS}{workshop.pk}/").json()["synthesis_url"]
    assert url.endswith(f"/workshops/syntheses/{workshop.pk}/")
    assert client.get(url).status_code == 200


def test_an_invitation_only_workshop_is_found_only_with_its_token_or_by_those_concerned(
    client, facilitator, other_facilitator, maker
):
    private = make_workshop(by=facilitator, is_public=False)
    url = f"{WORKSHOPS}{private.pk}/"

    assert client.get(url).status_code == 404
    assert client.get(url, {"invitation_token": "x" * 43}).status_code == 404
    assert as_user(client, other_facilitator).get(url).status_code == 404
    assert as_user(client, maker).get(url).status_code == 404
    client.logout()
    invited = client.get(url, {"invitation_token": private.invitation_token})
    assert invited.status_code == 200
    assert invited.json()["invitation_url"] is None
    assert invited.json()["page_url"] is None

    own = as_user(client, facilitator).get(url).json()
    assert own["invitation_url"].endswith(f"/workshops/invitation/{private.invitation_token}/")
    assert own["page_url"].endswith(f"/workshops/{private.pk}/")
    assert own["ics_url"].endswith(
        f"/workshops/{private.pk}/atelier.ics?invitation={private.invitation_token}"
    )
    client.logout()
    assert client.get(own["invitation_url"]).status_code == 200
    assert client.get(own["ics_url"]).status_code == 200  # a calendar app has no session

    register(private, maker)
    seen = as_user(client, maker).get(url).json()
    assert seen["my_registration"]["status"] == "confirmed"
    assert (seen["page_url"] is not None, seen["invitation_url"]) == (True, None)


def test_the_video_link_goes_only_to_people_holding_a_seat_and_to_facilitators(
    client, facilitator, maker, other_maker
):
    workshop = make_workshop(by=facilitator, capacity=1, online_url="https://visio.example.org/a")
    register(workshop, maker)
    register(workshop, other_maker)
    url = f"{WORKSHOPS}{workshop.pk}/"

    seated = as_user(client, maker).get(url).json()
    assert seated["online_url"] == "https://visio.example.org/a"
    assert as_user(client, maker).get(REGISTRATIONS).json()["results"][0]["online_url"] == (
        "https://visio.example.org/a"
    )
    waiting = as_user(client, other_maker).get(url).json()
    assert waiting["online_url"] is None
    assert waiting["my_registration"]["position"] == 1
    assert as_user(client, facilitator).get(url).json()["online_url"] == (
        "https://visio.example.org/a"
    )
    client.logout()
    assert client.get(url).json()["online_url"] is None
    assert "visio.example.org/a" not in client.get(WORKSHOPS).content.decode()


@pytest.mark.parametrize("who", [None, "maker", "other_facilitator"])
def test_a_guests_email_never_appears_in_the_agenda_or_a_workshop(
    client, request, facilitator, maker, who
):
    workshop = make_workshop(by=facilitator, capacity=1)
    register(workshop, maker)
    register_guest(workshop, 7)
    if who:
        as_user(client, request.getfixturevalue(who))

    for response in (client.get(WORKSHOPS), client.get(f"{WORKSHOPS}{workshop.pk}/")):
        assert response.status_code == 200
        page = response.content.decode()
        assert "invite7@example.org" not in page
        assert "Invité 7" not in page
        assert facilitator.email not in page
        assert maker.email not in page


# --- Registering --------------------------------------------------------------------------


def test_a_guest_registers_with_a_name_and_an_email(client, workshop):
    response = post(
        client,
        f"{WORKSHOPS}{workshop.pk}/register/",
        {"name": "Soizic Le Gall", "email": "Soizic@Example.org"},
    )

    # Received: the e-mail holds a link to confirm with (the answer never tells a stranger
    # anything); nothing is taken before the link is followed.
    assert response.status_code == 202, response.content
    assert response.json()["email"] == "soizic@example.org"
    assert not Registration.objects.exists()
    assert "token" not in response.content.decode()
    assert confirm_token(workshop, "soizic@example.org") not in response.content.decode()

    confirmed = confirm(client, workshop, "soizic@example.org")

    assert confirmed.status_code == 200, confirmed.content
    registration = Registration.objects.get()
    assert (registration.user, registration.email, registration.status) == (
        None,
        "soizic@example.org",
        "confirmed",
    )
    assert (confirmed.json()["id"], confirmed.json()["status"]) == (registration.pk, "confirmed")
    # The cancel link travels by e-mail only: the API gives no way to cancel it.
    assert services.registration_cancel_token(registration) not in confirmed.content.decode()


def test_a_person_with_an_account_registers_themself_in_one_call(client, workshop, maker):
    response = post(as_user(client, maker), f"{WORKSHOPS}{workshop.pk}/register/")

    assert response.status_code == 201, response.content
    registration = Registration.objects.get(pk=response.json()["id"])
    assert (registration.user, registration.email, registration.name) == (
        maker,
        maker.email,
        "Anne Le Goff",
    )
    mine = client.get(f"{WORKSHOPS}{workshop.pk}/").json()["my_registration"]
    assert mine == {"id": registration.pk, "status": "confirmed", "position": None}


def test_registrations_beyond_capacity_join_the_waitlist_in_arrival_order(client, workshop):
    answers = [
        post(
            client,
            f"{WORKSHOPS}{workshop.pk}/register/",
            {"name": f"Personne {n}", "email": f"p{n}@example.org"},
        )
        for n in range(4)
    ]

    assert [a.status_code for a in answers] == [202] * 4
    assert not Registration.objects.exists()
    # Seats go in the order the links are followed.
    for n in (3, 1, 0, 2):
        assert confirm(client, workshop, f"p{n}@example.org").status_code == 200
    registrations = selectors.with_waitlist_position(Registration.objects.order_by("pk"))
    assert [(r.email, r.status, r.waitlist_position) for r in registrations] == [
        ("p3@example.org", "confirmed", None),
        ("p1@example.org", "confirmed", None),
        ("p0@example.org", "waitlisted", 1),
        ("p2@example.org", "waitlisted", 2),
    ]
    detail = client.get(f"{WORKSHOPS}{workshop.pk}/").json()
    assert (detail["has_seats"], detail["seats_left"], detail["waitlist_count"]) == (
        False,
        None,
        None,
    )


def test_a_guest_registering_an_address_again_gets_the_same_answer_and_an_e_mail(
    client, workshop, maker
):
    guest = {"name": "Soizic", "email": "soizic@example.org"}
    first = post(client, f"{WORKSHOPS}{workshop.pk}/register/", guest)
    pending = post(
        client,
        f"{WORKSHOPS}{workshop.pk}/register/",
        {"name": "Quelqu'un d'autre", "email": "SOIZIC@example.org"},
    )
    assert confirm(client, workshop, "soizic@example.org").status_code == 200
    registered = post(client, f"{WORKSHOPS}{workshop.pk}/register/", guest)
    assert (first.status_code, pending.status_code, registered.status_code) == (202, 202, 202)
    assert first.json() == pending.json() == registered.json()
    assert workshop.registrations.count() == 1
    keys = set(OutboxEmail.objects.filter(to="soizic@example.org").values_list("key", flat=True))
    # The link to confirm (once a day however often it is asked), the seat, "already there".
    assert len(keys) == 3
    assert {key.split(":")[1] for key in keys} == {"confirm", "registration"}
    assert any(key.endswith(":confirmed") for key in keys)
    assert any(":already:" in key for key in keys)

    # A person with an account registering twice is told: it is their own registration.
    assert post(as_user(client, maker), f"{WORKSHOPS}{workshop.pk}/register/").status_code == 201
    answered(post(client, f"{WORKSHOPS}{workshop.pk}/register/"), 409, "already_registered")


def test_registering_after_the_deadline_is_refused(client, workshop):
    Workshop.objects.filter(pk=workshop.pk).update(registration_deadline=timezone.now() - DAY)

    response = post(
        client, f"{WORKSHOPS}{workshop.pk}/register/", {"name": "Tardif", "email": "t@example.org"}
    )

    answered(response, 409, "registration_closed")
    assert not workshop.registrations.exists()


def test_registering_to_a_cancelled_workshop_is_refused(client, workshop, named_facilitator, maker):
    cancelled(workshop, named_facilitator)

    response = post(as_user(client, maker), f"{WORKSHOPS}{workshop.pk}/register/")

    answered(response, 409, "workshop_cancelled")
    assert not workshop.registrations.exists()


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"name", "email"}),
        ({"name": "Soizic", "email": "pas-une-adresse"}, {"email"}),
        ({"name": "  ", "email": "soizic@example.org"}, {"name"}),
    ],
)
def test_a_guest_is_asked_for_a_name_and_a_valid_email(client, workshop, body, fields):
    response = post(client, f"{WORKSHOPS}{workshop.pk}/register/", body)

    assert response.status_code == 400
    assert fields_named(response.json()) == fields
    assert not workshop.registrations.exists()


def test_an_invitation_only_workshop_takes_registrations_with_its_token_only(client, facilitator):
    private = make_workshop(by=facilitator, is_public=False)
    guest = {"name": "Soizic", "email": "soizic@example.org"}
    url = f"{WORKSHOPS}{private.pk}/register/"

    assert post(client, url, guest).status_code == 404
    assert post(client, url, {**guest, "invitation_token": "forged"}).status_code == 404
    response = post(client, url, {**guest, "invitation_token": private.invitation_token})
    assert response.status_code == 202
    assert confirm(client, private, "soizic@example.org").status_code == 200
    assert private.registrations.count() == 1


def test_registering_without_an_account_is_paced_per_address(client, facilitator):
    workshop = make_workshop(by=facilitator, capacity=100)
    answers = [
        post(
            client,
            f"{WORKSHOPS}{workshop.pk}/register/",
            {"name": f"Personne {n}", "email": f"p{n}@example.org"},
        ).status_code
        for n in range(31)
    ]
    assert answers == [202] * 30 + [429]


# --- One's registrations and cancelling ---------------------------------------------------


def test_a_person_lists_only_their_own_registrations_with_their_rank(
    client, facilitator, maker, other_maker
):
    full = make_workshop(by=facilitator, capacity=1)
    open_ = make_workshop(by=facilitator)
    register(full, other_maker)
    waiting = register(full, maker)
    seated = register(open_, maker)
    register(open_, other_maker)
    gone = register(make_workshop(by=facilitator), maker)
    services.registration_cancel(registration=gone, now=timezone.now())

    rows = as_user(client, maker).get(REGISTRATIONS).json()["results"]

    assert [(r["id"], r["status"], r["position"]) for r in rows] == [
        (seated.pk, "confirmed", None),
        (waiting.pk, "waitlisted", 1),
    ]
    assert client.get(f"{REGISTRATIONS}{seated.pk}/").status_code == 200
    others = Registration.objects.filter(user=other_maker).values_list("pk", flat=True)
    for pk in others:
        assert client.get(f"{REGISTRATIONS}{pk}/").status_code == 404
    client.logout()
    assert client.get(REGISTRATIONS).status_code == 401


def test_cancelling_ones_registration_promotes_the_first_person_waiting(
    client, workshop, maker, django_capture_on_commit_callbacks
):
    mine = register(workshop, maker)
    register_guest(workshop, 1)
    first_waiting = register_guest(workshop, 2)
    second_waiting = register_guest(workshop, 3)

    with django_capture_on_commit_callbacks(execute=True):
        response = post(as_user(client, maker), f"{REGISTRATIONS}{mine.pk}/cancel/")

    assert response.status_code == 200, response.content
    assert response.json() == {
        "id": mine.pk,
        "status": "cancelled",
        "promoted_registration": first_waiting.pk,
    }
    statuses = dict(workshop.registrations.values_list("pk", "status"))
    assert statuses[mine.pk] == "cancelled"
    assert statuses[first_waiting.pk] == "confirmed"
    assert statuses[second_waiting.pk] == "waitlisted"
    assert client.get(REGISTRATIONS).json()["results"] == []


def test_cancelling_someone_elses_registration_answers_404(client, workshop, maker, other_maker):
    theirs = register(workshop, other_maker)
    guest = register_guest(workshop, 1)

    for registration in (theirs, guest):
        response = post(as_user(client, maker), f"{REGISTRATIONS}{registration.pk}/cancel/")
        assert response.status_code == 404
    assert set(workshop.registrations.values_list("status", flat=True)) == {"confirmed"}


def test_a_guest_cancels_with_the_token_of_their_email(
    client, workshop, django_capture_on_commit_callbacks
):
    guest = register_guest(workshop, 1)
    register_guest(workshop, 2)
    waiting = register_guest(workshop, 3)
    token = services.registration_cancel_token(guest)

    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, f"{REGISTRATIONS}{guest.pk}/cancel/", {"token": token})

    assert response.status_code == 200, response.content
    assert response.json()["promoted_registration"] == waiting.pk
    guest.refresh_from_db()
    assert guest.status == "cancelled"


def test_a_forged_or_misplaced_cancel_token_is_refused_with_a_clear_message(client, workshop):
    guest = register_guest(workshop, 1)
    other = register_guest(workshop, 2)
    token = services.registration_cancel_token(guest)
    url = f"{REGISTRATIONS}{guest.pk}/cancel/"

    forged = post(client, url, {"token": token[:-3] + "abc"})
    answered(forged, 400, "cancel_link_invalid", field="token")
    elsewhere = post(client, f"{REGISTRATIONS}{other.pk}/cancel/", {"token": token})
    answered(elsewhere, 400, "cancel_link_of_another_registration", field="token")
    missing = post(client, url)
    assert missing.status_code == 400
    assert "token" in missing.json()
    assert set(workshop.registrations.values_list("status", flat=True)) == {"confirmed"}


def test_cancelling_twice_or_after_the_start_answers_409(client, workshop, maker):
    mine = register(workshop, maker)
    assert post(as_user(client, maker), f"{REGISTRATIONS}{mine.pk}/cancel/").status_code == 200

    again = post(client, f"{REGISTRATIONS}{mine.pk}/cancel/")
    answered(again, 409, "registration_already_cancelled")

    guest = register_guest(workshop, 1)
    moved_to_the_past(workshop)
    late = post(
        client,
        f"{REGISTRATIONS}{guest.pk}/cancel/",
        {"token": services.registration_cancel_token(guest)},
    )
    assert late.status_code == 409
    assert Registration.objects.get(pk=guest.pk).status == "confirmed"


# --- Facilitators -------------------------------------------------------------------------


def test_a_facilitator_schedules_a_workshop_in_paris_time(client, facilitator, other_facilitator):
    year = timezone.localdate().year + 1
    body = new_workshop_body(
        starts_at=f"{year}-01-15T18:00:00",
        registration_deadline=None,
        co_facilitators=[other_facilitator.pk],
        is_public=False,
    )

    response = post(as_user(client, facilitator), WORKSHOPS, body)

    assert response.status_code == 201, response.content
    created = response.json()
    assert created["starts_at"] == f"{year}-01-15T18:00:00+01:00"
    assert created["registration_deadline"] == created["starts_at"]
    assert created["ends_at"] == f"{year}-01-15T19:30:00+01:00"
    assert created["invitation_url"]
    workshop = Workshop.objects.get(pk=created["id"])
    assert set(workshop.facilitators.all()) == {facilitator, other_facilitator}
    assert created["id"] in ids(as_user(client, other_facilitator).get(WORKSHOPS))


@pytest.mark.parametrize("who", ["maker", "relay_staff", "region_staff", "auditor"])
def test_only_facilitators_schedule_workshops(client, request, who):
    response = post(as_user(client, request.getfixturevalue(who)), WORKSHOPS, new_workshop_body())

    assert response.status_code == 403
    assert not Workshop.objects.exists()


def test_scheduling_without_an_account_asks_to_authenticate(client, reference_data):
    assert post(client, WORKSHOPS, new_workshop_body()).status_code == 401


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"starts_at": (timezone.now() - DAY).isoformat()}, "starts_at"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"capacity": 0}, "capacity"),
        ({"registration_deadline": in_days(25).isoformat()}, "registration_deadline"),
        ({"theme": "astrologie"}, "theme"),
        ({"department": "99"}, "department"),
        ({"online_url": "pas un lien"}, "online_url"),
        ({"title": ""}, "title"),
    ],
)
def test_bad_workshop_details_are_refused_naming_the_field(client, facilitator, changes, field):
    response = post(as_user(client, facilitator), WORKSHOPS, new_workshop_body(**changes))

    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not Workshop.objects.exists()


def test_a_co_facilitator_must_be_a_facilitator(client, facilitator, maker):
    response = post(
        as_user(client, facilitator), WORKSHOPS, new_workshop_body(co_facilitators=[maker.pk])
    )

    assert response.status_code == 400
    assert "facilitatrice" in response.json()["co_facilitators"][0]


def test_a_workshop_with_neither_place_nor_link_is_refused_with_the_reason(client, facilitator):
    body = new_workshop_body(commune="", address="", department=None)

    response = post(as_user(client, facilitator), WORKSHOPS, body)

    answered(response, 400, "place_missing", field="commune")


def test_a_facilitator_changes_their_workshop_and_more_seats_serve_the_waitlist(
    client, workshop, named_facilitator, django_capture_on_commit_callbacks
):
    for n in range(4):
        register_guest(workshop, n)
    url = f"{WORKSHOPS}{workshop.pk}/"

    with django_capture_on_commit_callbacks(execute=True):
        response = patch(as_user(client, named_facilitator), url, {"capacity": 3, "title": "Neuf"})

    assert response.status_code == 200, response.content
    assert (response.json()["title"], response.json()["seats_left"]) == ("Neuf", 0)
    assert response.json()["waitlist_count"] == 1
    assert Registration.objects.get(email="invite2@example.org").status == "confirmed"
    assert Registration.objects.get(email="invite3@example.org").status == "waitlisted"

    put = client.put(url, new_workshop_body(capacity=8), content_type="application/json")
    assert put.status_code == 200, put.content
    assert (put.json()["title"], put.json()["capacity"]) == ("Coopérer avec les hôpitaux", 8)


def test_fewer_seats_than_people_registered_is_refused(client, workshop, named_facilitator):
    register_guest(workshop, 1)
    register_guest(workshop, 2)

    response = patch(
        as_user(client, named_facilitator), f"{WORKSHOPS}{workshop.pk}/", {"capacity": 1}
    )

    answered(response, 400, "capacity_below_confirmed", field="capacity")
    workshop.refresh_from_db()
    assert workshop.capacity == 2


def test_a_past_date_is_refused_when_changing_a_workshop(client, workshop, named_facilitator):
    response = patch(
        as_user(client, named_facilitator),
        f"{WORKSHOPS}{workshop.pk}/",
        {"starts_at": (timezone.now() - DAY).isoformat()},
    )

    answered(response, 400, "workshop_in_past", field="starts_at")
    assert "starts_at" in response.json()


def test_another_facilitators_workshop_is_not_found_for_management(
    client, workshop, other_facilitator
):
    as_user(client, other_facilitator)
    url = f"{WORKSHOPS}{workshop.pk}/"

    assert client.get(url).status_code == 200  # public: readable by all
    assert patch(client, url, {"capacity": 5}).status_code == 404
    put = client.put(url, new_workshop_body(), content_type="application/json")
    assert put.status_code == 404
    assert post(client, f"{url}cancel/", {"reason": "Non"}).status_code == 404
    assert client.get(f"{url}registrations/").status_code == 404
    workshop.refresh_from_db()
    assert (workshop.capacity, workshop.status) == (2, "scheduled")


@pytest.mark.parametrize("who", ["maker", "auditor", "region_staff"])
def test_management_is_forbidden_to_anyone_but_facilitators(client, request, workshop, who):
    as_user(client, request.getfixturevalue(who))
    url = f"{WORKSHOPS}{workshop.pk}/"

    assert patch(client, url, {"capacity": 5}).status_code == 403
    assert post(client, f"{url}cancel/", {"reason": "Non"}).status_code == 403
    assert client.get(f"{url}registrations/").status_code == 403


def test_a_facilitator_cancels_their_workshop_with_a_reason(
    client, workshop, named_facilitator, django_capture_on_commit_callbacks
):
    register_guest(workshop, 1)
    url = f"{WORKSHOPS}{workshop.pk}/cancel/"
    as_user(client, named_facilitator)

    blank = post(client, url, {"reason": "  "})
    assert blank.status_code == 400
    assert "pourquoi" in blank.json()["reason"][0]

    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, url, {"reason": "Tempête annoncée"})
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["cancellation_reason"]) == (
        "cancelled",
        "Tempête annoncée",
    )

    again = post(client, url, {"reason": "Encore"})
    answered(again, 409, "workshop_already_cancelled")
    changed = patch(client, f"{WORKSHOPS}{workshop.pk}/", {"capacity": 5})
    answered(changed, 409, "cancelled_workshop_unchangeable")


def test_a_facilitator_reads_the_registrations_with_emails_and_waitlist_ranks(
    client, workshop, named_facilitator, maker
):
    register(workshop, maker)
    register_guest(workshop, 1)
    waiting = [register_guest(workshop, n) for n in (2, 3)]
    services.registration_cancel(registration=register_guest(workshop, 4), now=timezone.now())
    url = f"{WORKSHOPS}{workshop.pk}/registrations/"

    rows = as_user(client, named_facilitator).get(url).json()["results"]

    assert [(r["email"], r["status"], r["position"], r["has_account"]) for r in rows] == [
        (maker.email, "confirmed", None, True),
        ("invite1@example.org", "confirmed", None, False),
        ("invite2@example.org", "waitlisted", 1, False),
        ("invite3@example.org", "waitlisted", 2, False),
    ]
    only_waiting = client.get(url, {"status": "waitlisted"}).json()["results"]
    assert [r["id"] for r in only_waiting] == [r.pk for r in waiting]
    assert client.get(url, {"status": "cancelled"}).status_code == 400


# --- Programs -----------------------------------------------------------------------------


def test_a_program_schedules_and_registers_with_personal_tokens(client, facilitator, maker):
    facilitator_token = make_personal_token(facilitator)
    maker_token = make_personal_token(maker)

    created = post(
        client, WORKSHOPS, new_workshop_body(), HTTP_AUTHORIZATION=f"Token {facilitator_token}"
    )
    assert created.status_code == 201, created.content
    workshop_id = created.json()["id"]

    registered = post(
        client,
        f"{WORKSHOPS}{workshop_id}/register/",
        HTTP_AUTHORIZATION=f"Token {maker_token}",
    )
    assert registered.status_code == 201
    mine = client.get(REGISTRATIONS, HTTP_AUTHORIZATION=f"Token {maker_token}").json()
    assert [r["id"] for r in mine["results"]] == [registered.json()["id"]]
    assert Registration.objects.get(pk=registered.json()["id"]).user == maker


@pytest.mark.django_db
def test_a_forged_personal_token_is_refused(client):
    assert client.get(WORKSHOPS, HTTP_AUTHORIZATION="Token " + "b" * 64).status_code == 401


# --- Constant cost ------------------------------------------------------------------------


def _workshops_up_to(count: int, *, by, co, registrant) -> None:
    """Workshops with co-facilitators, registrations, a waitlist and a published synthesis,
    so that a lazy relation anywhere would show up as extra queries."""
    while Registration.objects.filter(user=registrant).count() < count:
        n = Workshop.objects.count()
        workshop = make_workshop(by=by, co_facilitators=[co], capacity=1, starts_at=in_days(n + 2))
        register_guest(workshop, n)
        register(workshop, registrant)
        synthesis = services.synthesis_save(
            workshop=workshop, body="Synthèse", by=by, now=workshop.starts_at
        )
        services.synthesis_publish(synthesis=synthesis, by=by, now=synthesis.workshop.starts_at)


@pytest.mark.parametrize("who", [None, "maker", "facilitator"])
def test_the_agenda_costs_the_same_queries_for_3_and_30_workshops(
    client, request, facilitator, other_facilitator, maker, who
):
    if who:
        as_user(client, request.getfixturevalue(who))
    costs = []
    for size in (3, 30):
        _workshops_up_to(size, by=facilitator, co=other_facilitator, registrant=maker)
        costs.append(count_queries(client, WORKSHOPS, expected=size))
    assert costs[0] == costs[1], costs


def test_registration_lists_cost_the_same_queries_for_3_and_30(
    client, facilitator, other_facilitator, maker
):
    costs = []
    big = make_workshop(by=facilitator, capacity=5, starts_at=in_days(90))
    for size in (3, 30):
        _workshops_up_to(size, by=facilitator, co=other_facilitator, registrant=maker)
        while big.registrations.count() < size:
            register_guest(big, 1000 + big.registrations.count())
        as_user(client, maker)
        own = count_queries(client, REGISTRATIONS, expected=size)
        as_user(client, facilitator)
        theirs = count_queries(client, f"{WORKSHOPS}{big.pk}/registrations/", expected=size)
        costs.append((own, theirs))
    assert costs[0] == costs[1], costs


def test_the_seat_counts_tell_nobody_whether_an_address_was_already_registered(
    client, named_facilitator
):
    workshop = make_workshop(by=named_facilitator, capacity=5)
    register_guest(workshop, 1)
    url = f"{WORKSHOPS}{workshop.pk}/"
    before = client.get(url).json()
    for email in ("new@example.org", "invite1@example.org"):
        answer = post(client, f"{url}register/", {"name": "X", "email": email})
        assert answer.status_code == 202
        after = client.get(url).json()
        assert {k: after[k] for k in ("seats_left", "waitlist_count", "has_seats")} == {
            "seats_left": None,
            "waitlist_count": None,
            "has_seats": before["has_seats"],
        }
    # Only the facilitators see what waits: one new address pending, nothing taken.
    counted = as_user(client, named_facilitator).get(url).json()
    assert counted["seats_left"] == 4
    assert counted["waitlist_count"] == 0
    assert counted["pending_count"] == 1
    assert before["pending_count"] is None
