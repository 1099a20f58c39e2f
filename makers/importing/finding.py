"""Finding the table in a file: which sheet and which row hold the headers, which rows under
them are data and which are totals, and which data cells were formulas.

The header row is the first row, in the first sheet that has one, within the first
HEADER_ROWS_SEARCHED rows of each sheet, holding at least MIN_KNOWN_HEADERS known headers
(columns.py): three, because no title or instruction line names three of the columns, while a
header that lacks a required column still has three others and is then refused naming the
missing one (column_missing) rather than not found.

Totals and subtotals (a label saying so, a row whose only number is the sum of the rows above
it, a formula summing a range of rows) are skipped and listed, never imported, never refused.
"""

import re
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext_lazy as _

from . import errors
from .columns import known_columns, required_columns
from .errors import FILE_LINE, RowError, file_rejected, rows_rejected, unreadable
from .normalise import clean, name_key

HEADER_ROWS_SEARCHED = 20
MIN_KNOWN_HEADERS = 3
FORMULAS_LISTED = 20

SKIP_REASONS = {
    "total_label": _("Ligne de total « %(label)s », sans date : non importée."),
    "total_sum": _(
        "Ligne de total : sa quantité (%(quantity)s) est la somme des lignes %(first)s à "
        "%(last)s, et elle n'a pas de date : non importée."
    ),
    "total_formula": _("Ligne de total : la cellule %(cell)s fait la somme %(formula)s."),
}


@dataclass(frozen=True)
class SkippedRow:
    line: int
    reason_code: str
    params: dict

    @property
    def reason(self) -> str:
        return str(SKIP_REASONS[self.reason_code]) % self.params

    def as_dict(self) -> dict:
        return {"line": self.line, "reason_code": self.reason_code, "reason": self.reason}


@dataclass(frozen=True)
class FormulaCell:
    """A data cell that was a formula, and the value its file kept, which is the one read."""

    line: int
    column: str
    cell: str
    formula: str
    value: str

    def as_dict(self) -> dict:
        return {
            "line": self.line,
            "column": self.column,
            "cell": self.cell,
            "formula": self.formula,
            "value": self.value,
        }


def is_blank(values) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def find_header(heads: list[tuple[str | None, list[list]]]) -> tuple[int, int]:
    """(sheet index, row index) of the header among each sheet's first rows; raise
    SpreadsheetUnreadable (file_empty, header_not_found) when there is none."""
    best: tuple[int, int, int] | None = None  # (known headers, sheet index, row index)
    for sheet_index, (_name, rows) in enumerate(heads):
        for row_index, values in enumerate(rows[:HEADER_ROWS_SEARCHED]):
            known = len(known_columns(values))
            if known >= MIN_KNOWN_HEADERS:
                return sheet_index, row_index
            if known and (best is None or known > best[0]):
                best = (known, sheet_index, row_index)
    if all(is_blank(values) for _name, rows in heads for values in rows):
        raise unreadable(errors.FILE_EMPTY())
    raise _header_not_found(heads, best)


def _header_not_found(heads, best) -> Exception:
    names = [name for name, _rows in heads if name is not None]
    last = max((min(len(rows), HEADER_ROWS_SEARCHED) for _name, rows in heads), default=1)
    searched = _("les lignes 1 à %(last)s") % {"last": last}
    if names:
        sheets = ", ".join(f"« {name} »" for name in names)
        searched = _("%(rows)s des feuilles %(sheets)s") % {"rows": searched, "sheets": sheets}
    if best is None:
        line, sheet, found = FILE_LINE, None, {}
        where = _("aucune ligne ne porte un en-tête connu")
    else:
        _known, sheet_index, row_index = best
        name, rows = heads[sheet_index]
        line, sheet, found = row_index + 1, name, known_columns(rows[row_index])
        where = _("ligne %(line)s") % {"line": line}
        if name is not None:
            where = _("feuille « %(sheet)s », %(where)s") % {"sheet": name, "where": where}
    missing = [column for column in required_columns() if column.key not in found]
    error = errors.HEADER_NOT_FOUND(
        searched=searched,
        best=where,
        missing=", ".join(f"« {column.label} »" for column in missing),
    )
    return file_rejected([RowError(line, "", error, sheet=sheet)])


