"""Open data of production: the weekly totals as CSV, HXL-tagged CSV and XLSX, with their schema.

Every file is one table, one row per `ProductionTotal` bucket, read from the totals (never from
the reports) and holding no personal data: no maker, no organisation, no address, only counts.
Only the public totals are published: a bucket made by fewer distinct producers (an
organisation, or a maker on their own) than `TILAB_PUBLIC_MIN_PRODUCERS` has no row
(`selectors.production_totals`).
The columns are declared once, in `COLUMNS`; the CSV header, the Table Schema, the HXL hashtags,
the spreadsheet and the page that describes them all follow that declaration.

The CSV is a standard file for programs, not a French spreadsheet file: comma-separated with a
decimal point ("1234.50"), ISO dates, as RFC 4180 and its Table Schema (`decimalChar` ".")
say, and as data.gouv.fr's validators expect. It is deliberately not written like the
platform's ";" CSVs for people (`tilab.spreadsheets`); people with a spreadsheet get the XLSX,
whose numbers are numbers in any locale.
"""

import csv
import hashlib
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from io import BytesIO

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from fablabs.selectors import departments_with_relay, relay_covering
from makers.models import ItemType
from tilab.models import Department
from tilab.spreadsheets import XLSX_COUNT, XLSX_EUROS, spreadsheet_safe

from . import selectors
from .models import OrganisationKind, ProductionTotal

log = logging.getLogger(__name__)

# Bump when a column or the spreadsheet's layout changes: caches holding an older file must not
# answer for the new one. 2: euros shown as euros, the readme's date and count typed. 3: small
# totals withheld, the rule in the readme, the ISO week tagged as a number in HXL.
FORMAT_VERSION = 3

LICENCE_NAME = "Licence Ouverte / Etalab 2.0"
LICENCE_URL = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
LICENCE_ID = "etalab-2.0"
PUBLISHER = "Ti Lab, laboratoire d'innovation publique de la Région Bretagne"

CSV_FILENAME = "tilab-production.csv"
HXL_FILENAME = "tilab-production-hxl.csv"
XLSX_FILENAME = "tilab-production.xlsx"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The files are published in French whatever the reader's language: these are not translated.
TITLE = "Production hebdomadaire du réseau Ti Lab"
SUMMARY = (
    "Production validée par les relais, par semaine ISO, département, article et type de "
    "producteur. Aucune donnée personnelle : ni nom, ni adresse, seulement des totaux."
)
XLSX_CACHE_SECONDS = 24 * 3600


def withholding_rule(threshold: int) -> str:
    """The small-count rule, as the schema and the spreadsheet state it (in French)."""
    return (
        f"Secret statistique : une ligne faite par moins de {threshold} producteurs distincts "
        "(chaque organisation compte pour un, quel que soit le nombre de ses membres, et chaque "
        "maker indépendant pour un) n'est pas publiée, et n'est comptée dans aucun autre "
        "chiffre public (page des chiffres, API, accueil) : aucune soustraction de chiffres "
        "publiés ne la révèle."
    )


PRIMARY_KEY = ["week_start", "department_code", "item_type", "organisation_kind"]


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # a Table Schema type: date, integer, number, string
    title: str
    description: str
    hxl: str
    required: bool = True
    constraints: dict = field(default_factory=dict)
    # How the spreadsheet shows the value; None leaves Excel's default.
    number_format: str | None = None


