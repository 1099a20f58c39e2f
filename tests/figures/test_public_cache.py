"""The public pages built from the totals come from the cache under the version of the totals:
a validation shows there right after its drain, filters and languages are kept apart, a reader
whose copy is current gets 304, and nobody signed in gets anybody else's page."""

import datetime
import re

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from figures.selectors import TOTALS_VERSION, totals_version
from makers import services
from tests.factories import make_maker, make_report

THURSDAY = datetime.date(2020, 4, 2)
NNBSP = "\u202f"
TOKEN = re.compile(r"[A-Za-z0-9]{64}")

PAGES = ["/", "/chiffres/", "/api/v1/figures/?group_by=department", "/open-data/production.csv"]


def shown(response) -> str:
    """The answer's text, its CSRF tokens left out (they differ per reader)."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return TOKEN.sub("", content.decode())


def has_quantity(text: str, quantity: int) -> bool:
    """The quantity as a page prints it (thousands apart), or as the API and the CSV write it."""
    printed = f"{quantity // 1000}{NNBSP}{quantity % 1000:03d}"
    return printed in text or f'"quantity":{quantity}' in text or f",{quantity}," in text


@pytest.fixture
def published(relay_staff, django_capture_on_commit_callbacks):
    """Three makers of Ille-et-Vilaine with 2,121 visors each, validated and drained: 6,363
    visors, public (three makers); and a fourth maker's 1,414 visors waiting for the relay."""
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            make_report(
                make_maker(display_name=f"Maker {n}", department="35"),
                quantity=2121,
                produced_on=THURSDAY,
                status="validated",
                decided_by=relay_staff,
            )
    return make_report(
        make_maker(display_name="Maker 4", department="35"), quantity=1414, produced_on=THURSDAY
    )


@pytest.mark.parametrize("path", PAGES)
def test_a_validation_shows_on_the_public_page_right_after_its_drain(
    client, published, relay_staff, django_capture_on_commit_callbacks, path
):
    before = client.get(path)
    text = shown(before)
    assert has_quantity(text, 6363)
    # Served from the cache now: the same bytes, without a query (the version of the totals
    # is read from the cache with the answer).
    with CaptureQueriesContext(connection) as queries:
        again = client.get(path)
    assert shown(again) == text
    assert len(queries) == 0, [q["sql"] for q in queries.captured_queries]

    with django_capture_on_commit_callbacks(execute=True):  # the drain runs on commit
        services.production_reports_validate(
            report_ids=[published.pk], by=relay_staff, now=timezone.now()
        )

    after = client.get(path)
    assert has_quantity(shown(after), 7777)
    assert after["ETag"] != before["ETag"]
    assert client.get(path, headers={"if-none-match": before["ETag"]}).status_code == 200


@pytest.mark.parametrize("path", PAGES)
def test_a_current_copy_gets_304_and_the_answer_may_be_kept_by_a_proxy(client, published, path):
    first = client.get(path)
    assert first.status_code == 200
    assert "public" in first["Cache-Control"] and "max-age=" in first["Cache-Control"]
    assert "no-store" not in first["Cache-Control"]
    again = client.get(path, headers={"if-none-match": first["ETag"]})
    assert again.status_code == 304
    assert again["ETag"] == first["ETag"]
    assert not again.content


def test_filters_are_kept_apart(client, published):
    everything = shown(client.get("/chiffres/"))
    elsewhere = shown(client.get("/chiffres/?department=29"))
    assert elsewhere != everything
    assert has_quantity(everything, 6363) and not has_quantity(elsewhere, 6363)
    assert shown(client.get("/chiffres/")) == everything

    grouped = client.get("/api/v1/figures/?group_by=department").json()
    weekly = client.get("/api/v1/figures/?group_by=week").json()
    assert grouped["group_by"] == "department" and weekly["group_by"] == "week"


@pytest.mark.parametrize("path", ["/", "/chiffres/", "/api/v1/figures/?group_by=org_kind"])
def test_each_language_has_its_own_copy(published, path):
    french, english = Client(), Client()
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    in_french = french.get(path)
    in_english = english.get(path)
    assert in_french["Content-Language"] == "fr" and in_english["Content-Language"] == "en"
    assert shown(in_english) != shown(in_french)
    assert shown(english.get(path)) == shown(in_english)
    assert shown(french.get(path)) == shown(in_french)


def test_a_signed_in_person_gets_their_own_page_never_a_public_copy(client, published, maker):
    anonymous = client.get("/")
    assert "public" in anonymous["Cache-Control"]

    client.force_login(maker)
    personal = client.get("/")
    assert "no-store" in personal["Cache-Control"] and "public" not in personal["Cache-Control"]
    assert "ETag" not in personal
    assert maker.email in shown(personal) or str(maker) in shown(personal)
    assert has_quantity(shown(personal), 6363)  # the figures, from the cache all the same
    # And the public copy never holds the signed-in page.
    assert str(maker) not in shown(Client().get("/"))


def test_a_program_with_a_token_gets_its_own_answer(client, published, maker):
    from tests.factories import make_personal_token

    token = make_personal_token(maker)
    client.get("/api/v1/figures/")
    response = client.get("/api/v1/figures/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_every_reader_of_a_cached_page_gets_a_csrf_token_of_their_own(published):
    Client().get("/")  # fills the cache
    reader = Client(enforce_csrf_checks=True)
    page = reader.get("/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]{64})"', page).group(1)
    assert reader.cookies[settings.CSRF_COOKIE_NAME].value
    switched = reader.post("/i18n/setlang/", {"csrfmiddlewaretoken": token, "language": "en"})
    assert switched.status_code == 302

    other = Client().get("/").content.decode()
    assert token not in other


def test_a_message_waiting_for_a_reader_is_shown_not_cached(client, published, maker):
    client.force_login(maker)
    client.post("/accounts/logout/")
    after_logout = client.get("/")
    assert "public" not in after_logout.get("Cache-Control", "")


def test_the_anonymous_limit_counts_the_answers_served_from_the_cache(settings, published):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "anon": "3/minute"}
    Client(REMOTE_ADDR="203.0.113.7").get("/api/v1/figures/")  # fills the cache, counted
    caller = Client(REMOTE_ADDR="203.0.113.8")
    for _ in range(3):
        served = caller.get("/api/v1/figures/")
        assert served.status_code == 200 and "public" in served["Cache-Control"]
    refused = caller.get("/api/v1/figures/")
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert int(refused["Retry-After"]) > 0
    # Another address has its own count; the limit is per address.
    assert Client(REMOTE_ADDR="203.0.113.9").get("/api/v1/figures/").status_code == 200


def test_a_reader_counted_before_the_cache_is_not_counted_twice_on_a_miss(settings, published):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "anon": "2/minute"}
    caller = Client(REMOTE_ADDR="203.0.113.10")
    assert caller.get("/api/v1/figures/?group_by=week").status_code == 200  # a miss
    assert caller.get("/api/v1/figures/?group_by=item_type").status_code == 200  # a miss
    assert caller.get("/api/v1/figures/?group_by=week").status_code == 429


def test_the_version_of_the_totals_is_read_again_once_its_copy_is_dropped(
    client, published, relay_staff, django_capture_on_commit_callbacks
):
    version, _threshold = totals_version()
    assert cache.get(TOTALS_VERSION.key) == version
    with django_capture_on_commit_callbacks(execute=True):
        services.production_reports_validate(
            report_ids=[published.pk], by=relay_staff, now=timezone.now()
        )
    assert cache.get(TOTALS_VERSION.key) is None  # dropped at commit
    assert totals_version()[0] > version
