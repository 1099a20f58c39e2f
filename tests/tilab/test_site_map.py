"""The site map (RGAA 12.1, a second way to find a page): linked from every page's footer, it
lists the pages the person may open, and only those."""

import pytest

from tests.conftest import text

pytestmark = pytest.mark.django_db


def site_map_links(client) -> set[str]:
    html = client.get("/plan-du-site/").content.decode()
    main = html[html.index("<main") : html.index("</main>")]
    return {part.split('"', 1)[0] for part in main.split('href="')[1:]}


def test_every_page_links_the_site_map_from_its_footer(client, reference_data):
    html = client.get("/").content.decode()
    footer = html[html.index("<footer") :]
    assert 'href="/plan-du-site/"' in footer


def test_a_visitor_sees_the_public_pages_only(client, reference_data):
    links = site_map_links(client)
    assert {"/", "/chiffres/", "/workshops/", "/annuaire/", "/besoins/", "/accessibilite/"} <= links
    assert "/api/docs/" in links
    assert "/maker/" not in links
    assert "/accounts/email/" not in links
    assert "/validation/" not in links


@pytest.mark.parametrize(
    "role,present,absent",
    [
        (
            "maker",
            {"/maker/", "/maker/profil/", "/accounts/email/", "/accounts/notifications/"},
            {"/validation/", "/dashboard/"},
        ),
        ("relay_staff", {"/validation/", "/validation/import/"}, {"/maker/", "/workshops/manage/"}),
        ("region_staff", {"/dashboard/", "/subventions/"}, {"/maker/", "/workshops/manage/"}),
        ("facilitator", {"/workshops/manage/"}, {"/dashboard/", "/maker/"}),
        ("auditor", {"/dashboard/", "/subventions/grand-livre/"}, {"/workshops/manage/"}),
    ],
)
def test_each_role_sees_the_pages_it_may_open(client, request, role, present, absent):
    client.force_login(request.getfixturevalue(role))
    links = site_map_links(client)
    assert present <= links
    assert not absent & links


def test_every_page_the_map_lists_opens_for_whoever_sees_it(client, request):
    for role in ("maker", "relay_staff", "region_staff", "facilitator", "auditor"):
        client.force_login(request.getfixturevalue(role))
        for url in site_map_links(client):
            assert client.get(url).status_code == 200, f"{role} on {url}"


def test_the_site_map_has_a_heading_per_section(client, maker):
    client.force_login(maker)
    page = text(client.get("/plan-du-site/"))
    assert "Plan du site" in page
    assert "Mon espace maker" in page