COLUMNS = (
    Column(
        "week_start",
        "date",
        _("Semaine du"),
        _("Lundi de la semaine ISO 8601 de production (AAAA-MM-JJ)."),
        "#date+start",
        number_format="yyyy-mm-dd",
    ),
    Column(
        "iso_year",
        "integer",
        _("Année ISO"),
        _(
            "Année de la semaine ISO 8601 : fin décembre ou début janvier, elle peut différer "
            "de l'année civile."
        ),
        "#date+year",
        constraints={"minimum": 2020},
        number_format="0",
    ),
    Column(
        "iso_week",
        "integer",
        _("Semaine ISO"),
        _("Numéro de la semaine ISO 8601, de 1 à 53."),
        # A week number, not a date: HXL's #date holds dates (hxlvalidate checks it).
        "#meta+iso_week+num",
        constraints={"minimum": 1, "maximum": 53},
        number_format="0",
    ),
    Column(
        "department_code",
        "string",
        _("Code du département"),
        _("Code INSEE du département où la production est comptée."),
        "#adm2+code",
    ),
    Column(
        "department_name",
        "string",
        _("Département"),
        _("Nom du département."),
        "#adm2+name",
    ),
    Column(
        "relay",
        "string",
        _("Relais"),
        _(
            "Relais d'intérêt général qui couvre le département à la date du fichier ; "
            "vide si aucun relais ne le couvre."
        ),
        "#org+name+relay",
        required=False,
    ),
    Column(
        "item_type",
        "string",
        _("Article (identifiant)"),
        _("Identifiant stable de l'article dans le catalogue (visor, fabric-mask…)."),
        "#item+code",
        constraints={"pattern": "[-a-z0-9_]+"},
    ),
    Column(
        "item_name_fr",
        "string",
        _("Article"),
        _("Nom de l'article, en français."),
        "#item+name+i_fr",
    ),
    Column(
        "unit_fr",
        "string",
        _("Unité"),
        _("Unité dans laquelle la quantité est comptée, en français."),
        "#item+unit+i_fr",
    ),
    Column(
        "organisation_kind",
        "string",
        _("Type de producteur"),
        _(
            "Qui a produit : independent (makers indépendants), associative_fablab (FabLabs "
            "associatifs), institutional_fablab (FabLabs institutionnels), sme (PME), "
            "collective (collectifs)."
        ),
        "#org+type+code",
    ),
    Column(
        "quantity",
        "integer",
        _("Quantité"),
        _("Nombre d'articles produits, d'après les seules déclarations validées par un relais."),
        "#output+num",
        constraints={"minimum": 1},
        number_format=XLSX_COUNT,
    ),
    Column(
        "report_count",
        "integer",
        _("Déclarations"),
        _("Nombre de déclarations validées comptées dans la ligne."),
        "#indicator+num+reports",
        constraints={"minimum": 1},
        number_format=XLSX_COUNT,
    ),
    Column(
        "maker_count",
        "integer",
        _("Makers distincts"),
        _(
            "Nombre de makers distincts dans la ligne, jamais moins que le seuil de publication. "
            "Ne s'additionne pas d'une ligne à l'autre : un même maker produit souvent "
            "plusieurs semaines ou plusieurs articles."
        ),
        "#indicator+num+makers",
        constraints={"minimum": 1},
        number_format=XLSX_COUNT,
    ),
    Column(
        "producer_count",
        "integer",
        _("Producteurs distincts"),
        _(
            "Nombre de producteurs distincts dans la ligne : chaque organisation compte pour un, "
            "quel que soit le nombre de ses membres, et chaque maker indépendant pour un. Jamais "
            "moins que le seuil de publication. Ne s'additionne pas d'une ligne à l'autre."
        ),
        "#indicator+num+producers",
        constraints={"minimum": 1},
        number_format=XLSX_COUNT,
    ),
    Column(
        "material_cost_eur",
        "number",
        _("Coût matière (€)"),
        _("Coût matière déclaré, en euros, avec un point décimal et deux décimales."),
        "#value+cost+eur",
        constraints={"minimum": 0},
        number_format=XLSX_EUROS,
    ),
)
HEADER = [column.name for column in COLUMNS]
# Names typed by people (relays are organisations, which a spreadsheet import may create): a
# spreadsheet opening the CSV must never run one as a formula.
FREE_TEXT = [
    index
    for index, column in enumerate(COLUMNS)
    if column.name in {"department_name", "relay", "item_name_fr", "unit_fr"}
]
HXL_TAGS = [column.hxl for column in COLUMNS]


def euros_of(cents: int) -> Decimal:
    """1250 → Decimal("12.50"): exact, never through a float."""
    return Decimal(int(cents)).scaleb(-2)


# --- What the files say, and when it changed -------------------------------------------------


@dataclass(frozen=True)
class Edition:
    """The state of the published totals: enough to name a version of the files."""

    row_count: int
    updated_at: datetime | None
    etag: str
    relays: dict[str, str]  # department code → name of the relay covering it, "" if none
    threshold: int  # the fewest distinct makers a published row holds
    withheld_count: int  # how many totals are left out, never what they hold


