"""The open data files: weekly totals as CSV, HXL and XLSX, their Table Schema, and their page."""

import csv
import datetime
import io
import json
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fablabs.models import RelayCoverage
from figures.models import OrganisationKind, ProductionTotal
from figures.totals import production_totals_rebuild, totals_version_bump
from makers import services
from makers.models import ItemType, Maker, Membership, ProductionReport
from tests.factories import (
    make_maker,
    make_organisation,
    make_relay,
    make_report,
    make_report_by_three,
    make_user,
    region_controller,
)
from tests.spreadsheets import assert_date_cell, assert_numeric_cell
from tilab import roles
from tilab.spreadsheets import XLSX_COUNT, XLSX_EUROS

CSV_URL = "/open-data/production.csv"
SCHEMA_URL = "/open-data/production.schema.json"
HXL_URL = "/open-data/production-hxl.csv"
XLSX_URL = "/open-data/production.xlsx"
INDEX_URL = "/open-data/"
FILES = [CSV_URL, HXL_URL, XLSX_URL, SCHEMA_URL]

THURSDAY = datetime.date(2020, 4, 2)  # ISO week 2020-W14, from Monday 30 March
TUESDAY_AFTER = datetime.date(2020, 4, 7)  # ISO week 2020-W15, from Monday 6 April


HEADER = [
    "week_start",
    "iso_year",
    "iso_week",
    "department_code",
    "department_name",
    "relay",
    "item_type",
    "item_name_fr",
    "unit_fr",
    "organisation_kind",
    "quantity",
    "report_count",
    "maker_count",
    "producer_count",
    "material_cost_eur",
]
# What the `production` fixture's validated reports add up to, in the files' order.
EXPECTED = [
    [
        "2020-03-30",
        "2020",
        "14",
        "29",
        "Finistère",
        "ENSTA Bretagne",
        "visor",
        "Visière de protection",
        "visière",
        "associative_fablab",
        "7",
        "3",
        "3",
        "3",
        "3.50",
    ],
    [
        "2020-03-30",
        "2020",
        "14",
        "35",
        "Ille-et-Vilaine",
        "LabFab de Rennes",
        "visor",
        "Visière de protection",
        "visière",
        "independent",
        "34",
        "6",
        "3",
        "3",
        "13.49",
    ],
    [
        "2020-04-06",
        "2020",
        "15",
        "22",
        "Côtes-d'Armor",
        "LabFab de Rennes",
        "fabric-mask",
        "Masque en tissu",
        "masque",
        "independent",
        "100",
        "3",
        "3",
        "3",
        "0.00",
    ],
    [
        "2020-04-06",
        "2020",
        "15",
        "56",
        "Morbihan",
        "La Fabrique du Loch",
        "gown",
        "Surblouse",
        "surblouse",
        "independent",
        "12",
        "3",
        "3",
        "3",
        "1234.56",
    ],
]
# Whatever identifies a person: none of it may appear in any file.
PERSONAL = [
    "Anne Le Goff",
    "anne@example.org",
    "Yann Kerbrat",
    "Lannion",
    "Gwen Morvan",
    "gwen.morvan@example.org",
    "Morgane Le Bihan",
    "camille@labfab.example.org",
    "CHU Rennes",
    "Fablab des Abers",
]


