"""The map of the network and the facilitators' graph of cooperation links in a real browser:
both pass the accessibility check, and the map reads on a phone without sideways scrolling."""

import pytest

from makers.models import Membership
from tests.e2e.conftest import PHONE, assert_accessible, log_in
from tests.factories import make_maker, make_organisation

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def network(reference_data):
    brest = make_organisation(name="FabLab de Brest", department="29", commune="Brest")
    make_organisation(name="Ti Wood", kind="sme", department="29", commune="Quimper")
    blavet = make_organisation(
        name="Couturières du Blavet",
        kind="collective",
        department="56",
        commune="Pontivy",
        has_place=False,
    )
    make_organisation(name="Labo Caché", department="35", commune="Rennes", is_public=False)
    gwen = make_maker(
        display_name="Gwen Le Bihan", department="29", commune="Brest", is_public=True
    )
    yann = make_maker(
        display_name="Yann Morvan", department="56", commune="Lorient", is_public=True
    )
    secret = make_maker(display_name="Nolwenn Secrète", department="35", commune="Vitré")
    for maker, organisation in [(gwen, brest), (yann, blavet), (secret, blavet), (gwen, blavet)]:
        Membership.objects.create(maker=maker, organisation=organisation)


def test_a_visitor_reads_the_map_and_its_list_and_never_sees_a_private_maker(desktop, network):
    from playwright.sync_api import expect

    desktop.goto("/annuaire/carte/")
    expect(desktop.get_by_role("heading", name="Carte du réseau", level=1)).to_be_visible()
    expect(desktop.get_by_role("figure", name="Carte schématique")).to_be_visible()
    expect(desktop.get_by_role("group", name="Carte du réseau en Bretagne")).to_be_visible()
    assert desktop.locator("svg circle.dot").count() == 4  # Brest, Quimper, Pontivy, Lorient
    assert_accessible(desktop, "the map on a desktop")
    assert "Nolwenn" not in desktop.content()
    # A dot is a link a keyboard reaches: Brest's leads to Brest in the list beside the map.
    brest = desktop.get_by_role("link", name="Brest : 1 organisation, 1 maker")
    brest.focus()
    desktop.keyboard.press("Enter")
    desktop.wait_for_url("**#map-commune-29-brest")
    expect(desktop.locator("#map-commune-29-brest")).to_contain_text("Gwen Le Bihan")
    # A lone organisation's dot leads to its page.
    desktop.get_by_role("link", name="Quimper : 1 organisation, Ti Wood").focus()
    desktop.keyboard.press("Enter")
    desktop.wait_for_url("**/annuaire/organisations/**")
    desktop.goto("/annuaire/carte/")
    desktop.get_by_role("link", name="FabLab de Brest").click()
    desktop.wait_for_url("**/annuaire/organisations/**")


def test_the_map_reads_on_a_phone_without_sideways_scrolling(phone, network):
    phone.goto("/annuaire/carte/")
    assert_accessible(phone, "the map on a phone")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.get_by_role("combobox", name="Département").select_option("56")
    phone.get_by_role("button", name="Filtrer").click()
    phone.wait_for_url("**department=56**")
    assert "Yann Morvan" in phone.content() and "Gwen Le Bihan" not in phone.content()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_facilitator_sees_the_whole_network_and_whom_to_call(desktop, network, facilitator):
    from playwright.sync_api import expect

    log_in(desktop, facilitator.email)
    desktop.goto("/reseau/")
    expect(desktop.get_by_role("figure", name="Organisations (carrés)")).to_be_visible()
    expect(desktop.get_by_role("img", name="Graphe des liens de coopération")).to_be_visible()
    expect(desktop.locator("#links-table")).to_contain_text("Nolwenn Secrète")
    expect(desktop.locator("#graph-isolated + ul")).to_contain_text("Ti Wood")
    assert_accessible(desktop, "the network graph")


def test_the_graph_of_six_hundred_makers_reads_per_department_then_in_detail(
    desktop, reference_data, facilitator
):
    from playwright.sync_api import expect

    from tests.recognition.networks import LONG_NAME, six_hundred_makers

    six_hundred_makers()
    log_in(desktop, facilitator.email)
    desktop.goto("/reseau/")
    expect(
        desktop.get_by_role("img", name="Graphe des liens de coopération, par département")
    ).to_be_visible()
    assert desktop.locator("svg circle.cluster").count() == 4
    expect(desktop.get_by_role("table", name="Liens entre départements")).to_be_visible()
    assert_accessible(desktop, "the network graph per department")
    # No written name overflows the picture.
    box = desktop.locator("svg.chart-clusters").bounding_box()
    for label in desktop.locator("svg.chart-clusters text.label").all():
        inner = label.bounding_box()
        assert inner["x"] >= box["x"] - 1
        assert inner["x"] + inner["width"] <= box["x"] + box["width"] + 1

    desktop.get_by_role("combobox", name="Département").select_option("29")
    desktop.get_by_role("button", name="Filtrer").click()
    desktop.wait_for_url("**department=29**")
    expect(desktop.get_by_role("heading", name="Le graphe : Finistère")).to_be_visible()
    assert desktop.locator("svg rect.node.organisation").count() == 4
    # The long name is written whole-word, shortened, its full name in the list of names.
    labels = desktop.locator("svg.chart-graph text.label").evaluate_all(
        "texts => texts.map(t => [...t.querySelectorAll('tspan')].map(s => s.textContent)"
        ".join(' '))"
    )
    assert "Association des Couturières …" in labels
    desktop.get_by_text("Les 4 noms dessinés, en entier").click()
    expect(desktop.locator("details.graph-names")).to_contain_text(LONG_NAME)
    assert_accessible(desktop, "the network graph of one department")
