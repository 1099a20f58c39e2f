"""Each role reaches its own pages and is refused the others'; anonymous people see public pages."""

import pytest

from tests.factories import make_personal_token
from tilab import roles

PUBLIC_PAGES = [
    "/",
    "/workshops/",
    "/annuaire/",
    "/annuaire/carte/",
    "/besoins/",
    "/besoins/nouveau/",
    "/attestations/verifier/",
    "/chiffres/",
    "/accessibilite/",
    "/mentions-legales/",
    "/donnees-personnelles/",
    "/accounts/login/",
    "/accounts/signup/",
    "/api/docs/",
    "/healthz",
]

# page -> the roles allowed on it; every other role gets 403, anonymous people the login page.
ROLE_PAGES = {
    "/maker/": {roles.MAKER},
    "/maker/profil/": {roles.MAKER},
    "/validation/": {roles.RELAY_STAFF, roles.REGION_STAFF, roles.AUDITOR},
    "/validation/saisie/": {roles.RELAY_STAFF},
    "/validation/import/": {roles.RELAY_STAFF, roles.REGION_STAFF, roles.FACILITATOR},
    "/dashboard/": {roles.REGION_STAFF, roles.RELAY_STAFF, roles.AUDITOR},
    "/workshops/manage/": {roles.FACILITATOR},
    "/subventions/": {roles.REGION_STAFF, roles.RELAY_STAFF, roles.AUDITOR},
    "/subventions/nouveau/": {roles.REGION_STAFF},
    "/reseau/": {roles.FACILITATOR, roles.REGION_STAFF, roles.AUDITOR},
    "/besoins/suivi-reseau/": {roles.FACILITATOR, roles.RELAY_STAFF},
    "/besoins/promesses/": {roles.MAKER},
}
ACCOUNT_PAGES = ["/accounts/tokens/", "/accounts/email/", "/accounts/2fa/"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_anonymous_people_see_public_pages(client, url, reference_data):
    assert client.get(url).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("url", [*ROLE_PAGES, *ACCOUNT_PAGES])
def test_anonymous_people_are_sent_to_the_login_page(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(f"/accounts/login/?next={url}")


@pytest.mark.parametrize("url,allowed", ROLE_PAGES.items())
@pytest.mark.parametrize("role", list(roles.ROLES))
def test_each_role_reaches_its_pages_and_is_refused_the_others(
    client, role_users, url, allowed, role
):
    client.force_login(role_users[role])
    response = client.get(url)
    expected = 200 if role in allowed else 403
    assert response.status_code == expected, f"{role} on {url}"


@pytest.mark.parametrize("role", list(roles.ROLES))
def test_every_role_manages_its_own_account(client, role_users, role):
    client.force_login(role_users[role])
    for url in ACCOUNT_PAGES:
        assert client.get(url).status_code == 200, url


def test_a_user_without_a_role_reaches_no_role_page(client, reference_data):
    from tests.factories import make_user

    client.force_login(make_user())
    for url in ROLE_PAGES:
        assert client.get(url).status_code == 403, url


@pytest.mark.parametrize(
    "role,link,absent",
    [
        (roles.MAKER, "/maker/", "/validation/"),
        (roles.RELAY_STAFF, "/validation/", "/workshops/manage/"),
        (roles.REGION_STAFF, "/dashboard/", "/maker/"),
        (roles.FACILITATOR, "/workshops/manage/", "/dashboard/"),
        (roles.AUDITOR, "/dashboard/", "/workshops/manage/"),
    ],
)
def test_home_and_navigation_fit_the_role(client, role_users, role, link, absent):
    client.force_login(role_users[role])
    html = client.get("/").content.decode()
    assert f'href="{link}"' in html
    assert f'href="{absent}"' not in html


def test_relay_staff_see_the_departments_their_relay_covers(client, relay_staff, other_relay_staff):
    client.force_login(relay_staff)
    html = client.get("/validation/").content.decode()
    assert "Ille-et-Vilaine (35)" in html
    assert "Côtes-d&#x27;Armor (22)" in html
    assert "Finistère (29)" not in html


def test_the_footer_links_the_pages_a_french_public_site_must_have(client, reference_data):
    html = client.get("/").content.decode()
    for url in ("/accessibilite/", "/mentions-legales/", "/donnees-personnelles/"):
        assert f'href="{url}"' in html


def test_a_superuser_without_a_role_reaches_no_role_page_nor_role_api(client, reference_data):
    """The technical administrator opens the admin; decisions belong to roles."""
    from tests.factories import make_user

    admin = make_user(email="root@example.org")
    admin.is_staff = admin.is_superuser = True
    admin.save(update_fields=["is_staff", "is_superuser"])
    client.force_login(admin)
    assert client.get("/admin/").status_code == 200
    for url in ROLE_PAGES:
        assert client.get(url).status_code == 403, url

    token = make_personal_token(admin)
    response = client.post(
        "/api/v1/programmes/",
        {"name": "Fonds", "envelope_cents": 100_000},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token}",
    )
    assert response.status_code == 403
