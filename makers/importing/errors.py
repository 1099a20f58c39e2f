"""What an import refuses and why, each refusal declared once (code, kind, message): the file as
a whole, each bad cell, and the import itself (tilab/errors.py).

A refused import is one refusal of bad input, code "import_rejected", carrying every problem as
a line of its own (`RowError`: line, column, and the refusal of that cell or of the file, with
its code). The API answers its lines under "errors"; the pages list them.
"""

import functools
from dataclasses import dataclass, replace

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from tilab.errors import BadInput, Code, Refusal, WrongState

from .normalise import words_key

# Line 0 stands for the file as a whole (unreadable, too big…), 1 is the header row.
FILE_LINE = 0

# --- The file as a whole (reading.py, workbook_checks.py) ---------------------------------------

FILE_TOO_BIG = Code(
    "file_too_big",
    BadInput,
    _("Le fichier dépasse %(max)s Mo : découpez-le en plusieurs fichiers."),
)
FILE_EMPTY = Code("file_empty", BadInput, _("Le fichier est vide."))
FILE_TOO_LONG = Code(
    "file_too_long",
    BadInput,
    _("Le fichier compte plus de %(max)s lignes : découpez-le en plusieurs fichiers."),
)
# `looks_like`: what the bytes look like instead ("un PDF", "une image PNG", "une archive zip").
NOT_A_SPREADSHEET = Code(
    "not_a_spreadsheet",
    BadInput,
    _(
        "Ce fichier n'est pas un tableur (il ressemble à %(looks_like)s) : déposez un fichier "
        "CSV, Excel (.xlsx, .xls) ou OpenDocument (.ods)."
    ),
)
ENCODING_UNKNOWN = Code(
    "encoding_unknown",
    BadInput,
    _(
        "Encodage du fichier non reconnu (lu comme un CSV) : enregistrez-le en CSV UTF-8, "
        "en Excel (.xlsx) ou en OpenDocument (.ods)."
    ),
)
NUL_BYTES = Code(
    "nul_bytes",
    BadInput,
    _(
        "Le fichier contient des octets nuls : ce n'est pas un texte CSV. Déposez un "
        "fichier CSV, Excel (.xlsx, .xls) ou OpenDocument (.ods)."
    ),
)
CONTROL_CHARACTERS = Code(
    "control_characters",
    BadInput,
    _(
        "Le fichier contient des caractères de contrôle (code %(code)s) : ce n'est pas "
        "un texte CSV. Déposez un fichier CSV, Excel (.xlsx, .xls) ou OpenDocument (.ods)."
    ),
)
LINE_UNREADABLE = Code("line_unreadable", BadInput, _("Ligne %(line)s illisible : %(reason)s."))
# `format`: the format the bytes announce ("Excel (.xlsx)", "OpenDocument (.ods)"…).
WORKBOOK_UNREADABLE = Code(
    "workbook_unreadable",
    BadInput,
    _(
        "Ce fichier ressemble à un classeur %(format)s, mais il est illisible : ouvrez-le "
        "dans votre tableur et enregistrez-le de nouveau (.xlsx, .ods ou CSV)."
    ),
)
WORKBOOK_WITHOUT_SHEET = Code(
    "workbook_without_sheet", BadInput, _("Le classeur ne contient aucune feuille.")
)
WORKBOOK_ONLY_HIDDEN_SHEETS = Code(
    "workbook_only_hidden_sheets",
    BadInput,
    _(
        "Toutes les feuilles du classeur sont masquées (%(sheets)s) : rien de ce qui est "
        "masqué n'est importé. Affichez la feuille à importer, puis déposez le fichier."
    ),
)
WORKBOOK_TOO_BIG = Code(
    "workbook_too_big",
    BadInput,
    _(
        "Ce classeur se décompresse en plus de %(max)s Mo : il est refusé par "
        "précaution. Enregistrez la seule feuille de production en .xlsx, .ods ou CSV."
    ),
)
WORKBOOK_MACROS = Code(
    "workbook_macros",
    BadInput,
    _(
        "Ce classeur contient des macros : elles ne sont jamais acceptées. "
        "Enregistrez-le sans macros (« Classeur Excel (.xlsx) » ou « .ods »)."
    ),
)
WORKBOOK_EXTERNAL_LINKS = Code(
    "workbook_external_links",
    BadInput,
    _(
        "Ce classeur contient des liaisons vers d'autres fichiers : rompez-les "
        "(les valeurs restent) ou enregistrez la feuille en CSV."
    ),
)
WORKBOOK_EMBEDDED_OBJECTS = Code(
    "workbook_embedded_objects",
    BadInput,
    _(
        "Ce classeur contient des objets incorporés (OLE, ActiveX) : "
        "supprimez-les ou enregistrez la feuille en CSV."
    ),
)
WORKBOOK_DOCTYPE = Code(
    "workbook_doctype",
    BadInput,
    _(
        "Ce classeur contient des déclarations XML qu'aucun tableur n'écrit "
        "(DOCTYPE, ENTITY) : enregistrez-le de nouveau depuis votre tableur ou en CSV."
    ),
)
CELL_FORMULA = Code(
    "cell_formula",
    BadInput,
    _(
        "La cellule %(cell)s contient une formule (%(formula)s) dont le fichier ne garde "
        "aucune valeur calculée. Ouvrez-le dans votre tableur et enregistrez-le de "
        "nouveau (la valeur est alors gardée), ou copiez la feuille puis « Collage "
        "spécial › Valeurs »."
    ),
)
MORE_FORMULAS = Code(
    "more_formulas",
    BadInput,
    ngettext_lazy(
        "Et %(count)d autre cellule contient une formule sans valeur calculée.",
        "Et %(count)d autres cellules contiennent une formule sans valeur calculée.",
        "count",
    ),
)

