"""The accessibility statement says what was measured and with what: its status and rate, what
is not accessible, the test environment with the versions actually used, the plans, the contact
and the Défenseur des droits, in French first and in English. Its rate, status and failing
criteria are read from the audit file (tilab/data/accessibility/), which is checked here: the
106 criteria of RGAA 4.1, each with a status, and each check it names real."""

import ast
import html
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import axe_playwright_python
import pytest

from tests.conftest import require
from tilab.accessibility_audit import (
    THEME_SIZES,
    Criterion,
    audit_criteria,
    audit_sample,
    audit_summary,
)

URL = "/accessibilite/"
AXE_BUNDLE = Path(axe_playwright_python.__file__).with_name("axe.min.js")


def _text(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def test_the_statement_gives_its_status_rate_and_what_is_not_accessible(client, reference_data):
    summary = audit_summary()
    text = _text(client.get(URL))
    assert f"{summary.status} avec le" in text
    rate = str(summary.rate).replace(".", ",")
    assert f"{rate} % des critères du RGAA applicables sont respectés" in text
    assert "taux global de conformité" in text
    assert f"{summary.conforming} critères conformes sur {summary.applicable}" in text
    not_accessible = text[text.index("Non-conformités") : text.index("Dérogations")]
    for criterion in summary.failing:
        assert f"critère {criterion.number} ({criterion.topic.lower()})" in not_accessible
        assert f"Critère {criterion.number} :" in not_accessible  # and why, in words
    if not summary.failing:
        assert "tous les critères applicables du RGAA sont respectés" in not_accessible
    assert "graphe des coopérations" in not_accessible
    # The criteria that failed at the previous audit are said to be met now.
    for criterion in [
        "1.9",
        "7.5",
        "8.7",
        "8.8",
        "10.7",
        "11.10",
        "11.11",
        "11.12",
        "12.1",
        "13.1",
    ]:
        assert criterion in text
    assert "ne sont pas encore accompagnés d'une alternative" not in text
    assert "environ 85 %" not in text
    assert "Schéma pluriannuel de mise en accessibilité 2027-2029" in text
    assert "Plan d'action pour l'année 2027" in text
    assert "accessibilite@tilab.bzh" in text and "Défenseur des droits" in text
    assert "Libre réponse 71120" in text
    assert "7 décembre 2026" in text


def test_the_statement_lists_the_audited_sample(client, reference_data):
    text = _text(client.get(URL))
    sample = text[text.index("ayant fait l'objet") : text.index("Schéma pluriannuel")]
    assert len(audit_sample()) == 14
    for page in audit_sample():
        assert page["name"] in sample


def test_the_footer_gives_the_same_status(client, reference_data):
    assert f"Accessibilité : {audit_summary().status}" in _text(client.get("/"))


def test_the_audit_file_rates_the_106_criteria_of_rgaa_4_1():
    criteria = audit_criteria()
    numbers = [criterion.number for criterion in criteria]
    expected = [
        f"{theme}.{rank}" for theme, size in THEME_SIZES.items() for rank in range(1, size + 1)
    ]
    assert numbers == expected and len(numbers) == 106
    pages = {page["page"] for page in audit_sample()}
    for criterion in criteria:
        assert criterion.status in ("C", "NC", "NA"), criterion.number
        assert criterion.method in ("axe", "browser", "validator", "manual"), criterion.number
        assert criterion.justification and criterion.topic, criterion.number
        # A failing criterion says where it fails; the others fail nowhere.
        assert bool(criterion.pages) == (criterion.status == "NC"), criterion.number
        assert set(criterion.pages) <= pages, criterion.number
        if criterion.method != "manual":
            assert criterion.checks, f"{criterion.number} names no automatic check"


def _e2e_tests(module: str) -> set[str]:
    tree = ast.parse(Path(f"tests/e2e/{module}.py").read_text())
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}


def test_every_check_the_audit_names_exists():
    """An axe rule the bundled axe-core has; a browser test that is there to run."""
    bundle = AXE_BUNDLE.read_text()
    for criterion in audit_criteria():
        for check in criterion.checks:
            kind, _, name = check.partition(":")
            if kind == "axe":
                assert f'id:"{name}"' in bundle, f"{criterion.number}: no axe rule {name}"
            else:
                assert kind == "e2e", check
                module, _, test = name.partition("::")
                assert test in _e2e_tests(module), f"{criterion.number}: no test {name}"


def _criterion(number, status, pages=()):
    return Criterion(number, "topic", status, tuple(pages), "manual", (), "why")


@pytest.mark.parametrize(
    ("statuses", "rate", "status"),
    [
        (["C", "C", "NA"], Decimal("100.0"), "totalement conforme"),
        (["C", "C", "NC", "NA"], Decimal("66.7"), "partiellement conforme"),
        (["C", "NC"], Decimal("50.0"), "partiellement conforme"),
        (["C", "NC", "NC", "NA", "NA"], Decimal("33.3"), "non conforme"),
    ],
)
def test_the_rate_is_the_rgaa_global_rate(statuses, rate, status):
    """Conforming criteria over applicable ones (C and NC); not applicable ones left out."""
    criteria = tuple(
        _criterion(f"1.{rank}", s, ["accueil"] if s == "NC" else [])
        for rank, s in enumerate(statuses, start=1)
    )
    summary = audit_summary(criteria)
    assert (summary.rate, summary.status) == (rate, status)
    assert summary.applicable == statuses.count("C") + statuses.count("NC")
    assert [c.number for c in summary.failing] == [c.number for c in criteria if c.status == "NC"]


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
    summary = audit_summary()
    client.cookies["django_language"] = "en"
    text = _text(client.get(URL, headers={"accept-language": "en"}))
    english = {
        "totalement conforme": "fully compliant",
        "partiellement conforme": "partially compliant",
        "non conforme": "not compliant",
    }
    assert f"is {english[summary.status]} with the" in text
    assert f"{summary.rate}% of the applicable RGAA criteria are met" in text
    for criterion in summary.failing:
        assert f"Criterion {criterion.number}:" in text
    if not summary.failing:
        assert "every applicable RGAA criterion is met" in text
    assert "Multi-year accessibility plan 2027–2029" in text
