"""Spreadsheets as volunteers send them: ODS, XLS and XLSX, an instructions sheet first, a title
above the header, total rows under the data, formulas with the values their file kept."""

import datetime
import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from makers import importing
from makers.models import ProductionReport
from tests.conftest import require
from tests.makers.spreadsheets import Formula, ods_bytes, ods_content, xlsx_bytes
from tests.refusals import refused

DATA = Path(__file__).parent / "data"
NOW = datetime.datetime(2020, 5, 10, 12, 0, tzinfo=datetime.UTC)
HEADER = ["Date", "Nom du maker", "Département", "Article", "Quantité"]
ANNE = [datetime.date(2020, 4, 3), "Anne Le Goff", 35, "Visière", 24]
YANN = [datetime.date(2020, 4, 4), "Yann Kerbrat", 22, "Visière", 40]
API = "/api/v1/production-reports/import/"


def preview(content: bytes, by) -> importing.ImportPlan:
    return importing.production_import_preview(content=content, filename="f", by=by, now=NOW)


def errors_of(content: bytes, by) -> list[tuple]:
    with refused("import_rejected", kind=importing.ImportRejected) as rejected:
        preview(content, by)
    return [(e.sheet, e.line, e.column, e.code) for e in rejected.value.errors]


def both_formats(sheets: dict) -> list:
    return [pytest.param(xlsx_bytes(sheets), id="xlsx"), pytest.param(ods_bytes(sheets), id="ods")]


def broken_xlsx() -> bytes:
    """A workbook whose sheet is cut in the middle of its XML."""
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes({"A": [HEADER, ANNE]})))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            target.writestr(name, data[:150] if name.endswith("sheet1.xml") else data)
    return out.getvalue()


# --- Real LibreOffice files ----------------------------------------------------------------------


@pytest.mark.parametrize("extension", ["ods", "xlsx", "xls"])
def test_a_libreoffice_workbook_is_read_past_its_instructions_title_and_total(
    relay_staff, extension
):
    # make_spreadsheets.sh: "Mode d'emploi" first, then a title, a blank row, the header on
    # line 3, three rows (one quantity is the formula =12*3) and a Total row of SUM formulas.
    content = (DATA / f"production-workbook.{extension}").read_bytes()

    plan = preview(content, relay_staff)

    assert (plan.file_format, plan.sheet_name, plan.header_line) == (
        extension,
        "Production avril",
        3,
    )
    assert [(r.line, r.produced_on.day, r.quantity) for r in plan.rows] == [
        (4, 3, 24),
        (5, 4, 40),
        (6, 11, 36),
    ]
    assert [r.material_cost_cents for r in plan.rows] == [1250, 1800, 2025]
    [total] = plan.skipped_rows
    assert total["line"] == 7
    if extension == "xls":
        # An Excel 97 file gives no formula text: the Total row is known by its label.
        assert (total["reason_code"], plan.formula_cells) == ("total_label", [])
    else:
        assert total["reason_code"] == "total_formula"
        [cell] = plan.formula_cells
        assert (cell["cell"], cell["formula"], cell["value"]) == ("E6", "=12*3", "36")


def test_a_file_converted_by_libreoffice_now_imports(relay_staff, tmp_path):
    """The CI path: soffice converts a CSV to ODS and XLSX, the importer reads both. Missing
    soffice fails this test in CI (CI set) and skips it on a laptop."""
    require(
        shutil.which("soffice") is not None,
        "soffice is not installed (apt-get install libreoffice-calc-nogui)",
    )
    source = tmp_path / "production.csv"
    source.write_text(
        "Date,Nom du maker,Département,Article,Quantité\n2020-04-03,Anne,35,Visière,7\n"
    )
    for target in ("ods", "xlsx"):
        subprocess.run(
            [
                "soffice",
                f"-env:UserInstallation=file://{tmp_path}/lo-profile",
                "--headless",
                "--infilter=CSV:44,34,76,1",  # comma, double quote, UTF-8, from line 1
                "--convert-to",
                target,
                "--outdir",
                str(tmp_path),
                str(source),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        plan = preview((tmp_path / f"production.{target}").read_bytes(), relay_staff)
        assert (plan.file_format, [r.quantity for r in plan.rows]) == (target, [7])
        assert plan.rows[0].produced_on == datetime.date(2020, 4, 3)


# --- Finding the table ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    both_formats(
        {
            "Consignes": [["Une ligne par maker et par jour."], ["Merci !"]],
            "Données": [["Production avril 2020"], [None], HEADER, ANNE, YANN],
        }
    ),
)
def test_an_instructions_sheet_and_a_title_row_are_passed_over(relay_staff, content):
    plan = preview(content, relay_staff)
    assert (plan.sheet_name, plan.header_line) == ("Données", 3)
    assert [(r.line, r.maker) for r in plan.rows] == [(4, "Anne Le Goff"), (5, "Yann Kerbrat")]


