"""Mapping a sheet's columns to a report's fields: the headers, their aliases in every language.

Columns nobody asked for are listed and ignored; a required column missing refuses the file.
"""

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy

from . import errors
from .errors import RowError, errors_named_by_sheet, file_rejected, unreadable
from .normalise import clean, words_key

if TYPE_CHECKING:  # reading.py finds the table with the headers below
    from .reading import Sheet


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
    found = {words_key(h): column for column in _COLUMNS for h in column.headers}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            for column in _COLUMNS:
                found.setdefault(words_key(str(column.label)), column)
    return found


def known_columns(values) -> dict[str, int]:
    """Which cells of a row are known headers: field key → index of its first cell. A row
    with enough of them is the table's header (finding.py)."""
    found: dict[str, int] = {}
    for index, value in enumerate(values):
        if isinstance(value, str) and (text := clean(value)):
            column = _column_of_header().get(words_key(text))
            if column is not None:
                found.setdefault(column.key, index)
    return found


def required_columns() -> list[_Column]:
    return [column for column in _COLUMNS if column.required]


def column_label(key: str) -> str:
    return next(str(column.label) for column in _COLUMNS if column.key == key)


@errors_named_by_sheet
def map_columns(sheet: "Sheet") -> tuple[dict[str, int], list[str]]:
    """Which file column holds each field; headers nobody asked for are listed, not refused."""
    indexes: dict[str, int] = {}
    ignored: list[str] = []
    found: list[RowError] = []
    for index, header in enumerate(sheet.headers):
        if not header:
            continue
        column = _column_of_header().get(words_key(header))
        if column is None:
            ignored.append(header)
        elif column.key in indexes:
            first = sheet.headers[indexes[column.key]]
            found.append(
                RowError(sheet.header_line, header, errors.COLUMN_TWICE(first=first, second=header))
            )
        else:
            indexes[column.key] = index
    for column in _COLUMNS:
        if column.required and column.key not in indexes:
            found.append(
                RowError(
                    sheet.header_line or 1,
                    str(column.label),
                    errors.COLUMN_MISSING(label=column.label, headers=", ".join(column.headers)),
                )
            )
    if found:
        raise file_rejected(found)
    if not sheet.rows:
        raise unreadable(errors.NO_ROWS(), line=sheet.header_line)
    return indexes, ignored
