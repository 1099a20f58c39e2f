"""API callers are paced per address or per account, with rates read from settings at
request time; guest forms share one limit with their API twins; a refusal is a 429 that says
when to come back."""

import os
import subprocess
import sys
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from recognition.views import CHECK_SCOPE
from tests.factories import make_personal_token, make_user, make_workshop
from tests.needs.helpers import need_post_form
from tilab import roles
from tilab.throttling import parse_rate

ROOT = "/api/v1/"
WORKSHOPS = "/api/v1/workshops/"


def limit(settings, **rates):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, **rates}


def token_client(user, address="203.0.113.50") -> Client:
    token = make_personal_token(user)
    return Client(REMOTE_ADDR=address, HTTP_AUTHORIZATION=f"Token {token}")


def statuses(send, times: int) -> list[int]:
    return [send().status_code for _ in range(times)]


# --- The rates --------------------------------------------------------------------------------


def test_every_scope_has_a_readable_rate(settings):
    for scope, rate in settings.THROTTLE_RATES.items():
        count, seconds = parse_rate(rate)
        assert count >= 1 and seconds >= 1, scope
    assert parse_rate("30/10m") == (30, 600)
    assert parse_rate("60/minute") == (60, 60)


def test_rates_come_from_the_environment():
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "r = settings.THROTTLE_RATES; print(r['anon'], r['user'], r['write'], r['import'])"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "API_THROTTLE_ANON": "7/minute",
        "API_THROTTLE_USER": "70/minute",
        "API_THROTTLE_WRITE": "off",
        "API_THROTTLE_IMPORT": "3/hour",
    }
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == ["7/minute", "70/minute", "None", "3/hour"]


# --- Anonymous and signed-in callers -----------------------------------------------------------


def test_an_anonymous_caller_gets_a_429_with_retry_after_and_a_french_message(settings, db):
    limit(settings, anon="3/minute")
    client = Client(REMOTE_ADDR="203.0.113.51")

    answers = statuses(lambda: client.get(ROOT), 4)
    response = client.get(ROOT)

    assert answers == [200, 200, 200, 429]
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response.json()["detail"].startswith("Trop de demandes en peu de temps")
    assert "Réessayez dans" in response.json()["detail"]
    # Another address is not affected.
    assert Client(REMOTE_ADDR="203.0.113.52").get(ROOT).status_code == 200


def test_a_rate_changed_in_settings_applies_to_the_next_request(settings, db):
    client = Client(REMOTE_ADDR="203.0.113.54")
    limit(settings, anon="2/minute")
    assert statuses(lambda: client.get(ROOT), 3) == [200, 200, 429]
    limit(settings, anon="10/minute")
    assert client.get(ROOT).status_code == 200
    limit(settings, anon=None)  # "off"
    assert statuses(lambda: client.get(ROOT), 15) == [200] * 15


def test_a_signed_in_caller_is_counted_per_account_not_per_address(settings, maker, auditor):
    limit(settings, user="3/minute", anon="1/minute")
    anne = token_client(maker)
    audit = token_client(auditor)  # same address

    assert statuses(lambda: anne.get(WORKSHOPS), 4) == [200, 200, 200, 429]
    assert audit.get(WORKSHOPS).status_code == 200


def test_writes_have_their_own_stricter_pace(settings, maker):
    limit(settings, user="100/minute", write="2/minute")
    client = token_client(maker)

    def write():
        # Refused as incomplete, but counted: the pace is checked before the content.
        return client.post("/api/v1/production-reports/", {}, content_type="application/json")

    assert statuses(write, 3) == [400, 400, 429]
    assert client.get(WORKSHOPS).status_code == 200  # reading still works


def test_behind_the_proxy_each_client_has_its_own_count(settings, db):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    limit(settings, anon="2/minute")

    def via_proxy(client_address, spoofed=""):
        forwarded = f"{spoofed}, {client_address}" if spoofed else client_address
        return Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)

    assert statuses(lambda: via_proxy("198.51.100.60").get(ROOT), 3) == [200, 200, 429]
    assert via_proxy("198.51.100.61").get(ROOT).status_code == 200
    assert via_proxy("198.51.100.60", spoofed="192.0.2.9").get(ROOT).status_code == 429


