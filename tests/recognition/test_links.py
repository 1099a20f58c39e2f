"""Cooperation links: who has worked with whom, with what weight, seen by whom; and the
facilitators' whole-network page."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.template import Context, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from makers.models import Membership
from recognition import links as network
from recognition.links import MAKER, ORGANISATION
from tests.conftest import figure_captions
from tests.factories import (
    make_maker,
    make_organisation,
)
from tilab import roles

URL = "/reseau/"


def _pairs(links):
    return {frozenset((link.a, link.b)): link for link in links}


def _key(obj):
    return (ORGANISATION, obj.pk) if hasattr(obj, "kind") else (MAKER, obj.pk)


def _link(pairs, a, b):
    return pairs.get(frozenset((_key(a), _key(b))))


def test_recipient_names_are_compared_without_case_accents_or_punctuation():
    assert network.recipient_normalise("C.H.U. de  Rennes") == "chu de rennes"
    assert network.recipient_normalise("EHPAD Sévigné") == network.recipient_normalise(
        "ehpad sevigne"
    )
    assert network.recipient_normalise("  ") == ""


def test_members_are_linked_to_their_organisation_and_to_each_other(cast):
    pairs = _pairs(network.network_links())
    assert _link(pairs, cast.bob, cast.lab_a).kinds == {network.MEMBER: 1}
    assert _link(pairs, cast.anne, cast.bob).kinds == {network.CO_MEMBER: 1}
    assert _link(pairs, cast.bob, cast.claire).weight == 1
    # Anne belongs to both: the two organisations share a member.
    assert _link(pairs, cast.lab_a, cast.lab_b).kinds == {network.SHARED_MEMBER: 1}
    assert _link(pairs, cast.bob, cast.lab_b) is None


def test_people_present_at_the_same_workshops_are_linked_once_per_workshop(cast):
    pairs = _pairs(network.network_links())
    assert _link(pairs, cast.anne, cast.dan).kinds[network.WORKSHOP] == 2
    # Bob was registered but absent.
    assert _link(pairs, cast.bob, cast.dan) is None


def test_producers_for_the_same_recipient_are_linked_and_only_validated_reports_count(cast):
    pairs = _pairs(network.network_links())
    anne_dan = _link(pairs, cast.anne, cast.dan)
    assert anne_dan.kinds == {network.WORKSHOP: 2, network.RECIPIENT: 1}
    assert anne_dan.weight == 3
    # Anne produced for LabFab Atelier: the organisation delivered to the CHU too.
    assert _link(pairs, cast.lab_a, cast.dan).kinds == {network.RECIPIENT: 1}
    assert _link(pairs, cast.anne, cast.lab_a).kinds == {network.MEMBER: 1, network.RECIPIENT: 1}
    assert _link(pairs, cast.claire, cast.dan) is None


def test_guests_never_become_nodes(cast):
    keys = {key for link in network.network_links() for key in (link.a, link.b)}
    nodes = network.nodes_of(keys)
    assert {node.name for node in nodes.values()} == {
        "LabFab Atelier",
        "Lab Discret",
        "Anne Public",
        "Bob Public",
        "Claire Privée",
        "Dan Public",
    }


def test_a_duplicate_merged_into_an_organisation_counts_as_that_organisation(cast):
    duplicate = make_organisation(name="LabFab Atelier (doublon)", merged_into=cast.lab_a)
    Membership.objects.create(maker=cast.dan, organisation=duplicate)
    pairs = _pairs(network.network_links())
    assert _link(pairs, cast.dan, cast.lab_a).kinds == {network.MEMBER: 1, network.RECIPIENT: 1}
    assert _link(pairs, cast.dan, duplicate) is None


def test_the_public_sees_only_public_links_and_a_count_of_the_others(cast):
    seen = network.links_for_maker(cast.anne, AnonymousUser())["links"]
    assert [node.name for node, _link in seen.shown] == [
        "Dan Public",
        "LabFab Atelier",
        "Bob Public",
    ]
    assert [link.weight for _node, link in seen.shown] == [3, 2, 1]
    assert seen.hidden_count == 2  # Lab Discret and Claire Privée


def test_facilitators_see_every_link_named(cast, facilitator):
    seen = network.links_for_maker(cast.anne, facilitator)["links"]
    assert {node.name for node, _link in seen.shown} == {
        "Dan Public",
        "LabFab Atelier",
        "Bob Public",
        "Claire Privée",
        "Lab Discret",
    }
    assert seen.hidden_count == 0


def test_an_organisations_links_name_its_public_members_and_partners(cast, maker):
    seen = network.links_for_organisation(cast.lab_a, maker)["links"]
    assert {node.name for node, _link in seen.shown} == {"Anne Public", "Bob Public", "Dan Public"}
    assert seen.hidden_count == 2  # Claire Privée, Lab Discret


def _render_links(obj, user):
    request = RequestFactory().get("/")
    request.user = user
    tag = "organisation_links" if hasattr(obj, "kind") else "maker_links"
    template = Template("{% load network_links %}{% " + tag + " subject %}")
    return template.render(Context({"request": request, "subject": obj}))


def test_the_links_partial_never_names_what_the_public_may_not_see(cast):
    html = _render_links(cast.anne, AnonymousUser())
    assert "Dan Public" in html and f'href="/annuaire/makers/{cast.dan.pk}/"' in html
    assert "Claire" not in html and "Lab Discret" not in html and "@" not in html
    assert "Et 2 autres liens" in html
    html = _render_links(cast.lab_a, AnonymousUser())
    assert "Anne Public" in html and "Claire" not in html


def test_one_nodes_links_take_the_same_few_queries_as_the_network_grows(cast, facilitator):
    with CaptureQueriesContext(connection) as few:
        network.links_for_maker(cast.anne, facilitator)
    for n in range(10):
        other = make_maker(display_name=f"Maker {n}", is_public=True)
        Membership.objects.create(maker=other, organisation=cast.lab_a)
    with CaptureQueriesContext(connection) as many:
        seen = network.links_for_maker(cast.anne, facilitator)["links"]
    assert seen.total == 15
    assert len(many) == len(few)


# --- The whole network, for facilitators ------------------------------------------------------


def test_a_visitor_is_sent_to_log_in_to_see_the_network(client, reference_data):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("role", [roles.MAKER, roles.RELAY_STAFF])
def test_makers_and_relay_staff_may_not_see_the_whole_network(client, role_users, role):
    client.force_login(role_users[role])
    assert client.get(URL).status_code == 403


@pytest.mark.parametrize("role", [roles.FACILITATOR, roles.REGION_STAFF, roles.AUDITOR])
def test_facilitators_region_staff_and_auditors_see_the_whole_network(client, role_users, role):
    client.force_login(role_users[role])
    assert client.get(URL).status_code == 200


def test_the_network_page_draws_the_graph_and_lists_every_link(client, cast, facilitator):
    client.force_login(facilitator)
    response = client.get(URL)
    page = response.content.decode()
    assert 'role="img"' in page and "Graphe des liens de coopération" in page
    [caption] = figure_captions(page)
    assert caption.startswith("Organisations (carrés) et makers (ronds)")
    # Two organisations of the cast, and the relay's (LabFab de Rennes), without links.
    assert page.count('class="node organisation"') == 3
    assert page.count('class="node maker"') == 4
    assert "Claire Privée" in page
    for private in ["anne@cast.example.org", "claire@cast.example.org", "invite1@", "Invité 1"]:
        assert private not in page
    rows = response.context["rows"]
    assert (rows[0]["a"].name, rows[0]["b"].name, rows[0]["weight"]) == (
        "Anne Public",
        "Dan Public",
        3,
    )
    # 4 memberships, 3 fellow members, 1 shared member, Anne–Dan, LabFab Atelier–Dan.
    assert response.context["listed_count"] == len(response.context["rows"]) == 10


def test_the_links_table_filters_by_kind(client, cast, facilitator):
    client.force_login(facilitator)
    response = client.get(URL, {"kind": network.WORKSHOP})
    assert [(r["a"].name, r["b"].name) for r in response.context["rows"]] == [
        ("Anne Public", "Dan Public")
    ]


def test_the_least_linked_territories_come_first(client, cast, facilitator):
    lonely = make_organisation(name="FabLab du Bout du Monde", department="29", commune="Crozon")
    client.force_login(facilitator)
    response = client.get(URL)
    departments = [t.department for t in response.context["per_department"]]
    assert departments[0] == "29"
    communes = response.context["per_commune"]
    assert communes[0].name == "Crozon" and communes[0].isolated == 1
    isolated = [n.name for n in response.context["isolated"]]
    assert isolated[0] == lonely.name  # Finistère first, west to east
    assert "Anne Public" not in isolated


def test_the_network_page_takes_the_same_few_queries_as_the_network_grows(
    client, cast, facilitator
):
    client.force_login(facilitator)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for n in range(10):
        other = make_maker(display_name=f"Maker {n}", department="56", commune="Vannes")
        Membership.objects.create(maker=other, organisation=cast.lab_b)
    with CaptureQueriesContext(connection) as many:
        response = client.get(URL)
    assert "Maker 9" in response.content.decode()
    assert len(many) == len(few)


def test_an_organisations_page_and_a_makers_profile_show_their_links(client, cast):
    page = client.get(f"/annuaire/organisations/{cast.lab_a.slug}/").content.decode()
    assert "Liens de coopération" in page
    assert "Dan Public" in page  # no member, but delivered to the same hospital
    assert "Claire Privée" not in page and "Lab Discret" not in page
    page = client.get(f"/annuaire/makers/{cast.dan.pk}/").content.decode()
    assert "Liens de coopération" in page
    assert "Anne Public" in page and "LabFab Atelier" in page


def test_one_nodes_links_are_exactly_its_links_in_the_whole_network(cast):
    everything = list(network.network_links())
    for subject in [cast.anne, cast.bob, cast.claire, cast.dan, cast.lab_a, cast.lab_b]:
        key = _key(subject)
        expected = {
            (link.a, link.b): dict(link.kinds) for link in everything if key in (link.a, link.b)
        }
        focused = {(link.a, link.b): dict(link.kinds) for link in network.network_links(focus=key)}
        assert focused == expected, subject
