"""ProConnect in a real browser: the button on the login page (axe), and the whole round trip
through a local OpenID Connect provider: in, back signed in, out through its end-session
endpoint."""

import copy

import pytest

from tests.e2e.conftest import assert_accessible, open_menu
from tests.factories import make_organisation
from tests.proconnect_provider import CLIENT_ID, CLIENT_SECRET, LocalProConnect
from tilab.models import User

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def provider(settings, live_server):
    local = LocalProConnect().start()
    local.redirect_uris.add(f"{live_server.url}/accounts/proconnect/retour/")
    local.post_logout_redirect_uris.add(f"{live_server.url}/")
    settings.PROCONNECT_DISCOVERY_URL = local.discovery_url
    settings.PROCONNECT_CLIENT_ID = CLIENT_ID
    settings.PROCONNECT_CLIENT_SECRET = CLIENT_SECRET
    # As config/settings.py does when PROCONNECT_DISCOVERY_URL is set at start.
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["form-action"] = [*policy["DIRECTIVES"]["form-action"], local.issuer]
    settings.CONTENT_SECURITY_POLICY = policy
    yield local
    local.stop()


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_the_login_page_offers_proconnect_accessibly(request, device, provider):
    page = request.getfixturevalue(device)
    page.goto("/accounts/login/")
    button = page.get_by_role("button", name="S’identifier avec ProConnect")
    assert button.is_visible()
    assert page.get_by_role("link", name="Qu’est-ce que ProConnect ?").is_visible()
    assert_accessible(page, "login page with ProConnect")


def test_a_round_trip_through_proconnect(desktop, provider, live_server):
    page = desktop
    page.goto("/accounts/login/")
    page.get_by_role("button", name="S’identifier avec ProConnect").click()
    page.wait_for_url(f"{live_server.url}/**")
    open_menu(page)
    assert page.get_by_text("Claire Le Bihan").first.is_visible()
    user = User.objects.get(email="agent@region.example.fr")
    assert user.socialaccount_set.get().provider == "proconnect"
    assert_accessible(page, "home, signed in through ProConnect")
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url(f"{live_server.url}/?state=*")
    assert provider.saw["end_session"][-1]["id_token_hint"]
    open_menu(page)
    assert page.get_by_role("link", name="Se connecter").is_visible()


def test_an_agent_of_a_listed_organisation_is_offered_to_join_it(
    desktop, provider, live_server, reference_data
):
    organisation = make_organisation(name="FabLab du Trégor", siret="73282932000074")
    provider.person["siret"] = "73282932000074"
    page = desktop
    page.goto("/accounts/login/")
    page.get_by_role("button", name="S’identifier avec ProConnect").click()
    page.wait_for_url(f"{live_server.url}/accounts/proconnect/rejoindre/")
    assert page.get_by_role("heading", name="Rejoindre votre organisation").is_visible()
    assert page.get_by_role("button", name="Demander à rejoindre FabLab du Trégor").is_visible()
    assert_accessible(page, "the offer to join")
    assert not organisation.memberships.exists()
