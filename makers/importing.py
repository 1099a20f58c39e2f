"""Spreadsheet import of production reports: read the file, validate every row, plan, apply."""

import csv
import hashlib
import io
import logging
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from fablabs.models import Organisation
from tilab.errors import BadInput
from tilab.models import Department, User
from tilab.money import parse_decimal, parse_euros, parse_whole_number
from tilab.services import decision_record

from .models import (
    FIRST_PRODUCTION_DAY,
    MAX_QUANTITY,
    ItemType,
    Maker,
    Membership,
    ProductionImport,
    ProductionReport,
)
from .selectors import departments_covered_by, item_types_active

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000
# Rows per INSERT: large enough to amortise round trips, small enough for any backend's limits.
BULK_BATCH_SIZE = 1000
# The preview page lists this many rows, then says how many more there are.
PREVIEW_ROWS = 200

# Line 0 stands for the file as a whole (unreadable, too big…), 1 is the header row.
FILE_LINE = 0


# --- Results and failures ------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """What is wrong, where: the file's line number, the column as headed in the file, why."""

    line: int
    column: str
    message: str

    def as_dict(self) -> dict:
        return {"line": self.line, "column": self.column, "message": self.message}


class ImportRejected(Exception):
    """The file cannot be imported as it is; `errors` lists every problem. Nothing was written."""

    def __init__(self, errors: list[RowError]):
        self.errors = sorted(errors, key=lambda e: e.line)
        super().__init__(self.summary())

    def summary(self) -> str:
        lines = {e.line for e in self.errors if e.line > FILE_LINE}
        return ngettext(
            "%(count)d ligne est à corriger : rien n'a été importé.",
            "%(count)d lignes sont à corriger : rien n'a été importé.",
            len(lines),
        ) % {"count": len(lines)}


class SpreadsheetUnreadable(ImportRejected):
    """The file itself is refused (format, size, encoding, missing columns), before any row."""

    def summary(self) -> str:
        if len(self.errors) == 1:
            return self.errors[0].message
        return _("Ce fichier ne peut pas être importé : %(reasons)s") % {
            "reasons": " ".join(e.message for e in self.errors)
        }


class ImportAlreadyConfirmed(Exception):
    """This stored import was confirmed already (a second click, another tab): nothing redone."""


class ImportConflict(Exception):
    """Another import wrote the same rows at the same moment; this one was rolled back whole."""


@dataclass
class PlannedMaker:
    display_name: str
    department: str


@dataclass
class PlannedOrganisation:
    name: str
    kind: str
    department: str

    @property
    def kind_label(self) -> str:
        return str(Organisation.Kind(self.kind).label)


@dataclass
class PlannedRow:
    line: int
    produced_on: date
    maker: str
    maker_id: int | None
    organisation: str
    organisation_id: int | None
    department: str
    department_name: str
    item: ItemType
    quantity: int
    material_cost_cents: int
    recipient: str
    import_key: str
    # Keys into the plan's makers and organisations to create, when they are new.
    maker_ref: tuple[str, str] = ("", "")
    organisation_ref: str = ""

    def as_dict(self) -> dict:
        return {
            "line": self.line,
            "produced_on": self.produced_on.isoformat(),
            "maker": self.maker,
            "maker_is_new": self.maker_id is None,
            "organisation": self.organisation,
            "organisation_is_new": bool(self.organisation) and self.organisation_id is None,
            "department": self.department,
            "item": self.item.slug,
            "item_name": self.item.name,
            "quantity": self.quantity,
            "material_cost_cents": self.material_cost_cents,
            "recipient": self.recipient,
        }


@dataclass
class ImportPlan:
    """What an import will do (preview) or did (after apply): rows, new makers and
    organisations, rows skipped as already imported or repeated, and the totals."""

    filename: str
    rows: list[PlannedRow] = field(default_factory=list)
    makers_to_create: list[PlannedMaker] = field(default_factory=list)
    organisations_to_create: list[PlannedOrganisation] = field(default_factory=list)
    # (maker, organisation) pairs as ids, or refs into the lists above for new ones.
    memberships_to_create: list[tuple] = field(default_factory=list)
    already_there: list[int] = field(default_factory=list)
    duplicates: list[tuple[int, int]] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    import_id: int | None = None
    imported: bool = False

    @property
    def totals_per_item(self) -> list[dict]:
        totals: dict[int, dict] = {}
        for row in self.rows:
            total = totals.setdefault(
                row.item.pk,
                {
                    "item": row.item.slug,
                    "name": row.item.name,
                    "position": row.item.position,
                    "rows": 0,
                    "quantity": 0,
                    "material_cost_cents": 0,
                },
            )
            total["rows"] += 1
            total["quantity"] += row.quantity
            total["material_cost_cents"] += row.material_cost_cents
        ordered = sorted(totals.values(), key=lambda t: (t.pop("position"), t["item"]))
        return ordered

    @property
    def totals_per_department(self) -> list[dict]:
        totals: dict[str, dict] = {}
        for row in self.rows:
            total = totals.setdefault(
                row.department,
                {
                    "department": row.department,
                    "name": row.department_name,
                    "rows": 0,
                    "quantity": 0,
                    "material_cost_cents": 0,
                },
            )
            total["rows"] += 1
            total["quantity"] += row.quantity
            total["material_cost_cents"] += row.material_cost_cents
        return [totals[code] for code in sorted(totals)]

    @property
    def counts(self) -> dict:
        return {
            "rows_to_create": len(self.rows),
            "makers_to_create": len(self.makers_to_create),
            "organisations_to_create": len(self.organisations_to_create),
            "memberships_to_create": len(self.memberships_to_create),
            "already_there": len(self.already_there),
            "duplicates": len(self.duplicates),
        }

    def summary(self) -> dict:
        """Everything but the rows themselves: what a stored import keeps for the record."""
        return self.as_dict(with_rows=False)

    def as_dict(self, *, with_rows: bool = True) -> dict:
        data = {
            "import_id": self.import_id,
            "imported": self.imported,
            "filename": self.filename,
            "counts": self.counts,
            "rows": [row.as_dict() for row in self.rows] if with_rows else [],
            "makers_to_create": [
                {"display_name": m.display_name, "department": m.department}
                for m in self.makers_to_create
            ],
            "organisations_to_create": [
                {
                    "name": o.name,
                    "kind": o.kind,
                    "kind_label": o.kind_label,
                    "department": o.department,
                }
                for o in self.organisations_to_create
            ],
            "already_there": list(self.already_there),
            "duplicates": [
                {"line": line, "duplicate_of": first} for line, first in self.duplicates
            ],
            "totals_per_item": self.totals_per_item,
            "totals_per_department": self.totals_per_department,
            "ignored_columns": list(self.ignored_columns),
        }
        if not with_rows:
            del data["rows"]
        return data


