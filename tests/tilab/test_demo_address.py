"""A demo whose links work: e-mail and PDF links follow the port the demo is served on, allauth's
e-mails speak as "Ti Lab", and a missing page or a crash shows the platform's own pages even
with DEBUG on."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings
from django.urls import path

from recognition.attestations import verification_url
from tests.conftest import require
from tests.factories import PASSWORD
from tilab.models import OutboxEmail

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def site_url_with(environment: dict) -> str:
    """SITE_URL as config.settings reads it in a process with `environment`."""
    env = {k: v for k, v in os.environ.items() if k not in ("PORT", "SITE_URL")}
    env.update(environment, DJANGO_SETTINGS_MODULE="config.settings")
    code = (
        "import django; django.setup(); from django.conf import settings; print(settings.SITE_URL)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_the_demo_links_to_the_port_it_is_served_on():
    assert site_url_with({"PORT": "8101"}) == "http://127.0.0.1:8101"
    assert site_url_with({}) == "http://127.0.0.1:8000"


def test_an_explicit_site_url_wins_over_the_port():
    assert site_url_with({"PORT": "8101", "SITE_URL": "https://tilab.example.org"}) == (
        "https://tilab.example.org"
    )


def test_make_run_hands_its_port_to_the_server():
    require(shutil.which("make") is not None, "make is not installed")
    dry_run = subprocess.run(
        ["make", "-n", "run", "PORT=8101"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert re.search(r"^PORT=8101 \S+/python manage.py runserver 127.0.0.1:8101$", dry_run, re.M)


def test_the_attestation_check_address_follows_the_site_url(settings):
    settings.SITE_URL = "http://127.0.0.1:8101"
    assert verification_url("ABCDEFGH").startswith("http://127.0.0.1:8101/attestations/verifier/")


def test_the_sign_up_e_mail_greets_from_ti_lab_with_links_to_the_served_address(
    client, reference_data
):
    client.post(
        "/accounts/signup/",
        {"email": "yann@example.org", "password1": PASSWORD, "password2": PASSWORD},
        HTTP_HOST="127.0.0.1:8101",
    )
    (message,) = OutboxEmail.objects.all()  # written now, sent by the worker
    assert "Bonjour, c'est Ti Lab !" in message.body
    assert "http://127.0.0.1:8101/accounts/confirm-email/" in message.body


# --- Error pages with DEBUG on -----------------------------------------------------------------


def _crash(request):
    raise RuntimeError("boom")


urlpatterns = [path("crash/", _crash)]


@pytest.fixture
def demo_debug(settings):
    settings.DEBUG = True
    settings.TILAB_DEBUG_PAGES = False


def test_a_missing_page_in_the_demo_is_the_platform_s_page(client, reference_data, demo_debug):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert 'href="/"' in html and "Page introuvable" in html
    assert "URLconf" not in html  # Django's debug page lists every URL pattern


def test_a_missing_object_in_the_demo_is_the_platform_s_page(client, maker, demo_debug):
    client.force_login(maker)
    response = client.get("/workshops/999999/")
    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()
    assert "Traceback" not in response.content.decode()


def test_the_api_keeps_its_json_404_in_the_demo(client, reference_data, demo_debug):
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


@override_settings(ROOT_URLCONF=__name__)
def test_a_crash_in_the_demo_shows_the_platform_s_500_page(client, reference_data, demo_debug):
    client.raise_request_exception = False
    response = client.get("/crash/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Une erreur est survenue" in html
    assert "RuntimeError" not in html


def test_a_developer_can_have_django_s_debug_pages_back(client, reference_data, settings):
    settings.DEBUG = True
    settings.TILAB_DEBUG_PAGES = True
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "URLconf" in response.content.decode()
