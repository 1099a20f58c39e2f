"""The accessibility statement says what was measured and with what: its status and rate, what
is not accessible, the test environment with the versions actually used, the plans, the contact
and the Défenseur des droits, in French first and in English."""

import re
import shutil
import subprocess
from pathlib import Path

import axe_playwright_python

from tests.conftest import require

URL = "/accessibilite/"


def _text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def test_the_statement_gives_its_status_rate_and_what_is_not_accessible(client, reference_data):
    text = _text(client.get(URL))
    assert "partiellement conforme" in text and "non conforme" not in text
    assert "environ 85 % des critères du RGAA applicables sont respectés" in text
    failed_at_the_audit = ["1.9", "7.5", "8.7", "8.8", "10.7", "11.10", "11.11", "11.12", "12.1"]
    for criterion in [*failed_at_the_audit, "13.1"]:
        assert criterion in text
    assert "Non-conformités" in text and "graphe des coopérations" in text
    # What is gone is no longer listed as missing: the charts have their tables.
    assert "ne sont pas encore accompagnés d'une alternative" not in text
    assert "Schéma pluriannuel de mise en accessibilité 2027-2029" in text
    assert "Plan d'action pour l'année 2027" in text
    assert "accessibilite@tilab.bzh" in text and "Défenseur des droits" in text
    assert "Libre réponse 71120" in text


def test_the_footer_gives_the_same_status(client, reference_data):
    assert "Accessibilité : partiellement conforme" in _text(client.get("/"))


def test_the_stated_axe_core_version_is_the_one_the_browser_tests_run():
    bundled = Path(axe_playwright_python.__file__).with_name("axe.min.js").read_text()[:200]
    version = re.search(r"axe v(\d+\.\d+\.\d+)", bundled).group(1)
    for language in ("fr", "en"):
        page = Path(f"templates/tilab/pages/accessibility.{language}.html").read_text()
        assert f"axe-core, version {version}" in page


def test_the_stated_chromium_version_is_the_one_installed():
    chromium = shutil.which("chromium")
    # Skipped on a laptop without Chromium, as the browser tests are; a failure in CI.
    require(chromium is not None, "Chromium is not installed (apt-get install chromium)")
    installed = subprocess.run(
        [chromium, "--version"], capture_output=True, text=True, check=True
    ).stdout
    version = re.search(r"(\d+\.\d+\.\d+\.\d+)", installed).group(1)
    for language in ("fr", "en"):
        page = Path(f"templates/tilab/pages/accessibility.{language}.html").read_text()
        assert f"(version {version})" in page


def test_the_english_statement_says_the_same(client, reference_data):
    client.cookies["django_language"] = "en"
    text = _text(client.get(URL, headers={"accept-language": "en"}))
    assert "partially compliant" in text
    assert "about 85% of the applicable RGAA criteria are met" in text
    assert "Multi-year accessibility plan 2027–2029" in text
