"""ProConnect login, against a real OpenID Connect provider served on 127.0.0.1
(tests/proconnect_provider.py): the Django test client goes to it, the provider's redirects
come back to the platform, and every token is a real signed JWT."""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from allauth.socialaccount.models import SocialAccount
from django.test import Client
from django.urls import reverse

from directory.models import MembershipRequest
from tests.factories import make_maker, make_organisation, make_user
from tests.proconnect_provider import CLIENT_ID, CLIENT_SECRET, LocalProConnect
from tilab.models import User
from tilab.permissions import roles_held

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
CALLBACK = "http://testserver/accounts/proconnect/retour/"
SIRET = "73282932000074"


@pytest.fixture
def provider(settings):
    local = LocalProConnect().start()
    local.redirect_uris.add(CALLBACK)
    local.post_logout_redirect_uris.add("http://testserver/")
    settings.PROCONNECT_DISCOVERY_URL = local.discovery_url
    settings.PROCONNECT_CLIENT_ID = CLIENT_ID
    settings.PROCONNECT_CLIENT_SECRET = CLIENT_SECRET
    settings.PROCONNECT_ACR_VALUES = "eidas1"
    yield local
    local.stop()


def start(client) -> str:
    """Press the button: the URL of the provider's authorisation page."""
    answer = client.post(reverse("proconnect_login"))
    assert answer.status_code == 302
    return answer["Location"]


