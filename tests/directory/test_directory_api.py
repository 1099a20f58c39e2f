"""The organisations' API: the public directory with its filters, public fields only, by
cursor, at a constant query count; and the makers' API still shows the public only opted-in
makers' public fields."""

import json

import pytest

from fablabs.models import Capability
from makers.models import Membership
from tests.factories import make_maker, make_organisation, make_user
from tilab import roles

URL = "/api/v1/organisations/"
VALID_SIRET = "73282932000074"


@pytest.fixture
def network(reference_data):
    brest = make_organisation(
        name="FabLab des Capucins", department="29", commune="Brest", website="https://c.example"
    )
    brest.capabilities.set(Capability.objects.filter(slug="laser-cutting"))
    public = make_maker(display_name="Gwenaëlle Le Bihan", department="29", is_public=True)
    quiet_user = make_user(role=roles.MAKER, email="quiet@example.org")
    quiet = make_maker(user=quiet_user, display_name="Maker Discret", department="29")
    Membership.objects.create(maker=public, organisation=brest, is_manager=True)
    Membership.objects.create(maker=quiet, organisation=brest)
    sme = make_organisation(name="Armor Plasturgie", kind="sme", department="22", siret=VALID_SIRET)
    sme.capabilities.set(Capability.objects.filter(slug="thermoforming"))
    make_organisation(name="Labo caché", is_public=False)
    duplicate = make_organisation(name="Capucins (doublon)", department="29")
    duplicate.merged_into = brest
    duplicate.is_public = False
    duplicate.save()
    return {"brest": brest, "sme": sme, "duplicate": duplicate}


def names(response) -> list[str]:
    return [row["name"] for row in response.json()["results"]]


def test_the_public_lists_public_organisations_without_merged_or_hidden_ones(client, network):
    response = client.get(URL)
    assert response.status_code == 200
    assert names(response) == ["FabLab des Capucins", "Armor Plasturgie"]
    assert "next" in response.json()  # cursor pagination


def test_a_program_finds_a_fablab_in_finistere_by_capability(client, network):
    found = client.get(URL, {"department": "29", "capability": "laser-cutting"})
    assert names(found) == ["FabLab des Capucins"]
    assert names(client.get(URL, {"kind": "sme"})) == ["Armor Plasturgie"]
    assert names(client.get(URL, {"search": "brest"})) == ["FabLab des Capucins"]
    assert names(client.get(URL, {"capability": "sewing"})) == []


def test_members_are_opted_in_makers_only_and_nothing_private_shows(client, network):
    row = client.get(f"{URL}{network['brest'].slug}/").json()
    assert [m["display_name"] for m in row["members"]] == ["Gwenaëlle Le Bihan"]
    assert row["members"][0]["is_manager"] is True
    assert row["capabilities"][0]["slug"] == "laser-cutting"
    assert row["siret"] is None
    text = json.dumps(client.get(URL).json())
    assert "@" not in text and "Maker Discret" not in text
    assert client.get(f"{URL}{network['sme'].slug}/").json()["siret"] == VALID_SIRET


def test_merged_and_hidden_organisations_answer_404(client, network):
    assert client.get(f"{URL}{network['duplicate'].slug}/").status_code == 404


def test_the_list_costs_the_same_queries_with_more_organisations(
    client, network, django_assert_max_num_queries
):
    with django_assert_max_num_queries(10) as few:
        client.get(URL)
    for n in range(15):
        lab = make_organisation(name=f"Lab {n}", department="56")
        lab.capabilities.set(Capability.objects.all()[:2])
        Membership.objects.create(
            maker=make_maker(display_name=f"M {n}", is_public=True), organisation=lab
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get(URL).json()["results"]) == 17


def test_the_makers_api_shows_the_public_only_opted_in_makers_public_fields(client, network):
    rows = client.get("/api/v1/makers/").json()["results"]
    assert [row["display_name"] for row in rows] == ["Gwenaëlle Le Bihan"]
    assert set(rows[0]) == {"id", "display_name", "department", "commune", "skills"}
