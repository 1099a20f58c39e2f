"""Browser tests: the app served by a live server, driven in a real headless Chromium.

The browser is Debian's Chromium (or the one CHROMIUM_PATH names); Playwright never downloads
one. Missing Chromium skips these tests on a laptop and fails them in CI.
"""

import importlib
import os
import shutil
import sqlite3

import pytest
from django.db import connection

from tests.conftest import require
from tests.factories import PASSWORD

# Playwright's sync API runs an event loop in the test thread; Django must still let the test
# thread touch the database it shares with the live server.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def chromium_path() -> str | None:
    return (
        os.environ.get("CHROMIUM_PATH")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )


# --- Content-Security-Policy: any violation fails the test ----------------------------------

# What Chromium refused on the pages of the current test (see _no_csp_violation).
CSP_VIOLATIONS: list[str] = []
CSP_WATCH = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__tilabCspViolation(
    `${event.effectiveDirective} refused ${event.blockedURI || "inline content"} on `
    + `${document.location.pathname} (${event.sourceFile || "page"}:${event.lineNumber})`
  );
});
"""


def _console(message) -> None:
    text = message.text
    if "Content Security Policy" in text or text.startswith("Refused to"):
        CSP_VIOLATIONS.append(f"console: {text}")


def watch_csp(context):
    """Report to CSP_VIOLATIONS what the policy refuses in this context: the page's
    securitypolicyviolation events and Chromium's "Refused to …" console messages."""
    context.expose_function("__tilabCspViolation", lambda text: CSP_VIOLATIONS.append(text))
    context.add_init_script(CSP_WATCH)
    context.on("console", _console)
    return context


class CspWatchedBrowser:
    """The browser, whose every new context (fixtures' and tests' own) is watched."""

    def __init__(self, browser):
        self._browser = browser

    def __getattr__(self, name):
        return getattr(self._browser, name)

    def new_context(self, **options):
        return watch_csp(self._browser.new_context(**options))

    def new_page(self, **options):
        return self.new_context(**options).new_page()


@pytest.fixture(autouse=True)
def _no_csp_violation():
    """Fails the test if the Content-Security-Policy blocked anything on a page it visited:
    an inline script or style, a foreign resource, an eval."""
    CSP_VIOLATIONS.clear()
    yield
    found, CSP_VIOLATIONS[:] = list(CSP_VIOLATIONS), []
    assert not found, "The Content-Security-Policy refused:\n" + "\n".join(found)


# Package scope: Playwright's event loop must be gone before other tests call async views.
@pytest.fixture(scope="package")
def browser():
    path = chromium_path()
    require(path is not None, "Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield CspWatchedBrowser(browser)
        browser.close()


APPEND_ONLY_MIGRATIONS = [
    importlib.import_module("tilab.migrations.0003_decision_append_only"),
    importlib.import_module("subsidies.migrations.0004_money_append_only"),
    importlib.import_module("subsidies.migrations.0007_ledger_head_guard"),
]
SQLITE_DOWN = [s for migration in APPEND_ONLY_MIGRATIONS for s in migration.SQLITE_DOWN]
SQLITE_UP = [s for migration in APPEND_ONLY_MIGRATIONS for s in migration.SQLITE_UP]


@pytest.fixture(autouse=True)
def _decisions_flushable_on_sqlite(transactional_db, django_db_blocker):
    """A browser test ends with a flush, which SQLite runs as DELETE: the triggers that keep
    decisions and money records append-only would refuse it. They step aside for the flush
    only, and are back before the next test (PostgreSQL flushes with TRUNCATE, which they do
    not see)."""
    yield
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            for statement in SQLITE_DOWN:
                cursor.execute(statement)


@pytest.fixture(autouse=True, scope="package")
def _decisions_append_only_again(django_db_setup, django_db_blocker):
    """Once the browser tests are over, the triggers are back for every other test."""
    yield
    if connection.vendor == "sqlite":
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            for statement in SQLITE_DOWN + SQLITE_UP:
                cursor.execute(statement)


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, locale="fr-FR", base_url=live_server.url
    )
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def desktop(browser, live_server):
    context = browser.new_context(viewport=DESKTOP, locale="fr-FR", base_url=live_server.url)
    page = context.new_page()
    yield page
    context.close()


# The database as seed_demo left it, once per test process (SQLite only: see `demo`).
_seeded: list[sqlite3.Connection] = []


@pytest.fixture
def demo(live_server, settings):
    """The demo data a newcomer gets from the run command.

    seed_demo runs for the first test of a process that asks for it; on SQLite (the embedded
    default) the database it left is kept, and the next tests get a copy of it through SQLite's
    backup API, the same rows in a fraction of the time (ids and the moment of seeding are the
    first run's). The copy replaces the whole database: no fixture a test asks for before
    `demo` may write to it. Elsewhere seed_demo runs for every test."""
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command

    connection.ensure_connection()
    if _seeded and connection.vendor == "sqlite":
        _seeded[0].backup(connection.connection)
        # The flush after the previous test gave the content types new ids; the copy has the
        # seeded ones.
        ContentType.objects.clear_cache()
        return
    settings.DEBUG = True  # seed_demo refuses to run otherwise
    call_command("seed_demo", quiet_logins=True)
    settings.DEBUG = False
    if connection.vendor == "sqlite":
        _seeded.append(sqlite3.connect(":memory:", check_same_thread=False))
        connection.connection.backup(_seeded[0])


@pytest.fixture
def themes(reference_data):
    """The workshop themes a data migration loads; an earlier browser test's flush took them
    away."""
    from workshops.reference import themes_ensure

    themes_ensure()


def log_in(page, email, password=PASSWORD):
    """Log in through the login page, as a person does, and wait to be let in."""
    page.goto("/accounts/login/")
    page.get_by_label("Courriel").fill(email)
    page.get_by_label("Mot de passe :").fill(password)
    page.get_by_role("button", name="Connexion").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def no_sideways_scroll(page) -> bool:
    """Nothing sticks out sideways on a phone."""
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def assert_accessible(page, context: str = "") -> None:
    """No axe-core violation of any impact (minor to critical) on the page as it stands."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    violations = results.response["violations"]
    detail = "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} → {[n['target'] for n in v['nodes']][:3]}"
        for v in violations
    )
    assert not violations, f"axe found problems on {context or page.url}:\n{detail}"


def open_menu(page) -> None:
    """Open the header's menu where it is a button (a phone); a desktop shows it always."""
    if page.locator(".menu-button").is_visible() and not page.locator(".site-menu[open]").count():
        page.locator(".menu-button").click()