def test_a_csv_with_a_title_and_blank_lines_above_its_header_imports(relay_staff):
    content = (
        "Relevé de production — LabFab de Rennes;;\n;;\n\n"
        "Date;Nom du maker;Département;Article;Quantité\n03/04/2020;Anne;35;Visière;5\n"
    ).encode()
    plan = preview(content, relay_staff)
    assert (plan.sheet_name, plan.header_line, [r.line for r in plan.rows]) == (None, 4, [5])


def test_a_workbook_without_a_header_says_which_sheets_and_rows_were_searched(relay_staff):
    content = xlsx_bytes(
        {
            "Consignes": [["Remplir ci-contre"]],
            "Saisie": [["Date", "Qui", "Quoi", "Quantité"], ANNE],
        }
    )
    with refused("import_rejected", kind=importing.SpreadsheetUnreadable) as rejected:
        preview(content, relay_staff)
    [error] = rejected.value.errors
    assert (error.sheet, error.line, error.code) == ("Saisie", 1, "header_not_found")
    assert "« Consignes », « Saisie »" in error.refusal.params["searched"]
    assert "1 à 2" in error.refusal.params["searched"]
    # Date and Quantité were found on that row; the others are named as missing.
    missing = error.refusal.params["missing"]
    assert "Nom du maker" in missing and "Article" in missing and "Date" not in missing


def test_a_header_lacking_a_required_column_names_it_and_its_sheet(relay_staff):
    content = xlsx_bytes({"Avril": [["Titre"], HEADER[:4], ANNE[:4]]})
    assert errors_of(content, relay_staff) == [("Avril", 2, "Quantité", "column_missing")]


def test_bad_cells_of_a_workbook_name_their_sheet_line_and_column(client, relay_staff):
    content = ods_bytes({"Avril": [["Titre"], HEADER, ANNE, ANNE[:4] + [-3]]})
    client.force_login(relay_staff)
    body = client.post(
        API, {"file": SimpleUploadedFile("avril.ods", content), "dry_run": "true"}
    ).json()
    assert [(e["sheet"], e["line"], e["column"], e["code"]) for e in body["errors"]] == [
        ("Avril", 4, "Quantité", "quantity_not_positive")
    ]


# --- Totals --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    both_formats(
        {
            "Avril": [
                HEADER,
                ANNE,
                YANN,
                [None, "Sous-total semaine 14", None, None, 64],
                [datetime.date(2020, 4, 6), "Anne Le Goff", 35, "Visière", 10],
                [None, None, None, None, 10],
                ["TOTAL GÉNÉRAL", None, None, None, 74],
                [None, "Somme", None, None, None],
            ]
        }
    ),
)
def test_total_rows_are_skipped_and_listed_never_imported(relay_staff, content):
    plan = preview(content, relay_staff)
    assert [r.line for r in plan.rows] == [2, 3, 5]
    assert [(s["line"], s["reason_code"]) for s in plan.skipped_rows] == [
        (4, "total_label"),
        (6, "total_sum"),
        (7, "total_label"),
        (8, "total_label"),
    ]
    apply = importing.production_import_apply
    apply(content=content, filename="f", by=relay_staff, now=NOW)
    assert sorted(ProductionReport.objects.values_list("quantity", flat=True)) == [10, 24, 40]


@pytest.mark.parametrize(
    "formula", ["=SUM(E2:E3)", "=SOMME(E2:E3)", "=SUBTOTAL(9,E2:E3)", "=SOUS.TOTAL(9;E2:E3)"]
)
def test_a_row_summing_a_range_by_formula_is_a_total_even_without_a_label(relay_staff, formula):
    content = ods_bytes(
        {"Avril": [HEADER, ANNE, YANN, [None, None, None, None, Formula(formula, 99)]]}
    )
    plan = preview(content, relay_staff)
    assert [(s["line"], s["reason_code"]) for s in plan.skipped_rows] == [(4, "total_formula")]
    assert plan.formula_cells == []


def test_a_dateless_row_that_is_not_a_total_is_still_refused(relay_staff):
    content = xlsx_bytes({"Avril": [HEADER, ANNE, YANN, [None, "Marie", 35, "Visière", 5]]})
    assert errors_of(content, relay_staff) == [("Avril", 4, "Date", "date_missing")]


