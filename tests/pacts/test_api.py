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


def _post(client, url, body=None):
    return client.post(url, body or {}, content_type="application/json")


def test_the_whole_life_of_a_pact_through_the_api(client, world, maker):
    from makers.models import Membership

    fablab = world["fablab"]
    Membership.objects.create(maker=maker.maker, organisation=fablab, is_manager=True)
    client.force_login(maker)
    created = _post(client, "/api/v1/my-pacts/", {
        "title": "Atelier", "purpose": "Réparer.", "commons": "Guides.", "licence": "CC0-1.0",
        "theme": "repair", "department": "22", "starts_on": "2026-01-05",
        "ends_on": "2026-12-31", "review_dates": ["2026-06-30"],
    })  # fmt: skip
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    url = f"/api/v1/my-pacts/{pk}/"
    region = world["region"]
    assert _post(client, url + "parties/", {
        "kind": "region", "name": "Région Bretagne", "representative": region.email,
    }).status_code == 200  # fmt: skip
    answer = _post(client, url + "parties/", {
        "kind": "organisation", "organisation": fablab.slug, "representative": maker.email,
    })  # fmt: skip
    parties = answer.json()["versions"][0]["parties"]
    refused = _post(client, url + "commitments/", {
        "party": parties[0]["id"], "kind": "money", "description": "Matériaux",
    })  # fmt: skip
    assert refused.status_code == 400 and refused.json()["code"] == "commitment_amount"
    assert _post(client, url + "commitments/", {
        "party": parties[0]["id"], "kind": "money", "description": "Matériaux",
        "amount_cents": 50_000,
    }).status_code == 200  # fmt: skip
    assert _post(client, url + "propose/").json()["status"] == "proposed"
    assert _post(client, url + "propose/").json()["code"] == "pact_not_editable"

    stranger = make_user(email="stranger@example.org")
    client.force_login(stranger)
    assert client.get(url).status_code == 404
    assert _post(client, url + "activate/").status_code == 404

    for who, party in ((region, parties[0]), (maker, parties[1])):
        client.force_login(who)
        signed = _post(client, f"/api/v1/pact-parties/{party['id']}/sign/", {"confirm": True})
        assert signed.status_code == 200, signed.json()
    assert client.get(f"/api/v1/pacts/{pk}/").status_code == 200
    assert _post(client, url + "activate/").json()["status"] == "active"
    reported = _post(client, url + "reports/", {
        "summary": "Vingt objets.", "figures": [{"label": "Objets", "value": 20}],
    })  # fmt: skip
    assert reported.status_code == 201 and reported.json()["status"] == "reported"
    client.force_login(world["region"])
    amended = _post(client, url + "amend/")
    assert [v["status"] for v in amended.json()["versions"]] == ["signed", "draft"]
    assert _post(client, url + "end/", {"motivation": "Terme"}).json()["status"] == "ended"


@pytest.mark.parametrize("url", ["/api/v1/my-pacts/", "/pactes/", "/pactes/donnees/pactes.csv"])
def test_lists_of_pacts_cost_the_same_queries_for_1_or_3_pacts(client, world, url):
    client.force_login(world["facilitator"])
    world["signed"]()
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    world["signed"]()
    world["signed"]()
    with CaptureQueriesContext(connection) as more:
        assert client.get(url).status_code == 200
    assert len(more) == len(few)
