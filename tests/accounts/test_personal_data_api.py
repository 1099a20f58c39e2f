"""A person's own data through the API: the same export as the page's JSON download, theirs
only, at a cost that does not grow with what they did."""

import json

import pytest
from django.utils import timezone

from recognition.services import attestation_issue
from tests.conftest import as_user, count_queries
from tests.factories import make_report

URL = "/api/v1/me/personal-data/"
PAGE_JSON = "/maker/mes-donnees/export.json"

pytestmark = pytest.mark.django_db


def _without_time(data: dict) -> dict:
    return {key: value for key, value in data.items() if key != "exported_at"}


def test_the_api_exports_what_the_page_downloads(client, maker, anne, relay_staff):
    make_report(maker=anne, quantity=24, status="validated", decided_by=relay_staff)
    make_report(maker=anne, quantity=5, recipient="EHPAD de Cesson")
    attestation_issue(maker=anne, by=maker, now=timezone.now())
    as_user(client, maker)
    response = client.get(URL)
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    body = response.json()
    downloaded = json.loads(client.get(PAGE_JSON).content)
    assert _without_time(body) == _without_time(downloaded)
    assert body["account"]["email"] == "anne@example.org"
    assert len(body["production_reports"]) == 2 and len(body["attestations"]) == 1


def test_the_export_holds_the_callers_data_only(client, maker, anne, other_maker, relay_staff):
    make_report(maker=other_maker.maker, quantity=72, recipient="Clinique de Yann")
    body = as_user(client, maker).get(URL).json()
    assert "Clinique de Yann" not in json.dumps(body)
    assert "yann" not in json.dumps(body).lower()


def test_staff_export_their_own_account_too(client, auditor):
    body = as_user(client, auditor).get(URL).json()
    assert body["account"]["email"] == auditor.email and body["maker"] is None


def test_the_export_needs_an_account(client, reference_data):
    assert client.get(URL).status_code == 401


def test_the_export_costs_the_same_however_much_was_done(client, maker, anne, relay_staff):
    make_report(maker=anne, quantity=24, status="validated", decided_by=relay_staff)
    as_user(client, maker)
    few = count_queries(client, URL)
    for n in range(8):
        make_report(maker=anne, quantity=10 + n, status="validated", decided_by=relay_staff)
    attestation_issue(maker=anne, by=maker, now=timezone.now())
    assert count_queries(client, URL) == few