def table_rows(
    rows: list[list],
    header_index: int,
    *,
    sheet_name: str | None,
    formulas: dict[int, dict[int, str]],
) -> tuple[list[tuple[int, tuple]], list[SkippedRow], list[FormulaCell]]:
    """The data rows under the header (line numbers as in the file), the total rows skipped,
    and the formula cells read; raise ImportRejected for formula cells without a value."""
    header = rows[header_index]
    columns = known_columns(header)
    date_index, quantity_index = columns.get("date"), columns.get("quantity")
    data: list[tuple[int, tuple]] = []
    skipped: list[SkippedRow] = []
    read_formulas: list[FormulaCell] = []
    no_value: list[RowError] = []
    since_total: list[tuple[int, float]] = []  # (line, quantity) of data rows since a total
    all_quantities: list[tuple[int, float]] = []  # the same, since the header
    for row_index in range(header_index + 1, len(rows)):
        values = rows[row_index]
        if is_blank(values):
            continue
        line = row_index + 1
        row_formulas = formulas.get(row_index, {})
        reason = _total_reason(
            values, row_formulas, date_index, quantity_index, since_total, all_quantities, line
        )
        if reason is not None:
            skipped.append(reason)
            since_total = []
            continue
        for col, text in sorted(row_formulas.items()):
            value = values[col] if col < len(values) else None
            heading = clean(header[col]) if col < len(header) else ""
            cell = f"{_letters(col)}{line}"
            if value is None or value == "":
                no_value.append(
                    RowError(
                        line,
                        heading or _letters(col),
                        errors.CELL_FORMULA(cell=cell, formula=text),
                        sheet=sheet_name,
                    )
                )
            else:
                read_formulas.append(FormulaCell(line, heading, cell, text, clean(value)))
        data.append((line, tuple(values)))
        quantity = _number(values[quantity_index]) if _has(values, quantity_index) else None
        if quantity is not None:
            since_total.append((line, quantity))
            all_quantities.append((line, quantity))
    if no_value:
        listed = no_value[:FORMULAS_LISTED]
        if len(no_value) > FORMULAS_LISTED:
            listed.append(
                RowError(FILE_LINE, "", errors.MORE_FORMULAS(count=len(no_value) - FORMULAS_LISTED))
            )
        raise rows_rejected(listed)
    return data, skipped, read_formulas


# --- Totals --------------------------------------------------------------------------------------

# A cell starting with one of these words names a total ("Total", "TOTAL GÉNÉRAL", "Sous-total
# semaine 14", "Totaux", "Somme", "Sum", "Grand total"), once accents and case are gone.
_TOTAL_LABEL = re.compile(
    r"(?:sous|sub)?[ -]?totale?s?\b|totaux\b|somme\b|sum\b|grand total\b|cumul\b"
)
# A function summing, then a range of cells over several rows: "SUM(E4:E12)",
# "SOMME([.E4:.E12])", "SOUS.TOTAL(9;E4:E12)", "SUM(E:E)".
_SUM_FUNCTION = re.compile(r"\b(?:SUM|SOMME|SUBTOTAL|SOUS\.TOTAL|AGGREGATE|AGREGAT)\s*\(")
_ROW_RANGE = re.compile(
    r"\$?[A-Z]{1,3}\$?(\d+)\s*:\s*\.?\$?[A-Z]{1,3}\$?(\d+)|\$?[A-Z]{1,3}\s*:\s*\.?\$?[A-Z]{1,3}\b"
)
_DATE_LIKE = re.compile(r"\d{1,4}\s*[/.\-]\s*\d{1,2}")


def _total_reason(values, row_formulas, date_index, quantity_index, since_total, above, line):
    for col, text in sorted(row_formulas.items()):
        upper = text.upper()
        if _SUM_FUNCTION.search(upper) and any(
            m.group(1) is None or m.group(1) != m.group(2) for m in _ROW_RANGE.finditer(upper)
        ):
            return SkippedRow(
                line, "total_formula", {"cell": f"{_letters(col)}{line}", "formula": text}
            )
    if _has_date(values, date_index):
        return None
    texts = [clean(v) for v in values if isinstance(v, str) and clean(v) and _number(v) is None]
    for text in texts:
        if _TOTAL_LABEL.match(name_key(text)):
            return SkippedRow(line, "total_label", {"label": text})
    if len(texts) > 1 or not _has(values, quantity_index):
        return None
    quantity = _number(values[quantity_index])
    if quantity is None or quantity <= 0:
        return None
    for rows in (since_total, above):
        if rows and abs(sum(q for _line, q in rows) - quantity) < 1e-6:
            return SkippedRow(
                line,
                "total_sum",
                {
                    "quantity": clean(values[quantity_index]),
                    "first": rows[0][0],
                    "last": rows[-1][0],
                },
            )
    return None


def _has(values, index) -> bool:
    if index is None or index >= len(values):
        return False
    value = values[index]
    return value is not None and not (isinstance(value, str) and not value.strip())


def _has_date(values, index) -> bool:
    if not _has(values, index):
        return False
    value = values[index]
    if isinstance(value, date):
        return True
    if isinstance(value, int | float) and not isinstance(value, bool):
        return True  # a serial day number
    text = clean(value)
    if _TOTAL_LABEL.match(name_key(text)):
        return False  # "Total avril 2020" written in the date column is a label
    return bool(_DATE_LIKE.search(text)) or any(ch.isdigit() for ch in text)


def _number(value) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    text = clean(value).replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    return float(text) if text.isdigit() else None


def _letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters
