"""The spreadsheet import accepts a plain CSV or XLSX, recognised by its content, and nothing
else: every refusal says what is wrong (line and column when it applies) and writes nothing.

The malicious files are real: a PNG, a macro workbook, a zip bomb, links, embedded objects,
entities, NUL bytes, formulas. Text that looks like a formula is imported as text and comes
out defused in every spreadsheet file the platform writes."""

import csv
import datetime
import io
import time
import tracemalloc
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from PIL import Image

from figures.totals import production_totals_rebuild
from makers import importing
from makers.models import Maker, ProductionImport, ProductionReport
from tests.factories import make_maker, make_relay, make_report, make_user
from tests.makers.spreadsheets import ods_bytes, ods_content
from tests.refusals import refused
from tilab import roles
from tilab.uploads import OversizeUpload

PAGE = "/validation/import/"
API = "/api/v1/production-reports/import/"
HEADER = ["Date", "Nom du maker", "Département", "Article", "Quantité", "Livré à"]
ROW = ["16/03/2020", "Anne Le Goff", "35", "Visière", "24", "CHU Rennes"]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODS_TYPE = "application/vnd.oasis.opendocument.spreadsheet"
NOW = datetime.datetime(2020, 5, 10, 12, 0, tzinfo=datetime.UTC)


def csv_bytes(*rows) -> bytes:
    return "\n".join(";".join(r) for r in [HEADER, *rows]).encode()


def workbook(*rows) -> bytes:
    book = openpyxl.Workbook()
    for values in [HEADER, *rows]:
        book.active.append(values)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def rezip(content: bytes, *, add=None, replace=None) -> bytes:
    """The same workbook with parts added or replaced, as a tool other than Excel could write."""
    add, replace = add or {}, replace or {}
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            data = replace.get(info.filename, source.read(info))
            target.writestr(info.filename, data)
        for name, data in add.items():
            target.writestr(name, data)
    return out.getvalue()


def content_types_with(extra: str) -> dict:
    types = zipfile.ZipFile(io.BytesIO(workbook(ROW))).read("[Content_Types].xml").decode()
    return {"[Content_Types].xml": types.replace("</Types>", extra + "</Types>")}


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, "PNG")
    return buffer.getvalue()


def zip_bomb() -> bytes:
    """A genuine workbook plus one part of 80 MB of zeros: under 5 MB once compressed."""
    out = io.BytesIO(workbook(ROW))
    with (
        zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as archive,
        archive.open("xl/media/image1.bin", "w", force_zip64=True) as part,
    ):
        chunk = b"\0" * (1024 * 1024)
        for _ in range(80):
            part.write(chunk)
    return out.getvalue()


@pytest.fixture
def staff(relay_staff):
    return relay_staff


def nothing_written():
    return (
        ProductionReport.objects.count(),
        Maker.objects.count(),
        ProductionImport.objects.count(),
    ) == (0, 0, 0)


def refusal(client, content: bytes, name: str, content_type: str = "text/csv"):
    """What the page and the API both say about this upload (the same check serves both)."""
    page = client.post(PAGE, {"file": SimpleUploadedFile(name, content, content_type)})
    api = client.post(
        API,
        {"file": SimpleUploadedFile(name, content, content_type), "dry_run": "false"},
    )
    assert page.status_code == 200, "the form is shown again with the reason"
    assert api.status_code == 400
    body = api.json()
    page_errors = page.context["form"].errors["file"]
    assert page_errors == [
        (
            f"Feuille « {e['sheet']} », ligne {e['line']} : {e['message']}"
            if e["line"] and e["sheet"]
            else f"Ligne {e['line']} : {e['message']}"
            if e["line"]
            else e["message"]
        )
        for e in body["errors"]
    ]
    page_codes = [error.code for error in page.context["form"].errors.as_data()["file"]]
    assert page_codes == [e["code"] for e in body["errors"]]
    assert nothing_written()
    return body


def only_code(body) -> str:
    [error] = body["errors"]
    return error["code"]


# --- Type by content, whatever the name says --------------------------------------------------


@pytest.mark.parametrize(
    "name, content_type",
    [("production.csv", "text/csv"), ("production.xlsx", XLSX_TYPE), ("photo.png", "image/png")],
)
def test_a_png_is_refused_whatever_its_name_or_announced_type(client, staff, name, content_type):
    client.force_login(staff)
    assert only_code(refusal(client, png(), name, content_type)) == "not_a_spreadsheet"


def test_a_zip_that_is_not_a_workbook_is_refused(client, staff):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")  # no [Content_Types].xml
        z.writestr("notes.txt", "bonjour")
    client.force_login(staff)
    body = refusal(client, archive.getvalue(), "production.xlsx", XLSX_TYPE)
    assert only_code(body) == "not_a_spreadsheet"


def test_binary_content_named_csv_is_refused_with_its_line(client, staff):
    client.force_login(staff)
    elf = b"\x7fELF\x02\x01\x01" + bytes(range(1, 9)) + b"\n" * 3
    [error] = refusal(client, elf, "production.csv")["errors"]
    assert (error["line"], error["code"]) == (1, "control_characters")


def test_a_csv_with_nul_bytes_is_refused_naming_the_line(client, staff):
    client.force_login(staff)
    content = csv_bytes(ROW, ["17/03/2020", "Anne\x00Le Goff", "35", "Visière", "2", ""])
    [error] = refusal(client, content, "production.csv")["errors"]
    assert (error["line"], error["code"]) == (3, "nul_bytes")


def test_a_utf16_export_from_excel_still_imports(staff):
    content = "\r\n".join("\t".join(r) for r in [HEADER, ROW]).encode("utf-16")
    plan = importing.production_import_preview(content=content, filename="p.txt", by=staff, now=NOW)
    assert [row.quantity for row in plan.rows] == [24]


# --- Size --------------------------------------------------------------------------------------


def test_a_file_over_5_mb_is_refused_by_the_page_and_the_api(client, staff):
    client.force_login(staff)
    big = csv_bytes(ROW) + b"\n" * (5 * 1024 * 1024)
    assert only_code(refusal(client, big, "production.csv")) == "file_too_big"


def test_bytes_beyond_the_cap_are_never_kept(settings):
    big = b"x" * (settings.FILE_UPLOAD_MAX_BYTES + 10)
    request = RequestFactory().post("/", {"file": SimpleUploadedFile("big.csv", big)})

    upload = request.FILES["file"]

    assert isinstance(upload, OversizeUpload)
    assert upload.size == len(big)
    assert upload.read() == b""
    small = RequestFactory().post("/", {"file": SimpleUploadedFile("p.csv", b"a;b\n1;2\n")})
    assert small.FILES["file"].read() == b"a;b\n1;2\n"


def test_a_zip_bomb_is_refused_before_it_is_unpacked(client, staff):
    bomb = zip_bomb()
    assert len(bomb) < importing.MAX_FILE_BYTES
    client.force_login(staff)
    assert only_code(refusal(client, bomb, "production.xlsx", XLSX_TYPE)) == "workbook_too_big"


# --- Active content ----------------------------------------------------------------------------


MACRO_TYPE = (
    '<Override PartName="/xl/vbaProject.bin" ContentType="application/vnd.ms-office.vbaProject"/>'
)


@pytest.mark.parametrize(
    "changes",
    [
        {"add": {"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0 macro"}},
        {"replace": content_types_with(MACRO_TYPE)},
    ],
    ids=["vba-project", "macro-content-type"],
)
def test_a_workbook_with_macros_is_refused(client, staff, changes):
    xlsm = rezip(workbook(ROW), **changes)
    client.force_login(staff)
    assert only_code(refusal(client, xlsm, "production.xlsm", XLSX_TYPE)) == "workbook_macros"


def test_a_macro_enabled_workbook_saved_by_openpyxl_is_refused(client, staff):
    book = openpyxl.Workbook()
    book.active.append(HEADER)
    book.active.append(ROW)
    book.vba_archive = zipfile.ZipFile(
        io.BytesIO(rezip(workbook(), add={"xl/vbaProject.bin": b"x"}))
    )
    buffer = io.BytesIO()
    book.save(buffer)
    client.force_login(staff)
    body = refusal(client, buffer.getvalue(), "production.xlsx", XLSX_TYPE)
    assert only_code(body) == "workbook_macros"


def test_a_workbook_linked_to_other_files_is_refused(client, staff):
    linked = rezip(
        workbook(ROW),
        add={
            "xl/externalLinks/externalLink1.xml": (
                '<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                "<ddeLink ddeService='cmd' ddeTopic='/c calc'/></externalLink>"
            )
        },
    )
    client.force_login(staff)
    body = refusal(client, linked, "production.xlsx", XLSX_TYPE)
    assert only_code(body) == "workbook_external_links"


def test_a_workbook_with_an_embedded_object_is_refused(client, staff):
    embedded = rezip(workbook(ROW), add={"xl/embeddings/oleObject1.bin": b"\xd0\xcf\x11\xe0"})
    client.force_login(staff)
    body = refusal(client, embedded, "production.xlsx", XLSX_TYPE)
    assert only_code(body) == "workbook_embedded_objects"


def test_a_workbook_declaring_xml_entities_is_refused(client, staff):
    original = workbook(ROW)
    sheet = zipfile.ZipFile(io.BytesIO(original)).read("xl/worksheets/sheet1.xml").decode()
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    )
    evil = sheet.replace('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>', "", 1)
    evil = laughs + evil.split("?>", 1)[-1] if evil.startswith("<?xml") else laughs + evil
    content = rezip(original, replace={"xl/worksheets/sheet1.xml": evil.encode()})
    client.force_login(staff)
    assert only_code(refusal(client, content, "production.xlsx", XLSX_TYPE)) == "workbook_doctype"


# --- XML entities: refused by construction, whatever the padding or the part's name -----------

# Eight levels of ten: one reference to the last entity expands to 100,000,000 bytes.
ENTITIES = '<!ENTITY a0 "aaaaaaaaaa">' + "".join(
    f'<!ENTITY a{n} "{f"&a{n - 1};" * 10}">' for n in range(1, 8)
)


def laughing(xml: str, *, padding: int = 0, root: str = "worksheet") -> bytes:
    """The part with a DOCTYPE declaring the entities, after `padding` bytes of comment, and
    a reference to the largest entity in its first inline string."""
    prolog = '<?xml version="1.0" encoding="UTF-8"?>'
    body = xml.split("?>", 1)[1] if xml.startswith("<?xml") else xml
    body = body.replace("<t>Anne Le Goff</t>", "<t>&a7;</t>", 1)
    assert "&a7;" in body
    comment = f"<!--{'x' * padding}-->" if padding else ""
    return f"{prolog}{comment}<!DOCTYPE {root} [{ENTITIES}]>{body}".encode()


def bypass_padded() -> bytes:
    original = workbook(ROW)
    sheet = zipfile.ZipFile(io.BytesIO(original)).read("xl/worksheets/sheet1.xml").decode()
    return rezip(original, replace={"xl/worksheets/sheet1.xml": laughing(sheet, padding=70_000)})


def bypass_bin_part() -> bytes:
    """The sheet part renamed .bin, the workbook's relationship pointing at it."""
    original = workbook(ROW)
    archive = zipfile.ZipFile(io.BytesIO(original))
    sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    rels = archive.read("xl/_rels/workbook.xml.rels").decode()
    types = archive.read("[Content_Types].xml").decode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in archive.infolist():
            name, data = info.filename, archive.read(info)
            if name == "xl/worksheets/sheet1.xml":
                name, data = "xl/worksheets/sheet1.bin", laughing(sheet)
            elif name == "xl/_rels/workbook.xml.rels":
                data = rels.replace("worksheets/sheet1.xml", "worksheets/sheet1.bin").encode()
            elif name == "[Content_Types].xml":
                data = types.replace("/xl/worksheets/sheet1.xml", "/xl/worksheets/sheet1.bin")
            target.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize("build", [bypass_padded, bypass_bin_part], ids=["padded", "bin-part"])
