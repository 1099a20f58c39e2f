"""Every kind of 4xx the API gives, through the whole stack: an object with a stable `code`, a
`detail` a person reads and the `field` it concerns (tilab/api_errors.py). The schema fuzzing
checks the same of every answer it gets (tests/api/test_schema_fuzz.py)."""

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from makers import services as production
from tests.factories import make_report
from tilab.services import personal_token_create

REPORTS = "/api/v1/production-reports/"


@pytest.fixture
def token(maker):
    return personal_token_create(user=maker)[1]


@pytest.fixture
def staff_token(relay_staff):
    return personal_token_create(user=relay_staff)[1]


def call(method, url, body=None, *, token=None, content_type="application/json", client=None):
    headers = {"HTTP_AUTHORIZATION": f"Token {token}"} if token else {}
    client = client or Client()
    return getattr(client, method)(url, body, content_type=content_type, **headers)


def error(response) -> tuple[int, str, str | None]:
    body = response.json()
    assert response["Content-Type"] == "application/json"
    assert isinstance(body["detail"], str) and body["detail"], body
    return response.status_code, body["code"], body["field"]


def test_a_body_missing_fields_answers_invalid_naming_the_first(token):
    response = call("post", REPORTS, {"quantity": 3}, token=token)
    assert error(response) == (400, "invalid", "item_type")
    assert {"item_type", "produced_on"} <= set(response.json())


def test_a_rule_broken_answers_its_own_code_and_field(token):
    body = {"item_type": "visor", "quantity": 0, "produced_on": "2020-04-02"}
    assert error(call("post", REPORTS, body, token=token)) == (
        400,
        "quantity_out_of_range",
        "quantity",
    )


def test_a_body_that_is_not_json_answers_parse_error(token):
    response = call("post", REPORTS, "{not json", token=token)
    assert error(response) == (400, "parse_error", None)


def test_a_body_of_another_type_answers_unsupported_media_type(token):
    response = call("post", REPORTS, "quantity=3", token=token, content_type="text/plain")
    assert error(response) == (415, "unsupported_media_type", None)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "multipart/form-data; boundary=B"]
)
def test_a_form_body_answers_unsupported_media_type(token, content_type):
    body = "quantity=3" if "urlencoded" in content_type else "--B\r\n\r\n--B--\r\n"
    response = call("post", REPORTS, body, token=token, content_type=content_type)
    assert error(response) == (415, "unsupported_media_type", None)


def test_the_spreadsheet_import_reads_multipart_only(staff_token):
    response = call("post", f"{REPORTS}import/", {"dry_run": True}, token=staff_token)
    assert error(response) == (415, "unsupported_media_type", None)


def test_an_answer_in_a_format_the_api_does_not_write_answers_406(token):
    response = Client().get(REPORTS, HTTP_AUTHORIZATION=f"Token {token}", HTTP_ACCEPT="text/csv")
    assert error(response) == (406, "not_acceptable", None)


def test_no_account_or_a_bad_token_answers_401(reference_data):
    assert error(call("post", REPORTS, {})) == (401, "not_authenticated", None)
    assert error(call("post", REPORTS, {}, token="nope")) == (401, "authentication_failed", None)


def test_a_role_without_the_right_answers_403(token):
    response = call(
        "post", "/api/v1/makers/", {"display_name": "X", "department": "35"}, token=token
    )
    assert error(response) == (403, "role_not_allowed", None)


def test_a_browser_session_without_its_csrf_token_answers_403(maker):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(maker)
    response = call("post", REPORTS, {"quantity": 3}, client=browser)
    assert error(response) == (403, "permission_denied", None)


def test_a_refusal_of_the_rules_answers_403_with_its_code(maker, token):
    # A maker sees their report but decides on nothing: no relay of theirs covers it.
    report = make_report(maker=maker.maker)
    response = call("post", f"{REPORTS}{report.pk}/validate/", token=token)
    assert error(response) == (403, "report_outside_relay", None)


@pytest.mark.parametrize("url", [f"{REPORTS}999999/", "/api/v1/nothing-here/"])
def test_nothing_there_answers_404(token, url):
    assert error(call("get", url, token=token)) == (404, "not_found", None)


def test_a_method_the_endpoint_does_not_have_answers_405(token):
    assert error(call("delete", "/api/v1/departments/", token=token)) == (
        405,
        "method_not_allowed",
        None,
    )


def test_a_state_that_forbids_it_answers_409(maker, relay_staff, staff_token):
    report = make_report(maker=maker.maker)
    production.production_report_validate(report=report, by=relay_staff, now=timezone.now())
    response = call("post", f"{REPORTS}{report.pk}/validate/", token=staff_token)
    assert error(response) == (409, "report_already_decided", None)


def test_too_many_requests_answer_429(settings, reference_data):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "anon": "1/minute"}
    cache.clear()
    client = Client(REMOTE_ADDR="203.0.113.90")
    client.get("/api/v1/departments/")
    assert error(client.get("/api/v1/departments/")) == (429, "throttled", None)


def test_a_spreadsheet_refused_answers_with_a_code_and_its_rows(staff_token):
    upload = SimpleUploadedFile("production.csv", b"nothing;useful\n1;2\n", "text/csv")
    response = Client().post(
        f"{REPORTS}import/",
        {"file": upload, "dry_run": "true"},
        HTTP_AUTHORIZATION=f"Token {staff_token}",
    )
    assert error(response) == (400, "import_rejected", None)
    assert response.json()["errors"]


def test_a_multipart_body_beyond_djangos_limits_answers_a_code_not_a_page(staff_token, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    fields = {f"field{n}": "x" for n in range(20)}
    response = Client().post(f"{REPORTS}import/", fields, HTTP_AUTHORIZATION=f"Token {staff_token}")
    assert error(response) == (400, "body_too_large", None)