def production_edition() -> Edition:
    """Where the published totals stand, in three small queries whatever their number.

    The files change when a public total is written or removed (count and latest
    `computed_at` of the public rows), when the publication threshold changes, and when a
    department, its relay or a catalogue entry is renamed: all of it is in the ETag. A change
    to a withheld total changes neither the ETag nor Last-Modified, which would tell it.
    """
    public = selectors.public_buckets()
    stamp = ProductionTotal.objects.order_by().aggregate(
        rows=Count("pk", filter=public),
        latest=Max("computed_at", filter=public),
        withheld=Count("pk", filter=~public),
    )
    threshold = settings.TILAB_PUBLIC_MIN_PRODUCERS
    departments = [
        (department.code, department.name, _relay_name(department))
        for department in departments_with_relay()
    ]
    items = list(ItemType.objects.order_by("pk").values_list("pk", "slug", "name_fr", "unit_fr"))
    fingerprint = repr(
        (FORMAT_VERSION, threshold, stamp["rows"], stamp["latest"], departments, items)
    )
    return Edition(
        row_count=stamp["rows"],
        updated_at=stamp["latest"],
        etag=hashlib.sha256(fingerprint.encode()).hexdigest()[:32],
        relays={code: relay for code, _name, relay in departments},
        threshold=threshold,
        withheld_count=stamp["withheld"],
    )


def _relay_name(department) -> str:
    relay = relay_covering(department)
    return relay.organisation.name if relay else ""


def relay_names() -> dict[str, str]:
    """Department code → name of the relay covering it ("" when none), in one query."""
    return {department.code: _relay_name(department) for department in departments_with_relay()}


# --- The table --------------------------------------------------------------------------------


def production_rows(*, edition: Edition) -> Iterator[tuple]:
    """One tuple per public total, in the order of `COLUMNS`, with Python values (date, int,
    Decimal).

    Reads the totals in one query (joined to their department and item), in chunks.
    """
    rows = selectors.production_totals(exact=False).values_list(
        "week_start",
        "department_id",
        "department__name",
        "item_type__slug",
        "item_type__name_fr",
        "item_type__unit_fr",
        "org_kind",
        "quantity",
        "report_count",
        "maker_count",
        "producer_count",
        "material_cost_cents",
    )
    for monday, code, department, slug, item, unit, kind, *counts, cents in rows.iterator(2000):
        iso_year, iso_week, _weekday = monday.isocalendar()
        relay = edition.relays.get(code, "")
        yield (
            (monday, iso_year, iso_week, code, department, relay, slug, item, unit, kind)
            + tuple(counts)
            + (euros_of(cents),)
        )


class _Line:
    """A file-like object that hands back what the csv writer writes to it."""

    def write(self, text: str) -> str:
        return text


def _csv_lines(rows: Iterable[tuple], *, hxl: bool) -> Iterator[str]:
    # CRLF line ends, as RFC 4180 writes CSV. str() writes dates in ISO 8601 and Decimals with
    # a dot and their two places, which is what the schema declares.
    writer = csv.writer(_Line(), lineterminator="\r\n")
    yield writer.writerow(HEADER)
    if hxl:
        yield writer.writerow(HXL_TAGS)
    for row in rows:
        yield writer.writerow(
            [
                spreadsheet_safe(value) if index in FREE_TEXT and value else value
                for index, value in enumerate(row)
            ]
        )


def production_csv(*, edition: Edition) -> Iterator[str]:
    """The CSV, line by line (UTF-8 once encoded, comma-separated, header row)."""
    return _csv_lines(production_rows(edition=edition), hxl=False)


def production_hxl_csv(*, edition: Edition) -> Iterator[str]:
    """The same CSV with an HXL hashtag row under the header, for humanitarian tools."""
    return _csv_lines(production_rows(edition=edition), hxl=True)


# --- The Table Schema -------------------------------------------------------------------------