# --- Its columns (columns.py) ------------------------------------------------------------------

COLUMN_TWICE = Code(
    "column_twice",
    BadInput,
    _("Colonne en double : « %(first)s » et « %(second)s » disent la même chose."),
)
COLUMN_MISSING = Code(
    "column_missing",
    BadInput,
    _("Colonne obligatoire absente : « %(label)s » (en-têtes reconnus : %(headers)s)."),
)
# `searched`: the sheets and rows read; `best`: the closest row; `missing`: its missing columns.
HEADER_NOT_FOUND = Code(
    "header_not_found",
    BadInput,
    _(
        "Ligne d'en-têtes introuvable : lu %(searched)s. La ligne la plus proche (%(best)s) "
        "n'a pas les colonnes obligatoires %(missing)s. Attendu : une ligne d'en-têtes "
        "Date, Nom du maker, Département, Article, Quantité."
    ),
)
NO_ROWS = Code("no_rows", BadInput, _("Le fichier ne contient aucune ligne sous ses en-têtes."))

# --- Its cells (checking.py) -------------------------------------------------------------------

CELL_MISSING = Code("cell_missing", BadInput, _("%(label)s manquant."))
CELL_TOO_LONG = Code(
    "cell_too_long", BadInput, _("%(label)s trop long : %(max)s caractères au plus.")
)
DATE_MISSING = Code("date_missing", BadInput, _("Date manquante."))
DATE_UNREADABLE = Code(
    "date_unreadable", BadInput, _("Date illisible : « %(value)s » (attendu : jj/mm/aaaa).")
)
DATE_IMPOSSIBLE = Code(
    "date_impossible", BadInput, _("Date impossible : le « %(value)s » n'existe pas.")
)
DATE_IN_FUTURE = Code(
    "date_in_future",
    BadInput,
    _("Date dans le futur : %(date)s (nous sommes le %(today)s)."),
)
DATE_TOO_EARLY = Code(
    "date_too_early",
    BadInput,
    _("Date trop ancienne : %(date)s (la production se déclare depuis le 01/01/2020)."),
)
# The file's own conventions (conventions.py): a cell written against the order or the mark the
# rest of the file proves, or against the importer's choice. `order`/`mark` name the one read.
DATE_ORDER_MIXED = Code(
    "date_order_mixed",
    BadInput,
    _(
        "Date « %(value)s » écrite %(written)s, alors que le reste du fichier écrit les dates "
        "%(order)s (ligne %(line)s : %(example)s) : corrigez la ligne."
    ),
)
DATE_AGAINST_CHOICE = Code(
    "date_against_choice",
    BadInput,
    _(
        "Date « %(value)s » impossible lue %(order)s, l'ordre choisi : elle est écrite "
        "%(written)s. Changez l'ordre des dates dans l'aperçu, ou corrigez la ligne."
    ),
)
NUMBER_MARK_MIXED = Code(
    "number_mark_mixed",
    BadInput,
    _(
        "Nombre « %(value)s » écrit avec %(written)s, alors que le reste du fichier "
        "utilise %(mark)s (ligne %(line)s : %(example)s) : corrigez la ligne."
    ),
)
NUMBER_AGAINST_CHOICE = Code(
    "number_against_choice",
    BadInput,
    _(
        "Nombre « %(value)s » écrit avec %(written)s, alors que vous avez choisi "
        "%(mark)s. Changez le séparateur décimal dans l'aperçu, ou corrigez la ligne."
    ),
)
QUANTITY_MISSING = Code("quantity_missing", BadInput, _("Quantité manquante."))
# `reason`: the refusal of the number as typed (tilab/errors.py: not_a_number…).
QUANTITY_UNREADABLE = Code("quantity_unreadable", BadInput, _("Quantité illisible : %(reason)s."))
QUANTITY_NOT_POSITIVE = Code(
    "quantity_not_positive",
    BadInput,
    _("Quantité négative ou nulle : « %(value)s » (attendu : de 1 à 100 000)."),
)
QUANTITY_TOO_LARGE = Code(
    "quantity_too_large",
    BadInput,
    _("Quantité trop grande : « %(value)s » (100 000 au plus par ligne)."),
)
COST_NEGATIVE = Code("cost_negative", BadInput, _("Coût matière négatif : « %(value)s »."))
COST_UNREADABLE = Code("cost_unreadable", BadInput, _("Coût matière illisible : %(reason)s."))
ITEM_UNKNOWN = Code(
    "item_unknown",
    BadInput,
    _("Article inconnu : « %(value)s ». Articles reconnus : %(known)s."),
)
ITEM_AMBIGUOUS = Code(
    "item_ambiguous",
    BadInput,
    _("Article ambigu : « %(value)s » peut désigner %(candidates)s."),
)
# Codes of an item name the preview offers to map to the catalogue (ImportRejected.unknown_items).
ITEM_NAME_CODES = frozenset({ITEM_UNKNOWN.code, ITEM_AMBIGUOUS.code})
DEPARTMENT_MISSING = Code("department_missing", BadInput, _("Département manquant."))
DEPARTMENT_OUTSIDE_REGION = Code(
    "department_outside_region",
    BadInput,
    _("Département hors de la région (« %(value)s ») : départements acceptés %(known)s."),
)