def at_provider(authorize_url: str) -> str:
    """The browser at the provider, which consents at once: where it sends the browser back."""
    answer = requests.get(authorize_url, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def back(client, url: str, **kwargs):
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == "http://testserver"
    return client.get(f"{parts.path}?{parts.query}", **kwargs)


def log_in(client, **kwargs):
    return back(client, at_provider(start(client)), **kwargs)


def refusal_code(answer) -> str:
    text = answer.content.decode()
    return text.split('data-code="', 1)[1].split('"', 1)[0]


def test_the_login_page_shows_the_proconnect_button(client, provider):
    page = client.get(LOGIN).content.decode()
    assert "S’identifier avec" in page and "<strong>ProConnect</strong>" in page
    assert reverse("proconnect_login") in page


def test_the_redirect_carries_long_state_and_nonce_and_the_acr_values(client, provider):
    query = parse_qs(urlsplit(start(client)).query)
    assert len(query["state"][0]) >= 32 and len(query["nonce"][0]) >= 32
    assert query["state"][0] != query["nonce"][0]
    assert query["acr_values"] == ["eidas1"]
    assert query["client_id"] == [CLIENT_ID]
    assert query["redirect_uri"] == [CALLBACK]
    assert {"openid", "email", "given_name", "usual_name", "siret"} <= set(
        query["scope"][0].split()
    )


def test_a_first_login_creates_an_account_with_no_role(client, provider):
    answer = log_in(client, follow=True)
    assert answer.status_code == 200
    user = User.objects.get(email="agent@region.example.fr")
    assert answer.context["user"] == user
    assert user.full_name == "Claire Le Bihan"
    assert roles_held(user) == [] and not user.is_staff and not user.is_superuser
    assert not user.has_usable_password()
    account = SocialAccount.objects.get(user=user, provider="proconnect")
    assert account.uid == "agent-0001"
    assert user.emailaddress_set.get().verified


def test_a_second_login_finds_the_same_account(client, provider):
    log_in(client)
    client.logout()
    log_in(client)
    assert User.objects.filter(email="agent@region.example.fr").count() == 1
    assert client.session["_auth_user_id"] == str(User.objects.get().pk)


def test_a_first_login_joins_the_account_with_the_same_verified_address(client, provider):
    existing = make_user(role="region_staff", email="agent@region.example.fr")
    log_in(client)
    assert client.session["_auth_user_id"] == str(existing.pk)
    assert SocialAccount.objects.get(provider="proconnect").user == existing
    existing.refresh_from_db()
    assert existing.has_usable_password()  # the person's own password still works
    assert roles_held(existing) == ["region_staff"]  # granted by people, kept, none added


def test_an_unconfirmed_address_is_neither_joined_nor_taken(client, provider):
    existing = make_user(email="agent@region.example.fr", verified=False)
    answer = log_in(client)
    assert answer.status_code == 409
    assert refusal_code(answer) == "proconnect_email_unconfirmed"
    assert "_auth_user_id" not in client.session
    assert not SocialAccount.objects.exists()
    existing.refresh_from_db()
    assert existing.has_usable_password()


def test_a_userinfo_signed_with_another_key_is_refused(client, provider):
    provider.userinfo_key = provider.rogue_key
    answer = log_in(client)
    assert answer.status_code == 403
    assert refusal_code(answer) == "proconnect_userinfo_signature"
    assert "pas signées par ProConnect" in answer.content.decode()
    assert "_auth_user_id" not in client.session
    assert not User.objects.exists()


@pytest.mark.parametrize(
    "changes",
    [
        {"exp": 1_000_000_000},  # expired long ago
        {"aud": "another-client"},
        {"iss": "https://another-provider.example.fr"},
    ],
    ids=["expired", "another-audience", "another-issuer"],
)
def test_an_id_token_that_is_not_for_this_login_is_refused(client, provider, changes):
    provider.id_token_changes = changes
    answer = log_in(client)
    assert answer.status_code == 403
    assert refusal_code(answer) == "proconnect_id_token"
    assert "_auth_user_id" not in client.session


def test_an_id_token_signed_with_another_key_is_refused(client, provider):
    provider.id_token_key = provider.rogue_key
    answer = log_in(client)
    assert refusal_code(answer) == "proconnect_id_token"
    assert not User.objects.exists()


def test_a_userinfo_about_someone_else_is_refused(client, provider):
    provider.userinfo_changes = {"sub": "agent-9999"}
    answer = log_in(client)
    assert refusal_code(answer) == "proconnect_userinfo_signature"


def test_a_userinfo_in_plain_json_is_refused(client, provider):
    provider.userinfo_plain = True
    answer = log_in(client)
    assert refusal_code(answer) == "proconnect_userinfo_signature"


def test_a_wrong_state_is_refused(client, provider):
    url = at_provider(start(client))
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    forged = f"{parts.path}?code={query['code'][0]}&state={'x' * 43}"
    answer = client.get(forged)
    assert answer.status_code == 403
    assert refusal_code(answer) == "proconnect_state"
    assert "_auth_user_id" not in client.session
    assert provider.saw["token"] == []  # the code was never even exchanged


def test_a_state_from_another_browser_is_refused(client, provider):
    url = at_provider(start(Client()))
    answer = back(client, url)
    assert refusal_code(answer) == "proconnect_state"


def test_a_wrong_nonce_is_refused(client, provider):
    provider.nonce_override = "n" * 43
    answer = log_in(client)
    assert answer.status_code == 403
    assert refusal_code(answer) == "proconnect_nonce"
    assert "_auth_user_id" not in client.session


def test_an_expired_code_is_refused(client, provider):
    provider.code_seconds = -1
    answer = log_in(client)
    assert answer.status_code == 403
    assert refusal_code(answer) == "proconnect_token"


def test_a_code_used_twice_is_refused(client, provider):
    first = at_provider(start(client))
    back(client, first)
    client.logout()
    code = parse_qs(urlsplit(first).query)["code"][0]
    # A new login's state, with the old code.
    state = parse_qs(urlsplit(start(client)).query)["state"][0]
    answer = client.get(f"/accounts/proconnect/retour/?code={code}&state={state}")
    assert answer.status_code == 403
    assert refusal_code(answer) == "proconnect_token"


def test_the_same_answer_cannot_be_replayed(client, provider):
    url = at_provider(start(client))
    back(client, url)
    client.logout()
    answer = back(client, url)
    assert refusal_code(answer) == "proconnect_state"


def test_a_login_refused_at_the_provider_says_so(client, provider):
    state = parse_qs(urlsplit(start(client)).query)["state"][0]
    answer = client.get(f"/accounts/proconnect/retour/?error=access_denied&state={state}")
    assert refusal_code(answer) == "proconnect_denied"


def test_logout_goes_through_the_end_session_endpoint_with_the_id_token(client, provider):
    log_in(client)
    id_token = client.session["proconnect_id_token"]
    home = client.get("/").content.decode()
    assert reverse("proconnect_logout") in home  # the header's logout goes through ProConnect
    answer = client.post(reverse("proconnect_logout"))
    assert answer.status_code == 302
    target = urlsplit(answer["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{provider.issuer}/session/end"
    query = parse_qs(target.query)
    assert query["id_token_hint"] == [id_token]
    assert query["post_logout_redirect_uri"] == ["http://testserver/"]
    assert len(query["state"][0]) >= 32
    assert "_auth_user_id" not in client.session
    # The provider sends the browser home.
    final = requests.get(answer["Location"], allow_redirects=False, timeout=10)
    assert final.headers["Location"].startswith("http://testserver/?state=")


def test_a_siret_in_the_directory_offers_to_join_and_grants_nothing(client, provider):
    organisation = make_organisation(name="FabLab du Trégor", siret=SIRET)
    provider.person["siret"] = "732 829 320 00074"  # as ProConnect may space it
    answer = log_in(client)
    assert answer.status_code == 302 and answer["Location"] == reverse("proconnect_join")
    page = client.get(reverse("proconnect_join")).content.decode()
    assert "FabLab du Trégor" in page
    assert reverse("directory:join", kwargs={"slug": organisation.slug}) in page
    user = User.objects.get(email="agent@region.example.fr")
    assert not organisation.memberships.exists()
    assert roles_held(user) == []
    # The offer is the directory's request, which the managers decide.
    make_maker(user=user, display_name="Claire Le Bihan")
    client.post(reverse("directory:join", kwargs={"slug": organisation.slug}))
    request = MembershipRequest.objects.get(organisation=organisation)
    assert request.status == MembershipRequest.Status.PENDING
    assert not organisation.memberships.exists()
    assert "attend la décision" in client.get(reverse("proconnect_join")).content.decode()


def test_a_siret_unknown_to_the_directory_leads_home(client, provider):
    make_organisation(siret=SIRET)
    provider.person["siret"] = "35600000000048"
    answer = log_in(client)
    assert answer.status_code == 302 and answer["Location"] != reverse("proconnect_join")


def test_the_social_account_is_in_the_export_and_goes_with_the_account(client, provider):
    from django.utils import timezone

    from accounts.services import personal_data_export

    provider.person["siret"] = SIRET
    log_in(client)
    user = User.objects.get()
    export = personal_data_export(user=user, now=timezone.now())
    (record,) = export["account"]["social_accounts"]
    assert record["provider"] == "proconnect" and record["claims"]["siret"] == SIRET


def test_deleting_the_account_deletes_the_social_account(client, provider):
    from django.utils import timezone

    from accounts.services import account_delete

    log_in(client)
    account_delete(user=User.objects.get(), now=timezone.now())
    assert not SocialAccount.objects.exists()


def test_off_when_unset_no_button_and_no_pages(client, settings):
    settings.PROCONNECT_DISCOVERY_URL = ""
    assert "ProConnect" not in client.get(LOGIN).content.decode()
    assert client.post("/accounts/proconnect/connexion/").status_code == 404
    assert client.get("/accounts/proconnect/retour/?code=x&state=y").status_code == 404
    user = make_user()
    client.force_login(user)
    assert client.post("/accounts/proconnect/deconnexion/").status_code == 404
    assert client.get("/accounts/proconnect/rejoindre/").status_code == 404
