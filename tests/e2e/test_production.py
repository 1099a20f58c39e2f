"""Production in a real browser: a maker logs from a phone, the relay validates from its queue."""

import functools

import pytest

from demo.management.commands.seed_demo import DEMO_PASSWORD
from makers.models import ProductionReport
from tests.e2e import conftest as e2e
from tests.e2e.conftest import assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
# The demo's people log in with the demo's password.
log_in = functools.partial(e2e.log_in, password=DEMO_PASSWORD)


def test_a_maker_logs_production_on_a_phone_and_sees_it_submitted(phone, demo):
    log_in(phone, "maker@demo.tilab.test")
    phone.goto("/maker/")
    assert_accessible(phone, "the maker's space on a phone")

    phone.get_by_label("Visière de protection").check()
    phone.get_by_label("Quantité").fill("36")
    phone.get_by_label("Coût matière (€)").fill("14,40")
    phone.get_by_label("Livré à").fill("EHPAD de Cesson")
    phone.get_by_role("button", name="Enregistrer ma déclaration").click()

    assert "Déclaration enregistrée" in phone.get_by_role("status").inner_text()
    # The confirmation has focus (read out) and is on screen, not far above it.
    assert phone.evaluate("document.activeElement.classList.contains('messages')")
    assert 0 <= phone.evaluate("document.activeElement.getBoundingClientRect().top") < 844
    row = phone.locator("table.reports tbody tr", has_text="EHPAD de Cesson")
    assert "soumise" in row.inner_text()
    assert "14,40" in row.inner_text()
    report = ProductionReport.objects.get(recipient="EHPAD de Cesson")
    assert (report.quantity, report.material_cost_cents, report.status) == (36, 1440, "submitted")
    # Nothing sticks out sideways on a phone, and the page after the post is still accessible.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(phone, "the maker's space after logging a report")


def test_bad_input_on_a_phone_is_explained_next_to_the_field(phone, demo):
    log_in(phone, "maker@demo.tilab.test")
    phone.goto("/maker/")
    phone.get_by_label("Visière de protection").check()
    phone.get_by_label("Quantité").fill("0")
    phone.get_by_role("button", name="Enregistrer ma déclaration").click()
    # The form comes back with the message next to the quantity, and a summary that links to
    # it at the top, focused, the title saying "Erreur" (RGAA 11.10).
    assert "supérieure ou égale à 1" in phone.locator("#id_quantity_error").inner_text()
    assert phone.evaluate("document.activeElement.id") == "resume-erreurs"
    assert phone.title().startswith("Erreur : ")
    phone.get_by_role("link", name="Quantité").click()
    assert phone.evaluate("document.activeElement.id") == "id_quantity"
    assert not ProductionReport.objects.filter(quantity=0).exists()
    assert_accessible(phone, "the log form with an error")


def test_a_relay_validates_a_report_from_its_queue_without_reloading(desktop, demo):
    log_in(desktop, "relais.rennes@demo.tilab.test")
    desktop.goto("/validation/?maker_name=Anne")
    assert_accessible(desktop, "the validation queue")
    waiting = list(
        ProductionReport.objects.filter(
            maker__display_name="Anne Le Goff", status="submitted"
        ).order_by("produced_on", "pk")
    )
    assert waiting, "the demo leaves reports of Anne waiting for the relay"
    first = waiting[0]
    desktop.evaluate("window.notReloaded = true")

    desktop.get_by_role("button", name=f"Valider la déclaration n° {first.pk}").click()

    # The page's live region says what was decided, naming the report.
    news = desktop.locator("#annonce")
    news.filter(has_text="1 déclaration validée").wait_for(state="attached")
    assert f"n° {first.pk}" in news.inner_text()
    assert desktop.evaluate("window.notReloaded") is True  # htmx swapped the queue in place
    # Focus stays in the list (on the row that took the decided one's place), not lost on a
    # button that no longer exists nor sent back to the top.
    assert desktop.evaluate("!!document.activeElement.closest('#queue tbody')")
    first.refresh_from_db()
    assert (first.status, first.decided_by.email) == ("validated", "relais.rennes@demo.tilab.test")
    assert_accessible(desktop, "the queue after a decision")


def test_a_relay_rejects_a_selection_with_a_reason(desktop, demo):
    log_in(desktop, "relais.rennes@demo.tilab.test")
    desktop.goto("/validation/?maker_name=Anne")
    waiting = list(
        ProductionReport.objects.filter(maker__display_name="Anne Le Goff", status="submitted")
    )
    for report in waiting:
        desktop.get_by_label(f"Sélectionner la déclaration n° {report.pk}").check()
    desktop.get_by_label("Motif du refus :", exact=True).fill(
        "Merci de joindre le bon de livraison."
    )
    desktop.get_by_role("button", name="Refuser la sélection").click()
    desktop.locator("#annonce", has_text="refusée").wait_for(state="attached")
    statuses = set(
        ProductionReport.objects.filter(pk__in=[r.pk for r in waiting]).values_list(
            "status", flat=True
        )
    )
    assert statuses == {"rejected"}


SPREADSHEET = (
    "Date;Nom du maker;Structure;Département;Article;Quantité;Coût matière (€);Livré à\n"
    "16/03/2020;Gwenola Le Saux;;35;Visières;24;12,50;CHU Rennes\n"
    "17/03/2020;Gwenola Le Saux;;Côtes-d'Armor;attache-masque;1 200;2,10;EHPAD Lannion\n"
)


def test_a_relay_imports_a_spreadsheet_after_a_preview(desktop, demo):
    log_in(desktop, "relais.rennes@demo.tilab.test")
    desktop.goto("/validation/")
    desktop.get_by_role("link", name="Importer un tableur").click()
    assert_accessible(desktop, "the import form")
    desktop.get_by_label("Tableur").set_input_files(
        {"name": "avril.csv", "mimeType": "text/csv", "buffer": SPREADSHEET.encode("cp1252")}
    )
    desktop.get_by_role("button", name="Voir l'aperçu").click()
    assert (
        "Gwenola Le Saux"
        in desktop.get_by_role("heading", name="Makers à ajouter")
        .locator("xpath=following-sibling::*[1]")
        .inner_text()
    )
    assert not ProductionReport.objects.filter(maker__display_name="Gwenola Le Saux").exists()
    assert_accessible(desktop, "the import preview")

    desktop.get_by_role("button", name="Importer 2 déclarations").click()
    desktop.wait_for_url("**/validation/")
    assert "2 déclarations importées" in desktop.get_by_role("status").first.inner_text()
    assert sorted(
        ProductionReport.objects.filter(maker__display_name="Gwenola Le Saux").values_list(
            "quantity", flat=True
        )
    ) == [24, 1200]
