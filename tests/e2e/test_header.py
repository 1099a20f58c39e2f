"""The header, phone first: a compact header with a menu button that opens without JavaScript,
the demo line inside the banner landmark, each role's main action above the fold on a phone, and
the navigation on one line of a desktop screen for every role."""

import pytest

from tests.e2e import conftest as e2e
from tests.e2e.conftest import assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DEMO_PASSWORD = "demo-tilab-2020"

# Each demo role, the page it works on, and the main action of that page.
ROLES = {
    "maker": ("maker@demo.tilab.test", "/maker/", "Déclarer ma production"),
    "relay": ("relais.rennes@demo.tilab.test", "/validation/", "File de validation"),
    "region": ("region@demo.tilab.test", "/dashboard/", "Tableau de bord régional"),
    "facilitator": ("facilitateur@demo.tilab.test", "/workshops/manage/", "Gérer les ateliers"),
    "auditor": ("audit@demo.tilab.test", "/subventions/grand-livre/", None),
}
# The landmark rules of axe: content outside any landmark, a banner inside another, …
LANDMARK_RULES = {"region", "landmark-banner-is-top-level", "landmark-no-duplicate-banner"}


def landmark_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["id"] in LANDMARK_RULES
    ]


def header_height(page) -> float:
    return page.locator("header.site-header").bounding_box()["height"]


@pytest.mark.parametrize("role", list(ROLES))
def test_on_a_phone_the_header_is_short_and_the_main_action_is_above_the_fold(
    phone, demo, settings, role
):
    settings.DEBUG = True  # the demo's banner shows
    email, path, action = ROLES[role]
    e2e.log_in(phone, email, DEMO_PASSWORD)
    phone.goto(path)

    assert phone.locator(".demo-banner").is_visible()
    assert header_height(phone) <= 120
    main_action = phone.get_by_role("heading", name=action) if action else phone.locator("main h1")
    assert main_action.bounding_box()["y"] < e2e.PHONE["height"] - 40
    assert e2e.no_sideways_scroll(phone)
    assert_accessible(phone, f"the {role}'s page on a phone")
    assert not landmark_violations(phone)


def test_the_phone_menu_opens_with_the_keyboard_and_lays_over_the_page(phone, demo):
    e2e.log_in(phone, ROLES["relay"][0], DEMO_PASSWORD)
    phone.goto("/validation/")
    nav = phone.get_by_role("navigation", name="Navigation principale")
    assert not nav.is_visible()
    height_closed = header_height(phone)

    phone.locator(".menu-button").focus()
    phone.keyboard.press("Enter")

    assert nav.is_visible()
    assert nav.get_by_role("link", name="Validation").is_visible()
    assert phone.get_by_role("button", name="Se déconnecter").is_visible()
    assert header_height(phone) == height_closed  # over the page, not pushing it down
    phone.keyboard.press("Enter")
    assert not nav.is_visible()


def test_the_menu_works_without_javascript(browser, live_server, demo):
    context = browser.new_context(
        viewport=e2e.PHONE, java_script_enabled=False, base_url=live_server.url
    )
    page = context.new_page()
    page.goto("/")
    page.get_by_text("Menu", exact=True).click()
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Ateliers"
    ).click()
    page.wait_for_url("**/workshops/")
    context.close()


def nav_rows(page) -> int:
    """How many lines the main navigation takes: the distinct tops of its entries."""
    tops = page.eval_on_selector_all(
        ".main-nav > ul > li", "items => items.map(item => item.getBoundingClientRect().top)"
    )
    return len({round(top) for top in tops})


@pytest.mark.parametrize("role", [None, *ROLES])
def test_on_a_desktop_the_navigation_holds_on_one_line_for_every_role(desktop, demo, role):
    if role:
        e2e.log_in(desktop, ROLES[role][0], DEMO_PASSWORD)
    desktop.goto("/")
    nav = desktop.get_by_role("navigation", name="Navigation principale")
    assert nav.is_visible()
    assert not desktop.locator(".menu-button").is_visible()
    assert nav_rows(desktop) == 1
    assert header_height(desktop) <= 110
    # The API's docs are for programmers: in the footer, not in the navigation.
    assert nav.get_by_role("link", name="API").count() == 0
    assert desktop.locator("footer").get_by_role("link", name="API").count() == 1


def test_a_grouped_menu_opens_with_the_keyboard_on_a_desktop(desktop, demo):
    e2e.log_in(desktop, ROLES["auditor"][0], DEMO_PASSWORD)
    desktop.goto("/")
    # The auditor has more pages of their own than fit beside the public ones: they are grouped.
    group = desktop.locator(".nav-group summary")
    assert group.count() == 1
    group.focus()
    desktop.keyboard.press("Enter")
    link = desktop.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Annuaire"
    )
    assert link.is_visible()
    link.click()
    desktop.wait_for_url("**/annuaire/")
    assert_accessible(desktop, "the directory with the group menu")


def test_the_api_docs_link_back_home(desktop, live_server):
    desktop.goto("/api/docs/")
    desktop.get_by_role("link", name="Retour à Ti Lab").click()
    desktop.wait_for_url(live_server.url + "/")


def test_escape_closes_the_phone_menu_and_gives_focus_back_to_its_button(phone, demo):
    phone.goto("/")
    phone.locator(".menu-button").focus()
    phone.keyboard.press("Enter")
    phone.keyboard.press("Tab")
    phone.keyboard.press("Escape")
    assert not phone.get_by_role("navigation", name="Navigation principale").is_visible()
    assert phone.evaluate("document.activeElement.classList.contains('menu-button')")


@pytest.mark.parametrize("role", ["maker", "auditor"])
def test_the_site_map_is_reached_from_the_footer_and_is_accessible(phone, demo, role):
    e2e.log_in(phone, ROLES[role][0], DEMO_PASSWORD)
    phone.locator("footer").get_by_role("link", name="Plan du site").click()
    phone.wait_for_url("**/plan-du-site/")
    assert phone.get_by_role("heading", level=1).inner_text() == "Plan du site"
    assert_accessible(phone, f"the {role}'s site map")


def test_a_missing_page_in_the_demo_is_friendly_and_accessible(desktop, demo, settings):
    settings.DEBUG = True
    response = desktop.goto("/no-such-page/")
    assert response.status == 404
    assert desktop.get_by_role("heading", level=1).inner_text() == "Page introuvable"
    desktop.get_by_role("link", name="Retour à l'accueil").wait_for()
    assert_accessible(desktop, "the demo's 404 page")
    assert not landmark_violations(desktop)
