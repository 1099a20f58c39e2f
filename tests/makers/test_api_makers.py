"""The makers' directory API: public entries for all, more for the staff who need it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from makers.models import Maker
from tests.conftest import as_user
from tests.factories import make_maker, make_personal_token, make_user
from tests.refusals import fields_named
from tilab import roles

URL = "/api/v1/makers/"
PUBLIC_FIELDS = {"id", "display_name", "department", "commune", "skills"}
STAFF_FIELDS = PUBLIC_FIELDS | {"equipment", "is_public", "has_account"}


def listed(response) -> dict[str, dict]:
    assert response.status_code == 200, response.content
    return {entry["display_name"]: entry for entry in response.json()["results"]}


def post(client, data):
    return client.post(URL, data, content_type="application/json")


@pytest.fixture
def directory(maker):
    """Anne (35, hidden, with an account) and makers in 22, 29 and 56, public or not."""
    return {
        "Anne Le Goff": Maker.objects.get(user=maker),
        "Yann Kerbrat": make_maker(
            user=make_user(role=roles.MAKER, email="yann@example.org"),
            display_name="Yann Kerbrat",
            department="22",
            commune="Lannion",
            skills="Impression 3D",
            equipment="2 Ender 3",
            is_public=True,
        ),
        "Mona Guillou": make_maker(display_name="Mona Guillou", department="22"),
        "Gwen Le Bras": make_maker(
            display_name="Gwen Le Bras",
            department="29",
            commune="Brest",
            equipment="Brother",
            is_public=True,
        ),
        "Loïc Tanguy": make_maker(display_name="Loïc Tanguy", department="56"),
    }


# --- Who sees which maker -----------------------------------------------------------------


def test_anonymous_visitors_see_only_public_makers_with_public_fields(client, directory):
    entries = listed(client.get(URL))
    assert set(entries) == {"Yann Kerbrat", "Gwen Le Bras"}
    assert entries["Yann Kerbrat"] == {
        "id": directory["Yann Kerbrat"].pk,
        "display_name": "Yann Kerbrat",
        "department": "22",
        "commune": "Lannion",
        "skills": "Impression 3D",
    }


def test_a_maker_sees_public_makers_and_their_own_profile(client, maker, directory):
    entries = listed(as_user(client, maker).get(URL))
    assert set(entries) == {"Anne Le Goff", "Yann Kerbrat", "Gwen Le Bras"}
    assert set(entries["Anne Le Goff"]) == PUBLIC_FIELDS


def test_a_facilitator_sees_the_public_directory(client, facilitator, directory):
    entries = listed(as_user(client, facilitator).get(URL))
    assert set(entries) == {"Yann Kerbrat", "Gwen Le Bras"}
    assert set(entries["Yann Kerbrat"]) == PUBLIC_FIELDS


def test_relay_staff_see_every_maker_of_their_departments_and_the_public_ones(
    client, relay_staff, directory
):
    entries = listed(as_user(client, relay_staff).get(URL))
    assert set(entries) == {"Anne Le Goff", "Yann Kerbrat", "Mona Guillou", "Gwen Le Bras"}
    assert {key for entry in entries.values() for key in entry} == STAFF_FIELDS
    assert entries["Mona Guillou"]["has_account"] is False
    assert entries["Anne Le Goff"]["has_account"] is True
    assert entries["Yann Kerbrat"]["equipment"] == "2 Ender 3"
    assert entries["Anne Le Goff"]["is_public"] is False


def test_relay_staff_see_only_the_public_face_of_makers_outside_their_departments(
    client, relay_staff, directory
):
    gwen = listed(as_user(client, relay_staff).get(URL))["Gwen Le Bras"]
    assert (gwen["commune"], gwen["equipment"], gwen["has_account"]) == ("Brest", None, None)


@pytest.mark.parametrize("role", [roles.REGION_STAFF, roles.AUDITOR])
def test_region_staff_and_auditors_see_every_maker(client, role_users, role, directory):
    entries = listed(as_user(client, role_users[role]).get(URL))
    assert set(entries) == set(directory)
    assert entries["Gwen Le Bras"]["equipment"] == "Brother"
    assert entries["Loïc Tanguy"]["has_account"] is False


@pytest.mark.parametrize("role", [roles.REGION_STAFF, roles.AUDITOR, roles.RELAY_STAFF])
def test_no_email_address_is_ever_shown(client, role_users, role, directory):
    body = as_user(client, role_users[role]).get(URL).content.decode()
    assert "@" not in body


def test_a_hidden_maker_answers_404_to_whoever_may_not_see_them(
    client, maker, other_relay_staff, directory
):
    mona = directory["Mona Guillou"]
    assert client.get(f"{URL}{mona.pk}/").status_code == 404
    assert as_user(client, maker).get(f"{URL}{mona.pk}/").status_code == 404
    assert as_user(client, other_relay_staff).get(f"{URL}{mona.pk}/").status_code == 404


def test_a_visible_maker_is_retrieved(client, relay_staff, directory):
    mona = directory["Mona Guillou"]
    body = as_user(client, relay_staff).get(f"{URL}{mona.pk}/").json()
    assert (body["id"], body["department"], body["is_public"]) == (mona.pk, "22", False)


# --- Adding makers ------------------------------------------------------------------------


def test_relay_staff_add_a_maker_without_an_account(client, relay_staff):
    response = post(
        as_user(client, relay_staff),
        {"display_name": "  Nolwenn   Le Du ", "department": "22", "commune": "Guingamp"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    maker = Maker.objects.get(pk=body["id"])
    assert (maker.display_name, maker.department_id, maker.user) == ("Nolwenn Le Du", "22", None)
    assert (body["has_account"], body["is_public"], body["commune"]) == (False, False, "Guingamp")


def test_relay_staff_cannot_add_a_maker_outside_their_departments(client, relay_staff):
    response = post(as_user(client, relay_staff), {"display_name": "Gwen", "department": "29"})
    assert response.status_code == 400
    assert "29" in response.json()["department"][0]
    assert not Maker.objects.filter(display_name="Gwen").exists()


@pytest.mark.parametrize(
    "body, fields",
    [
        ({"department": "35"}, {"display_name"}),
        ({"display_name": "   ", "department": "35"}, {"display_name"}),
        ({"display_name": "Nolwenn"}, {"department"}),
        ({"display_name": "Nolwenn", "department": "75"}, {"department"}),
    ],
)
def test_adding_a_maker_names_what_is_missing(client, relay_staff, body, fields):
    response = post(as_user(client, relay_staff), body)
    assert response.status_code == 400
    assert fields_named(response.json()) == fields
    assert not Maker.objects.exists()


@pytest.mark.parametrize(
    "role", [roles.MAKER, roles.REGION_STAFF, roles.FACILITATOR, roles.AUDITOR]
)
def test_only_relay_staff_add_makers(client, role_users, role):
    before = Maker.objects.count()
    response = post(as_user(client, role_users[role]), {"display_name": "X", "department": "35"})
    assert response.status_code == 403
    assert Maker.objects.count() == before


@pytest.mark.django_db
def test_an_anonymous_visitor_adds_no_maker(client, reference_data):
    assert post(client, {"display_name": "X", "department": "35"}).status_code == 401
    assert not Maker.objects.exists()


# --- Filters, pages, programs -------------------------------------------------------------


@pytest.mark.parametrize(
    "query, expected",
    [
        ("department=22", {"Yann Kerbrat", "Mona Guillou"}),
        ("q=le", {"Anne Le Goff", "Gwen Le Bras"}),
        ("q=bras+GWEN", {"Gwen Le Bras"}),
        ("department=35&q=kerbrat", set()),
    ],
)
def test_the_directory_filters_by_department_and_name(
    client, region_staff, directory, query, expected
):
    assert set(listed(as_user(client, region_staff).get(f"{URL}?{query}"))) == expected


def test_an_unknown_department_is_refused(client, directory):
    response = client.get(f"{URL}?department=75")
    assert response.status_code == 400
    assert fields_named(response.json()) == {"department"}


def test_the_directory_comes_in_cursor_pages(client, region_staff, directory):
    as_user(client, region_staff)
    url, seen = f"{URL}?page_size=2", []
    while url:
        body = client.get(url).json()
        assert len(body["results"]) <= 2
        seen += [entry["id"] for entry in body["results"]]
        url = body["next"]
    assert seen == sorted(maker.pk for maker in directory.values())


def test_a_program_reads_the_directory_with_a_personal_token(client, relay_staff, directory):
    token = make_personal_token(relay_staff)
    response = client.get(URL, HTTP_AUTHORIZATION=f"Token {token}")
    assert "Mona Guillou" in listed(response)


# --- Constant cost ------------------------------------------------------------------------


def _fill_makers_up_to(count: int) -> None:
    departments = ["35", "22", "29", "56"]
    for n in range(Maker.objects.count(), count):
        make_maker(
            user=make_user(role=roles.MAKER) if n % 2 else None,
            display_name=f"Maker {n}",
            department=departments[n % 4],
            is_public=n % 3 != 1,
        )


@pytest.mark.parametrize(
    "role", [None, roles.MAKER, roles.RELAY_STAFF, roles.REGION_STAFF, roles.AUDITOR]
)
def test_the_directory_costs_the_same_queries_for_1_10_and_50_makers(client, role_users, role):
    Maker.objects.all().delete()
    if role:
        as_user(client, role_users[role])
    counts, shown = [], []
    for size in (1, 10, 50):
        _fill_makers_up_to(size)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"{URL}?page_size=100")
        assert response.status_code == 200
        counts.append(len(queries.captured_queries))
        shown.append(len(response.json()["results"]))
    assert shown[0] >= 1 and shown[0] < shown[1] < shown[2], shown
    assert len(set(counts)) == 1, counts
    print(f"{role or 'anonymous'}: {counts[0]} queries")