@pytest.fixture
def production(
    maker, relay_staff, other_relay_staff, loch_staff, django_capture_on_commit_callbacks
):
    """Validated, pending and rejected reports in the four departments (each validated figure
    made by three producers), decided by their relays, with the totals drained on commit as
    the platform does after each decision."""
    anne = Maker.objects.get(user=maker)
    yann = make_maker(display_name="Yann Kerbrat", department="22", commune="Lannion")
    gwen = make_maker(
        user=make_user(role=roles.MAKER, email="gwen.morvan@example.org", full_name="Gwen Morvan"),
        display_name="Gwen Morvan",
        department="29",
        commune="Brest",
    )
    abers = make_organisation(name="Fablab des Abers", kind="associative_fablab", department="29")
    Membership.objects.create(maker=gwen, organisation=abers)
    morgane = make_maker(display_name="Morgane Le Bihan", department="56")

    def validated(**kwargs):
        # Three producers per total: the public files hold only such totals.
        return make_report_by_three(status="validated", **kwargs)

    with django_capture_on_commit_callbacks(execute=True):
        validated(
            maker=anne, quantity=24, produced_on=THURSDAY, cost_cents=1250, decided_by=relay_staff
        )
        validated(
            maker=anne,
            quantity=10,
            produced_on=THURSDAY + datetime.timedelta(days=1),
            cost_cents=99,
            decided_by=relay_staff,
        )
        make_report(maker=anne, quantity=500, produced_on=THURSDAY)  # awaiting a decision
        make_report(
            maker=anne,
            quantity=300,
            produced_on=THURSDAY,
            status="rejected",
            decided_by=relay_staff,
        )
        validated(
            maker=yann,
            item="fabric-mask",
            quantity=100,
            produced_on=TUESDAY_AFTER,
            cost_cents=0,
            entered_by=relay_staff,
            decided_by=region_controller(),
        )
        validated(
            maker=gwen,
            quantity=7,
            produced_on=THURSDAY,
            cost_cents=350,
            organisation=abers,
            decided_by=other_relay_staff,
        )
        validated(
            maker=morgane,
            item="gown",
            quantity=12,
            produced_on=TUESDAY_AFTER,
            cost_cents=123456,
            entered_by=loch_staff,
            decided_by=region_controller(),
        )


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body(response).decode("utf-8"))))


