"""The directory in a real browser: a visitor finds a FabLab in Finistère by capability on a
phone; a maker asks to join an organisation and its manager accepts; a facilitator's curation
page; every page passes the accessibility check."""

import pytest

from directory.models import MembershipRequest
from fablabs.models import Capability
from fablabs.reference import capabilities_ensure
from makers.models import Membership
from tests.e2e import conftest as e2e
from tests.e2e.conftest import assert_accessible, log_in, no_sideways_scroll
from tests.factories import make_maker, make_organisation, make_user
from tilab import roles

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def directory(reference_data):
    """Capabilities come from a data migration: an earlier browser test's flush took them."""
    capabilities_ensure()
    brest = make_organisation(
        name="FabLab des Capucins",
        department="29",
        commune="Brest",
        description="Un atelier ouvert au public, sur le plateau des Capucins.",
    )
    brest.capabilities.set(Capability.objects.filter(slug__in=["laser-cutting", "3d-printing"]))
    quimper = make_organisation(
        name="Les Petites Mains de Quimper", kind="collective", department="29", has_place=False
    )
    quimper.capabilities.set(Capability.objects.filter(slug="sewing"))
    rennes = make_organisation(name="LabFab de Villejean", department="35", commune="Rennes")
    rennes.capabilities.set(Capability.objects.filter(slug="laser-cutting"))
    manager = make_user(role=roles.MAKER, email="gwen@example.org", full_name="Gwen Le Bihan")
    Membership.objects.create(
        maker=make_maker(user=manager, display_name="Gwen Le Bihan", department="29"),
        organisation=brest,
        is_manager=True,
    )
    return {"brest": brest, "manager": manager}


def log_out(page):
    e2e.open_menu(page)
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_load_state()


def test_a_visitor_finds_a_fablab_in_finistere_by_capability_on_a_phone(phone, directory):
    from playwright.sync_api import expect

    phone.goto("/annuaire/")
    title = phone.locator("#directory-organisations-title")
    expect(title).to_have_text("3 organisations")
    assert_accessible(phone, "the directory on a phone")
    assert no_sideways_scroll(phone)

    phone.get_by_label("Département").select_option("29")
    phone.get_by_label("Savoir-faire").select_option("laser-cutting")
    phone.get_by_role("button", name="Rechercher", exact=True).click()
    expect(title).to_have_text("1 organisation")
    expect(title).to_be_focused()
    assert "department=29" in phone.url and "capability=laser-cutting" in phone.url
    assert "LabFab de Villejean" not in phone.content()
    assert_accessible(phone, "the filtered directory on a phone")

    phone.get_by_role("link", name="FabLab des Capucins").click()
    phone.wait_for_url(f"**/annuaire/organisations/{directory['brest'].slug}/")
    expect(phone.get_by_role("heading", level=1)).to_have_text("FabLab des Capucins")
    assert "Brest" in phone.content() and "Découpe laser" in phone.content()
    assert "gwen@example.org" not in phone.content()
    assert_accessible(phone, "an organisation's page on a phone")
    assert no_sideways_scroll(phone)


def test_a_maker_asks_to_join_and_the_manager_accepts(desktop, directory, maker):
    from playwright.sync_api import expect

    slug = directory["brest"].slug
    log_in(desktop, maker.email)
    desktop.goto(f"/annuaire/organisations/{slug}/")
    desktop.get_by_label("Message aux responsables (facultatif)").fill(
        "J'imprime des visières à Rennes, je peux aider."
    )
    desktop.get_by_role("button", name="Demander à rejoindre").click()
    expect(desktop.get_by_role("status")).to_contain_text("Votre demande est envoyée")
    expect(desktop.get_by_text("attend la réponse de ses responsables")).to_be_visible()
    assert_accessible(desktop, "an organisation's page with a pending request")
    log_out(desktop)

    log_in(desktop, directory["manager"].email)
    desktop.goto(f"/annuaire/organisations/{slug}/")
    desktop.get_by_role("link", name="Demandes d'adhésion (1 en attente)").click()
    expect(desktop.get_by_role("table")).to_contain_text("J'imprime des visières")
    assert_accessible(desktop, "the membership requests page")
    desktop.get_by_role("button", name="Accepter Anne Le Goff").click()
    expect(desktop.get_by_role("status")).to_contain_text("Anne Le Goff est maintenant membre")
    assert MembershipRequest.objects.get().status == "accepted"
    desktop.goto(f"/annuaire/organisations/{slug}/modifier/")
    assert_accessible(desktop, "the organisation's edit page")
    log_out(desktop)

    log_in(desktop, maker.email)
    desktop.goto(f"/annuaire/organisations/{slug}/")
    expect(desktop.get_by_text("Vous êtes membre de cette organisation.")).to_be_visible()


def test_the_curation_and_maker_pages_are_accessible(desktop, directory, facilitator):
    from playwright.sync_api import expect

    public = make_maker(display_name="Maëlle Tanguy", department="29", is_public=True)
    log_in(desktop, facilitator.email)
    desktop.goto(f"/annuaire/organisations/{directory['brest'].slug}/curation/")
    assert_accessible(desktop, "the curation page")
    desktop.get_by_role("button", name="Corriger le type").click()
    # Waits for the answer: counting at once may still count the page before the click.
    expect(desktop.locator(".errorlist").first).to_be_visible()
    assert_accessible(desktop, "the curation page with errors")
    desktop.goto(f"/annuaire/makers/{public.pk}/")
    assert_accessible(desktop, "a maker's public profile")
