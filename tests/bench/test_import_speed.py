"""How fast a 10,000-row spreadsheet imports (CSV, XLSX, ODS), against a bare bulk_create of the
same rows (the issue's bound), each format measured in the same run.

The import writes through tilab.bulk (COPY on PostgreSQL), which is faster than bulk_create; a
second baseline, a bare bulk_insert of the same rows, shows what reading and checking cost."""

import datetime
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from fablabs.models import Organisation
from makers import importing
from makers.models import ItemType, Maker, Membership, ProductionImport, ProductionReport
from makers.reference import item_catalogue_ensure
from tests.factories import make_relay, make_user
from tests.makers.spreadsheets import ods_bytes, xlsx_bytes
from tilab import roles
from tilab.bulk import bulk_insert

ROWS = 10_000
MAKERS = 300
ORGANISATIONS = ["FabLab Lannion", "LabFab Saint-Malo", "Les Couturières de Vitré", "Fab Dinan"]
ITEMS = ["Visière", "Masque tissu", "Attache-masque", "Surblouse"]
SLUGS = {"Visière": "visor", "Masque tissu": "fabric-mask", "Attache-masque": "ear-saver",
         "Surblouse": "gown"}  # fmt: skip
FIRST_DAY = datetime.date(2020, 3, 16)
# The bound: importing 10,000 rows costs at most twice a bare bulk_create of the same
# rows. Each side is timed REPEATS times and its best time kept (as timeit does): a busy
# machine slows single runs unevenly, never speeds one up.
MAX_RATIO = 2
REPEATS = 3


