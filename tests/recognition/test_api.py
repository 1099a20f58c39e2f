"""Recognition through the API: the network's cooperation links for those who see its graph,
issuing attestations as the pages do, and anyone checking one by its code."""

import pytest

from makers.models import Membership
from recognition.models import Attestation
from tests.conftest import as_user, count_queries, post
from tests.factories import make_maker, make_organisation, make_report, make_user
from tests.refusals import answered
from tilab import roles

LINKS = "/api/v1/cooperation-links/"
ATTESTATIONS = "/api/v1/attestations/"

pytestmark = pytest.mark.django_db


def _names(body) -> list[tuple[str, str, int]]:
    return [(row["a"]["name"], row["b"]["name"], row["weight"]) for row in body["results"]]


# --- Cooperation links ----------------------------------------------------------------------


def test_a_facilitator_reads_the_links_as_the_network_page_lists_them(client, cast, facilitator):
    body = as_user(client, facilitator).get(LINKS).json()
    page = client.get("/reseau/").context["rows"]
    assert _names(body) == [(row["a"].name, row["b"].name, row["weight"]) for row in page]
    assert _names(body)[0] == ("Anne Public", "Dan Public", 3)
    assert len(body["results"]) == 10 and body["next"] is None
    first = body["results"][0]
    assert first["a"]["node_type"] == "maker" and first["a"]["id"] == cast.anne.pk
    assert {k["kind"]: k["count"] for k in first["kinds"]} == {"workshop": 2, "recipient": 1}
    assert "@" not in str(body)


def test_the_links_filter_by_kind_and_by_department(client, cast, facilitator):
    as_user(client, facilitator)
    assert _names(client.get(LINKS, {"kind": "workshop"}).json()) == [
        ("Anne Public", "Dan Public", 3)
    ]
    # Lab Discret is the cast's only node of Finistère: its member Anne, its shared member.
    in_29 = client.get(LINKS, {"department": "29"}).json()
    assert {frozenset((r["a"]["name"], r["b"]["name"])) for r in in_29["results"]} == {
        frozenset(("Anne Public", "Lab Discret")),
        frozenset(("Lab Discret", "LabFab Atelier")),
    }


def test_the_links_come_page_by_page_by_cursor(client, cast, facilitator):
    as_user(client, facilitator)
    everything = _names(client.get(LINKS).json())
    walked, url, pages = [], f"{LINKS}?page_size=3", 0
    while url:
        body = client.get(url).json()
        walked += _names(body)
        url, pages = body["next"], pages + 1
    assert walked == everything and pages == 4


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "WzEsMiwzXQ"}, "cursor"),  # valid base64 JSON, not a position
        ({"department": "99"}, "department"),
        ({"kind": "friendship"}, "kind"),
        ({"page_size": "0"}, "page_size"),
    ],
)
def test_a_query_the_links_cannot_read_answers_400_naming_it(client, facilitator, query, field):
    answered(as_user(client, facilitator).get(LINKS, query), 400, "invalid", field=field)


@pytest.mark.parametrize("role", [roles.MAKER, roles.RELAY_STAFF])
def test_makers_and_relay_staff_do_not_read_the_whole_network(client, role_users, role):
    answered(as_user(client, role_users[role]).get(LINKS), 403, "role_not_allowed")


def test_reading_the_links_needs_an_account(client, reference_data):
    assert client.get(LINKS).status_code == 401


def test_the_links_cost_the_same_whatever_the_size_of_the_network(client, cast, facilitator):
    as_user(client, facilitator)
    small = count_queries(client, LINKS, expected=10)
    for n in range(6):
        lab = make_organisation(name=f"Lab {n}", department="56")
        for m in range(3):
            maker = make_maker(display_name=f"Maker {n}-{m}", department="56")
            Membership.objects.create(maker=maker, organisation=lab)
            make_report(maker=maker, recipient=f"EHPAD {n}")
    assert count_queries(client, f"{LINKS}?page_size=100", expected=46) == small


# --- Attestations ---------------------------------------------------------------------------


def test_a_maker_issues_her_attestation_once_a_day(client, maker):
    as_user(client, maker)
    first = post(client, ATTESTATIONS)
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["holder_name"] == "Anne Le Goff" and body["content"]["kind"] == "maker"
    assert len(body["code"]) == 14 and body["verification_url"].endswith(body["code"])
    again = post(client, ATTESTATIONS, {})
    assert again.status_code == 200 and again.json()["code"] == body["code"]
    assert Attestation.objects.count() == 1


def test_anyone_checks_an_attestation_by_its_code_however_typed(client, maker):
    code = post(as_user(client, maker), ATTESTATIONS).json()["code"]
    client.logout()
    response = client.get(f"{ATTESTATIONS}{code.lower()}/")
    assert response.status_code == 200
    assert response.json()["code"] == code and response.json()["holder_name"] == "Anne Le Goff"
    answered(client.get(f"{ATTESTATIONS}ABCD-EFGH-JKMN/"), 404, "attestation_not_found")
    answered(client.get(f"{ATTESTATIONS}ABC/"), 404, "attestation_not_found")


def test_checking_codes_is_paced_per_address(client, reference_data, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "attestation_check": "2/minute"}
    for _ in range(2):
        assert client.get(f"{ATTESTATIONS}ABCD-EFGH-JKMN/").status_code == 404
    answered(client.get(f"{ATTESTATIONS}ABCD-EFGH-JKMN/"), 429, "throttled")


def test_a_manager_issues_the_attestation_of_her_organisation_only(client, maker, anne):
    mine = make_organisation(name="Fablab de Bréquigny")
    Membership.objects.create(maker=anne, organisation=mine, is_manager=True)
    member_only = make_organisation(name="Repair Café")
    Membership.objects.create(maker=anne, organisation=member_only)
    as_user(client, maker)
    response = post(client, ATTESTATIONS, {"organisation": mine.slug})
    assert response.status_code == 201
    assert response.json()["content"]["kind"] == "organisation"
    for slug in (member_only.slug, "nowhere"):
        answered(
            post(client, ATTESTATIONS, {"organisation": slug}),
            404,
            "organisation_not_managed",
            field="organisation",
        )


def test_staff_without_a_maker_profile_issue_nothing_for_themselves(client, relay_staff):
    answered(post(as_user(client, relay_staff), ATTESTATIONS), 403, "role_not_allowed")


def test_a_maker_account_without_its_profile_is_told_to_complete_it(client, reference_data):
    newcomer = make_user(role=roles.MAKER, email="nouveau@example.org")
    answered(
        post(as_user(client, newcomer), ATTESTATIONS), 409, "attestation_maker_profile_missing"
    )


def test_issuing_an_attestation_needs_an_account(client, reference_data):
    assert post(client, ATTESTATIONS).status_code == 401


def test_the_holder_downloads_the_pdf_of_her_attestation_nobody_else(client, maker, other_maker):
    code = post(as_user(client, maker), ATTESTATIONS).json()["code"]
    response = client.get(f"{ATTESTATIONS}{code}/pdf/", headers={"accept": "application/pdf"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    answered(
        as_user(client, other_maker).get(f"{ATTESTATIONS}{code}/pdf/"),
        404,
        "attestation_not_found",
    )
    client.logout()
    assert client.get(f"{ATTESTATIONS}{code}/pdf/").status_code == 401
