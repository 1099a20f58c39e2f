"""Importing spreadsheets as volunteers send them, in a real browser: the Région on a phone,
a relay at its desk, and the double counts an import brings to the queue."""

import datetime
import functools

import pytest

from demo.management.commands.seed_demo import DEMO_PASSWORD
from makers.models import ItemAlias, ProductionImport, ProductionReport
from tests.e2e import conftest as e2e
from tests.e2e.conftest import assert_accessible, no_sideways_scroll
from tests.makers.spreadsheets import ODS_MIMETYPE, Formula, ods_bytes, xlsx_bytes

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
log_in = functools.partial(e2e.log_in, password=DEMO_PASSWORD)

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UNKNOWN_ITEM = "Kit soignant PETG"


def log_out(page) -> None:
    e2e.open_menu(page)
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_load_state()


def upload(page, filename: str, content: bytes, mimetype: str) -> None:
    """From the validation queue's link (or straight to the page), drop a file, ask for its
    preview, and wait for it."""
    page.goto("/validation/import/")
    assert_accessible(page, "the import form")
    page.get_by_label("Tableur").set_input_files(
        {"name": filename, "mimeType": mimetype, "buffer": content}
    )
    page.get_by_role("button", name="Voir l'aperçu").click()
    page.wait_for_url("**/validation/import/*/")


def press_enter_and_wait(page) -> None:
    """Submit the form the keyboard is on, and wait for the page it leads to."""
    with page.expect_navigation():
        page.keyboard.press("Enter")


def sticking_out(page) -> list[str]:
    """The outermost elements (a scrolling table aside) wider than a phone, to say what to fix."""
    return page.evaluate(
        """(() => [...document.querySelectorAll("body *")]
            .filter((e) => e.getBoundingClientRect().right > 390.5
                && !e.parentElement.closest(".table-scroll")
                && e.parentElement.getBoundingClientRect().right <= 390.5)
            .map((e) => `${e.tagName}.${e.className} ${(e.innerText || "").slice(0, 40)}`))()"""
    )


def focused(page) -> str:
    """What the keyboard is on: tag, name or id, and text."""
    return page.evaluate(
        "(() => { const e = document.activeElement;"
        " return `${e.tagName} ${e.name || e.id || ''} ${(e.innerText || '').slice(0, 60)}`; })()"
    )


def tab_to(page, locator, limit: int = 80) -> None:
    """Press Tab until the keyboard is on `locator`: it is reachable without a mouse."""
    handle = locator.element_handle()
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(el) => document.activeElement === el", handle):
            return
    raise AssertionError(f"Tab never reached {locator} (stopped on {focused(page)})")


# --- 1. The Région, on a phone, imports a regional collective's workbook --------------------------

# An English-language program's workbook: instructions first, a title, then US dates (3 April,
# 11 April, 2 May: the last one reads as 5 February too), an item nobody catalogued, three
# departments of three relays, and a Total row.
REGIONAL_WORKBOOK = {
    "Instructions": [["One line per maker and per day."], ["Thank you!"]],
    "April 2020": [
        ["Collectif Bretagne Makers — production"],
        [None],
        ["Date", "Name", "Department", "Item", "Quantity", "Recipient"],
        ["4/3/2020", "Gwen Le Bras", 35, "Face shield", 24, "CHU Rennes"],
        ["4/11/2020", "Morgane Kerjean", 29, UNKNOWN_ITEM, 12, "CHU Brest"],
        ["5/2/2020", "Tanguy Le Du", 56, "Face shield", 30, "EHPAD Auray"],
        ["Total", None, None, None, Formula("=SUM(E4:E6)", 66), None],
    ],
}


def test_the_region_imports_a_regional_workbook_on_a_phone_choosing_as_it_is_asked(phone, demo):
    log_in(phone, "region@demo.tilab.test")
    upload(phone, "collectif-avril.ods", ods_bytes(REGIONAL_WORKBOOK), ODS_MIMETYPE)
    batch = ProductionImport.objects.get(filename="collectif-avril.ods")
    # The title says what the page waits for, before anything else.
    assert phone.title().startswith("À corriger : Aperçu de l'import collectif-avril.ods")
    assert no_sideways_scroll(phone), sticking_out(phone)

    # The unknown item is asked for, with the line it is on: its name labels the choice.
    unknown = phone.get_by_role("table", name="Noms d'articles du fichier et l'article")
    assert (
        unknown.get_by_role("row", name=UNKNOWN_ITEM).get_by_role("cell").first.inner_text() == "5"
    )
    assert_accessible(phone, "the preview asking for an unknown item")
    choice = phone.get_by_label(f"« {UNKNOWN_ITEM} »")
    tab_to(phone, choice)
    choice.press("v")  # "Visière de protection", typed as a keyboard user chooses
    assert choice.evaluate("(el) => el.selectedOptions[0].text") == "Visière de protection"
    save = phone.get_by_role("button", name="Enregistrer ces correspondances et relire le fichier")
    tab_to(phone, save)
    press_enter_and_wait(phone)
    assert ItemAlias.objects.filter(text=UNKNOWN_ITEM, item_type__slug="visor").exists()
    assert "1 correspondance enregistrée" in phone.get_by_role("status").first.inner_text()
    assert phone.title().startswith("Choix à faire : Aperçu de l'import collectif-avril.ods")

    # Now the file reads, but 5/2/2020 may be 5 February or 2 May: the order is asked.
    order = phone.get_by_role("group", name="Ordre des dates")
    order.wait_for()
    assert not phone.get_by_role("button", name="Importer 3 déclarations").count()
    assert_accessible(phone, "the preview asking for the order of dates")
    month_first = order.get_by_label("mois puis jour")
    tab_to(phone, order.get_by_role("radio").first)
    if not month_first.is_checked():
        # Arrow keys move between the radios of a group, as a keyboard user does.
        phone.keyboard.press("ArrowDown")
    assert month_first.is_checked()
    reread = phone.get_by_role("button", name="Relire le fichier avec ces choix")
    tab_to(phone, reread)
    press_enter_and_wait(phone)
    batch.refresh_from_db()
    assert batch.options.get("date_order") == "month_first"
    assert phone.title().startswith("Aperçu de l'import collectif-avril.ods")

    # The preview says how it read the file, and where each line goes.
    body = phone.locator("main").inner_text()
    assert "feuille « April 2020 », en-têtes lus ligne 3" in body
    rows = phone.get_by_role("region", name="Déclarations à créer")
    assert "03/04/2020" in rows.inner_text()
    assert "11/04/2020" in rows.inner_text()
    assert "02/05/2020" in rows.inner_text()
    skipped = phone.get_by_role("table", name="Lignes de total ignorées (jamais importées)")
    assert "7" in skipped.inner_text()
    handed = phone.get_by_role("table", name="Lignes transmises, par relais destinataire")
    for relay in ("LabFab de Rennes", "ENSTA Bretagne", "La Fabrique du Loch"):
        assert relay in handed.inner_text()
    assert no_sideways_scroll(phone), sticking_out(phone)
    assert_accessible(phone, "the preview once every choice is made")

    confirm = phone.get_by_role("button", name="Importer 3 déclarations")
    tab_to(phone, confirm)
    press_enter_and_wait(phone)
    assert "3 déclarations importées" in phone.get_by_role("status").first.inner_text()
    assert sorted(
        ProductionReport.objects.filter(import_batch=batch).values_list("produced_on", flat=True)
    ) == [datetime.date(2020, 4, 3), datetime.date(2020, 4, 11), datetime.date(2020, 5, 2)]
    assert_accessible(phone, "the page after the import")

    # Each relay finds its line waiting, with the file it came from.
    log_out(phone)
    log_in(phone, "relais.ensta@demo.tilab.test")
    phone.goto("/validation/?maker_name=Morgane Kerjean")
    row = phone.locator("table.queue tbody tr", has_text="Morgane Kerjean")
    assert "importé de « collectif-avril.ods »" in row.inner_text()
    assert "Visière de protection" in row.inner_text()
    assert no_sideways_scroll(phone), sticking_out(phone)
    assert_accessible(phone, "the ENSTA Bretagne queue with the imported line")


# --- 2. A relay, at its desk, hands another relay's lines over ------------------------------------

HEADER = ["Date", "Nom du maker", "Département", "Article", "Quantité", "Livré à"]
RENNES_WORKBOOK = {
    "Production": [
        HEADER,
        [datetime.date(2020, 4, 14), "Gwen Le Bras", 35, "Visière", 20, "CHU Rennes"],
        [datetime.date(2020, 4, 15), "Morgane Kerjean", 29, "Visière", 16, "CHU Brest"],
    ]
}


