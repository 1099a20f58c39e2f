"""Security headers on pages, API answers and downloads; pages without inline script or style,
so the Content-Security-Policy needs no exception; `check --deploy` stays clean."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from tests.conftest import require
from tests.e2e.conftest import CHROMIUM_ARGS, CSP_VIOLATIONS, chromium_path, watch_csp
from tests.factories import PASSWORD, make_user
from tests.security.test_csrf import every_url

# Playwright's sync API runs an event loop in the test thread (the browser tests below).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PUBLIC_PAGES = ["/", "/workshops/", "/annuaire/", "/besoins/", "/accounts/login/", "/api/docs/"]


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    found = {}
    for part in policy.split(";"):
        name, *values = part.split()
        found[name] = values
    return found


def assert_hardened(response):
    csp = directives(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval'
    assert csp["style-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["form-action"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert set(csp["img-src"]) == {"'self'", "data:"}
    permissions = response["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in permissions
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_carry_every_security_header(client, reference_data, path):
    response = client.get(path)
    assert response.status_code == 200
    assert_hardened(response)


def test_an_api_answer_carries_them_too(client, reference_data):
    response = client.get("/api/v1/departments/")
    assert response.status_code == 200
    assert_hardened(response)


def test_a_download_carries_them_and_is_never_sniffed(client, reference_data):
    response = client.get("/open-data/production.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert_hardened(response)


def test_a_personal_download_too(client, maker):
    client.force_login(maker)
    response = client.get("/maker/mes-donnees/export.csv")
    assert response["Content-Disposition"].startswith("attachment")
    assert_hardened(response)


def test_hsts_is_sent_over_https_in_production(client, reference_data, settings):
    # The production values of config/settings.py (DEBUG=False); check --deploy below proves
    # they are the ones set.
    settings.SECURE_HSTS_SECONDS = 365 * 24 * 3600
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    response = client.get("/", secure=True)
    assert response["Strict-Transport-Security"] == ("max-age=31536000; includeSubDomains; preload")


def test_the_api_docs_load_their_script_as_a_file(client, reference_data):
    page = client.get("/api/docs/").content.decode()
    sources = re.findall(r'<script src="([^"]+)"', page)
    assert len(sources) == 3
    script = client.get(sources[-1].replace("&amp;", "&"))
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle(" in script.content.decode()


# --- No inline script or style anywhere --------------------------------------------------------

# A <script> without src (JSON data blocks are not run, the policy lets them be).
INLINE_SCRIPT = r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>"
INLINE = [
    (re.compile(INLINE_SCRIPT), "script"),
    (re.compile(r"<style\b"), "<style>"),
    (re.compile(r"\sstyle=\"[^\"]"), "style attribute"),
    (re.compile(r"\son[a-z]+=\""), "event handler attribute"),
    (re.compile(r"href=\"javascript:"), "javascript: link"),
]


def inline_content(html: str) -> list[str]:
    return [what for pattern, what in INLINE if pattern.search(html)]


def test_no_page_has_inline_script_or_style(everyone):
    """Every page reachable without an id in its address, for someone holding every role and
    for a visitor: nothing the policy would block. (Browser tests see the rest.)"""
    visitors = [Client(), Client()]
    visitors[1].force_login(everyone)
    offending = []
    pages = 0
    for path, _view in every_url():
        if re.search(r"/(1|abc|\.json)(/|$)", path) or path.endswith(".json/"):
            continue
        if path.startswith("/api/") and path != "/api/docs/":
            continue  # JSON, no page
        for visitor in visitors:
            response = visitor.get(path)
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            if getattr(response, "streaming", False):
                continue
            pages += 1
            found = inline_content(response.content.decode())
            if found:
                offending.append(f"{path}: {', '.join(found)}")
    assert pages > 40
    assert not offending, "\n".join(offending)


def test_check_deploy_is_clean():
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DEBUG": "False",
        "SECRET_KEY": "check-deploy-0123456789abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJ",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- In a real Chromium: the pages the browser tests do not visit ------------------------------


@pytest.fixture(scope="module")
def chromium():
    """One Chromium for the browser tests of this module, which come last: Playwright's event
    loop is gone before any other module's test calls an async view."""
    path = chromium_path()
    require(path is not None, "Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium, live_server, transactional_db):
    """A page in a fresh browser context, watched for what the policy refuses."""
    CSP_VIOLATIONS.clear()
    context = watch_csp(chromium.new_context(base_url=live_server.url, locale="fr-FR"))
    yield context.new_page()
    context.close()
    found, CSP_VIOLATIONS[:] = list(CSP_VIOLATIONS), []
    assert not found, "The Content-Security-Policy refused:\n" + "\n".join(found)


@pytest.mark.e2e
def test_swagger_ui_renders_the_api_under_the_policy(browser_page):
    browser_page.goto("/api/docs/")
    browser_page.wait_for_selector(".opblock-tag", timeout=20_000)
    assert browser_page.locator(".opblock").count() > 10


@pytest.mark.e2e
def test_the_admin_works_under_the_policy(browser_page):
    from tilab.reference import reference_data_ensure

    reference_data_ensure()
    admin = make_user(email="admin@tilab.example.org", is_staff=True, is_superuser=True)
    browser_page.goto("/admin/")
    browser_page.fill("input[name=login]", "admin@tilab.example.org")
    browser_page.fill("input[name=password]", PASSWORD)
    browser_page.click("form button[type=submit]")
    browser_page.wait_for_url("**/admin/")
    browser_page.goto("/admin/tilab/user/")
    browser_page.wait_for_selector("#result_list")
    browser_page.goto(f"/admin/tilab/user/{admin.pk}/change/")
    browser_page.wait_for_selector("#user_form")
    browser_page.goto("/admin/auth/group/add/")
    browser_page.wait_for_selector("#group_form")
    # The filter widget is drawn by the admin's scripts: they ran.
    browser_page.wait_for_selector(".selector-available")


@pytest.mark.e2e
def test_the_watch_sees_what_the_policy_refuses(browser_page):
    from playwright.sync_api import Error

    browser_page.goto("/")
    with pytest.raises(Error, match="Content Security Policy"):
        browser_page.add_style_tag(content="body { color: red; }")
    browser_page.wait_for_timeout(300)  # the page's event comes back through the exposed function
    assert any("style-src" in text for text in CSP_VIOLATIONS)
    CSP_VIOLATIONS.clear()