# --- Formulas ------------------------------------------------------------------------------------


def test_a_formula_cell_is_read_for_the_value_its_file_kept_and_shown(client, relay_staff):
    content = ods_bytes({"Avril": [HEADER, ANNE[:4] + [Formula("=12*2", 24)]]})
    plan = preview(content, relay_staff)
    assert [r.quantity for r in plan.rows] == [24]
    assert plan.formula_cells == [
        {"line": 2, "column": "Quantité", "cell": "E2", "formula": "=12*2", "value": "24"}
    ]
    client.force_login(relay_staff)
    response = client.post(
        "/validation/import/", {"file": SimpleUploadedFile("avril.ods", content)}, follow=True
    )
    page = response.content.decode()
    assert "=12*2" in page and "Valeur prise" in page and "feuille « Avril »" in page


def test_a_formula_cell_without_a_kept_value_is_refused(relay_staff):
    content = ods_bytes({"Avril": [HEADER, ANNE[:4] + [Formula("=12*2", None)]]})
    assert errors_of(content, relay_staff) == [("Avril", 2, "Quantité", "cell_formula")]


# --- Formats -------------------------------------------------------------------------------------


def test_the_format_is_recognised_from_the_bytes_whatever_the_name(client, relay_staff):
    client.force_login(relay_staff)
    content = ods_bytes({"Avril": [HEADER, ANNE]})
    response = client.post(API, {"file": SimpleUploadedFile("production.csv", content)})
    body = response.json()
    assert (response.status_code, body["file_format"], body["sheet_name"]) == (200, "ods", "Avril")
    assert (body["header_line"], body["skipped_rows"], body["formula_cells"]) == (1, [], [])


@pytest.mark.parametrize(
    ("content", "label"),
    [
        (ods_bytes(content=ods_content({"A": [HEADER, ANNE]})[:300]), "OpenDocument (.ods)"),
        (broken_xlsx(), "Excel (.xlsx)"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "Excel 97-2003 (.xls)"),
    ],
    ids=["ods", "xlsx", "xls"],
)
def test_a_workbook_that_cannot_be_read_says_which_format_it_looked_like(
    relay_staff, content, label
):
    with refused("import_rejected", kind=importing.SpreadsheetUnreadable) as rejected:
        preview(content, relay_staff)
    [error] = rejected.value.errors
    assert (error.code, str(error.refusal.params["format"])) == ("workbook_unreadable", label)


def test_the_upload_form_offers_ods_and_xls(client, relay_staff):
    client.force_login(relay_staff)
    page = client.get("/validation/import/").content.decode()
    assert ".ods" in page and ".xls," in page and "opendocument.spreadsheet" in page


def _workbook_with_hidden_sheets(*, visible: bool) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    old = book.active
    old.title = "2019 (archives)"
    for values in (HEADER, [datetime.date(2019, 4, 3), "Ancienne Ligne", 35, "Visière", 999]):
        old.append(values)
    old.sheet_state = "hidden"
    current = book.create_sheet("Avril 2020")
    for values in (HEADER, ANNE):
        current.append(values)
    buffer = io.BytesIO()
    book.save(buffer)
    if visible:
        return buffer.getvalue()
    # openpyxl will not write a workbook without a visible sheet; Excel's files may have one.
    source, out = zipfile.ZipFile(buffer), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name == "xl/workbook.xml":
                data = data.replace(b'state="visible"', b'state="veryHidden"')
            target.writestr(name, data)
    return out.getvalue()


def test_a_hidden_sheet_is_never_read_and_the_preview_names_it(relay_staff):
    # The hidden sheet comes first and has a perfect header: reading it would import last
    # year's figures nobody sees in the file.
    plan = preview(_workbook_with_hidden_sheets(visible=True), relay_staff)
    assert plan.sheet_name == "Avril 2020"
    assert [r.maker for r in plan.rows] == ["Anne Le Goff"]
    assert plan.as_dict()["hidden_sheets"] == ["2019 (archives)"]


def test_a_workbook_whose_every_sheet_is_hidden_is_refused_naming_them(relay_staff):
    with refused("import_rejected", kind=importing.SpreadsheetUnreadable) as rejected:
        preview(_workbook_with_hidden_sheets(visible=False), relay_staff)
    [error] = rejected.value.errors
    assert error.code == "workbook_only_hidden_sheets"
    assert "2019 (archives)" in error.message