# A department the region knows but no relay covers: nobody could decide its lines.
DEPARTMENT_WITHOUT_RELAY = Code(
    "department_without_relay",
    BadInput,
    _(
        "%(name)s (%(code)s) n'est couvert par aucun relais : personne ne pourrait valider "
        "cette ligne. Retirez-la du fichier, ou demandez à la Région d'attribuer ce département "
        "à un relais."
    ),
)
# The choice a relay makes in the preview of a file holding lines of other relays' departments.
OTHER_DEPARTMENTS_CHOICE = Code(
    "other_departments_choice",
    BadInput,
    ngettext_lazy(
        "%(count)d ligne concerne des départements que votre relais ne couvre pas "
        "(%(departments)s) : importez vos lignes et transmettez les autres aux relais qui "
        "les couvrent, ou refusez ce fichier.",
        "%(count)d lignes concernent des départements que votre relais ne couvre pas "
        "(%(departments)s) : importez vos lignes et transmettez les autres aux relais qui "
        "les couvrent, ou refusez ce fichier.",
        "count",
    ),
)

# --- The import itself -------------------------------------------------------------------------

IMPORT_REJECTED = Code(
    "import_rejected",
    BadInput,
    ngettext_lazy(
        "%(count)d ligne est à corriger : rien n'a été importé.",
        "%(count)d lignes sont à corriger : rien n'a été importé.",
        "count",
    ),
)
# The same refusal, when the file itself is refused for several reasons.
FILE_REJECTED = Code(
    "import_rejected", BadInput, _("Ce fichier ne peut pas être importé : %(reasons)s")
)
IMPORT_ALREADY_CONFIRMED = Code(
    "import_already_confirmed",
    WrongState,
    _("Cet import était déjà confirmé : rien n'a été importé une seconde fois."),
)
IMPORT_CHOICE_NEEDED = Code(
    "import_choice_needed",
    BadInput,
    _("Le fichier laisse un choix ouvert, faites-le dans l'aperçu avant d'importer : %(choices)s"),
)
IMPORT_ALREADY_REFUSED = Code(
    "import_already_refused",
    WrongState,
    _("Ce fichier a déjà été importé ou refusé : il ne peut plus être refusé."),
)
IMPORT_CONFLICT = Code(
    "import_conflict",
    WrongState,
    _(
        "Un autre import des mêmes lignes vient d'aboutir : rien n'a été importé. "
        "Relancez l'aperçu pour voir ce qui reste à importer."
    ),
)


