"""Checking a sheet's rows: every cell parsed (dates, numbers, departments, items, kinds).

Every problem of every row is collected, with its line, its column and its coded refusal
(errors.py), before the file is refused. Text dates and numbers are read with the file's own
conventions (conventions.py), decided once for the whole file before its rows are checked.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from fablabs.models import Organisation
from fablabs.selectors import relay_names_covering
from tilab.errors import BadInput
from tilab.models import Department, User
from tilab.money import parse_decimal, parse_euros, parse_whole_number

from ..models import FIRST_PRODUCTION_DAY, MAX_QUANTITY, ItemType
from . import errors
from .conventions import Conventions, read_conventions
from .errors import RowError, rows_rejected
from .normalise import clean, compact_key, words_key
from .options import DECIMAL_COMMA, ImportOptions
from .reading import Sheet

if TYPE_CHECKING:
    from ..item_names import ItemReading


@dataclass
class CheckedRow:
    """A row whose cells all parsed, ready to be matched against the database (plan.py)."""

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
    # How the item's cell was read (makers.item_names): by an alias or by words, the preview says.
    item_reading: "ItemReading | None" = None


def check_rows(
    sheet: Sheet,
    indexes: dict[str, int],
    *,
    by: User,
    now: datetime,
    options: ImportOptions | None = None,
    conventions: Conventions | None = None,
) -> list[CheckedRow]:
    """Every row checked, every problem collected; raise ImportRejected if there is any (each
    cell's parser refuses it with a BadInput of its own code). `conventions`: the file's, read
    from the sheet with `options` when not given."""
    today = timezone.localdate(now)
    if conventions is None:
        conventions = read_conventions(sheet, indexes, options)
    catalogue = _Catalogue()
    departments = _Departments(by=by)
    found: list[RowError] = []
    rows: list[CheckedRow] = []
    kind_index = indexes.get("kind")

    # Labels translated once, not once per row: gettext shows up in a 10,000-row profile.
    maker_label, organisation_label = _("Nom du maker"), _("Nom de structure")
    item_label, recipient_label = _("Article"), _("Destinataire")
    parsers = {
        "date": lambda v: _parse_date(v, today=today, conventions=conventions),
        "maker": lambda v: _text_field(v, max_length=150, label=maker_label, required=True),
        "organisation": lambda v: _text_field(
            v, max_length=200, label=organisation_label, required=False
        ),
        "department": departments.find,
        "item": lambda v: catalogue.find(
            _text_field(v, max_length=200, label=item_label, required=True)
        ),
        "quantity": lambda v: _parse_quantity(v, conventions=conventions),
        "cost": lambda v: _parse_cost(v, conventions=conventions),
        "recipient": lambda v: _text_field(
            v, max_length=200, label=recipient_label, required=False
        ),
    }
    parsers = {key: _once_per_value(parse) for key, parse in parsers.items()}
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
            except BadInput as refusal:
                row_ok = False
                found.append(RowError(line, sheet.headers[index], refusal))
        if not row_ok:
            continue
        kind = None
        if kind_index is not None and kind_index < len(values):
            kind = _kind_of_key().get(words_key(clean(values[kind_index])))
        rows.append(
            CheckedRow(
                line=line,
                produced_on=parsed["date"],
                maker=parsed["maker"],
                department=parsed["department"],
                organisation=parsed["organisation"],
                kind=kind,
                item=parsed["item"].item,
                item_reading=parsed["item"],
                quantity=parsed["quantity"],
                material_cost_cents=parsed["cost"],
                recipient=parsed["recipient"],
            )
        )
    if found:
        raise rows_rejected(found)
    return rows


# --- Cells ---------------------------------------------------------------------------------------


def _once_per_value(parse):
    """`parse`, run once per distinct cell value of this file.

    A sheet repeats its makers, dates, items and departments on every line; each parser's answer
    depends only on the cell (and the file's conventions, fixed for the run), so a repeated
    value gets the same answer, or the same refusal, without being read again. The value's type
    is part of the key: the number 1 and the text "1" are different cells.
    """
    seen: dict = {}

    def parse_once(value):
        key = (type(value), value)
        outcome = seen.get(key)
        if outcome is None:
            try:
                outcome = seen[key] = (True, parse(value))
            except BadInput as refusal:
                outcome = seen[key] = (False, refusal)
        if outcome[0]:
            return outcome[1]
        raise outcome[1]

    return parse_once


def _text_field(value, *, max_length: int, label: str, required: bool) -> str:
    text = clean(value)
    if required and not text:
        raise errors.CELL_MISSING(label=label)
    if len(text) > max_length:
        raise errors.CELL_TOO_LONG(label=label, max=max_length)
    return text


# Excel serial day numbers a date cell may show as when its format was lost (1 = 1900-01-01).
_EXCEL_SERIALS = range(1, 2958466)


def _parse_date(value, *, today: date, conventions: Conventions) -> date:
    if isinstance(value, datetime):
        return _in_period(value.date(), today=today)
    if isinstance(value, date):
        return _in_period(value, today=today)
    if isinstance(value, int | float) and not isinstance(value, bool) and value in _EXCEL_SERIALS:
        from openpyxl.utils.datetime import from_excel

        return _in_period(from_excel(value).date(), today=today)
    text = clean(value)
    if not text:
        raise errors.DATE_MISSING()
    first_refusal = None
    for order in conventions.date_orders(text):
        try:
            return _in_period(conventions.read_date(text, order=order), today=today)
        except BadInput as refusal:
            first_refusal = first_refusal or refusal
    raise first_refusal


def _in_period(produced_on: date, *, today: date) -> date:
    if produced_on > today:
        raise errors.DATE_IN_FUTURE(
            date=date_format(produced_on, "SHORT_DATE_FORMAT"),
            today=date_format(today, "SHORT_DATE_FORMAT"),
        )
    if produced_on < FIRST_PRODUCTION_DAY:
        raise errors.DATE_TOO_EARLY(date=date_format(produced_on, "SHORT_DATE_FORMAT"))
    return produced_on


def _numeric_cell(value, conventions: Conventions) -> tuple[str, tuple[str | None, ...]]:
    """A cell for the number parsers: its text, and the decimal marks to read it with. A typed
    number is written with a decimal comma, which is never mistaken for a thousands separator
    (31.125 is not 31 125); a text number takes the file's mark (conventions.py)."""
    if isinstance(value, bool):
        return str(value), (None,)
    if isinstance(value, int | float):
        return format(Decimal(repr(value)), "f").replace(".", ","), (DECIMAL_COMMA,)
    text = clean(value)
    return text, (conventions.decimal_marks(text) if text else (None,))


def _read_number(text: str, marks: tuple, read):
    """`read` (a parser of tilab/money.py) with the first mark that reads `text`."""
    first_refusal = None
    for mark in marks:
        try:
            return read(text, decimal_mark=mark)
        except BadInput as refusal:
            first_refusal = first_refusal or refusal
    raise first_refusal


def _parse_quantity(value, *, conventions: Conventions) -> int:
    text, marks = _numeric_cell(value, conventions)
    if not text:
        raise errors.QUANTITY_MISSING()
    try:
        quantity = _read_number(text, marks, parse_whole_number)
    except BadInput as reason:
        raise errors.QUANTITY_UNREADABLE(reason=reason) from None
    if quantity < 1:
        raise errors.QUANTITY_NOT_POSITIVE(value=text)
    if quantity > MAX_QUANTITY:
        raise errors.QUANTITY_TOO_LARGE(value=text)
    return quantity


def _parse_cost(value, *, conventions: Conventions) -> int:
    text, marks = _numeric_cell(value, conventions)
    if not text:
        return 0
    try:
        negative = _read_number(text, marks, parse_decimal) < 0
        cents = None if negative else _read_number(text, marks, parse_euros)
    except BadInput as reason:
        raise errors.COST_UNREADABLE(reason=reason) from None
    if negative:
        raise errors.COST_NEGATIVE(value=text)
    return cents


# --- Items and departments -----------------------------------------------------------------------


class _Catalogue:
    """Active items and the network's aliases, each name read once (makers.item_names)."""

    def __init__(self):
        # Imported here: makers.item_names reads names with this package's normalise module.
        from ..item_names import item_names_index

        self.names = item_names_index()
        self.items = self.names.items

    def find(self, text: str) -> "ItemReading":
        """The reading of an item cell; refuses a name that reads as no item (item_unknown) or
        as several (item_ambiguous), both offered for an alias in the preview."""
        reading = self.names.read(text)
        if reading.item is not None:
            return reading
        if reading.ambiguous:
            raise errors.ITEM_AMBIGUOUS(
                value=text, candidates=", ".join(f"« {item.name} »" for item in reading.candidates)
            )
        raise errors.ITEM_UNKNOWN(value=text, known=", ".join(item.name for item in self.items))


class _Departments:
    """Departments as a file may write them. A line is refused only when its department is
    outside the region or covered by no relay (nobody could decide it); a department covered by
    another relay than the importer's is read, and plan.py says where its line goes (handed
    over to that relay, or a choice asked of a relay importer)."""

    def __init__(self, *, by: User):
        self.all = {d.code: d for d in Department.objects.order_by("code")}
        self.by_key = {compact_key(d.name): d for d in self.all.values()}
        self.with_relay = set(relay_names_covering(list(self.all)))

    def find(self, value) -> Department:
        text = clean(value)
        if not text:
            raise errors.DEPARTMENT_MISSING()
        code = text
        # "35", "035", "35 - Ille-et-Vilaine", "Ille-et-Vilaine (35)": the digits are the code.
        digits = re.findall(r"\d+", text)
        if len(digits) == 1:
            code = digits[0].lstrip("0").zfill(2)
        department = self.all.get(code) or self.by_key.get(compact_key(text))
        if department is None:
            raise errors.DEPARTMENT_OUTSIDE_REGION(value=text, known=", ".join(self.all))
        if department.code not in self.with_relay:
            raise errors.DEPARTMENT_WITHOUT_RELAY(name=department.name, code=department.code)
        return department


# --- Organisation kinds --------------------------------------------------------------------------

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
        words_key(text): kind
        for kind, texts in _KIND_SYNONYMS.items()
        for text in (*texts, kind.replace("_", " "))
    }
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            for kind, label in Organisation.Kind.choices:
                found.setdefault(words_key(str(label)), kind)
    return found
