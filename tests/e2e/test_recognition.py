"""Recognition in a real browser: a maker downloads their attestation, anyone checks it by its
code, and the attestation, check and personal data pages pass the accessibility check."""

import pytest

from makers.reference import item_catalogue_ensure
from recognition.attestations import code_display
from recognition.models import Attestation
from tests.e2e.conftest import assert_accessible, log_in
from tests.factories import make_report

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def anne_produced(maker, relay_staff):
    """Anne made 24 visors, validated by LabFab de Rennes."""
    item_catalogue_ensure()  # a previous browser test's flush took the catalogue away
    make_report(maker=maker.maker, quantity=24, status="validated", decided_by=relay_staff)
    return maker


def test_a_maker_downloads_an_attestation_and_anyone_checks_it(
    desktop, browser, live_server, anne_produced
):
    from playwright.sync_api import expect

    log_in(desktop, "anne@example.org")
    desktop.goto("/maker/")
    desktop.get_by_role("link", name="Mon attestation").click()
    desktop.wait_for_url("**/maker/attestation/")
    expect(desktop.get_by_role("heading", level=1)).to_have_text("Mon attestation de participation")
    expect(desktop.get_by_role("table").first).to_contain_text("LabFab de Rennes")
    assert_accessible(desktop, "the attestation preview")

    with desktop.expect_download() as download_info:
        desktop.get_by_role("button", name="Télécharger le PDF").click()
    download = download_info.value
    attestation = Attestation.objects.get()
    code = code_display(attestation.code)
    # The name comes from the response's Content-Disposition header.
    assert download.suggested_filename == f"attestation-tilab-{code}.pdf"
    with open(download.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"

    # Someone who received the PDF checks it, typing the code their own way, logged in or not.
    visitor = browser.new_context(locale="fr-FR", base_url=live_server.url)
    page = visitor.new_page()
    page.goto("/attestations/verifier/")
    assert_accessible(page, "the empty check page")
    page.get_by_label("Code de vérification").fill(f" {code.lower().replace('-', ' ')} ")
    page.get_by_role("button", name="Vérifier").click()
    result = page.locator("#resultat")
    expect(result.get_by_role("heading")).to_have_text(f"Attestation {code} : authentique")
    expect(result).to_contain_text("Anne Le Goff")
    expect(result).to_contain_text("LabFab de Rennes")
    assert_accessible(page, "a successful check")
    page.get_by_label("Code de vérification").fill("AAAA-BBBB-CCCC")
    page.get_by_role("button", name="Vérifier").click()
    expect(result).to_contain_text("Aucune attestation ne porte ce code")
    visitor.close()


def test_the_personal_data_page_is_accessible_and_offers_both_exports(desktop, anne_produced):
    log_in(desktop, "anne@example.org")
    desktop.goto("/maker/")
    desktop.get_by_role("link", name="Mes données").click()
    desktop.wait_for_url("**/maker/mes-donnees/")
    assert_accessible(desktop, "the personal data page")
    with desktop.expect_download() as download_info:
        desktop.get_by_role("link", name="Toutes mes données au format JSON").click()
    assert download_info.value.suggested_filename == "export.json"
    desktop.get_by_role("link", name="Supprimer mon compte…").click()
    desktop.wait_for_url("**/maker/mes-donnees/supprimer/")
    assert_accessible(desktop, "the account deletion page")
