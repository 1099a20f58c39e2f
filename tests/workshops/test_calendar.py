"""The iCalendar files, parsed back with the library that wrote them: one workshop's .ics, the
public feed (by department) and a person's secret feed."""

import datetime
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_user, make_workshop, register_guest
from workshops import services
from workshops.models import Workshop

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
FEED = "/workshops/feed.ics"


def ics_url(workshop):
    return reverse("workshops:ics", kwargs={"pk": workshop.pk})


def personal_url(user):
    feed = services.calendar_feed_of(user=user, now=timezone.now())
    return reverse("workshops:personal_feed", kwargs={"token": feed.token})


def parse(response) -> icalendar.Calendar:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return icalendar.Calendar.from_ical(response.content)


def events_by_uid(calendar) -> dict:
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def test_a_workshop_file_is_a_valid_calendar_in_paris_time(client, facilitator):
    # 13:30 UTC on a December day is 14:30 in Rennes.
    starts_at = datetime.datetime(2031, 12, 4, 13, 30, tzinfo=datetime.UTC)
    workshop = make_workshop(by=facilitator, starts_at=starts_at, duration_minutes=90)

    response = client.get(ics_url(workshop))
    calendar = parse(response)

    assert f'filename="atelier-{workshop.pk}.ics"' in response["Content-Disposition"]
    calendar.validate()
    assert str(calendar["VERSION"]) == "2.0"
    assert "Ti Lab" in str(calendar["PRODID"])
    assert str(calendar["CALSCALE"]) == "GREGORIAN"
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["X-WR-CALNAME"]) == workshop.title
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]
    (event,) = calendar.walk("VEVENT")
    assert event["DTSTART"].params["TZID"] == "Europe/Paris"
    assert event["DTEND"].params["TZID"] == "Europe/Paris"
    assert event.start == starts_at
    assert event.start.astimezone(PARIS).strftime("%H:%M") == "14:30"
    assert event.end - event.start == datetime.timedelta(minutes=90)
    assert b"DTSTART;TZID=Europe/Paris:20311204T143000" in response.content
    assert str(event["UID"]) == f"workshop-{workshop.pk}@127.0.0.1"
    assert str(event["SUMMARY"]) == workshop.title
    assert "Un atelier ouvert" in str(event["DESCRIPTION"])
    assert str(event["LOCATION"]) == "1 rue de la République, Rennes (35)"
    assert str(event["URL"]).endswith(f"/workshops/{workshop.pk}/")
    assert str(event["STATUS"]) == "CONFIRMED"
    assert "DTSTAMP" in event and "LAST-MODIFIED" in event and "SEQUENCE" in event


def test_a_summer_workshop_keeps_its_local_time(client, facilitator):
    starts_at = datetime.datetime(2031, 7, 10, 18, 0, tzinfo=PARIS)
    workshop = make_workshop(by=facilitator, starts_at=starts_at)

    response = client.get(ics_url(workshop))

    assert b"DTSTART;TZID=Europe/Paris:20310710T180000" in response.content
    (event,) = parse(response).walk("VEVENT")
    assert event.start.utcoffset() == datetime.timedelta(hours=2)


def test_a_workshop_keeps_its_uid_and_a_change_raises_its_sequence(client, facilitator):
    workshop = make_workshop(by=facilitator)
    (before,) = parse(client.get(ics_url(workshop))).walk("VEVENT")

    services.workshop_cancel(
        workshop=workshop,
        reason="Salle indisponible",
        by=facilitator,
        now=timezone.now() + datetime.timedelta(minutes=5),
    )
    (after,) = parse(client.get(ics_url(workshop))).walk("VEVENT")

    assert str(after["UID"]) == str(before["UID"])
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])
    assert str(after["STATUS"]) == "CANCELLED"
    assert "Salle indisponible" in str(after["DESCRIPTION"])
    assert after["LAST-MODIFIED"].dt > before["LAST-MODIFIED"].dt


def test_an_online_workshop_has_no_place_and_its_link_stays_private(client, facilitator):
    link = "https://visio.example.org/atelier"
    workshop = make_workshop(
        by=facilitator, address="", commune="", department_id=None, online_url=link
    )

    response = client.get(ics_url(workshop))

    (event,) = parse(response).walk("VEVENT")
    assert str(event["LOCATION"]) == "En ligne"
    assert link.encode() not in response.content
    assert str(event["URL"]).endswith(f"/workshops/{workshop.pk}/")