# --- Normalisation -----------------------------------------------------------------------------

# Small words spreadsheets add or drop at will ("masques en tissu", "date de production").
_STOPWORDS = frozenset(
    {"a", "au", "aux", "d", "de", "des", "du", "en", "et", "l", "la", "le", "les", "pour", "par"}
    | {"of", "the", "in", "eur", "euro", "euros"}
)
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_BRACKETED = re.compile(r"\([^)]*\)|\[[^\]]*\]")


def _ascii_lower(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@lru_cache(maxsize=8192)
def _words_key(text: str) -> str:
    """Key for catalogue names and headers: no case, accents, punctuation, small words, plurals."""
    words = _NOT_ALNUM.sub(" ", _ascii_lower(_BRACKETED.sub(" ", text))).split()
    kept = []
    for word in words:
        if word in _STOPWORDS:
            continue
        if len(word) > 2 and word[-1] in "sx":
            word = word[:-1]
        kept.append(word)
    return " ".join(kept)


@lru_cache(maxsize=65536)
def _name_key(text: str) -> str:
    """Key for people and organisations: case, accents and extra spaces do not matter."""
    return " ".join(_ascii_lower(text).split())


@lru_cache(maxsize=1024)
def _compact_key(text: str) -> str:
    return _NOT_ALNUM.sub("", _ascii_lower(text))


def _clean(value) -> str:
    """A cell as text, spaces collapsed; whole floats lose their ".0" (35.0 → "35")."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def _numeric_text(value) -> str:
    """A cell for the number parsers. Spreadsheet numbers are written with a decimal comma,
    which parse_decimal never mistakes for a thousands separator (31.125 is not 31 125)."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return format(Decimal(repr(value)), "f").replace(".", ",")
    return _clean(value)


# --- Columns -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Column:
    key: str
    label: str
    headers: tuple[str, ...]
    required: bool


_COLUMNS = (
    _Column(
        "date",
        gettext_lazy("Date"),
        ("date", "date de production", "jour", "date production", "production date"),
        True,
    ),
    _Column(
        "maker",
        gettext_lazy("Nom du maker"),
        ("nom du maker", "maker", "nom", "producteur", "productrice", "nom et prénom", "name"),
        True,
    ),
    _Column(
        "organisation",
        gettext_lazy("Structure"),
        (
            "structure",
            "nom de la structure",
            "organisation",
            "organization",
            "fablab",
        ),
        False,
    ),
    _Column(
        "department",
        gettext_lazy("Département"),
        ("département", "dept", "dep", "code département", "department"),
        True,
    ),
    _Column(
        "item",
        gettext_lazy("Article"),
        ("article", "type", "produit", "type d'article", "type de produit", "item"),
        True,
    ),
    _Column(
        "quantity",
        gettext_lazy("Quantité"),
        ("quantité", "qté", "qte", "nombre", "nb", "quantity", "qty"),
        True,
    ),
    _Column(
        "cost",
        gettext_lazy("Coût matière (€)"),
        ("coût matière", "coût", "cout matiere", "coût des matières", "material cost", "cost"),
        False,
    ),
    _Column(
        "recipient",
        gettext_lazy("Livré à"),
        ("livré à", "destinataire", "bénéficiaire", "livraison", "recipient"),
        False,
    ),
    _Column(
        "kind",
        gettext_lazy("Type de structure"),
        ("type de structure", "kind", "organisation kind"),
        False,
    ),
)


@lru_cache(maxsize=1)
def _column_of_header() -> dict[str, _Column]:
    """Header → column, with each column's own label in every language of the site, so a
    spreadsheet copied from the English page is read as well as a French one."""
    found = {_words_key(h): column for column in _COLUMNS for h in column.headers}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            for column in _COLUMNS:
                found.setdefault(_words_key(str(column.label)), column)
    return found


_KIND_SYNONYMS = {
    "associative_fablab": ("fablab associatif", "associatif", "association", "associative fablab"),
    "institutional_fablab": (
        "fablab institutionnel",
        "institutionnel",
        "institutional fablab",
        "fablab universitaire",
    ),
    "sme": ("pme", "entreprise", "sme", "tpe", "societe"),
    "collective": ("collectif", "collective", "sans lieu", "collectif sans lieu"),
}


@lru_cache(maxsize=1)
def _kind_of_key() -> dict[str, str]:
    """Organisation kind as written in a spreadsheet, synonyms and labels in every language."""
    found = {
        _words_key(text): kind
        for kind, texts in _KIND_SYNONYMS.items()
        for text in (*texts, kind.replace("_", " "))
    }
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            for kind, label in Organisation.Kind.choices:
                found.setdefault(_words_key(str(label)), kind)
    return found


# --- Reading ----------------------------------------------------------------------------------


@dataclass
class _Sheet:
    header_line: int
    headers: list[str]
    rows: list[tuple[int, tuple]]


def _unreadable(message: str, *, line: int = FILE_LINE, column: str = "") -> SpreadsheetUnreadable:
    return SpreadsheetUnreadable([RowError(line, column, message)])


def _is_blank(values) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def _collect(numbered_rows) -> tuple[int, list, list[tuple[int, tuple]]]:
    """The header (first non-blank row) and the non-blank rows under it, bounded in number."""
    header_line, header, rows = 0, None, []
    for line, values in numbered_rows:
        if _is_blank(values):
            continue
        if header is None:
            header_line, header = line, list(values)
            continue
        rows.append((line, tuple(values)))
        if len(rows) > MAX_ROWS:
            raise _unreadable(
                _("Le fichier compte plus de %(max)s lignes : découpez-le en plusieurs fichiers.")
                % {"max": f"{MAX_ROWS:,}".replace(",", "\u202f")}
            )
    if header is None:
        raise _unreadable(_("Le fichier est vide."))
    return header_line, header, rows


def _not_a_spreadsheet() -> SpreadsheetUnreadable:
    return _unreadable(
        _("Ce fichier n'est pas un tableur : déposez un fichier CSV ou Excel (.xlsx).")
    )


# Text has no control character but tabs and line ends: anything else is binary content,
# whatever the file's name or announced type says.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _decode(content: bytes) -> str:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Excel's "Unicode text" export: UTF-16 with its byte order mark, tab-separated.
        try:
            text = content.decode("utf-16")
        except UnicodeDecodeError:
            raise _not_a_spreadsheet() from None
    else:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                # What Excel on Windows writes when it saves "CSV (séparateur : point-virgule)".
                text = content.decode("cp1252")
            except UnicodeDecodeError:
                raise _unreadable(
                    _(
                        "Encodage du fichier non reconnu : enregistrez-le en CSV UTF-8 "
                        "ou au format Excel (.xlsx)."
                    )
                ) from None
    if found := _CONTROL.search(text):
        line = text.count("\n", 0, found.start()) + 1
        if found.group() == "\x00":
            message = _(
                "Le fichier contient des octets nuls : ce n'est pas un texte CSV. Déposez un "
                "fichier CSV ou Excel (.xlsx)."
            )
        else:
            message = _(
                "Le fichier contient des caractères de contrôle (code %(code)s) : ce n'est pas "
                "un texte CSV. Déposez un fichier CSV ou Excel (.xlsx)."
            ) % {"code": f"{ord(found.group()):#04x}"}
        raise _unreadable(message, line=line)
    return text


def _delimiter(text: str) -> str:
    for line in text.splitlines():
        if line.strip().strip(",;\t"):
            counts = {d: line.count(d) for d in (";", "\t", ",")}
            best = max(counts, key=lambda d: counts[d])
            return best if counts[best] else ";"
    return ";"


def _read_csv(content: bytes) -> tuple[int, list, list]:
    # Cells are text, whatever they start with ("=", "+", "-", "@" included): nothing here
    # evaluates them, and the platform's exports defuse them (makers/exports.py).
    text = _decode(content)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        return _collect(enumerate(reader, start=1))
    except csv.Error as exc:
        raise _unreadable(
            _("Ligne %(line)s illisible : %(reason)s.") % {"line": reader.line_num, "reason": exc},
            line=reader.line_num,
        ) from None


# --- What a workbook may hold ------------------------------------------------------------------

# A 5 MB workbook of 50,000 plain rows unzips to about 20 MB; far more is a "zip bomb". Sizes
# are those the archive declares, and they bound the reading too: Python's zipfile never
# returns more than the declared size of a part (a lying part fails its checksum).
MAX_UNZIPPED_BYTES = 64 * 1024 * 1024
MAX_ZIP_PARTS = 1000
# An XML part's prolog is read this far when looking for a DOCTYPE.
_PROLOG_BYTES = 64 * 1024
_FIRST_ELEMENT = re.compile(rb"<[A-Za-z_]")
FORMULAS_LISTED = 20


def _has_doctype(archive: zipfile.ZipFile, part: zipfile.ZipInfo) -> bool:
    """Whether an XML part declares a DOCTYPE or entities before its first element. Office never
    writes one; entity tricks ("billion laughs", external entities) need one."""
    with archive.open(part) as stream:
        head = stream.read(_PROLOG_BYTES).replace(b"\x00", b"")  # UTF-16 parts too
    first = _FIRST_ELEMENT.search(head)
    prolog = (head if first is None else head[: first.start()]).lower()
    return b"<!doctype" in prolog or b"<!entity" in prolog


def _check_workbook(content: bytes) -> None:
    """Refuse a zip that is not a plain Excel workbook (SpreadsheetUnreadable): an OpenDocument
    file, a zip bomb, macros (.xlsm, vbaProject.bin), links to other files, embedded OLE or
    ActiveX objects, XML with a DOCTYPE. Only the archive's directory and the first bytes of
    its parts are read."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise _not_a_spreadsheet() from None
    with archive:
        parts = archive.infolist()
        if len(parts) > MAX_ZIP_PARTS or sum(p.file_size for p in parts) > MAX_UNZIPPED_BYTES:
            raise _unreadable(
                _(
                    "Ce classeur se décompresse en plus de %(max)s Mo : il est refusé par "
                    "précaution. Enregistrez la seule feuille de production en .xlsx ou en CSV."
                )
                % {"max": MAX_UNZIPPED_BYTES // (1024 * 1024)}
            )
        names = {part.filename.lower(): part for part in parts}
        try:
            if "mimetype" in names and b"opendocument" in archive.read(names["mimetype"]):
                raise _unreadable(
                    _(
                        "Les fichiers OpenDocument (.ods) ne sont pas lus : "
                        "enregistrez-le en .xlsx ou en CSV."
                    )
                )
            if "[content_types].xml" not in names or "xl/workbook.xml" not in names:
                raise _not_a_spreadsheet()
            types = archive.read(names["[content_types].xml"]).lower()
            if (
                b"macroenabled" in types
                or b"vbaproject" in types
                or any(name.endswith("vbaproject.bin") for name in names)
            ):
                raise _unreadable(
                    _(
                        "Ce classeur contient des macros : elles ne sont jamais acceptées. "
                        "Enregistrez-le au format « Classeur Excel (.xlsx) », sans macros."
                    )
                )
            if b"externallink" in types or any(
                name.startswith("xl/externallinks/") for name in names
            ):
                raise _unreadable(
                    _(
                        "Ce classeur contient des liaisons vers d'autres fichiers : rompez-les "
                        "(les valeurs restent) ou enregistrez la feuille en CSV."
                    )
                )
            if (
                b"oleobject" in types
                or b"activex" in types
                or any(name.startswith(("xl/embeddings/", "xl/activex/")) for name in names)
            ):
                raise _unreadable(
                    _(
                        "Ce classeur contient des objets incorporés (OLE, ActiveX) : "
                        "supprimez-les ou enregistrez la feuille en CSV."
                    )
                )
            if any(
                _has_doctype(archive, part)
                for name, part in names.items()
                if name.endswith((".xml", ".rels", ".vml"))
            ):
                raise _unreadable(
                    _(
                        "Ce classeur contient des déclarations XML qu'Excel n'écrit jamais "
                        "(DOCTYPE) : enregistrez-le de nouveau depuis Excel ou en CSV."
                    )
                )
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError):
            # A damaged part, an unknown compression, an encrypted part.
            logger.info("unreadable xlsx upload", exc_info=True)
            raise _unreadable(
                _(
                    "Ce classeur Excel est illisible : ouvrez-le et enregistrez-le "
                    "de nouveau en .xlsx."
                )
            ) from None


def _formulas_refused(formulas: list[tuple[int, int]], header: list | None) -> ImportRejected:
    """One error per formula cell, with its line and column (the first ones, then a count).

    Formulas are refused rather than read: the value a workbook keeps beside a formula is
    whatever the last program to save it wrote (nothing at all when a script made the file,
    anything when someone forges it), and the formula's text is not a figure. Pasting the
    values is one action in Excel, and the person sees what will be imported."""
    from openpyxl.utils import get_column_letter

    errors = []
    for line, index in formulas[:FORMULAS_LISTED]:
        letter = get_column_letter(index + 1)
        heading = _clean(header[index]) if header and index < len(header) else ""
        errors.append(
            RowError(
                line,
                heading or letter,
                _(
                    "La cellule %(cell)s contient une formule : seules des valeurs sont "
                    "importées. Copiez la feuille puis « Collage spécial › Valeurs », ou "
                    "enregistrez-la en CSV."
                )
                % {"cell": f"{letter}{line}"},
            )
        )
    more = len(formulas) - FORMULAS_LISTED
    if more > 0:
        errors.append(
            RowError(
                FILE_LINE,
                "",
                ngettext(
                    "Et %(count)d autre cellule contient une formule.",
                    "Et %(count)d autres cellules contiennent une formule.",
                    more,
                )
                % {"count": more},
            )
        )
    return ImportRejected(errors)


def _read_xlsx(content: bytes) -> tuple[int, list, list]:
    import openpyxl  # imported here: only an XLSX upload pays for loading it

    try:
        # data_only=False: formula cells show as formulas, so they can be refused.
        workbook = openpyxl.load_workbook(
            io.BytesIO(content), read_only=True, data_only=False, keep_links=False
        )
    except Exception:
        # Anything may go wrong inside a foreign zip (missing parts, bad XML): one answer.
        logger.info("unreadable xlsx upload", exc_info=True)
        raise _unreadable(
            _("Ce classeur Excel est illisible : ouvrez-le et enregistrez-le de nouveau en .xlsx.")
        ) from None
    formulas: list[tuple[int, int]] = []

    def numbered_rows(sheet):
        for line, cells in enumerate(sheet.iter_rows(min_row=1), start=1):
            values = []
            for index, cell in enumerate(cells):
                if cell.data_type == "f":
                    formulas.append((line, index))
                values.append(cell.value)
            yield line, tuple(values)

    try:
        if not workbook.worksheets:
            raise _unreadable(_("Le classeur ne contient aucune feuille."))
        header_line, header, rows = _collect(numbered_rows(workbook.worksheets[0]))
    except SpreadsheetUnreadable:
        raise
    except Exception:
        # read_only mode parses the sheet while we iterate: a broken sheet fails here.
        logger.info("unreadable xlsx worksheet", exc_info=True)
        raise _unreadable(
            _("Ce classeur Excel est illisible : ouvrez-le et enregistrez-le de nouveau en .xlsx.")
        ) from None
    finally:
        workbook.close()
    if formulas:
        raise _formulas_refused(formulas, header)
    return header_line, header, rows


_BINARY_SIGNATURES = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"{\\rtf", b"\x1f\x8b")


def _read(content: bytes) -> _Sheet:
    """Parse the file into its header and rows; raise SpreadsheetUnreadable for anything else.

    The format is recognised from the bytes, whatever the file's name or announced type says:
    an Excel workbook is a zip holding [Content_Types].xml and xl/workbook.xml and nothing
    active (see _check_workbook); a CSV is text that decodes, without NUL or other control
    characters. Everything else is refused.
    """
    if len(content) > MAX_FILE_BYTES:
        raise _unreadable(
            _("Le fichier dépasse %(max)s Mo : découpez-le en plusieurs fichiers.")
            % {"max": MAX_FILE_BYTES // (1024 * 1024)}
        )
    if not content.strip():
        raise _unreadable(_("Le fichier est vide."))
    if content.startswith(b"PK\x03\x04"):
        _check_workbook(content)
        header_line, header, rows = _read_xlsx(content)
    elif content.startswith(b"\xd0\xcf\x11\xe0"):
        raise _unreadable(
            _(
                "L'ancien format Excel (.xls) n'est pas lu : "
                "enregistrez le fichier en .xlsx ou en CSV."
            )
        )
    elif content.startswith(_BINARY_SIGNATURES):
        raise _not_a_spreadsheet()
    else:
        header_line, header, rows = _read_csv(content)
    headers = [_clean(h) for h in header]
    return _Sheet(header_line=header_line, headers=headers, rows=rows)


def _map_columns(sheet: _Sheet) -> tuple[dict[str, int], list[str]]:
    """Which file column holds each field; headers nobody asked for are listed, not refused."""
    indexes: dict[str, int] = {}
    ignored: list[str] = []
    errors: list[RowError] = []
    for index, header in enumerate(sheet.headers):
        if not header:
            continue
        column = _column_of_header().get(_words_key(header))
        if column is None:
            ignored.append(header)
        elif column.key in indexes:
            errors.append(
                RowError(
                    sheet.header_line,
                    header,
                    _("Colonne en double : « %(first)s » et « %(second)s » disent la même chose.")
                    % {"first": sheet.headers[indexes[column.key]], "second": header},
                )
            )
        else:
            indexes[column.key] = index
    for column in _COLUMNS:
        if column.required and column.key not in indexes:
            errors.append(
                RowError(
                    sheet.header_line or 1,
                    str(column.label),
                    _(
                        "Colonne obligatoire absente : « %(label)s » "
                        "(en-têtes reconnus : %(headers)s)."
                    )
                    % {"label": column.label, "headers": ", ".join(column.headers)},
                )
            )
    if errors:
        raise SpreadsheetUnreadable(errors)
    if not sheet.rows:
        raise _unreadable(
            _("Le fichier ne contient aucune ligne sous ses en-têtes."), line=sheet.header_line
        )
    return indexes, ignored


# --- Validating one row ------------------------------------------------------------------------


class _CellInvalid(ValueError):
    pass


_DMY = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?")
_YMD = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
# Excel serial day numbers a date cell may show as when its format was lost (1 = 1900-01-01).
_EXCEL_SERIALS = range(1, 2958466)


def _parse_date(value, *, today: date) -> date:
    if isinstance(value, datetime):
        produced_on = value.date()
    elif isinstance(value, date):
        produced_on = value
    elif isinstance(value, int | float) and not isinstance(value, bool) and value in _EXCEL_SERIALS:
        from openpyxl.utils.datetime import from_excel

        produced_on = from_excel(value).date()
    else:
        text = _clean(value)
        if not text:
            raise _CellInvalid(_("Date manquante."))
        if match := _DMY.fullmatch(text):
            day, month, year = (int(g) for g in match.groups())
            if year < 100:
                year += 2000
        elif match := _YMD.fullmatch(text):
            year, month, day = (int(g) for g in match.groups())
        else:
            raise _CellInvalid(
                _("Date illisible : « %(value)s » (attendu : jj/mm/aaaa).") % {"value": text}
            )
        try:
            produced_on = date(year, month, day)
        except ValueError:
            raise _CellInvalid(
                _("Date impossible : le « %(value)s » n'existe pas.") % {"value": text}
            ) from None
    if produced_on > today:
        raise _CellInvalid(
            _("Date dans le futur : %(date)s (nous sommes le %(today)s).")
            % {"date": f"{produced_on:%d/%m/%Y}", "today": f"{today:%d/%m/%Y}"}
        )
    if produced_on < FIRST_PRODUCTION_DAY:
        raise _CellInvalid(
            _("Date trop ancienne : %(date)s (la production se déclare depuis le 01/01/2020).")
            % {"date": f"{produced_on:%d/%m/%Y}"}
        )
    return produced_on


def _parse_quantity(value) -> int:
    text = _numeric_text(value)
    if not text:
        raise _CellInvalid(_("Quantité manquante."))
    try:
        quantity = parse_whole_number(text)
    except BadInput as exc:
        raise _CellInvalid(_("Quantité illisible : %(reason)s.") % {"reason": exc}) from None
    if quantity < 1:
        raise _CellInvalid(
            _("Quantité négative ou nulle : « %(value)s » (attendu : de 1 à 100 000).")
            % {"value": text}
        )
    if quantity > MAX_QUANTITY:
        raise _CellInvalid(
            _("Quantité trop grande : « %(value)s » (100 000 au plus par ligne).") % {"value": text}
        )
    return quantity


def _parse_cost(value) -> int:
    text = _numeric_text(value)
    if not text:
        return 0
    try:
        if parse_decimal(text) < 0:
            raise _CellInvalid(_("Coût matière négatif : « %(value)s ».") % {"value": text})
        return parse_euros(text)
    except BadInput as exc:
        raise _CellInvalid(_("Coût matière illisible : %(reason)s.") % {"reason": exc}) from None


class _Catalogue:
    """Active items, findable by any name a spreadsheet may use for them."""

    def __init__(self):
        self.items = list(item_types_active())
        self.by_key: dict[str, ItemType] = {}
        # Slugs and full names first: a unit or alias shared by two items never hides a name.
        for item in self.items:
            for text in (item.slug, item.name_fr, item.name_en):
                self.by_key.setdefault(_words_key(text), item)
        for item in self.items:
            for text in (item.unit_fr, item.unit_en, *item.aliases.split(",")):
                if text.strip():
                    self.by_key.setdefault(_words_key(text), item)

    def find(self, text: str) -> ItemType:
        item = self.by_key.get(_words_key(text))
        if item is None:
            raise _CellInvalid(
                _("Article inconnu : « %(value)s ». Articles reconnus : %(known)s.")
                % {"value": text, "known": ", ".join(item.name for item in self.items)}
            )
        return item


class _Departments:
    def __init__(self, *, by: User):
        self.all = {d.code: d for d in Department.objects.order_by("code")}
        self.by_key = {_compact_key(d.name): d for d in self.all.values()}
        self.covered = set(departments_covered_by(by).values_list("code", flat=True))

    def find(self, value) -> Department:
        text = _clean(value)
        if not text:
            raise _CellInvalid(_("Département manquant."))
        code = text
        # "35", "035", "35 - Ille-et-Vilaine", "Ille-et-Vilaine (35)": the digits are the code.
        digits = re.findall(r"\d+", text)
        if len(digits) == 1:
            code = digits[0].lstrip("0").zfill(2)
        department = self.all.get(code) or self.by_key.get(_compact_key(text))
        if department is None:
            raise _CellInvalid(
                _(
                    "Département hors de la région (« %(value)s ») : "
                    "départements acceptés %(known)s."
                )
                % {"value": text, "known": ", ".join(self.all)}
            )
        if department.code not in self.covered:
            raise _CellInvalid(
                _(
                    "%(name)s (%(code)s) n'est pas un département de votre relais "
                    "(vous couvrez : %(covered)s)."
                )
                % {
                    "name": department.name,
                    "code": department.code,
                    "covered": ", ".join(sorted(self.covered)) or "—",
                }
            )
        return department


@dataclass
class _Row:
    line: int
    produced_on: date
    maker: str
    department: Department
    organisation: str
    kind: str | None
    item: ItemType
    quantity: int
    material_cost_cents: int
    recipient: str

    @property
    def import_key(self) -> str:
        parts = (
            self.produced_on.isoformat(),
            _name_key(self.maker),
            self.department.code,
            _name_key(self.organisation),
            self.item.slug,
            str(self.quantity),
            str(self.material_cost_cents),
            _name_key(self.recipient),
        )
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _text_field(value, *, max_length: int, label: str, required: bool) -> str:
    text = _clean(value)
    if required and not text:
        raise _CellInvalid(_("%(label)s manquant.") % {"label": label})
    if len(text) > max_length:
        raise _CellInvalid(
            _("%(label)s trop long : %(max)s caractères au plus.")
            % {"label": label, "max": max_length}
        )
    return text


def _validate_rows(
    sheet: _Sheet, indexes: dict[str, int], *, by: User, now: datetime
) -> list[_Row]:
    """Every row checked, every problem collected; raise ImportRejected if there is any."""
    today = timezone.localdate(now)
    catalogue = _Catalogue()
    departments = _Departments(by=by)
    errors: list[RowError] = []
    rows: list[_Row] = []
    kind_index = indexes.get("kind")

    # Labels translated once, not once per row: gettext shows up in a 10,000-row profile.
    maker_label, organisation_label = _("Nom du maker"), _("Nom de structure")
    item_label, recipient_label = _("Article"), _("Destinataire")
    parsers = {
        "date": lambda v: _parse_date(v, today=today),
        "maker": lambda v: _text_field(v, max_length=150, label=maker_label, required=True),
        "organisation": lambda v: _text_field(
            v, max_length=200, label=organisation_label, required=False
        ),
        "department": departments.find,
        "item": lambda v: catalogue.find(
            _text_field(v, max_length=200, label=item_label, required=True)
        ),
        "quantity": _parse_quantity,
        "cost": _parse_cost,
        "recipient": lambda v: _text_field(
            v, max_length=200, label=recipient_label, required=False
        ),
    }
    defaults = {"organisation": "", "cost": 0, "recipient": ""}
    for line, values in sheet.rows:
        parsed = {}
        row_ok = True
        for key, parse in parsers.items():
            index = indexes.get(key)
            if index is None:
                parsed[key] = defaults[key]
                continue
            try:
                parsed[key] = parse(values[index] if index < len(values) else None)
            except _CellInvalid as exc:
                row_ok = False
                errors.append(RowError(line, sheet.headers[index], str(exc)))
        if not row_ok:
            continue
        kind = None
        if kind_index is not None and kind_index < len(values):
            kind = _kind_of_key().get(_words_key(_clean(values[kind_index])))
        rows.append(
            _Row(
                line=line,
                produced_on=parsed["date"],
                maker=parsed["maker"],
                department=parsed["department"],
                organisation=parsed["organisation"],
                kind=kind,
                item=parsed["item"],
                quantity=parsed["quantity"],
                material_cost_cents=parsed["cost"],
                recipient=parsed["recipient"],
            )
        )
    if errors:
        raise ImportRejected(errors)
    return rows


# --- Planning ----------------------------------------------------------------------------------


def _kind_guess(name: str) -> str:
    words = _name_key(name).replace("-", " ").split()
    if any("fablab" in w or w.startswith("lab") or w.endswith("lab") for w in words):
        return Organisation.Kind.ASSOCIATIVE_FABLAB
    return Organisation.Kind.COLLECTIVE


def _existing_keys(keys: list[str]) -> set[str]:
    found: set[str] = set()
    # Chunked: one IN list per 2,000 keys stays under every backend's parameter limit.
    for start in range(0, len(keys), 2000):
        chunk = keys[start : start + 2000]
        found.update(
            ProductionReport.objects.filter(import_key__in=chunk).values_list(
                "import_key", flat=True
            )
        )
    return found


def _plan(sheet: _Sheet, *, filename: str, by: User, now: datetime) -> ImportPlan:
    indexes, ignored = _map_columns(sheet)
    rows = _validate_rows(sheet, indexes, by=by, now=now)
    plan = ImportPlan(filename=filename, ignored_columns=ignored)

    keyed = [(row, row.import_key) for row in rows]
    first_line_of: dict[str, int] = {}
    fresh: list[tuple[_Row, str]] = []
    for row, key in keyed:
        if key in first_line_of:
            plan.duplicates.append((row.line, first_line_of[key]))
        else:
            first_line_of[key] = row.line
            fresh.append((row, key))
    existing = _existing_keys([key for _row, key in fresh])
    to_create = []
    for row, key in fresh:
        if key in existing:
            plan.already_there.append(row.line)
        else:
            to_create.append((row, key))

    department_codes = {row.department.code for row, _key in to_create}
    makers: dict[tuple[str, str], int] = {}
    for pk, name, code in (
        Maker.objects.filter(department_id__in=department_codes)
        .order_by("pk")
        .values_list("pk", "display_name", "department_id")
    ):
        makers.setdefault((_name_key(name), code), pk)
    organisations: dict[str, int] = {}
    if any(row.organisation for row, _key in to_create):
        for pk, name in Organisation.objects.order_by("pk").values_list("pk", "name"):
            organisations.setdefault(_name_key(name), pk)

    new_makers: dict[tuple[str, str], PlannedMaker] = {}
    new_organisations: dict[str, PlannedOrganisation] = {}
    kind_given: set[str] = set()  # new organisations whose kind a row stated (the first wins)
    pairs: set[tuple] = set()
    for row, key in to_create:
        maker_ref = (_name_key(row.maker), row.department.code)
        maker_id = makers.get(maker_ref)
        if maker_id is None and maker_ref not in new_makers:
            new_makers[maker_ref] = PlannedMaker(row.maker, row.department.code)
        organisation_ref = _name_key(row.organisation)
        organisation_id = organisations.get(organisation_ref) if row.organisation else None
        if row.organisation and organisation_id is None:
            planned = new_organisations.get(organisation_ref)
            if planned is None:
                new_organisations[organisation_ref] = PlannedOrganisation(
                    row.organisation, row.kind or _kind_guess(row.organisation), row.department.code
                )
            elif row.kind and organisation_ref not in kind_given:
                planned.kind = row.kind
            if row.kind:
                kind_given.add(organisation_ref)
        if row.organisation:
            pairs.add((maker_id or maker_ref, organisation_id or organisation_ref))
        plan.rows.append(
            PlannedRow(
                line=row.line,
                produced_on=row.produced_on,
                maker=new_makers[maker_ref].display_name if maker_id is None else row.maker,
                maker_id=maker_id,
                organisation=(
                    new_organisations[organisation_ref].name
                    if row.organisation and organisation_id is None
                    else row.organisation
                ),
                organisation_id=organisation_id,
                department=row.department.code,
                department_name=row.department.name,
                item=row.item,
                quantity=row.quantity,
                material_cost_cents=row.material_cost_cents,
                recipient=row.recipient,
                import_key=key,
                maker_ref=maker_ref,
                organisation_ref=organisation_ref,
            )
        )
    existing_pairs = set(
        Membership.objects.filter(
            maker_id__in={m for m, _o in pairs if isinstance(m, int)},
            organisation_id__in={o for _m, o in pairs if isinstance(o, int)},
        ).values_list("maker_id", "organisation_id")
    )
    plan.memberships_to_create = sorted(
        (pair for pair in pairs if pair not in existing_pairs), key=repr
    )
    plan.makers_to_create = list(new_makers.values())
    plan.organisations_to_create = list(new_organisations.values())
    return plan


# --- Applying ----------------------------------------------------------------------------------


def _unique_slugs(names: list[str]) -> list[str]:
    bases = [slugify(name)[:180] or "organisation" for name in names]
    taken = set()
    for base in set(bases):
        taken.update(
            Organisation.objects.filter(slug__startswith=base).values_list("slug", flat=True)
        )
    slugs = []
    for base in bases:
        slug, suffix = base, 2
        while slug in taken:
            slug, suffix = f"{base}-{suffix}", suffix + 1
        taken.add(slug)
        slugs.append(slug)
    return slugs


def _write(plan: ImportPlan, *, batch: ProductionImport, by: User, now: datetime) -> None:
    """Insert what the plan lists, in bulk. Call inside the transaction that planned it."""
    maker_objects = [
        Maker(display_name=m.display_name, department_id=m.department)
        for m in plan.makers_to_create
    ]
    Maker.objects.bulk_create(maker_objects, batch_size=BULK_BATCH_SIZE)
    maker_ids = {
        (_name_key(m.display_name), m.department): obj.pk
        for m, obj in zip(plan.makers_to_create, maker_objects, strict=True)
    }
    organisation_objects = [
        Organisation(
            name=o.name,
            slug=slug,
            kind=o.kind,
            department_id=o.department,
            # Nobody chose to list it: it joins the public directory only when someone opts in.
            is_public=False,
        )
        for o, slug in zip(
            plan.organisations_to_create,
            _unique_slugs([o.name for o in plan.organisations_to_create]),
            strict=True,
        )
    ]
    Organisation.objects.bulk_create(organisation_objects, batch_size=BULK_BATCH_SIZE)
    organisation_ids = {
        _name_key(o.name): obj.pk
        for o, obj in zip(plan.organisations_to_create, organisation_objects, strict=True)
    }

    def maker_pk(ref):
        return ref if isinstance(ref, int) else maker_ids[ref]

    def organisation_pk(ref):
        return ref if isinstance(ref, int) else organisation_ids[ref]

    Membership.objects.bulk_create(
        [
            Membership(maker_id=maker_pk(m), organisation_id=organisation_pk(o))
            for m, o in plan.memberships_to_create
        ],
        batch_size=BULK_BATCH_SIZE,
    )
    reports = []
    for row in plan.rows:
        row.maker_id = row.maker_id or maker_ids[row.maker_ref]
        if row.organisation:
            row.organisation_id = row.organisation_id or organisation_ids[row.organisation_ref]
        reports.append(
            ProductionReport(
                maker_id=row.maker_id,
                organisation_id=row.organisation_id,
                department_id=row.department,
                item_type=row.item,
                quantity=row.quantity,
                produced_on=row.produced_on,
                material_cost_cents=row.material_cost_cents,
                recipient=row.recipient,
                status=ProductionReport.Status.SUBMITTED,
                source=ProductionReport.Source.IMPORT,
                entered_by=by,
                entered_at=now,
                updated_at=now,
                import_batch=batch,
                import_key=row.import_key,
            )
        )
    ProductionReport.objects.bulk_create(reports, batch_size=BULK_BATCH_SIZE)


# --- Services ----------------------------------------------------------------------------------


def production_import_preview(
    *, content: bytes, filename: str, by: User, now: datetime
) -> ImportPlan:
    """What importing `content` would do for `by`, writing nothing.

    Raises ImportRejected (SpreadsheetUnreadable for the file as a whole) listing every bad row
    with its line, column and reason. Rows already imported, or repeated in the file, are listed
    in the plan, not refused.
    """
    sheet = _read(content)
    return _plan(sheet, filename=filename, by=by, now=now)


def production_import_upload(
    *, content: bytes, filename: str, by: User, now: datetime
) -> ProductionImport:
    """Keep an uploaded file for its preview and confirmation (the browser flow).

    Raises SpreadsheetUnreadable when the file as a whole cannot be read (format, size,
    encoding, missing columns); bad rows are left for the preview to show.
    """
    _map_columns(_read(content))
    return ProductionImport.objects.create(
        created_by=by,
        created_at=now,
        filename=filename[:255],
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
    )


def production_import_apply(
    *,
    content: bytes,
    filename: str,
    by: User,
    now: datetime,
    batch: ProductionImport | None = None,
) -> ImportPlan:
    """Import every row of `content`, or none of them, in one transaction.

    The rows are validated again against the database as it is now. Creates the missing makers
    (without login), organisations and memberships, then the reports (submitted, source
    "import", entered by `by`). Rows already imported or repeated in the file are skipped and
    listed. `batch` is the stored upload being confirmed: it is claimed first, so a double
    click imports once (ImportAlreadyConfirmed); without it a confirmed batch is recorded.
    Raises ImportRejected (nothing written) and ImportConflict (a simultaneous import of the
    same rows won; nothing written). A decision "import" is recorded on the batch.
    """
    sheet = _read(content)
    digest = hashlib.sha256(content).hexdigest()
    try:
        with transaction.atomic():
            if batch is not None:
                # The conditional UPDATE is the claim: of two confirmations, one updates a row.
                claimed = ProductionImport.objects.filter(
                    pk=batch.pk, status=ProductionImport.Status.PREVIEWED
                ).update(status=ProductionImport.Status.CONFIRMED, confirmed_at=now)
                if claimed != 1:
                    raise ImportAlreadyConfirmed(_("Cet import a déjà été confirmé."))
            else:
                batch = ProductionImport.objects.create(
                    created_by=by,
                    created_at=now,
                    filename=filename[:255],
                    content=content,
                    sha256=digest,
                    status=ProductionImport.Status.CONFIRMED,
                    confirmed_at=now,
                )
            plan = _plan(sheet, filename=filename, by=by, now=now)
            _write(plan, batch=batch, by=by, now=now)
            plan.import_id = batch.pk
            plan.imported = True
            summary = plan.summary()
            ProductionImport.objects.filter(pk=batch.pk).update(summary=summary)
            decision_record(
                actor=by,
                subject=batch,
                action="import",
                now=now,
                from_state=ProductionImport.Status.PREVIEWED,
                to_state=ProductionImport.Status.CONFIRMED,
                data={"filename": filename, "sha256": digest, **summary["counts"]},
            )
    except IntegrityError as exc:
        # The unique import_key (or an organisation's slug) was taken between our check and our
        # insert: another import of the same rows committed first.
        logger.warning("import of %s lost a race", filename, exc_info=True)
        raise ImportConflict(
            _(
                "Un autre import des mêmes lignes vient d'aboutir : rien n'a été importé. "
                "Relancez l'aperçu pour voir ce qui reste à importer."
            )
        ) from exc
    return plan


def production_import_confirm(*, batch: ProductionImport, by: User, now: datetime) -> ImportPlan:
    """Apply a stored upload (see production_import_apply); the caller checked it is theirs."""
    return production_import_apply(
        content=bytes(batch.content), filename=batch.filename, by=by, now=now, batch=batch
    )