def production_schema() -> dict:
    """The Frictionless Table Schema of the CSV, always in French (a file is not translated).

    The allowed department codes are read from the database: departments are data. The
    description states the small-count rule, and `producer_count` has the threshold as minimum.
    """
    threshold = settings.TILAB_PUBLIC_MIN_PRODUCERS
    enums = {
        "department_code": list(Department.objects.order_by("code").values_list("code", flat=True)),
        "organisation_kind": list(OrganisationKind.values),
    }
    with translation.override("fr"):
        fields = []
        for column in COLUMNS:
            constraints = {"required": column.required, **column.constraints}
            if column.name in enums:
                constraints["enum"] = enums[column.name]
            if column.name == "producer_count":
                constraints["minimum"] = threshold
            descriptor = {
                "name": column.name,
                "type": column.type,
                "title": str(column.title),
                "description": str(column.description),
                "constraints": constraints,
            }
            if column.type == "date":
                descriptor["format"] = "default"  # ISO 8601, YYYY-MM-DD
            if column.type == "number":
                descriptor["decimalChar"] = "."
                descriptor["bareNumber"] = True
            fields.append(descriptor)
        return {
            "$schema": "https://specs.frictionlessdata.io/schemas/table-schema.json",
            "title": TITLE,
            "description": f"{SUMMARY} {withholding_rule(threshold)}",
            "fields": fields,
            "primaryKey": PRIMARY_KEY,
            "missingValues": [""],
            "licenses": [{"name": LICENCE_ID, "title": LICENCE_NAME, "path": LICENCE_URL}],
            "sources": [{"title": PUBLISHER}],
        }


# --- The spreadsheet --------------------------------------------------------------------------


def production_xlsx(*, edition: Edition) -> bytes:
    """The same table as an Excel workbook, with a « Lisez-moi » sheet describing it.

    Built once per edition and kept in the cache under its ETag (tens of thousands of rows
    take seconds to write); a cache that is down only means building it again.
    """
    key = f"open-data:production.xlsx:{edition.etag}"
    try:
        content = cache.get(key)
    except Exception:
        log.warning("cache unavailable; building the open data workbook again", exc_info=True)
        content = None
    if content is None:
        content = _workbook(edition)
        try:
            cache.set(key, content, XLSX_CACHE_SECONDS)
        except Exception:
            log.warning("cache unavailable; the open data workbook is not kept", exc_info=True)
    return content


def _workbook(edition: Edition) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import Cell, WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    # Write-only: rows go straight to the file, memory stays flat however many totals there are.
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    with translation.override("fr"):
        sheet = workbook.create_sheet("Production")
        sheet.freeze_panes = "A2"
        for index, column in enumerate(COLUMNS, start=1):
            # Wide enough for the header; names get more room than numbers.
            width = max(len(column.name) + 2, 24 if column.type == "string" else 12)
            sheet.column_dimensions[get_column_letter(index)].width = width
        header = []
        for name in HEADER:
            cell = WriteOnlyCell(sheet, value=name)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        # One cell per column, refilled row after row: openpyxl writes a row out as soon as
        # it is appended, and styling a fresh cell for each of 400 000 values costs seconds.
        cells = []
        for column in COLUMNS:
            cell = WriteOnlyCell(sheet)
            if column.number_format:
                cell.number_format = column.number_format
            cells.append(cell)
        for row in production_rows(edition=edition):
            for cell, value in zip(cells, row, strict=True):
                cell.value = value
                if cell.data_type == "f":
                    cell.data_type = "s"  # text starting with "=": never a formula
            sheet.append(cells)

        readme = workbook.create_sheet("Lisez-moi")
        for letter, width in zip("ABCD", (22, 26, 12, 90), strict=True):
            readme.column_dimensions[letter].width = width
        wrap = Alignment(wrap_text=True, vertical="top")

        def line(*values, strong=False):
            cells = []
            for value in values:
                if isinstance(value, Cell):  # typed already
                    cells.append(value)
                    continue
                cell = WriteOnlyCell(readme, value=value)
                cell.alignment = wrap
                if strong:
                    cell.font = bold
                cells.append(cell)
            readme.append(cells)

        def typed(value, number_format):
            cell = WriteOnlyCell(readme, value=value)
            cell.alignment = Alignment(horizontal="left", vertical="top")
            cell.number_format = number_format
            return cell

        updated = (
            typed(timezone.localtime(edition.updated_at).date(), "yyyy-mm-dd")
            if edition.updated_at
            else "—"
        )
        line(TITLE, strong=True)
        line("Contenu", SUMMARY)
        line("Confidentialité", withholding_rule(edition.threshold))
        line("Source", PUBLISHER)
        line("Licence", f"{LICENCE_NAME} ({LICENCE_URL})")
        line("Mise à jour", updated)
        line("Lignes", typed(edition.row_count, XLSX_COUNT))
        line()
        line("Colonne", "Titre", "Type", "Description", strong=True)
        for column in COLUMNS:
            line(column.name, str(column.title), column.type, str(column.description))
    output = BytesIO()
    workbook.save(output)
    return output.getvalue()
