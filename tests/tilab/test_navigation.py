"""The header's navigation: home, the role's pages, the public pages (folded into one menu when
a role has many pages of its own); the API's docs in the footer, not in the navigation."""

import pytest

pytestmark = pytest.mark.django_db


def header_of(client) -> str:
    html = client.get("/").content.decode()
    return html[html.index("<header") : html.index("</header>")]


def footer_of(client) -> str:
    html = client.get("/").content.decode()
    return html[html.index("<footer") : html.index("</footer>")]


@pytest.mark.parametrize("role", [None, "maker", "relay_staff", "auditor"])
def test_the_api_docs_are_in_the_footer_not_the_navigation(client, request, reference_data, role):
    if role:
        client.force_login(request.getfixturevalue(role))
    assert 'href="/api/docs/"' not in header_of(client)
    assert 'href="/api/docs/"' in footer_of(client)


def test_a_maker_s_navigation_is_one_row_with_the_public_pages(client, maker):
    client.force_login(maker)
    header = header_of(client)
    assert 'class="nav-group"' not in header
    assert 'href="/maker/"' in header and 'href="/annuaire/"' in header


def test_a_role_with_many_pages_gets_the_public_pages_in_one_menu(client, auditor):
    client.force_login(auditor)
    header = header_of(client)
    group = header[header.index('class="nav-group"') :]
    for url in ("/chiffres/", "/workshops/", "/annuaire/", "/besoins/"):
        assert f'href="{url}"' in group
    assert 'href="/dashboard/"' not in group


def test_the_demo_banner_is_inside_the_header(client, reference_data, settings):
    settings.DEBUG = True
    assert 'class="demo-banner"' in header_of(client)