def test_a_relay_hands_the_lines_of_another_department_to_the_relay_that_covers_it(desktop, demo):
    log_in(desktop, "relais.rennes@demo.tilab.test")
    upload(desktop, "rennes-avril.xlsx", xlsx_bytes(RENNES_WORKBOOK), XLSX_MIMETYPE)
    batch = ProductionImport.objects.get(filename="rennes-avril.xlsx")

    # The Finistère line is not Rennes's: what to do with it is asked, and nothing is imported
    # before it is answered.
    question = desktop.get_by_role("group", name="Lignes d'autres départements")
    question.wait_for()
    assert desktop.title().startswith("Choix à faire : Aperçu de l'import rennes-avril.xlsx")
    assert not desktop.get_by_role("button", name="Importer 2 déclarations").count()
    assert not desktop.get_by_role("button", name="Importer 1 déclaration").count()
    assert_accessible(desktop, "the preview asking about another department's lines")

    hand_over = question.get_by_role("radio")
    tab_to(desktop, hand_over)
    desktop.keyboard.press("Space")
    assert hand_over.is_checked()
    reread = desktop.get_by_role("button", name="Relire le fichier avec ces choix")
    tab_to(desktop, reread)
    press_enter_and_wait(desktop)
    batch.refresh_from_db()
    assert batch.options.get("other_departments") == "hand_over"
    assert desktop.title().startswith("Aperçu de l'import rennes-avril.xlsx")

    handed = desktop.get_by_role("table", name="Lignes transmises, par relais destinataire")
    assert "ENSTA Bretagne" in handed.inner_text()
    assert "LabFab de Rennes" not in handed.inner_text()
    assert_accessible(desktop, "the preview with the lines handed over")
    confirm = desktop.get_by_role("button", name="Importer 2 déclarations")
    tab_to(desktop, confirm)
    press_enter_and_wait(desktop)
    assert "2 déclarations importées" in desktop.get_by_role("status").first.inner_text()
    assert_accessible(desktop, "the queue after the import")

    log_out(desktop)
    log_in(desktop, "relais.ensta@demo.tilab.test")
    desktop.goto("/validation/?maker_name=Morgane Kerjean")
    row = desktop.locator("table.queue tbody tr", has_text="Morgane Kerjean")
    assert "importé de « rennes-avril.xlsx » par LabFab de Rennes" in row.inner_text()
    assert ProductionReport.objects.get(import_batch=batch, department_id="29").status == (
        "submitted"
    )
    assert_accessible(desktop, "the ENSTA Bretagne queue with the line handed over")


# --- 3. The same gowns counted by the maker and by the FabLab's sheet -----------------------------


def test_a_relay_keeps_one_of_a_makers_report_and_a_fablabs_imported_line(desktop, demo):
    # Anne logs her gowns herself…
    log_in(desktop, "maker@demo.tilab.test")
    desktop.goto("/maker/")
    desktop.get_by_label("Surblouse").check()
    desktop.get_by_label("Quantité").fill("48")
    desktop.get_by_label("Date de production").fill("2020-05-20")
    desktop.get_by_label("Livré à").fill("CHU Rennes")
    desktop.get_by_role("button", name="Enregistrer ma déclaration").click()
    desktop.get_by_role("status").wait_for()
    own = ProductionReport.objects.get(maker__display_name="Anne Le Goff", quantity=48)
    log_out(desktop)

    # …and the FabLab she works at lists them again in the sheet it sends the network's
    # facilitators, who import it.
    log_in(desktop, "facilitateur@demo.tilab.test")
    fablab_sheet = {
        "Mai": [
            ["Date", "Nom du maker", "Structure", "Département", "Article", "Quantité"],
            [
                datetime.date(2020, 5, 21),
                "Anne Le Goff",
                "Makers du Pays de Fougères",
                35,
                "Surblouse",
                48,
            ],
        ]
    }
    upload(desktop, "fougeres-mai.xlsx", xlsx_bytes(fablab_sheet), XLSX_MIMETYPE)
    doubles = desktop.get_by_role("table", name="1 double compte probable")
    assert f"la déclaration n° {own.pk}" in doubles.inner_text()
    assert_accessible(desktop, "the preview flagging a double count")
    desktop.get_by_role("button", name="Importer 1 déclaration").click()
    desktop.wait_for_url("**/validation/import/")
    assert "1 déclaration importée" in desktop.get_by_role("status").first.inner_text()
    imported = ProductionReport.objects.get(import_batch__filename="fougeres-mai.xlsx")

    # Rennes's queue flags each with the other, linked.
    log_out(desktop)
    log_in(desktop, "relais.rennes@demo.tilab.test")
    desktop.goto("/validation/?maker_name=Anne&suspected_duplicate=true")
    assert_accessible(desktop, "the queue flagging a double count")
    for report, other in ((own, imported), (imported, own)):
        row = desktop.locator(f"#declaration-{report.pk}")
        assert "Double compte probable avec" in row.inner_text()
        link = row.get_by_role("link", name=f"n° {other.pk}")
        assert link.get_attribute("href") == f"#declaration-{other.pk}"

    # The relay keeps Anne's own report, with the keyboard, without the page reloading.
    desktop.evaluate("window.notReloaded = true")
    keep = desktop.get_by_role(
        "button", name=f"(garder la n° {own.pk}, refuser la n° {imported.pk})"
    )
    tab_to(desktop, keep, limit=200)
    desktop.keyboard.press("Enter")
    # The page's live region says it; focus stays in the queue (empty now: the pair is
    # settled), not lost with the button that went away.
    news = f"Déclaration n° {imported.pk} refusée comme double compte de la n° {own.pk}"
    desktop.locator("#annonce", has_text=news).wait_for(state="attached")
    assert desktop.evaluate("window.notReloaded") is True
    assert desktop.evaluate("!!document.activeElement.closest('#queue')")
    imported.refresh_from_db()
    own.refresh_from_db()
    assert (imported.status, own.status) == ("rejected", "submitted")
    assert_accessible(desktop, "the queue after keeping one of a double count")
