"""A signed-in page knows when its session ends, so it can warn a few minutes before; the person
extends it with a POST that saves the session again."""

import datetime
import re

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from tests.factories import PASSWORD
from tilab.sessions import SESSION_END_KEY

pytestmark = pytest.mark.django_db

EXTEND = "/accounts/session/prolonger/"


def session_end_on(html: str) -> datetime.datetime | None:
    found = re.search(r'data-session-ends-at="([^"]+)"', html)
    return datetime.datetime.fromisoformat(found.group(1)) if found else None


def stored_end(client) -> datetime.datetime:
    return Session.objects.get(session_key=client.session.session_key).expire_date


def test_a_signed_in_page_says_when_the_session_ends(client, maker, settings):
    response = client.post("/accounts/login/", {"login": maker.email, "password": PASSWORD})
    assert response.status_code == 302
    ends_at = session_end_on(client.get("/").content.decode())
    assert ends_at is not None
    assert abs((ends_at - stored_end(client)).total_seconds()) <= 1
    assert f'data-warn-seconds="{settings.TILAB_SESSION_WARNING_SECONDS}"' in (
        client.get("/").content.decode()
    )


def test_a_visitor_gets_no_session_warning(client, reference_data):
    html = client.get("/").content.decode()
    assert session_end_on(html) is None
    assert 'id="session-warning"' not in html


def test_the_end_shown_is_the_one_recorded_when_the_session_was_last_saved(client, maker):
    client.force_login(maker)
    session = client.session
    earlier = timezone.now() + datetime.timedelta(minutes=3)
    session[SESSION_END_KEY] = earlier.isoformat()
    session.save()
    # A page that changes nothing in the session does not move its end.
    ends_at = session_end_on(client.get("/").content.decode())
    assert abs((ends_at - earlier).total_seconds()) <= 1


def test_extending_saves_the_session_again_and_answers_its_new_end(client, maker, settings):
    client.force_login(maker)
    session = client.session
    session.set_expiry(600)  # ten minutes left
    session.save()
    before = stored_end(client)

    response = client.post(EXTEND, HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    ends_at = datetime.datetime.fromisoformat(response.json()["ends_at"])
    assert ends_at > before
    assert abs((stored_end(client) - ends_at).total_seconds()) <= 1
    later = session_end_on(client.get("/").content.decode())
    assert abs((later - ends_at).total_seconds()) <= 1


def test_extending_without_javascript_goes_back_to_the_page(client, maker):
    client.force_login(maker)
    response = client.post(EXTEND, {"next": "/chiffres/"})
    assert response.status_code == 302
    assert response["Location"] == "/chiffres/"


def test_extending_never_sends_elsewhere(client, maker):
    client.force_login(maker)
    response = client.post(EXTEND, {"next": "https://evil.example.org/"})
    assert response["Location"] == "/"


def test_an_ended_session_is_not_extended(client, maker):
    response = client.post(EXTEND, HTTP_ACCEPT="application/json")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
