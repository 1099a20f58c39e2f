"""Requests the schema fuzzing found answered with a server error or outside the schema: each
now gets a 400 naming what is wrong, or a 404, in JSON, on SQLite and PostgreSQL alike."""

import pytest

from tests.factories import make_personal_token
from tests.refusals import fields_named

NUL = "\x00"
HUGE = str(10**30)


@pytest.fixture
def staff_token(relay_staff):
    return make_personal_token(relay_staff)


@pytest.fixture
def api(client, staff_token):
    """The test client as relay staff with a personal token."""

    def call(method, url, data=None):
        return getattr(client, method)(
            url, data, content_type="application/json", HTTP_AUTHORIZATION=f"Token {staff_token}"
        )

    return call


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/production-reports/?cursor=not-a-cursor",
        "/api/v1/production-reports/?cursor=cD1hYmM%3D",  # "p=abc": a position that is no id
        "/api/v1/workshops/?cursor=cD0yMDIwLTEzLTQ1",  # "p=2020-13-45": no date
    ],
)
def test_a_cursor_that_does_not_decode_answers_400_naming_it(api, url):
    response = api("get", url)
    assert response.status_code == 400
    assert fields_named(response.json()) == {"cursor"}


@pytest.mark.parametrize(
    "url, parameter",
    [
        (f"/api/v1/allocations/?programme={HUGE}", "programme"),
        ("/api/v1/allocations/?relay=1.5", "relay"),
        ("/api/v1/redistributions/?programme=-1e300", "programme"),
        (f"/api/v1/programmes/?relay={HUGE}", "relay"),
        (f"/api/v1/pledges/?need={HUGE}", "need"),
    ],
)
def test_an_id_filter_takes_whole_numbers_the_database_holds(api, url, parameter):
    response = api("get", url)
    assert response.status_code == 400
    assert parameter in response.json()


def test_an_id_filter_on_an_action_answers_400_not_500(api):
    # DRF filters the object's queryset on detail actions too.
    response = api("post", f"/api/v1/redistributions/1/settle-own-use/?relay={HUGE}", {})
    assert response.status_code == 400


def test_a_workshop_date_filter_with_any_offset_is_read_in_utc(api):
    # PostgreSQL holds offsets up to 15:59; Python's go to 23:59.
    response = api("get", "/api/v1/workshops/", {"starts_after": "0139-02-18T14:37:00-20:56"})
    assert response.status_code == 200


@pytest.mark.parametrize("value", ["0001-01-01T00:30:00+05:00", "2026-13-01T10:00"])
def test_a_workshop_date_filter_out_of_range_answers_400(api, value):
    response = api("get", "/api/v1/workshops/", {"starts_after": value})
    assert response.status_code == 400
    assert "starts_after" in response.json()


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/production-reports/abc/",
        "/api/v1/production-reports/1/2/",
        "/api/v1/workshops/%0A/register/",
        "/api/v1/nothing-here/",
    ],
)
def test_a_path_the_api_does_not_have_answers_a_json_404(api, url):
    response = api("get", url)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/departments/3{NUL}5/",
        f"/api/v1/item-types/visor{NUL}/",
        f"/api/v1/organisations/org{NUL}/",
        f"/api/v1/workshops/1/?invitation_token=a{NUL}b",
    ],
)
def test_a_nul_byte_in_a_path_or_query_names_nothing(api, url):
    response = api("get", url)
    assert response.status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/makers/?department=3{NUL}5",
        f"/api/v1/production-reports/?item_type=visor{NUL}",
        f"/api/v1/figures/?department=3{NUL}5",
        f"/api/v1/organisations/?capability=x{NUL}",
        f"/api/v1/needs/?department=3{NUL}5",
        f"/api/v1/workshops/?theme=x{NUL}",
    ],
)
def test_a_nul_byte_in_a_filter_answers_400(api, url):
    response = api("get", url)
    assert response.status_code == 400


@pytest.mark.parametrize(
    "url, body, field",
    [
        (
            "/api/v1/production-reports/",
            {"item_type": f"visor{NUL}", "quantity": 3, "produced_on": "2020-04-02"},
            "item_type",
        ),
        ("/api/v1/makers/", {"display_name": "Gwen", "department": f"3{NUL}5"}, "department"),
        (
            "/api/v1/needs/",
            {
                "establishment_name": "EHPAD",
                "care_type": "ehpad",
                "department": f"3{NUL}5",
                "commune": "Rennes",
                "item_type": f"visor{NUL}",
                "quantity": 3,
                "needed_by": "2999-01-01",
                "contact_name": "Claire",
                "contact_email": "claire@example.org",
            },
            "department",
        ),
    ],
)
def test_a_nul_byte_in_a_body_reference_answers_400_naming_the_field(api, url, body, field):
    response = api("post", url, body)
    assert response.status_code == 400
    assert field in response.json()


def test_a_workshop_theme_or_department_with_a_nul_byte_answers_400(client, facilitator):
    token = make_personal_token(facilitator)
    response = client.post(
        "/api/v1/workshops/",
        {
            "title": "Atelier",
            "theme": f"cooperation{NUL}",
            "department": f"3{NUL}5",
            "starts_at": "2999-01-01T10:00",
            "duration_minutes": 60,
            "capacity": 5,
        },
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token}",
    )
    assert response.status_code == 400
    assert {"theme", "department"} <= set(response.json())


@pytest.mark.parametrize(
    "url, parameter",
    [
        ("/api/v1/figures/?period_start=0001-01-01", "period_start"),
        ("/api/v1/figures/?period_end=9999-12-31", "period_end"),
        ("/api/v1/production-reports/?produced_after=0001-01-01", "produced_after"),
    ],
)
def test_a_date_filter_out_of_range_answers_400_naming_it(api, url, parameter):
    response = api("get", url)
    assert response.status_code == 400
    assert parameter in response.json()


@pytest.mark.parametrize(
    "url, parameter",
    [
        ("/api/v1/figures/?period_start=2020-05-01&period_end=2020-04-01", "period_end"),
        (
            "/api/v1/production-reports/?produced_after=2020-05-01&produced_before=2020-04-01",
            "produced_before",
        ),
    ],
)
def test_a_period_that_ends_before_it_starts_answers_400_on_its_end(api, url, parameter):
    response = api("get", url)
    assert response.status_code == 400
    assert parameter in response.json()