def _rows() -> list[dict]:
    """Each maker once a day, in the sample's shape; every line distinct."""
    rows = []
    for n in range(ROWS):
        maker = n % MAKERS
        department = "35" if maker % 3 else "22"
        organisation = ORGANISATIONS[maker % 8] if maker % 8 < len(ORGANISATIONS) else ""
        rows.append(
            {
                "produced_on": FIRST_DAY + datetime.timedelta(days=n // MAKERS),
                "maker": f"Maker n°{maker:03d} Le Goff",
                "organisation": organisation,
                "department": department,
                "item": ITEMS[n % len(ITEMS)],
                "quantity": 1 + n % 1500,
                "cost_cents": (n % 400) * 25,
                "recipient": f"EHPAD {n % 40}",
            }
        )
    return rows


def _csv(rows: list[dict]) -> bytes:
    lines = ["Date;Nom du maker;Structure;Département;Article;Quantité;Coût matière (€);Livré à"]
    for r in rows:
        euros, cents = divmod(r["cost_cents"], 100)
        quantity = f"{r['quantity']:,}".replace(",", " ")
        lines.append(
            f"{r['produced_on']:%d/%m/%Y};{r['maker']};{r['organisation']};{r['department']};"
            f"{r['item']};{quantity};{euros},{cents:02d};{r['recipient']}"
        )
    return "\r\n".join(lines).encode("utf-8-sig")


def _cells(rows: list[dict]) -> list[list]:
    """The same rows as a workbook holds them: dates, numbers and euros as typed cells."""
    header = ["Date", "Nom du maker", "Structure", "Département", "Article", "Quantité",
              "Coût matière (€)", "Livré à"]  # fmt: skip
    return [header] + [
        [
            r["produced_on"],
            r["maker"],
            r["organisation"] or None,
            int(r["department"]),
            r["item"],
            r["quantity"],
            r["cost_cents"] / 100,
            r["recipient"],
        ]  # fmt: skip
        for r in rows
    ]


FORMATS = {
    "csv": _csv,
    "xlsx": lambda rows: xlsx_bytes({"Production": _cells(rows)}),
    "ods": lambda rows: ods_bytes({"Production": _cells(rows)}),
}


def _empty_tables() -> None:
    ProductionReport.objects.all().delete()
    Membership.objects.all().delete()
    Maker.objects.all().delete()
    Organisation.objects.filter(name__in=ORGANISATIONS).delete()


COLUMNS = ("maker_id", "organisation_id", "department_id", "item_type_id", "quantity",
           "produced_on", "material_cost_cents", "recipient", "source", "entered_by_id",
           "entered_at", "updated_at")  # fmt: skip


def _resolved(rows: list[dict], *, by, now) -> list[tuple]:
    """The rows' values with every name already resolved to an id (makers and organisations
    created), in the order of COLUMNS: what an import has to write, without reading a file."""
    makers = {}
    for r in rows:
        makers.setdefault((r["maker"], r["department"]), None)
    objects = [Maker(display_name=name, department_id=code) for name, code in makers]
    Maker.objects.bulk_create(objects)
    maker_ids = {(m.display_name, m.department_id): m.pk for m in objects}
    organisation_ids = {
        name: Organisation.objects.create(
            name=name, slug=f"bare-{n}", kind="collective", department_id="35"
        ).pk
        for n, name in enumerate(ORGANISATIONS)
    }
    items = {i.slug: i.pk for i in ItemType.objects.all()}
    return [
        (
            maker_ids[(r["maker"], r["department"])],
            organisation_ids.get(r["organisation"]),
            r["department"],
            items[SLUGS[r["item"]]],
            r["quantity"],
            r["produced_on"],
            r["cost_cents"],
            r["recipient"],
            "import",
            by.pk,
            now,
            now,
        )
        for r in rows
    ]


def _bare_bulk_create(rows: list[dict], *, by, now) -> float:
    """Insert the same reports with everything already resolved: the issue's baseline."""
    reports = [
        ProductionReport(**dict(zip(COLUMNS, values))) for values in _resolved(rows, by=by, now=now)
    ]
    started = time.perf_counter()
    with transaction.atomic():
        ProductionReport.objects.bulk_create(reports, batch_size=importing.BULK_BATCH_SIZE)
    return time.perf_counter() - started


def _bare_bulk_insert(rows: list[dict], *, by, now) -> float:
    """The same, through the importer's own write path (tilab.bulk: COPY on PostgreSQL): the
    floor an import can reach. Its ratio shows what reading and checking the file cost."""
    values = _resolved(rows, by=by, now=now)
    started = time.perf_counter()
    with transaction.atomic():
        bulk_insert(ProductionReport, COLUMNS, values)
    return time.perf_counter() - started


# Not transactional: the decision table refuses DELETE, so a flushing test could not clean up on
# SQLite. Every measured path runs inside the same enclosing transaction, so the ratios stay fair.
@pytest.mark.django_db
def test_importing_10000_rows_stays_close_to_a_bare_bulk_create(reference_data):
    item_catalogue_ensure()
    staff = make_user(role=roles.RELAY_STAFF)
    make_relay(name="LabFab de Rennes", departments=["35", "22"], staff=[staff])
    now = timezone.now()
    rows = _rows()
    report = [f"\n[{connection.vendor}] spreadsheet import of {ROWS:,} rows:"]
    ratios = {}
    for name, build in FORMATS.items():
        content = build(rows)
        bare = floor = preview = imported = float("inf")
        for attempt in range(REPEATS):
            _empty_tables()
            bare = min(bare, _bare_bulk_create(rows, by=staff, now=now))
            assert ProductionReport.objects.count() == ROWS
            _empty_tables()
            floor = min(floor, _bare_bulk_insert(rows, by=staff, now=now))
            assert ProductionReport.objects.count() == ROWS
            # Start the import from the same empty tables: it creates its makers and
            # organisations.
            _empty_tables()
            filename = f"bench-{attempt}.{name}"

            started = time.perf_counter()
            plan = importing.production_import_preview(
                content=content, filename=filename, by=staff, now=now
            )
            preview = min(preview, time.perf_counter() - started)

            started = time.perf_counter()
            plan = importing.production_import_apply(
                content=content, filename=filename, by=staff, now=now
            )
            imported = min(imported, time.perf_counter() - started)

            assert plan.file_format == name
            assert plan.counts["rows_to_create"] == ROWS
            assert ProductionReport.objects.filter(
                source="import", import_batch__isnull=False
            ).count() == (ROWS)
            assert Maker.objects.count() == MAKERS
            assert Organisation.objects.filter(name__in=ORGANISATIONS).count() == len(ORGANISATIONS)
            assert Membership.objects.count() == sum(
                1 for m in range(MAKERS) if m % 8 < len(ORGANISATIONS)
            )
            assert ProductionImport.objects.filter(filename=filename).get().status == ("confirmed")
        ratios[name] = ratio = imported / bare
        report.append(
            f"  {name.upper():4} ({len(content) / 1024:5.0f} KiB): "
            f"preview {preview:5.2f} s, import {imported:5.2f} s "
            f"({ROWS / imported:7,.0f} rows/s), bare bulk_create {bare:5.2f} s, "
            f"ratio {ratio:4.1f}× (best of {REPEATS}); "
            f"bare bulk_insert {floor:5.2f} s, ratio {imported / floor:4.1f}×"
        )
    print("\n".join(report))
    for name, ratio in ratios.items():
        assert ratio <= MAX_RATIO, f"{name}: the import is {ratio:.1f}× slower than bulk_create"
