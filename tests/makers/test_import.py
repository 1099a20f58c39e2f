"""Relays import their spreadsheets: preview, then all rows or none, never twice."""

import datetime
import io
import pickle
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.html import escape

from directory.models import MembershipRequest
from fablabs.models import Organisation
from makers import importing
from makers.models import ItemType, Maker, Membership, ProductionImport, ProductionReport
from tests.factories import make_maker, make_organisation, make_relay
from tests.refusals import refused
from tilab.errors import WrongState
from tilab.models import Decision

SAMPLE = (Path(__file__).parent / "data" / "production-sample.csv").read_bytes()
NOW = datetime.datetime(2020, 5, 10, 12, 0, tzinfo=datetime.UTC)
HEADER = "Date;Nom du maker;Structure;Département;Article;Quantité;Coût matière (€);Livré à"
ROW = "16/03/2020;Anne Le Goff;;35;Visière;24;12,50;CHU Rennes"


def sheet(*rows: str, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    return "\n".join([header, *rows]).encode(encoding)


def row(**changes) -> str:
    """The sample's first row with some cells changed, by their header name."""
    names = ["date", "maker", "structure", "dept", "item", "quantity", "cost", "recipient"]
    cells = dict(zip(names, ROW.split(";"), strict=True))
    cells.update(changes)
    return ";".join(cells[name] for name in names)


def preview(content: bytes, by, filename: str = "production.csv") -> importing.ImportPlan:
    return importing.production_import_preview(content=content, filename=filename, by=by, now=NOW)


def apply(content: bytes, by, filename: str = "production.csv") -> importing.ImportPlan:
    return importing.production_import_apply(content=content, filename=filename, by=by, now=NOW)


def errors_of(content: bytes, by, filename: str = "production.csv") -> list[tuple]:
    """Each problem of a refused file: its line, its column and its code."""
    with refused("import_rejected", kind=importing.ImportRejected) as rejected:
        preview(content, by, filename)
    return [(e.line, e.column, e.code) for e in rejected.value.errors]


def counts() -> tuple[int, int, int, int]:
    return (
        Maker.objects.count(),
        Organisation.objects.count(),
        Membership.objects.count(),
        ProductionReport.objects.count(),
    )


@pytest.fixture
def brittany_staff(relay_staff):
    """LabFab staff who also work for the relays of Finistère and Morbihan: the whole sample."""
    make_relay(name="ENSTA Bretagne", departments=["29"], staff=[relay_staff])
    make_relay(name="La Fabrique du Loch", departments=["56"], staff=[relay_staff])
    return relay_staff


def xlsx(rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook()
    worksheet = workbook.active
    for values in rows:
        worksheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- The sample -----------------------------------------------------------------------------------


def test_the_sample_spreadsheet_imports_five_submitted_reports(brittany_staff):
    plan = apply(SAMPLE, brittany_staff)

    reports = ProductionReport.objects.order_by("produced_on", "pk")
    assert plan.counts["rows_to_create"] == 5 == reports.count()
    assert [(r.maker.display_name, r.department_id, r.item_type.slug) for r in reports] == [
        ("Anne Le Goff", "35", "visor"),
        ("Yann Kerbrat", "22", "visor"),
        ("Maëlle Tanguy", "29", "fabric-mask"),
        ("Erwan Morvan", "56", "visor"),
        ("Anne Le Goff", "35", "ear-saver"),
    ]
    first = reports[0]
    assert (first.quantity, first.material_cost_cents, first.recipient) == (24, 1250, "CHU Rennes")
    assert {r.status for r in reports} == {"submitted"}
    assert {r.source for r in reports} == {"import"}
    assert {r.entered_by for r in reports} == {brittany_staff}
    assert {r.entered_at for r in reports} == {NOW}
    assert len({r.import_key for r in reports}) == 5

    # Four makers, without login, each in the department of their rows.
    makers = {m.display_name: m for m in Maker.objects.all()}
    assert set(makers) == {"Anne Le Goff", "Yann Kerbrat", "Maëlle Tanguy", "Erwan Morvan"}
    assert {m.user for m in makers.values()} == {None}
    assert makers["Maëlle Tanguy"].department_id == "29"

    # FabLab Lannion is new; La Fabrique du Loch already existed (it is a relay).
    lannion = Organisation.objects.get(name="FabLab Lannion")
    assert (lannion.kind, lannion.department_id, lannion.is_public) == (
        "associative_fablab",
        "22",
        False,
    )
    assert Organisation.objects.filter(name="La Fabrique du Loch").count() == 1
    # A member of the organisation the import created; a request to join the existing one.
    assert set(Membership.objects.values_list("maker__display_name", "organisation__name")) == {
        ("Yann Kerbrat", "FabLab Lannion"),
    }
    assert set(
        MembershipRequest.objects.values_list("maker__display_name", "organisation__name", "status")
    ) == {("Erwan Morvan", "La Fabrique du Loch", "pending")}
    assert reports.get(maker__display_name="Yann Kerbrat").organisation == lannion

    batch = ProductionImport.objects.get()
    assert (batch.status, batch.confirmed_at, batch.created_by) == (
        "confirmed",
        NOW,
        brittany_staff,
    )
    assert {r.import_batch_id for r in reports} == {batch.pk}
    decision = Decision.objects.get(action="import")
    assert (decision.object_id, decision.actor, decision.data["rows_to_create"]) == (
        str(batch.pk),
        brittany_staff,
        5,
    )


def test_the_preview_lists_what_will_be_created_and_writes_nothing(brittany_staff):
    before = counts()
    plan = preview(SAMPLE, brittany_staff)

    assert counts() == before
    assert not plan.imported
    assert [m.display_name for m in plan.makers_to_create] == [
        "Anne Le Goff",
        "Yann Kerbrat",
        "Maëlle Tanguy",
        "Erwan Morvan",
    ]
    assert [(o.name, o.kind_label) for o in plan.organisations_to_create] == [
        ("FabLab Lannion", "FabLab associatif")
    ]
    assert plan.totals_per_item == [
        {"item": "visor", "name": "Visière de protection", "rows": 3, "quantity": 124,
         "material_cost_cents": 6170},
        {"item": "fabric-mask", "name": "Masque en tissu", "rows": 1, "quantity": 15,
         "material_cost_cents": 0},
        {"item": "ear-saver", "name": "Attache-masque", "rows": 1, "quantity": 100,
         "material_cost_cents": 210},
    ]  # fmt: skip
    assert [(t["department"], t["quantity"]) for t in plan.totals_per_department] == [
        ("22", 40),
        ("29", 15),
        ("35", 124),
        ("56", 60),
    ]
    data = plan.as_dict()
    assert data["counts"]["rows_to_create"] == 5
    assert data["rows"][0]["produced_on"] == "2020-03-16"


# --- What real spreadsheets look like -------------------------------------------------------------


def test_a_utf8_file_with_a_byte_order_mark_reads_like_a_plain_one(relay_staff):
    plan = preview(b"\xef\xbb\xbf" + sheet(ROW), relay_staff)
    assert [(r.maker, r.quantity) for r in plan.rows] == [("Anne Le Goff", 24)]


def test_a_windows_1252_file_keeps_its_accents(relay_staff):
    content = sheet(row(maker="Maëlle Tanguy", recipient="Hôpital Sud"), encoding="cp1252")
    plan = apply(content, relay_staff)
    assert plan.rows[0].item.slug == "visor"
    report = ProductionReport.objects.get()
    assert (report.maker.display_name, report.recipient) == ("Maëlle Tanguy", "Hôpital Sud")


def test_a_comma_separated_file_with_quoted_decimal_commas(relay_staff):
    content = (
        "Date,Nom du maker,Structure,Département,Article,Quantité,Coût matière (€),Livré à\n"
        '16/03/2020,Anne Le Goff,,35,Visière,24,"12,50",CHU Rennes\n'
    ).encode()
    plan = preview(content, relay_staff)
    assert (plan.rows[0].quantity, plan.rows[0].material_cost_cents) == (24, 1250)


def test_a_tab_separated_file(relay_staff):
    content = sheet(ROW.replace(";", "\t"), header=HEADER.replace(";", "\t"))
    assert preview(content, relay_staff).rows[0].material_cost_cents == 1250


def test_thousands_separators_are_read(relay_staff):
    content = sheet(
        row(quantity="1 200", cost="1 234,50 €"),
        row(quantity="1.300", date="17/03/2020"),
        row(quantity="1\u202f400", date="18/03/2020", cost="2.345,60"),
    )
    plan = preview(content, relay_staff)
    assert [(r.quantity, r.material_cost_cents) for r in plan.rows] == [
        (1200, 123450),
        (1300, 1250),
        (1400, 234560),
    ]


def test_dates_in_the_formats_spreadsheets_write(relay_staff):
    dates = ["16/03/2020", "6/4/20", "2020-03-18", "19-03-2020", "20.03.2020", "21/03/2020 00:00"]
    content = sheet(*(row(date=d) for d in dates))
    assert [r.produced_on.isoformat() for r in preview(content, relay_staff).rows] == [
        "2020-03-16",
        "2020-04-06",
        "2020-03-18",
        "2020-03-19",
        "2020-03-20",
        "2020-03-21",
    ]


def test_departments_given_by_code_or_by_name(relay_staff):
    written = ["035", "ille et vilaine", "ILLE-ET-VILAINE", "Côtes-d'Armor", "COTES D'ARMOR", "22"]
    content = sheet(*(row(dept=d, quantity=str(n)) for n, d in enumerate(written, start=1)))
    assert [r.department for r in preview(content, relay_staff).rows] == [
        "35",
        "35",
        "35",
        "22",
        "22",
        "22",
    ]


def test_item_names_in_any_case_or_plural(relay_staff):
    written = [
        "Visière",
        "VISIERES",
        "visières de protection",
        "Face shields",
        "Masque tissu",
        "masques en tissu",
        "Attache-masque",
        "attaches",
        "visor",
    ]
    content = sheet(*(row(item=i, quantity=str(n)) for n, i in enumerate(written, start=1)))
    assert [r.item.slug for r in preview(content, relay_staff).rows] == [
        "visor",
        "visor",
        "visor",
        "visor",
        "fabric-mask",
        "fabric-mask",
        "ear-saver",
        "ear-saver",
        "visor",
    ]


def test_an_alias_entered_by_staff_is_recognised(relay_staff):
    ItemType.objects.filter(slug="visor").update(aliases="visière PET, écran de protection")
    content = sheet(row(item="Visières PET"), row(item="ECRANS PROTECTION", quantity="3"))
    assert {r.item.slug for r in preview(content, relay_staff).rows} == {"visor"}


def test_blank_lines_and_trailing_empty_columns_are_skipped_and_lines_keep_their_numbers(
    relay_staff,
):
    content = (
        f"{HEADER};;;\n{ROW};;;\n;;;;;;;;;;\n\n{row(date='17/03/2020', quantity='abc')};;\n"
    ).encode()
    assert errors_of(content, relay_staff) == [(5, "Quantité", "quantity_unreadable")]
    content = content.replace(b"abc", b"30")
    assert [(r.line, r.quantity) for r in preview(content, relay_staff).rows] == [(2, 24), (5, 30)]


def test_headers_are_matched_whatever_their_spelling(relay_staff):
    header = "jour;NOM;Fablab;dept;Produit;Qté;cout matiere;Bénéficiaire;Remarques"
    plan = preview(sheet(ROW + ";à relancer", header=header), relay_staff)
    assert (plan.rows[0].maker, plan.rows[0].recipient) == ("Anne Le Goff", "CHU Rennes")
    assert plan.ignored_columns == ["Remarques"]


def test_headers_and_kinds_copied_from_the_english_page_are_read(relay_staff):
    header = (
        "Date;Maker name;Organisation;Department;Item;Quantity;Material cost (€);Delivered to;"
        "Organisation type"
    )
    content = sheet(row(structure="Vitré Makers") + ";Community FabLab", header=header)
    plan = preview(content, relay_staff)
    assert (plan.rows[0].maker, plan.rows[0].recipient) == ("Anne Le Goff", "CHU Rennes")
    assert [(o.name, o.kind) for o in plan.organisations_to_create] == [
        ("Vitré Makers", "associative_fablab")
    ]
    assert plan.ignored_columns == []


def test_an_xlsx_workbook_with_real_date_and_number_cells_imports(relay_staff):
    content = xlsx(
        [
            ["Date", "Nom du maker", "Structure", "Département", "Article", "Quantité",
             "Coût matière (€)", "Livré à", None],
            [datetime.datetime(2020, 3, 16), "Anne Le Goff", None, 35, "Visière", 24, 12.5,
             "CHU Rennes", None],
            [None] * 8,
            [datetime.date(2020, 3, 17), "Yann Kerbrat", "FabLab Lannion", "22", "Visières",
             40.0, 18, "EHPAD Lannion"],
            ["18/03/2020", "Yann Kerbrat", "FabLab Lannion", 22, "visiere", "1 200", "31,20",
             None],
        ]
    )  # fmt: skip
    plan = apply(content, relay_staff, filename="production.xlsx")
    assert [(r.line, r.produced_on.isoformat(), r.quantity, r.material_cost_cents) for r in
            plan.rows] == [
        (2, "2020-03-16", 24, 1250),
        (4, "2020-03-17", 40, 1800),
        (5, "2020-03-18", 1200, 3120),
    ]  # fmt: skip
    assert ProductionReport.objects.filter(department="22").count() == 2


def test_the_format_is_recognised_from_the_content_not_the_name(relay_staff):
    workbook = xlsx([HEADER.split(";"), ROW.split(";")])
    assert preview(workbook, relay_staff, filename="production.csv").rows[0].quantity == 24
    assert preview(sheet(ROW), relay_staff, filename="production.xlsx").rows[0].quantity == 24


# --- Bad rows: every one reported, nothing imported -----------------------------------------------


@pytest.mark.parametrize(
    ("cell", "value", "column", "code", "said"),
    [
        ("date", "31/02/2020", "Date", "date_impossible", {"value": "31/02/2020"}),
        ("date", "11/05/2020", "Date", "date_in_future", {"date": "11/05/2020"}),
        ("date", "31/12/2019", "Date", "date_too_early", {"date": "31/12/2019"}),
        ("date", "mars 2020", "Date", "date_unreadable", {"value": "mars 2020"}),
        ("date", "", "Date", "date_missing", {}),
        ("dept", "75", "Département", "department_outside_region", {"value": "75"}),
        ("dept", "Paris", "Département", "department_outside_region", {"value": "Paris"}),
        ("dept", "Finistère", "Département", "department_without_relay", {"code": "29"}),
        ("quantity", "-5", "Quantité", "quantity_not_positive", {"value": "-5"}),
        ("quantity", "0", "Quantité", "quantity_not_positive", {"value": "0"}),
        ("quantity", "beaucoup", "Quantité", "quantity_unreadable", {"reason": "not_a_number"}),
        ("quantity", "2,5", "Quantité", "quantity_unreadable", {"reason": "not_a_whole_number"}),
        ("quantity", "150 000", "Quantité", "quantity_too_large", {"value": "150 000"}),
        ("item", "Blouse", "Article", "item_unknown", {"value": "Blouse"}),
        ("cost", "-3,00", "Coût matière (€)", "cost_negative", {"value": "-3,00"}),
        ("cost", "12,345", "Coût matière (€)", "cost_unreadable",
         {"reason": "typed_amount_sub_cent"}),
        ("maker", "", "Nom du maker", "cell_missing", {"label": "Nom du maker"}),
    ],
)  # fmt: skip
def test_a_bad_row_imports_nothing_and_names_line_and_column(
    relay_staff, cell, value, column, code, said
):
    before = counts()
    content = sheet(ROW, row(**{cell: value, "quantity": row_quantity(cell, value)}), ROW)
    with refused("import_rejected", kind=importing.ImportRejected, count=1) as rejected:
        apply(content, relay_staff)
    [error] = rejected.value.errors
    assert (error.line, error.column, error.code) == (3, column, code)
    params = {name: getattr(param, "code", param) for name, param in error.refusal.params.items()}
    assert said.items() <= params.items()
    assert counts() == before
    assert not ProductionImport.objects.exists()


def row_quantity(cell: str, value: str) -> str:
    # The bad row differs from its twin lines so that it is not a mere duplicate.
    return value if cell == "quantity" else "25"


def test_every_bad_row_is_reported_not_only_the_first(relay_staff):
    content = sheet(
        row(date="32/01/2020", quantity="-1"),
        ROW,
        row(item="Blouse", dept="56", cost="abc"),
    )
    assert [(line, column) for line, column, _message in errors_of(content, relay_staff)] == [
        (2, "Date"),
        (2, "Quantité"),
        (4, "Département"),
        (4, "Article"),
        (4, "Coût matière (€)"),
    ]


def test_a_bad_value_repeated_on_several_lines_is_reported_on_each(relay_staff):
    # Each distinct cell is read once (checking.py): the refusal must still reach every line.
    content = sheet(row(date="32/01/2020"), ROW, row(date="32/01/2020"), row(quantity="0"))
    assert errors_of(content, relay_staff) == [
        (2, "Date", "date_impossible"),
        (4, "Date", "date_impossible"),
        (5, "Quantité", "quantity_not_positive"),
    ]


def test_a_true_or_false_cell_is_not_read_as_the_number_one_before_it(relay_staff):
    # Each distinct cell is read once, keyed by its type too: True equals 1 in Python, but a
    # ticked box is no quantity.
    content = xlsx(
        [
            ["Date", "Nom du maker", "Département", "Article", "Quantité"],
            [datetime.date(2020, 3, 16), "Anne Le Goff", 35, "Visière", 1],
            [datetime.date(2020, 3, 17), "Anne Le Goff", 35, "Visière", True],
        ]
    )
    assert errors_of(content, relay_staff, "production.xlsx") == [
        (3, "Quantité", "quantity_unreadable")
    ]


def test_a_refused_import_pickles_whole_with_its_lines(relay_staff):
    with refused("import_rejected", kind=importing.ImportRejected) as rejected:
        preview(sheet(row(date="32/01/2020", quantity="-1")), relay_staff)
    copy = pickle.loads(pickle.dumps(rejected.value))
    assert (type(copy), copy.message) == (importing.ImportRejected, rejected.value.message)
    assert [(e.line, e.code) for e in copy.errors] == [
        (2, "date_impossible"),
        (2, "quantity_not_positive"),
    ]


def test_a_rejected_file_leaves_makers_organisations_and_reports_untouched(relay_staff):
    before = counts()
    content = sheet(
        row(maker="Nouvelle Personne", structure="Nouveau Lab"),
        row(maker="Autre Personne", date="30/02/2020"),
    )
    with pytest.raises(importing.ImportRejected):
        apply(content, relay_staff)
    assert counts() == before


def test_a_missing_required_column_is_one_error_naming_it(relay_staff):
    header = "Date;Nom du maker;Département;Article"
    errors = errors_of(sheet("16/03/2020;Anne Le Goff;35;Visière", header=header), relay_staff)
    assert errors == [(1, "Quantité", "column_missing")]


def test_an_empty_file_is_refused(relay_staff):
    assert errors_of(b"", relay_staff) == [(0, "", "file_empty")]
    assert errors_of(b"\xef\xbb\xbf\n;;;\n", relay_staff) == [(0, "", "file_empty")]
    assert errors_of(sheet(), relay_staff) == [(1, "", "no_rows")]


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "not_a_spreadsheet"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not_a_spreadsheet"),
        (b"PK\x03\x04 not really a zip", "not_a_spreadsheet"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00", "workbook_unreadable"),
    ],
    ids=["pdf", "png", "zip", "xls"],
)
def test_a_file_that_is_not_a_spreadsheet_is_refused_clearly(relay_staff, content, code):
    # Each refusal says what the file looked like and which formats are read.
    assert errors_of(content, relay_staff, filename="production.xlsx") == [(0, "", code)]


def test_a_file_too_big_or_too_long_is_refused(relay_staff, monkeypatch):
    big = sheet(ROW) + b"\n" * importing.MAX_FILE_BYTES
    with refused("import_rejected", kind=importing.SpreadsheetUnreadable) as too_big:
        preview(big, relay_staff)
    [error] = too_big.value.errors
    assert (error.code, error.refusal.params) == ("file_too_big", {"max": 5})
    monkeypatch.setattr("makers.importing.reading.MAX_ROWS", 2)
    with refused("import_rejected", kind=importing.SpreadsheetUnreadable) as too_long:
        preview(sheet(ROW, ROW, ROW), relay_staff)
    [error] = too_long.value.errors
    assert (error.code, error.refusal.params) == ("file_too_long", {"max": "2"})


# --- Never twice ----------------------------------------------------------------------------------


def test_reimporting_the_same_file_creates_nothing_and_lists_the_lines_already_there(
    brittany_staff,
):
    apply(SAMPLE, brittany_staff)
    before = counts()

    plan = preview(SAMPLE, brittany_staff)
    assert (plan.rows, plan.already_there) == ([], [2, 3, 4, 5, 6])
    assert (plan.makers_to_create, plan.organisations_to_create) == ([], [])

    plan = apply(SAMPLE.replace(b"Anne Le Goff", b"ANNE  le goff"), brittany_staff)
    assert plan.already_there == [2, 3, 4, 5, 6]
    assert counts() == before


def test_a_file_extended_after_an_import_brings_only_its_new_lines(relay_staff):
    apply(sheet(ROW), relay_staff)
    plan = apply(sheet(ROW, row(date="17/03/2020")), relay_staff)
    assert ([r.line for r in plan.rows], plan.already_there) == ([3], [2])
    assert ProductionReport.objects.count() == 2
    assert Maker.objects.count() == 1


def test_a_line_repeated_in_the_file_is_imported_once_and_reported(relay_staff):
    plan = apply(
        sheet(ROW, row(date="17/03/2020"), ROW.replace("Visière", "visieres")), relay_staff
    )
    assert plan.duplicates == [(4, 2)]
    assert ProductionReport.objects.count() == 2


def test_a_simultaneous_import_of_the_same_rows_fails_cleanly(relay_staff, monkeypatch):
    apply(sheet(ROW), relay_staff)
    before = counts()
    # As if another import had committed these rows just after this one looked for them.
    monkeypatch.setattr("makers.importing.plan._existing_keys", lambda keys: set())
    with refused("import_conflict", kind=WrongState):
        apply(sheet(row(maker="Nouvelle Personne"), ROW), relay_staff)
    assert counts() == before
    assert ProductionImport.objects.count() == 1


# --- Makers and organisations ---------------------------------------------------------------------


def test_an_existing_maker_is_found_whatever_case_accents_or_spaces(maker, relay_staff):
    anne = Maker.objects.get(user=maker)
    plan = apply(sheet(row(maker="  anne   LE goff ")), relay_staff)
    assert plan.makers_to_create == []
    assert ProductionReport.objects.get().maker == anne
    assert Maker.objects.count() == 1


def test_a_namesake_in_another_department_is_another_maker(maker, relay_staff):
    plan = apply(sheet(row(dept="22")), relay_staff)
    assert [(m.display_name, m.department) for m in plan.makers_to_create] == [
        ("Anne Le Goff", "22")
    ]
    assert ProductionReport.objects.get().maker.department_id == "22"


def test_an_existing_organisation_is_found_and_one_request_to_join_opened(relay_staff):
    lab = make_organisation(name="FabLab de Saint-Brieuc", department="22")
    yann = make_maker(display_name="Yann Kerbrat", department="22")
    content = sheet(
        row(maker="Yann Kerbrat", dept="22", structure="fablab de saint-brieuc"),
        row(maker="Yann Kerbrat", dept="22", structure="FABLAB DE SAINT-BRIEUC", date="17/03/2020"),
    )
    plan = apply(content, relay_staff)
    assert plan.organisations_to_create == []
    assert not Membership.objects.exists()
    assert list(MembershipRequest.objects.values_list("maker", "organisation", "status")) == [
        (yann.pk, lab.pk, "pending")
    ]
    assert {r.organisation for r in ProductionReport.objects.all()} == {lab}


def test_the_kind_of_a_new_organisation_comes_from_its_column_or_its_name(relay_staff):
    header = HEADER + ";Type de structure"
    content = sheet(
        row(structure="Imprim'Breizh") + ";PME",
        row(structure="Les Couturières de Vitré", date="17/03/2020") + ";",
        row(structure="Rennes Makers Lab", date="18/03/2020") + ";n'importe quoi",
        header=header,
    )
    plan = preview(content, relay_staff)
    assert [(o.name, o.kind) for o in plan.organisations_to_create] == [
        ("Imprim'Breizh", "sme"),
        ("Les Couturières de Vitré", "collective"),
        ("Rennes Makers Lab", "associative_fablab"),
    ]


def test_a_new_organisation_gets_a_slug_of_its_own(relay_staff):
    Organisation.objects.create(
        name="Autre chose", slug="fablab-vitre", kind="sme", department_id="35"
    )
    apply(sheet(row(structure="FabLab Vitré")), relay_staff)
    assert Organisation.objects.get(name="FabLab Vitré").slug == "fablab-vitre-2"


# --- The pages ------------------------------------------------------------------------------------

PAGE_FILE = sheet(
    row(maker="Gwen Le Bras", structure="FabLab Lannion", dept="22", quantity="1 200"),
    row(maker="Anne Le Goff", date="17/03/2020", item="masques en tissu", quantity="15"),
)


def upload(client, content: bytes = PAGE_FILE, name: str = "production.csv"):
    return client.post("/validation/import/", {"file": SimpleUploadedFile(name, content)})


def test_the_upload_page_has_a_labelled_file_input_with_help(client, relay_staff):
    client.force_login(relay_staff)
    html = client.get("/validation/import/").content.decode()
    assert '<label for="id_file"' in html
    assert 'type="file"' in html
    assert 'aria-describedby="id_file_helptext"' in html
    assert "Nom du maker" in html
    assert html.count("<h1>") == 1


def test_relay_staff_upload_preview_then_confirm(client, relay_staff):
    client.force_login(relay_staff)
    response = upload(client)
    batch = ProductionImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/validation/import/{batch.pk}/"

    html = client.get(response["Location"]).content.decode()
    assert not ProductionReport.objects.exists()
    assert "Gwen Le Bras" in html
    assert "FabLab Lannion" in html
    assert "FabLab associatif" in html
    assert "1\u202f200" in html  # the total of visors
    assert "Totaux par article" in html
    assert "<caption>" in html
    assert 'scope="col"' in html
    assert "Importer 2 déclarations" in html

    response = client.post(f"/validation/import/{batch.pk}/", follow=True)
    assert response.redirect_chain[-1][0] == "/validation/"
    assert "2 déclarations importées" in response.content.decode()
    assert list(ProductionReport.objects.values_list("status", flat=True)) == [
        "submitted",
        "submitted",
    ]
    batch.refresh_from_db()
    assert (batch.status, batch.summary["counts"]["rows_to_create"]) == ("confirmed", 2)

    history = client.get("/validation/import/")
    assert list(history.context["imports"]) == [batch]
    assert f'href="/validation/import/{batch.pk}/"' in history.content.decode()


def test_a_long_preview_shows_the_first_rows_then_how_many_more(client, relay_staff):
    client.force_login(relay_staff)
    rows = [row(quantity=str(n)) for n in range(1, importing.PREVIEW_ROWS + 6)]
    upload(client, sheet(*rows))
    html = client.get(f"/validation/import/{ProductionImport.objects.get().pk}/").content.decode()
    assert "… et 5 autres lignes" in html
    assert "Importer 205 déclarations" in html


def test_a_second_confirmation_imports_nothing_more(client, relay_staff):
    client.force_login(relay_staff)
    upload(client)
    batch = ProductionImport.objects.get()
    client.post(f"/validation/import/{batch.pk}/")
    response = client.post(f"/validation/import/{batch.pk}/", follow=True)
    said = [str(message) for message in response.context["messages"]]
    assert said[-1] == importing.errors.IMPORT_ALREADY_CONFIRMED().message
    with refused("import_already_confirmed", kind=WrongState):
        batch.refresh_from_db()
        importing.production_import_confirm(batch=batch, by=relay_staff, now=NOW)
    assert ProductionReport.objects.count() == 2
    assert Decision.objects.filter(action="import").count() == 1
    assert "a été confirmé le" in client.get(f"/validation/import/{batch.pk}/").content.decode()


def test_the_preview_of_a_bad_file_shows_each_error_in_an_alert_and_no_confirm_button(
    client, relay_staff
):
    client.force_login(relay_staff)
    upload(client, sheet(ROW, row(quantity="-4", item="Blouse")))
    response = client.get(f"/validation/import/{ProductionImport.objects.get().pk}/")
    errors = response.context["errors"]
    assert [(e.line, e.code) for e in errors] == [(3, "item_unknown"), (3, "quantity_not_positive")]
    html = response.content.decode()
    alert = html.split('role="alert"')[1].split("</div>")[0]
    for said in [response.context["rejection"], *(error.message for error in errors)]:
        assert escape(said) in alert
    assert "Importer" not in alert
    assert '<button type="submit">Importer' not in html


def test_an_unreadable_file_redisplays_the_form_with_the_reason(client, relay_staff):
    client.force_login(relay_staff)
    response = upload(client, b"\x89PNG\r\n\x1a\n\x00\x00", name="photo.png")
    assert response.status_code == 200
    assert response.context["form"].has_error("file", "not_a_spreadsheet")
    assert 'role="alert"' in response.content.decode()
    assert not ProductionImport.objects.exists()


def test_another_persons_import_answers_404(client, relay_staff, other_relay_staff):
    client.force_login(relay_staff)
    upload(client)
    batch = ProductionImport.objects.get()
    client.force_login(other_relay_staff)
    assert client.get(f"/validation/import/{batch.pk}/").status_code == 404
    assert client.post(f"/validation/import/{batch.pk}/").status_code == 404
    assert not ProductionReport.objects.exists()


@pytest.mark.parametrize("role_user", ["maker", "auditor"])
def test_makers_and_auditors_do_not_reach_the_import_pages(client, request, role_user):
    client.force_login(request.getfixturevalue(role_user))
    assert client.get("/validation/import/").status_code == 403
    assert upload(client).status_code == 403


def test_anonymous_visitors_are_sent_to_the_login_page(client, reference_data):
    response = client.get("/validation/import/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


# --- The API --------------------------------------------------------------------------------------

API = "/api/v1/production-reports/import/"


def api_post(client, content: bytes = PAGE_FILE, **fields):
    return client.post(API, {"file": SimpleUploadedFile("production.csv", content), **fields})


def test_the_api_previews_by_default_and_creates_nothing(client, relay_staff):
    client.force_login(relay_staff)
    response = api_post(client)
    assert response.status_code == 200
    body = response.json()
    assert (body["imported"], body["counts"]["rows_to_create"]) == (False, 2)
    assert body["organisations_to_create"][0]["kind"] == "associative_fablab"
    assert not ProductionReport.objects.exists()
    assert api_post(client, dry_run="true").status_code == 200
    assert not ProductionReport.objects.exists()


def test_the_api_imports_when_dry_run_is_false(client, relay_staff):
    client.force_login(relay_staff)
    response = api_post(client, dry_run="false")
    assert response.status_code == 201
    assert response.json()["imported"] is True
    assert ProductionReport.objects.filter(source="import").count() == 2
    assert ProductionImport.objects.get().status == "confirmed"

    again = api_post(client, dry_run="false").json()
    assert (again["counts"]["rows_to_create"], again["already_there"]) == (0, [2, 3])


def test_the_api_answers_400_with_every_error(client, relay_staff):
    client.force_login(relay_staff)
    response = api_post(client, sheet(row(date="31/02/2020"), row(quantity="x")), dry_run="false")
    assert response.status_code == 400
    body = response.json()
    assert (body["code"], body["field"]) == ("import_rejected", None)
    assert [(e["line"], e["column"], e["code"]) for e in body["errors"]] == [
        (2, "Date", "date_impossible"),
        (3, "Quantité", "quantity_unreadable"),
    ]
    assert body["detail"] == importing.errors.IMPORT_REJECTED(count=2).message
    assert not ProductionReport.objects.exists()


def test_the_api_refuses_makers_auditors_and_anonymous_callers(client, maker, relay_staff, auditor):
    assert api_post(client).status_code == 401
    client.force_login(maker)
    assert api_post(client).status_code == 403
    client.force_login(auditor)
    assert api_post(client, dry_run="false").status_code == 403
    assert not ProductionReport.objects.exists()