def test_the_two_entity_bypasses_are_refused_quickly_with_nothing_expanded(client, staff, build):
    content = build()
    assert len(content) < 16 * 1024  # 15 KB that would become a 100 MB cell
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with refused("import_rejected", kind=importing.SpreadsheetUnreadable) as rejected:
            importing.production_import_preview(
                content=content, filename="p.xlsx", by=staff, now=NOW
            )
        elapsed = time.perf_counter() - started
        _size, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [e.code for e in rejected.value.errors] == ["workbook_doctype"]
    assert elapsed < 2, f"{elapsed:.1f} s"
    assert peak < 8 * 1024 * 1024, f"{peak / 1e6:.0f} MB"
    client.force_login(staff)
    assert only_code(refusal(client, content, "production.xlsx", XLSX_TYPE)) == "workbook_doctype"


def test_calamine_itself_expands_no_entity(staff):
    """Past the check, the reader still expands nothing: python-calamine (quick-xml) knows only
    the five predefined entities and fails on any other, DOCTYPE or not; found on 0.9.1 with
    the padded bypass, which it refuses in milliseconds ("unrecognized entity")."""
    import python_calamine

    content = bypass_padded()
    started = time.perf_counter()
    with pytest.raises(python_calamine.CalamineError, match="entity"):
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(content))
        book.get_sheet_by_index(0).to_python()
    assert time.perf_counter() - started < 1


def test_openpyxl_parses_with_defusedxml():
    # The formula pass on XLSX reads through openpyxl, which defuses its parser once
    # defusedxml is installed (a dependency of the project).
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML is True


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_an_opendocument_declaring_entities_is_refused(client, staff, encoding):
    content = ods_content({"Production": [HEADER, ROW]}).replace(
        "?>", f"?><!DOCTYPE office:document-content [{ENTITIES}]>", 1
    )
    if encoding == "utf-16":
        content = content.replace('encoding="UTF-8"', 'encoding="UTF-16"')
    ods = ods_bytes(content=content.encode(encoding))
    client.force_login(staff)
    assert only_code(refusal(client, ods, "production.ods", ODS_TYPE)) == "workbook_doctype"


def test_a_declaration_anywhere_in_any_part_is_refused(client, staff):
    late = rezip(workbook(ROW), add={"docProps/custom.dat": b"x" * 300_000 + b"<!doctype x>"})
    client.force_login(staff)
    assert only_code(refusal(client, late, "production.xlsx", XLSX_TYPE)) == "workbook_doctype"


@pytest.mark.parametrize("part", ["Basic/Standard/Module1.xml", "Scripts/python/evil.py"])
def test_an_opendocument_with_macros_is_refused(client, staff, part):
    ods = ods_bytes({"Production": [HEADER, ROW]}, extra={part: "print('hello')"})
    client.force_login(staff)
    assert only_code(refusal(client, ods, "production.ods", ODS_TYPE)) == "workbook_macros"


def test_an_excel_97_file_with_macros_is_refused(client, staff):
    xls = (Path(__file__).parents[1] / "makers" / "data" / "production-workbook.xls").read_bytes()
    with_macros = xls + "_VBA_PROJECT_CUR".encode("utf-16-le")
    client.force_login(staff)
    body = refusal(client, with_macros, "production.xls", "application/vnd.ms-excel")
    assert only_code(body) == "workbook_macros"


def test_formula_cells_without_a_kept_value_are_refused_with_their_sheet_line_and_column(
    client, staff
):
    # openpyxl writes formulas without their computed value, as a script would.
    formulas = workbook(
        ROW,
        ["17/03/2020", "Anne Le Goff", "35", "Visière", "=E2*2", "CHU Rennes"],
        ["18/03/2020", '=HYPERLINK("http://example.org","Anne")', "35", "Visière", "3", ""],
    )
    client.force_login(staff)
    body = refusal(client, formulas, "production.xlsx", XLSX_TYPE)
    assert [(e["sheet"], e["line"], e["column"], e["code"]) for e in body["errors"]] == [
        ("Sheet", 3, "Quantité", "cell_formula"),
        ("Sheet", 4, "Nom du maker", "cell_formula"),
    ]
    assert "E3" in body["errors"][0]["message"]
    assert (body["code"], body["detail"]) == (
        "import_rejected",
        importing.errors.IMPORT_REJECTED(count=2).message,
    )


