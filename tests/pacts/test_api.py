"""The API of pacts: the same register as the page (filters, parity), a constant number of
queries, and signing by the party's representative only."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pacts import selectors, services
from tests.factories import make_organisation, make_user
from tests.pacts.helpers import add_parties, make_pact, signed_pact

pytestmark = pytest.mark.django_db
URL = "/api/v1/pacts/"


@pytest.fixture
def world(facilitator, region_staff):
    reps = [make_user(email=f"rep{n}@example.org") for n in range(6)]
    fablab = make_organisation(name="FabLab de Lannion", department="22")

    def signed(**kwargs):
        public, commons = reps.pop(), reps.pop()
        return signed_pact(
            by=facilitator, public_rep=public, commons_rep=commons, organisation=fablab,
            **kwargs,
        )  # fmt: skip

    return {"facilitator": facilitator, "region": region_staff, "fablab": fablab,
            "signed": signed}  # fmt: skip


def test_the_api_lists_the_register_the_page_shows(client, world):
    repair = world["signed"](title="Atelier de réparation", department="35", theme="repair")
    health = world["signed"](title="Visières pour l'hôpital", department="29", theme="health")
    make_pact(by=world["facilitator"], title="Brouillon caché")
    listed = client.get(URL).json()["results"]
    assert [p["id"] for p in listed] == [p.pk for p in selectors.register()]
    assert {p["id"] for p in listed} == {repair.pk, health.pk}
    for query, expected in (
        ("department=29", [health.pk]),
        ("theme=repair", [repair.pk]),
        ("q=visi", [health.pk]),
        ("party_kind=region", [health.pk, repair.pk]),
        ("party_kind=maker", []),
    ):
        got = [p["id"] for p in client.get(f"{URL}?{query}").json()["results"]]
        assert sorted(got) == sorted(expected), query
        page = client.get(f"/pactes/?{query}")
        assert sorted(p.pk for p in page.context["page"].object_list) == sorted(expected)


def test_listing_the_register_costs_the_same_queries_for_2_or_6_pacts(client, world):
    for _ in range(1):
        world["signed"]()
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).status_code == 200
    world["signed"]()
    world["signed"]()
    with CaptureQueriesContext(connection) as more:
        assert len(client.get(URL).json()["results"]) == 3
    assert len(more) == len(few)


def test_a_draft_answers_404_in_the_api(client, world):
    draft = make_pact(by=world["facilitator"])
    assert client.get(f"{URL}{draft.pk}/").status_code == 404


def test_a_representative_signs_through_the_api_and_nobody_else(client, world):
    rep_public = make_user(email="elu@commune.example.org")
    rep_commons = make_user(email="fab@example.org")
    pact = make_pact(by=world["facilitator"])
    public, commons = add_parties(
        pact, by=world["facilitator"], public_rep=rep_public, commons_rep=rep_commons,
        organisation=world["fablab"],
    )  # fmt: skip
    services.pact_propose(version=pact.versions.get(), by=world["facilitator"], now=timezone.now())
    client.force_login(rep_commons)
    answer = client.post(
        f"/api/v1/pact-parties/{public.pk}/sign/",
        {"confirm": True},
        content_type="application/json",
    )
    assert answer.status_code == 404
    assert answer.json()["code"] == "pact_party_not_found"
    answer = client.post(
        f"/api/v1/pact-parties/{commons.pk}/sign/", {"confirm": False},
        content_type="application/json",
    )  # fmt: skip
    assert answer.status_code == 400 and answer.json()["code"] == "pact_sign_not_confirmed"
    answer = client.post(
        f"/api/v1/pact-parties/{commons.pk}/sign/", {"confirm": True},
        content_type="application/json",
    )  # fmt: skip
    assert answer.status_code == 200 and answer.json()["version_status"] == "proposed"
    answer = client.post(
        f"/api/v1/pact-parties/{commons.pk}/sign/", {"confirm": True},
        content_type="application/json",
    )  # fmt: skip
    assert answer.status_code == 409 and answer.json()["code"] == "pact_already_signed"