def fill_totals_up_to(count: int) -> None:
    """Distinct buckets straight in the table: what the files read, without the reports."""
    items = list(ItemType.objects.order_by("pk"))
    kinds = list(OrganisationKind.values)
    now = timezone.now()
    monday = datetime.date(2020, 3, 16)
    new = []
    for n in range(ProductionTotal.objects.count(), count):
        new.append(
            ProductionTotal(
                department_id=["22", "29", "35", "56"][n % 4],
                item_type=items[(n // 4) % len(items)],
                org_kind=kinds[(n // (4 * len(items))) % len(kinds)],
                week_start=monday + datetime.timedelta(weeks=n // (4 * len(items) * len(kinds))),
                quantity=10 + n,
                report_count=3 + n % 3,
                maker_count=3,
                producer_count=3,
                material_cost_cents=n * 101,
                computed_at=now,
            )
        )
    ProductionTotal.objects.bulk_create(new)
    totals_version_bump(now=timezone.now())  # written by hand: the cached pages must follow


# --- The CSV -------------------------------------------------------------------------------


def test_the_csv_has_one_row_per_weekly_total_with_the_validated_sums(client, production):
    response = client.get(CSV_URL)
    assert response.status_code == 200
    rows = csv_rows(response)
    assert rows[0] == HEADER
    # Pending (500) and rejected (300) reports count nowhere.
    assert rows[1:] == EXPECTED


def test_the_csv_is_a_public_utf8_attachment_with_consistent_line_ends(client, production):
    response = client.get(CSV_URL)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="tilab-production.csv"'
    content = body(response)
    assert content.count(b"\r\n") == len(EXPECTED) + 1
    assert content.count(b"\n") == content.count(b"\r\n")
    assert "Côtes-d'Armor".encode() in content


def test_the_csv_is_the_same_after_a_full_rebuild(client, production):
    before = body(client.get(CSV_URL))
    drift = production_totals_rebuild(now=timezone.now())
    assert (drift["changed"], drift["added"], drift["removed"]) == (0, 0, 0)
    assert body(client.get(CSV_URL)) == before


def test_a_validated_correction_replaces_the_figure_it_corrects(
    client, production, maker, relay_staff, django_capture_on_commit_callbacks
):
    # Anne's share of the 24 visors made by three makers: 8.
    report = ProductionReport.objects.get(
        maker__user=maker, quantity=8, status=ProductionReport.Status.VALIDATED
    )
    with django_capture_on_commit_callbacks(execute=True):
        correction = services.production_report_correct(
            report=report, by=maker, now=timezone.now(), source="maker", quantity=4
        )
        services.production_report_validate(report=correction, by=relay_staff, now=timezone.now())
    rennes = [row for row in csv_rows(client.get(CSV_URL)) if row[3] == "35"]
    # 8 became 4: 34 − 4, still six reports by three makers.
    assert [row[10:] for row in rennes] == [["30", "6", "3", "3", "13.49"]]


def test_a_department_nobody_covers_has_an_empty_relay_cell(client, production):
    RelayCoverage.objects.filter(department_id="56").delete()
    rows = csv_rows(client.get(CSV_URL))
    morbihan = [row for row in rows if row[3] == "56"]
    assert [row[5] for row in morbihan] == [""]


def test_with_nothing_validated_the_csv_is_its_header_alone(client, reference_data):
    rows = csv_rows(client.get(CSV_URL))
    assert rows == [HEADER]


# --- The Table Schema ----------------------------------------------------------------------


def frictionless_report(csv_bytes: bytes, schema: dict):
    """Frictionless's verdict on the CSV, read from memory (it refuses absolute paths)."""
    from frictionless import Resource, Schema

    resource = Resource(data=csv_bytes, format="csv", schema=Schema.from_descriptor(schema))
    return resource.validate()


def test_the_schema_is_json_describing_every_column_in_french(client, reference_data):
    response = client.get(SCHEMA_URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    schema = response.json()
    assert [field["name"] for field in schema["fields"]] == HEADER
    assert schema["primaryKey"] == [
        "week_start",
        "department_code",
        "item_type",
        "organisation_kind",
    ]
    fields = {field["name"]: field for field in schema["fields"]}
    assert all(field["title"] and field["description"] for field in schema["fields"])
    assert fields["quantity"]["title"] == "Quantité"
    assert fields["department_code"]["constraints"]["enum"] == ["22", "29", "35", "56"]
    assert set(fields["organisation_kind"]["constraints"]["enum"]) == {
        "independent",
        "associative_fablab",
        "institutional_fablab",
        "sme",
        "collective",
    }
    assert fields["quantity"]["constraints"] == {"required": True, "minimum": 1}
    assert fields["relay"]["constraints"]["required"] is False
    assert schema["licenses"][0]["title"] == "Licence Ouverte / Etalab 2.0"


def test_the_schema_stays_french_for_an_english_reader(client, reference_data):
    schema = client.get(SCHEMA_URL, headers={"accept-language": "en"}).json()
    assert schema["fields"][0]["title"] == "Semaine du"


def test_the_csv_made_from_real_totals_validates_against_its_schema(client, production):
    schema = client.get(SCHEMA_URL).json()
    report = frictionless_report(body(client.get(CSV_URL)), schema)
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert report.tasks[0].stats["rows"] == len(EXPECTED)


def test_the_csv_of_many_totals_validates_against_its_schema(client, reference_data):
    make_relay(name="LabFab de Rennes", departments=["35", "22"])
    fill_totals_up_to(300)
    schema = client.get(SCHEMA_URL).json()
    report = frictionless_report(body(client.get(CSV_URL)), schema)
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert report.tasks[0].stats["rows"] == 300


@pytest.mark.parametrize(
    ("column", "value", "error"),
    [
        ("quantity", "-4", "constraint-error"),
        ("department_code", "75", "constraint-error"),
        ("organisation_kind", "ngo", "constraint-error"),
        ("material_cost_eur", "13,49", "type-error"),
        ("week_start", "30/03/2020", "type-error"),
        ("item_type", "", "constraint-error"),
    ],
)
def test_a_corrupted_csv_is_reported_invalid(client, production, column, value, error):
    schema = client.get(SCHEMA_URL).json()
    rows = csv_rows(client.get(CSV_URL))
    rows[1][HEADER.index(column)] = value
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    report = frictionless_report(buffer.getvalue().encode(), schema)
    assert not report.valid
    assert [error, column] in report.flatten(["type", "fieldName"])


def test_a_csv_with_a_bucket_twice_breaks_the_primary_key(client, production):
    schema = client.get(SCHEMA_URL).json()
    content = body(client.get(CSV_URL))
    last_line = content.rstrip(b"\r\n").rsplit(b"\r\n", 1)[1]
    report = frictionless_report(content + last_line + b"\r\n", schema)
    assert not report.valid
    assert ["primary-key"] in report.flatten(["type"])


# --- HXL and XLSX --------------------------------------------------------------------------


def test_the_hxl_variant_carries_hashtags_that_libhxl_reads(client, production, tmp_path):
    import hxl

    response = client.get(HXL_URL)
    assert response["Content-Disposition"] == 'attachment; filename="tilab-production-hxl.csv"'
    path = tmp_path / "production-hxl.csv"
    path.write_bytes(body(response))
    # A local file only: libhxl never reaches for the network here.
    dataset = hxl.data(str(path), hxl.InputOptions(allow_local=True))
    tags = [column.display_tag for column in dataset.columns]
    assert tags == [
        "#date+start",
        "#date+year",
        "#meta+iso_week+num",
        "#adm2+code",
        "#adm2+name",
        "#org+name+relay",
        "#item+code",
        "#item+name+i_fr",
        "#item+unit+i_fr",
        "#org+type+code",
        "#output+num",
        "#indicator+num+reports",
        "#indicator+num+makers",
        "#indicator+num+producers",
        "#value+cost+eur",
    ]
    assert [column.header for column in dataset.columns] == HEADER
    rows = list(dataset)
    assert [row.get("#adm2+code") for row in rows] == ["29", "35", "22", "56"]
    assert [row.get("#output+num") for row in rows] == ["7", "34", "100", "12"]
    assert sum(Decimal(row.get("#value+cost+eur")) for row in rows) == Decimal("1251.55")
    assert rows[1].get("#org+relay") == "LabFab de Rennes"


def hxlvalidate(path: Path) -> subprocess.CompletedProcess:
    """libhxl's own command, with its default core schema (a #date must hold a date…)."""
    command = Path(sys.executable).parent / "hxlvalidate"
    return subprocess.run(
        [str(command), str(path)], capture_output=True, text=True, timeout=60, check=False
    )


def test_the_hxl_variant_passes_hxlvalidate(client, production, tmp_path):
    path = tmp_path / "production-hxl.csv"
    path.write_bytes(body(client.get(HXL_URL)))
    result = hxlvalidate(path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Validation succeeded" in result.stdout


def test_the_hxl_variant_has_the_same_rows_as_the_csv(client, production):
    hxl_rows = csv_rows(client.get(HXL_URL))
    assert hxl_rows[0] == HEADER
    assert hxl_rows[1][0] == "#date+start"
    assert hxl_rows[2:] == csv_rows(client.get(CSV_URL))[1:]


def test_the_xlsx_has_the_same_table_and_a_readme_with_the_licence(client, production):
    from openpyxl import load_workbook

    response = client.get(XLSX_URL)
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"] == 'attachment; filename="tilab-production.xlsx"'
    workbook = load_workbook(io.BytesIO(body(response)))
    assert workbook.sheetnames == ["Production", "Lisez-moi"]
    sheet = workbook["Production"]
    header = next(sheet.iter_rows(max_row=1))
    assert [cell.value for cell in header] == HEADER
    assert all(cell.font.bold for cell in header)
    first = {
        name: cell for name, cell in zip(HEADER, next(sheet.iter_rows(min_row=2)), strict=True)
    }
    assert first["week_start"].value.date() == datetime.date(2020, 3, 30)
    assert first["week_start"].number_format == "yyyy-mm-dd"
    assert first["quantity"].number_format == "#,##0"
    assert first["material_cost_eur"].number_format == XLSX_EUROS

    def as_text(name, value):
        if value is None:
            return ""
        if name == "material_cost_eur":
            return f"{value:.2f}"
        if isinstance(value, datetime.datetime):
            return value.date().isoformat()
        return str(value)

    values = [
        [as_text(name, value) for name, value in zip(HEADER, row, strict=True)]
        for row in sheet.iter_rows(min_row=2, values_only=True)
    ]
    assert values == EXPECTED
    readme = "\n".join(
        str(value)
        for row in workbook["Lisez-moi"].iter_rows(values_only=True)
        for value in row
        if value
    )
    assert "Licence Ouverte / Etalab 2.0" in readme
    assert "Ti Lab" in readme
    assert all(name in readme for name in HEADER)


def test_every_number_of_the_xlsx_is_a_number_with_its_format_and_every_date_a_date(
    client, production
):
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(body(client.get(XLSX_URL))))
    rows = list(workbook["Production"].iter_rows(min_row=2))
    assert len(rows) == len(EXPECTED)
    for row in rows:
        cells = dict(zip(HEADER, row, strict=True))
        assert_date_cell(cells["week_start"])
        for name in ("iso_year", "iso_week"):
            assert_numeric_cell(cells[name], "0")
        for name in ("quantity", "report_count", "maker_count"):
            assert_numeric_cell(cells[name], XLSX_COUNT)
        assert_numeric_cell(cells["material_cost_eur"], XLSX_EUROS)
    # The euros add up to the cent, as in the CSV.
    total = sum(Decimal(str(row[-1].value)) for row in rows)
    assert total == sum(Decimal(line[-1]) for line in EXPECTED) == Decimal("1251.55")
    readme = {row[0].value: row[1] for row in workbook["Lisez-moi"].iter_rows() if row[0].value}
    assert_date_cell(readme["Mise à jour"])
    assert readme["Mise à jour"].value.date() == timezone.localdate()
    assert_numeric_cell(readme["Lignes"], XLSX_COUNT)
    assert readme["Lignes"].value == len(EXPECTED)


def test_the_csv_is_for_programs_comma_separated_with_a_decimal_point_as_its_schema_says(
    client, production
):
    # Unlike the ";" files for people, the open data CSV follows RFC 4180 and its schema.
    fields = {field["name"]: field for field in client.get(SCHEMA_URL).json()["fields"]}
    assert fields["material_cost_eur"]["decimalChar"] == "."
    assert all("groupChar" not in field for field in fields.values())
    content = body(client.get(CSV_URL)).decode()
    assert content.splitlines()[0] == ",".join(HEADER)
    costs = [row[-1] for row in csv_rows(client.get(CSV_URL))[1:]]
    assert costs == [line[-1] for line in EXPECTED]
    assert all(re.fullmatch(r"\d+\.\d\d", cost) for cost in costs)


def test_the_spreadsheet_is_built_once_per_edition(client, production):
    first = body(client.get(XLSX_URL))
    with CaptureQueriesContext(connection) as queries:
        again = body(client.get(XLSX_URL))
    assert again == first
    # No query: the file and the version of the totals come from the cache.
    assert len(queries.captured_queries) == 0, [q["sql"] for q in queries.captured_queries]


def test_the_spreadsheet_is_served_when_the_cache_is_down(client, production, monkeypatch):
    from figures import open_data

    class DownCache:
        def get(self, *args, **kwargs):
            raise ConnectionError("cache unreachable")

        set = get

    monkeypatch.setattr(open_data, "cache", DownCache())
    response = client.get(XLSX_URL)
    assert response.status_code == 200
    assert body(response).startswith(b"PK")  # a zip: the workbook


def test_no_maker_name_or_email_appears_in_any_file(client, production):
    from openpyxl import load_workbook

    texts = [body(client.get(url)).decode("utf-8") for url in (CSV_URL, HXL_URL, SCHEMA_URL)]
    workbook = load_workbook(io.BytesIO(body(client.get(XLSX_URL))))
    texts += [
        " ".join(str(value) for row in sheet.iter_rows(values_only=True) for value in row)
        for sheet in workbook.worksheets
    ]
    for text in texts:
        assert "@" not in text
        for personal in PERSONAL:
            assert personal not in text


# --- Caching, queries, the page ------------------------------------------------------------


@pytest.mark.parametrize("url", [CSV_URL, HXL_URL, XLSX_URL])
def test_a_file_answers_304_until_a_validation_changes_it(
    client, production, maker, relay_staff, django_capture_on_commit_callbacks, url
):
    first = client.get(url)
    etag = first["ETag"]
    assert first["Last-Modified"]
    assert "public" in first["Cache-Control"]
    assert client.get(url, headers={"if-none-match": etag}).status_code == 304

    with django_capture_on_commit_callbacks(execute=True):
        make_report(
            maker=Maker.objects.get(user=maker),
            quantity=5,
            produced_on=THURSDAY,
            status="validated",
            decided_by=relay_staff,
        )
    fresh = client.get(url, headers={"if-none-match": etag})
    assert fresh.status_code == 200
    assert fresh["ETag"] != etag


def test_renaming_a_relay_changes_the_etag(client, production):
    etag = client.get(CSV_URL)["ETag"]
    relay = RelayCoverage.objects.get(department_id="56").relay.organisation
    relay.name = "Fabrique du Loch (Auray)"
    relay.save()
    response = client.get(CSV_URL, headers={"if-none-match": etag})
    assert response.status_code == 200
    assert "Fabrique du Loch (Auray)" in body(response).decode()


@pytest.mark.parametrize("url", [CSV_URL, HXL_URL, XLSX_URL, INDEX_URL])
def test_a_file_costs_the_same_queries_for_1_10_and_50_totals(client, reference_data, url):
    counts, lines = [], []
    for size in (1, 10, 50):
        fill_totals_up_to(size)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
            content = body(response)  # a streamed file reads the database while it streams
        assert response.status_code == 200
        counts.append(len(queries.captured_queries))
        lines.append(len(content))
    assert lines[0] < lines[1] < lines[2] or url == INDEX_URL
    assert len(set(counts)) == 1, counts


def test_the_open_data_page_lists_the_files_licence_and_last_update(client, production):
    response = client.get(INDEX_URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("<h1") == 1
    for url in (CSV_URL, SCHEMA_URL, HXL_URL, XLSX_URL, "/api/v1/figures/"):
        assert f'href="{url}"' in page
    assert "Licence Ouverte / Etalab 2.0" in page
    assert "Dernière mise à jour" in page
    assert "<caption>" in page and 'scope="col"' in page and 'scope="row"' in page
    for name in HEADER:
        assert f"<code>{name}</code>" in page
    assert "Anne Le Goff" not in page


def test_the_open_data_page_says_when_nothing_is_published_yet(client, reference_data):
    page = client.get(INDEX_URL).content.decode()
    assert "Aucune production n'a encore été validée" in page


def test_the_files_refuse_writes(client, reference_data):
    for url in [INDEX_URL, *FILES]:
        assert client.post(url).status_code == 405


def test_the_schema_lists_the_departments_known_to_the_platform(client, reference_data):
    from tilab.models import Department

    Department.objects.create(
        code="44", name="Loire-Atlantique", region_code="52", region_name="Pays de la Loire"
    )
    fields = {field["name"]: field for field in client.get(SCHEMA_URL).json()["fields"]}
    assert "44" in fields["department_code"]["constraints"]["enum"]


def test_the_schema_is_valid_json_in_utf8(client, reference_data):
    content = client.get(SCHEMA_URL).content.decode("utf-8")
    assert "Département" in content  # readable accents, not \u escapes
    json.loads(content)