def test_a_sheet_full_of_formulas_without_values_lists_the_first_ones_then_a_count(staff):
    rows = [["16/03/2020", "Anne", "35", "Visière", f"={n}+1", ""] for n in range(25)]
    with refused("import_rejected", kind=importing.ImportRejected) as rejected:
        importing.production_import_preview(
            content=workbook(*rows), filename="p.xlsx", by=staff, now=NOW
        )
    errors = rejected.value.errors
    assert len(errors) == importing.FORMULAS_LISTED + 1
    assert (errors[0].line, errors[0].code, errors[0].refusal.params) == (
        0,
        "more_formulas",
        {"count": 5},
    )


def test_text_that_merely_starts_with_an_equals_sign_is_text(staff):
    # Typed as text in Excel (or by openpyxl here): a value, not a formula.
    book = openpyxl.Workbook()
    book.active.append(HEADER)
    book.active.append(ROW[:5] + ["x"])
    cell = book.active.cell(row=2, column=6)
    cell.value, cell.data_type = "=Hôpital", "s"
    buffer = io.BytesIO()
    book.save(buffer)
    plan = importing.production_import_preview(
        content=buffer.getvalue(), filename="p.xlsx", by=staff, now=NOW
    )
    assert plan.rows[0].recipient == "=Hôpital"


# --- Formula-looking text from a CSV: kept as text, defused on the way out ----------------------


FORMULA_NAME = '=HYPERLINK("http://evil.example","Anne")'


def test_csv_cells_starting_like_formulas_are_imported_as_plain_text(staff):
    content = csv_bytes(
        ["16/03/2020", FORMULA_NAME, "35", "Visière", "24", "@SUM(1+1)"],
        ["16/03/2020", "+33 2 99 00 00 00", "35", "Visière", "5", "-cmd"],
    )
    plan = importing.production_import_apply(content=content, filename="p.csv", by=staff, now=NOW)
    assert plan.imported
    assert set(Maker.objects.values_list("display_name", flat=True)) == {
        FORMULA_NAME,
        "+33 2 99 00 00 00",
    }
    assert set(ProductionReport.objects.values_list("recipient", flat=True)) == {
        "@SUM(1+1)",
        "-cmd",
    }


def test_the_personal_data_csv_defuses_formula_looking_text(client, reference_data):
    user = make_user(role=roles.MAKER, email="anne@example.org", full_name="=1+1")
    maker = make_maker(user=user, display_name=FORMULA_NAME, department="35")
    make_report(maker=maker, recipient="@SUM(A1)")
    client.force_login(user)

    content = client.get("/maker/mes-donnees/export.csv").content.decode("utf-8-sig")

    values = [row[3] for row in csv.reader(io.StringIO(content), delimiter=";")]
    assert "'" + FORMULA_NAME in values and "'@SUM(A1)" in values and "'=1+1" in values
    assert not any(v.startswith(("=", "+", "@")) for v in values)


def test_the_open_data_files_never_carry_a_formula(client, reference_data):
    staff = make_user(role=roles.RELAY_STAFF)
    make_relay(name='=HYPERLINK("http://evil.example")', departments=["29"], staff=[staff])
    # Three makers: a total of fewer is not published (small-count suppression).
    for name in ("Yann", "Gwen", "Erwan"):
        maker = make_maker(display_name=name, department="29")
        make_report(maker=maker, status="validated", decided_by=staff)
    production_totals_rebuild(now=datetime.datetime.now(datetime.UTC))

    response = client.get("/open-data/production.csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    relay = rows[0].index("relay")
    assert [row[relay] for row in rows[1:]] == ['\'=HYPERLINK("http://evil.example")']

    book = openpyxl.load_workbook(
        io.BytesIO(client.get("/open-data/production.xlsx").content), data_only=False
    )
    cell = book["Production"].cell(row=2, column=relay + 1)
    assert cell.value == '=HYPERLINK("http://evil.example")'
    assert cell.data_type == "s"