def test_the_feed_lists_public_workshops_and_filters_by_department(client, facilitator):
    rennes = make_workshop(by=facilitator, title="À Rennes")
    brest = make_workshop(by=facilitator, title="À Brest", commune="Brest", department_id="29")
    secret = make_workshop(by=facilitator, title="Sur invitation", is_public=False)
    cancelled = make_workshop(by=facilitator, title="Annulé")
    services.workshop_cancel(workshop=cancelled, reason="Grève", by=facilitator, now=timezone.now())
    long_ago = make_workshop(by=facilitator, title="Il y a longtemps")
    ninety_days_ago = timezone.now() - datetime.timedelta(days=90)
    Workshop.objects.filter(pk=long_ago.pk).update(
        starts_at=ninety_days_ago, registration_deadline=ninety_days_ago
    )

    everything = events_by_uid(parse(client.get(FEED)))
    in_29 = parse(client.get(FEED, {"department": "29"}))

    def uid(workshop):
        return f"workshop-{workshop.pk}@127.0.0.1"

    assert set(everything) == {uid(rennes), uid(brest), uid(cancelled)}
    assert str(everything[uid(cancelled)]["STATUS"]) == "CANCELLED"
    assert uid(secret) not in everything
    assert list(events_by_uid(in_29)) == [uid(brest)]
    assert "Finistère" in str(in_29["X-WR-CALNAME"])
    assert [str(tz["TZID"]) for tz in in_29.walk("VTIMEZONE")] == ["Europe/Paris"]


def test_the_feed_refuses_an_unknown_department(client):
    response = client.get(FEED, {"department": "99"})

    assert response.status_code == 400
    assert "Département inconnu" in response.content.decode()


def test_an_empty_feed_is_still_a_valid_calendar(client):
    calendar = parse(client.get(FEED))

    calendar.validate()
    assert calendar.walk("VEVENT") == []


def test_an_invitation_only_file_needs_its_token(client, facilitator):
    workshop = make_workshop(by=facilitator, is_public=False)

    assert client.get(ics_url(workshop)).status_code == 404
    assert client.get(ics_url(workshop), {"invitation": "x" * 43}).status_code == 404
    calendar = parse(client.get(ics_url(workshop), {"invitation": workshop.invitation_token}))
    assert len(calendar.walk("VEVENT")) == 1


def test_the_personal_feed_lists_exactly_its_owners_workshops(client, facilitator, maker):
    seat = make_workshop(by=facilitator, title="J'ai une place", online_url="https://v.example/a")
    full = make_workshop(by=facilitator, title="Complet", capacity=1)
    register_guest(full, 1)
    dropped = make_workshop(by=facilitator, title="Plus intéressée")
    invited = make_workshop(by=facilitator, title="Sur invitation", is_public=False)
    not_mine = make_workshop(by=facilitator, title="Pas pour moi")
    for workshop in (seat, full, dropped, invited):
        services.registration_create(workshop=workshop, now=timezone.now(), user=maker)
    services.registration_cancel(
        registration=dropped.registrations.get(user=maker), now=timezone.now()
    )
    register_guest(not_mine, 2)
    someone = make_user(email="autre@example.org")
    services.registration_create(workshop=not_mine, now=timezone.now(), user=someone)

    response = client.get(personal_url(maker))
    events = events_by_uid(parse(response))

    def uid(workshop):
        return f"workshop-{workshop.pk}@127.0.0.1"

    assert set(events) == {uid(seat), uid(full), uid(invited)}
    assert str(events[uid(seat)]["STATUS"]) == "CONFIRMED"
    assert str(events[uid(full)]["STATUS"]) == "TENTATIVE"
    assert str(events[uid(full)]["SUMMARY"]) == "Complet (liste d'attente)"
    assert str(events[uid(seat)]["URL"]) == "https://v.example/a"
    assert "no-store" in response["Cache-Control"]


def test_the_personal_feed_of_an_unknown_token_answers_404(client, maker):
    services.calendar_feed_of(user=maker, now=timezone.now())

    response = client.get(reverse("workshops:personal_feed", kwargs={"token": "x" * 43}))

    assert response.status_code == 404


def test_public_calendars_carry_no_personal_data(client, facilitator):
    workshop = make_workshop(by=facilitator, capacity=1, online_url="https://v.example/secret")
    for n in range(3):
        register_guest(workshop, n)

    for response in (client.get(FEED), client.get(ics_url(workshop))):
        content = response.content.decode()
        assert "@example.org" not in content
        assert "Invité" not in content
        assert "v.example/secret" not in content
        assert facilitator.email not in content


def test_feeds_cost_the_same_queries_however_many_workshops(client, facilitator, maker):
    def add(n):
        for i in range(n):
            workshop = make_workshop(by=facilitator, capacity=1)
            register_guest(workshop, i)
            services.registration_create(workshop=workshop, now=timezone.now(), user=maker)

    personal = personal_url(maker)
    add(2)
    with CaptureQueriesContext(connection) as public_few:
        client.get(FEED, {"department": "35"})
    with CaptureQueriesContext(connection) as personal_few:
        client.get(personal)
    add(8)
    with CaptureQueriesContext(connection) as public_many:
        assert len(parse(client.get(FEED, {"department": "35"})).walk("VEVENT")) == 10
    with CaptureQueriesContext(connection) as personal_many:
        assert len(parse(client.get(personal)).walk("VEVENT")) == 10

    assert len(public_many) == len(public_few)
    assert len(personal_many) == len(personal_few)