@dataclass(frozen=True)
class RowError:
    """What is wrong, where: the file's line number, the column as headed in the file, and the
    refusal of that cell (or of the file) saying why, with its code; in a workbook, the sheet
    the line belongs to."""

    line: int
    column: str
    refusal: Refusal
    sheet: str | None = None

    @property
    def code(self) -> str:
        return self.refusal.code

    @property
    def message(self) -> str:
        return self.refusal.message

    def as_dict(self) -> dict:
        return {
            "sheet": self.sheet,
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "message": self.message,
        }


class ImportRejected(BadInput):
    """The file cannot be imported as it is; `errors` lists every problem, by line. Nothing
    was written. Made by `rows_rejected` and `file_rejected`.

    `unknown_items`: the item names read as no item of the catalogue, or as several, each once
    as first written, with its lines: {"text", "lines"}; what the preview offers to map to an
    item (an alias remembered for the network, makers.services.item_alias_create)."""

    errors: list[RowError] = []

    @property
    def unknown_items(self) -> list[dict]:
        found: dict[str, dict] = {}
        for error in self.errors:
            if error.code in ITEM_NAME_CODES:
                text = str(error.refusal.params.get("value", ""))
                entry = found.setdefault(words_key(text), {"text": text, "lines": []})
                entry["lines"].append(error.line)
        return list(found.values())

    def extra(self) -> dict:
        return {
            "errors": [error.as_dict() for error in self.errors],
            "unknown_items": self.unknown_items,
        }

    def __reduce__(self):
        kind, args, state = super().__reduce__()
        return kind, args, {**state, "errors": self.errors}


class SpreadsheetUnreadable(ImportRejected):
    """The file itself is refused (format, size, encoding, missing columns), before any row."""


def _sorted(errors: list[RowError]) -> list[RowError]:
    return sorted(errors, key=lambda error: error.line)


def rows_rejected(errors: list[RowError]) -> ImportRejected:
    """The import refused for these problems, counting the lines to correct."""
    lines = {error.line for error in errors if error.line > FILE_LINE}
    refusal = ImportRejected(
        IMPORT_REJECTED.code, IMPORT_REJECTED.message, params={"count": len(lines)}
    )
    refusal.errors = _sorted(errors)
    return refusal


def file_rejected(errors: list[RowError]) -> SpreadsheetUnreadable:
    """The file refused as a whole: for one reason, that reason says it; for several, all."""
    if len(errors) == 1:
        only = errors[0].refusal
        refusal = SpreadsheetUnreadable(IMPORT_REJECTED.code, only.text, params=only.params)
    else:
        reasons = " ".join(error.message for error in _sorted(errors))
        refusal = SpreadsheetUnreadable(
            FILE_REJECTED.code, FILE_REJECTED.message, params={"reasons": reasons}
        )
    refusal.errors = _sorted(errors)
    return refusal


def errors_named_by_sheet(function):
    """Decorates a function taking a Sheet first: the lines it refuses are named by the sheet
    they belong to (a workbook's; a CSV has none), whoever raised them."""

    @functools.wraps(function)
    def named(sheet, *args, **kwargs):
        try:
            return function(sheet, *args, **kwargs)
        except ImportRejected as refusal:
            if sheet.sheet_name is not None:
                refusal.errors = [
                    replace(error, sheet=sheet.sheet_name)
                    if error.sheet is None and error.line > FILE_LINE
                    else error
                    for error in refusal.errors
                ]
            raise

    return named


def unreadable(
    reason: Refusal, *, line: int = FILE_LINE, column: str = ""
) -> SpreadsheetUnreadable:
    """The file refused for one reason, at this line (the file as a whole by default)."""
    return file_rejected([RowError(line, column, reason)])