# --- The import: page and API share one count ----------------------------------------------------

IMPORT_API = "/api/v1/production-reports/import/"
IMPORT_PAGE = "/validation/import/"
CSV = (
    "Date;Nom du maker;Département;Article;Quantité\n16/03/2020;Anne Le Goff;35;Visière;24\n"
).encode()


def test_imports_are_paced_per_account_across_page_and_api(settings, relay_staff):
    limit(settings, **{"import": "2/hour"})
    client = Client(REMOTE_ADDR="203.0.113.55")
    client.force_login(relay_staff)

    def api():
        return client.post(IMPORT_API, {"file": SimpleUploadedFile("p.csv", CSV)})

    assert api().status_code == 200
    assert api().status_code == 200
    refused = client.post(IMPORT_PAGE, {"file": SimpleUploadedFile("p.csv", CSV)})
    assert refused.status_code == 429
    assert "Trop de demandes" in refused.content.decode()
    assert api().status_code == 429
    # Looking at the upload page is not an import.
    assert client.get(IMPORT_PAGE).status_code == 200


# --- Guest forms and their API twins ----------------------------------------------------------


def test_workshop_registration_without_an_account_counts_page_and_api_together(
    settings, facilitator
):
    limit(settings, workshop_guest="3/hour")
    workshop = make_workshop(by=facilitator, capacity=50)
    client = Client(REMOTE_ADDR="203.0.113.56")
    page = reverse("workshops:register", kwargs={"pk": workshop.pk})

    def guest(n):
        return {"name": f"Invité {n}", "email": f"invite{n}@example.org"}

    api = f"{WORKSHOPS}{workshop.pk}/register/"
    assert client.post(api, guest(1), content_type="application/json").status_code == 202
    assert client.post(page, guest(2)).status_code == 200
    assert client.post(api, guest(3), content_type="application/json").status_code == 202

    refused = client.post(page, guest(4))
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Trop de demandes en peu de temps" in refused.content.decode()
    assert client.post(api, guest(5), content_type="application/json").status_code == 429
    # Three asked (each waits for its link), none more.
    assert workshop.pending_registrations.count() == 3

    # With htmx the message comes as a fragment, swapped where the form was.
    fragment = client.post(page, guest(6), HTTP_HX_REQUEST="true")
    assert fragment.status_code == 429
    assert fragment.content.decode().lstrip().startswith('<p class="message message-error"')

    # Someone signed in registers in one click, whatever the guests did from this address.
    anne = make_user(role=roles.MAKER, email="anne.bis@example.org")
    client.force_login(anne)
    assert client.post(page).status_code == 200


def test_posting_a_need_without_an_account_counts_page_and_api_together(settings, reference_data):
    limit(settings, needs_post="2/hour")
    client = Client(REMOTE_ADDR="203.0.113.57")
    api_form = {**need_post_form(), "item_type": "visor", "quantity": 200}

    response = client.post("/api/v1/needs/", api_form, content_type="application/json")
    assert response.status_code == 201
    assert client.post(reverse("needs:post"), need_post_form()).status_code == 200
    refused = client.post(reverse("needs:post"), need_post_form())
    assert refused.status_code == 429
    assert "Trop de demandes" in refused.content.decode()
    # The form itself still shows.
    assert client.get(reverse("needs:post")).status_code == 200


def test_the_attestation_check_is_paced_per_address(settings, db):
    limit(settings, **{CHECK_SCOPE: "2/10m"})
    client = Client(REMOTE_ADDR="203.0.113.58")
    check = reverse("network:attestation_check")

    answers = statuses(lambda: client.get(check, {"code": "ZZZZ-ZZZZ-ZZZZ"}), 3)

    assert answers == [200, 200, 429]
    refused = client.get(check, {"code": "ZZZZ-ZZZZ-ZZZZ"})
    assert 0 < int(refused["Retry-After"]) <= 600
    assert Client(REMOTE_ADDR="203.0.113.59").get(check, {"code": "X"}).status_code == 200
