"""The first things a person does: open the site, log in on a phone, read the API docs."""

from urllib.parse import urlsplit

import pytest

from tests.e2e import conftest as e2e
from tests.e2e.conftest import assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_demo_maker_logs_in_on_a_phone_and_reaches_their_space(phone, demo):
    phone.goto("/")
    e2e.open_menu(phone)
    phone.get_by_role("link", name="Se connecter").click()
    phone.get_by_label("Courriel").fill("maker@demo.tilab.test")
    phone.get_by_label("Mot de passe :").fill("demo-tilab-2020")
    phone.get_by_role("button", name="Connexion").click()

    e2e.open_menu(phone)
    phone.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Mon espace"
    ).click()
    assert phone.get_by_role("heading", level=1).inner_text() == "Mon espace maker"
    assert "Anne Le Goff" in phone.content()
    # Nothing sticks out sideways on a phone.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(phone, "the maker's space on a phone")


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/accounts/login/",
        "/accounts/signup/",
        "/accessibilite/",
        "/mentions-legales/",
        "/donnees-personnelles/",
        "/workshops/",
        "/open-data/",
    ],
)
def test_public_pages_have_no_accessibility_violation(desktop, demo, path):
    desktop.goto(path)
    assert_accessible(desktop)


def test_the_home_page_on_a_phone_is_accessible(phone, demo):
    phone.goto("/")
    assert_accessible(phone, "the home page on a phone")


def test_role_pages_have_no_serious_accessibility_violation(desktop, demo):
    desktop.goto("/accounts/login/")
    desktop.get_by_label("Courriel").fill("relais.rennes@demo.tilab.test")
    desktop.get_by_label("Mot de passe :").fill("demo-tilab-2020")
    desktop.get_by_role("button", name="Connexion").click()
    # The relay's to-do: its first count leads to a queue listing as many reports.
    desktop.goto("/")
    assert_accessible(desktop, "the home page of a relay, with its to-do")
    to_decide = desktop.locator('[data-todo="reports_to_decide"] a')
    count = to_decide.inner_text().split()[0]
    to_decide.click()
    assert desktop.locator("table.queue caption").inner_text().split()[0] == count
    for path in (
        "/validation/",
        "/validation/saisie/",
        "/validation/import/",
        "/dashboard/",
        "/exports/",
        "/accounts/tokens/",
    ):
        desktop.goto(path)
        assert_accessible(desktop)


def test_the_auditor_reads_a_read_only_to_do_on_a_phone(phone, demo):
    phone.goto("/accounts/login/")
    phone.get_by_label("Courriel").fill("audit@demo.tilab.test")
    phone.get_by_label("Mot de passe :").fill("demo-tilab-2020")
    phone.get_by_role("button", name="Connexion").click()
    phone.goto("/")
    todo = phone.locator("section.todo")
    assert "lecture seule" in todo.get_by_role("heading", level=2).inner_text()
    assert "votre relais" not in phone.content().lower()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(phone, "the auditor's home page on a phone")


def test_the_api_docs_load_with_no_external_request(desktop, live_server):
    requested = []
    desktop.on("request", lambda request: requested.append(request.url))
    desktop.goto("/api/docs/")
    desktop.get_by_text("/api/v1/departments/").first.wait_for()
    own = urlsplit(live_server.url).netloc
    foreign = [
        url
        for url in requested
        if urlsplit(url).scheme in ("http", "https") and urlsplit(url).netloc != own
    ]
    assert not foreign, f"the API docs fetched from elsewhere: {foreign}"


def test_the_keyboard_reaches_the_content_first(desktop, demo):
    desktop.goto("/")
    desktop.keyboard.press("Tab")
    skip = desktop.evaluate("document.activeElement.textContent.trim()")
    assert skip == "Aller au contenu"
    desktop.keyboard.press("Enter")
    assert desktop.evaluate("document.activeElement.id") == "contenu"
