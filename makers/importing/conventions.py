"""The file's own conventions: do its text dates put the day or the month first, do its text
numbers use a decimal comma or a decimal point? Decided once for the whole file.

A value may prove a convention: "21/04/2020" is day first, "4/21/2020" month first; "12,5",
"1 250,50" and "1.250,50" use a decimal comma, "12.5" and "1,250.50" a decimal point. Others do
not: "4/3/2020" is 4 March or 3 April, "1,250" and "1.250" are 1.25 or 1250. So:
- what the file proves is used, and the preview says which line proves it; a file proving both
  ways is read the way most of its values prove, and the lines of the other way are refused;
- the importer's choice (options.py) decides when it is made; a cell contradicting it is refused;
- otherwise the French reading (day first, decimal comma) is used and the preview says so; when
  the file also carries signs of an English-language program (month-first dates, decimal points,
  English headers or month names), the preview asks instead, and the import waits for the answer.
Written dates are read in French ("1er avril 2020", "vendredi 3 avril 2020", "03-avr-2020") and
in English ("April 3, 2020", "3 April 2020"). Typed cells of a workbook (dates, numbers) need no
convention and prove nothing.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from tilab.errors import BadInput
from tilab.money import group_thousands, parse_decimal

from . import errors
from .normalise import clean, words_key
from .options import DAY_FIRST, DECIMAL_COMMA, DECIMAL_POINT, MONTH_FIRST, ImportOptions
from .reading import Sheet

DATE_ORDER, DECIMAL_MARK = "date_order", "decimal_mark"
# How a convention was decided: proven by the file, chosen by the importer, or the French default.
FILE, CHOICE, DEFAULT = "file", "choice", "default"

_OTHER = {
    DAY_FIRST: MONTH_FIRST,
    MONTH_FIRST: DAY_FIRST,
    DECIMAL_COMMA: DECIMAL_POINT,
    DECIMAL_POINT: DECIMAL_COMMA,
}


def _label(value: str) -> str:
    return {
        DAY_FIRST: _("jour/mois"),
        MONTH_FIRST: _("mois/jour"),
        DECIMAL_COMMA: _("la virgule décimale"),
        DECIMAL_POINT: _("le point décimal"),
    }[value]


# --- What one value shows ------------------------------------------------------------------------

NUMERIC_DATE = re.compile(
    r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?"
)
ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")

_MONTHS_FR = {
    "janvier": 1, "janv": 1, "fevrier": 2, "fevr": 2, "fev": 2, "mars": 3, "avril": 4, "avr": 4,
    "mai": 5, "juin": 6, "juillet": 7, "juil": 7, "aout": 8, "septembre": 9, "sept": 9,
    "octobre": 10, "oct": 10, "novembre": 11, "nov": 11, "decembre": 12, "dec": 12,
}  # fmt: skip
_MONTHS_EN = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
    "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12,
    "dec": 12,
}  # fmt: skip
_MONTHS = {**_MONTHS_EN, **_MONTHS_FR}
_WEEKDAYS_FR = frozenset({"lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"})
_WEEKDAYS_EN = frozenset(
    {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
    | {"mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun"}
)
_DAY_NUMBER = re.compile(r"(\d{1,2})(?:er|re|e|st|nd|rd|th)?")
_YEAR = re.compile(r"\d{4}|\d{2}")

# Headers an English-language sheet has and a French one does not ("date" is both; "organisation"
# is written both ways in English, so only "organization" counts).
_ENGLISH_HEADERS = frozenset(
    words_key(header)
    for header in (
        "name", "full name", "maker name", "organization", "organization name",
        "organisation name", "organisation type", "organization type", "department", "item",
        "item type", "product", "quantity", "qty", "amount", "material cost", "materials cost",
        "cost", "recipient", "delivered to", "production date", "date produced", "kind",
        "notes", "comments",
    )
)  # fmt: skip


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@lru_cache(maxsize=4096)
def written_date(text: str) -> tuple[int, int, int, bool] | None:
    """A date written with its month's name, in French or English, as (year, month, day,
    whether it is written in English); None when the text is not one."""
    words = re.sub(r"[.,/\-]", " ", _plain(text)).split()
    english = False
    if words and words[0] in _WEEKDAYS_FR | _WEEKDAYS_EN:
        english = words[0] in _WEEKDAYS_EN
        words = words[1:]
    if len(words) != 3 or not _YEAR.fullmatch(words[2]):
        return None
    first, second, year = words
    if (number := _DAY_NUMBER.fullmatch(first)) and second in _MONTHS:
        month_name = second  # "3 avril 2020", "1er avril 2020", "3 April 2020"
    elif first in _MONTHS and (number := _DAY_NUMBER.fullmatch(second)):
        month_name, english = first, True  # "April 3, 2020": French never puts the month first
    else:
        return None
    english = english or month_name not in _MONTHS_FR
    full_year = int(year) + (2000 if len(year) == 2 else 0)
    return full_year, _MONTHS[month_name], int(number[1]), english


def _order_proven(first: int, second: int) -> str | None:
    if 12 < first <= 31 and second <= 12:
        return DAY_FIRST
    if 12 < second <= 31 and first <= 12:
        return MONTH_FIRST
    return None


@dataclass(frozen=True)
class _DateShows:
    proves: str | None = None
    ambiguous: bool = False
    english: bool = False


@lru_cache(maxsize=4096)
def _date_shows(text: str) -> _DateShows:
    if match := NUMERIC_DATE.fullmatch(text):
        first, second = int(match[1]), int(match[2])
        proves = _order_proven(first, second)
        return _DateShows(proves=proves, ambiguous=proves is None and first != second)
    if written := written_date(text):
        return _DateShows(english=written[3])
    return _DateShows()


_SEPARATORS = re.compile(r"[\s\u00a0\u202f\u2009']+")


@lru_cache(maxsize=4096)
def mark_shown(text: str) -> tuple[str | None, bool]:
    """Which decimal mark a text number proves (or None), and whether its reading depends on the
    mark ("1,250": 1.25 or 1250)."""
    cleaned = _SEPARATORS.sub("", text).replace("€", "").replace("EUR", "")
    if not re.fullmatch(r"[+-]?[0-9.,]+", cleaned):
        return None, False
    digits = cleaned.lstrip("+-")
    commas, dots = digits.count(","), digits.count(".")
    if commas and dots:  # the last one is the decimal mark: "1.250,50", "1,250.50"
        return (DECIMAL_COMMA if digits.rfind(",") > digits.rfind(".") else DECIMAL_POINT), False
    if commas > 1:  # thousands: "1,250,000"
        return DECIMAL_POINT, False
    if dots > 1:  # "1.250.000"
        return DECIMAL_COMMA, False
    if commas or dots:
        mark = "," if commas else "."
        whole, _mark, fraction = digits.partition(mark)
        # Exactly three digits after one to three (not a lone 0): a group of thousands, or not.
        if len(fraction) == 3 and 1 <= len(whole) <= 3 and whole != "0":
            return None, True
        return (DECIMAL_COMMA if mark == "," else DECIMAL_POINT), False
    return None, False


# --- The conventions of a file -------------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    """A value of the file, where it is."""

    line: int
    column: str
    value: str

    def as_dict(self) -> dict:
        return {"line": self.line, "column": self.column, "value": self.value}


@dataclass
class Convention:
    """How the file's text dates (option date_order) or numbers (decimal_mark) are read, how
    that was decided, and what in the file shows it."""

    option: str
    value: str
    decided_by: str
    # The first cell proving `value`, and the first proving the other way (a file proving both,
    # or a file against the importer's choice).
    evidence: Seen | None = None
    contrary: Seen | None = None
    # The cells whose reading depends on the convention: how many, and the first.
    ambiguous: int = 0
    example: Seen | None = None
    english_signs: list[str] = field(default_factory=list)
    # Nothing in the file decides, and it looks English: the importer is asked, the import waits.
    asked: bool = False

    @property
    def relevant(self) -> bool:
        """Worth saying in the preview: something in the file depends on it, or it was chosen."""
        return bool(self.evidence or self.contrary or self.ambiguous or self.decided_by == CHOICE)

    @property
    def choosable(self) -> bool:
        """The importer may choose: the file does not prove it."""
        return self.decided_by != FILE

    @property
    def message(self) -> str:
        """What the preview says of it, in plain words."""
        dates = self.option == DATE_ORDER
        params = {"order": _label(self.value), "mark": _label(self.value)}
        if self.decided_by == FILE:
            params.update(line=self.evidence.line, value=self.evidence.value)
            if dates:
                return _("Dates lues %(order)s : la ligne %(line)s porte %(value)s.") % params
            return _("Nombres lus avec %(mark)s : la ligne %(line)s porte %(value)s.") % params
        if self.decided_by == CHOICE:
            if dates:
                return _("Dates lues %(order)s, comme vous l'avez choisi.") % params
            return _("Nombres lus avec %(mark)s, comme vous l'avez choisi.") % params
        params.update(line=self.example.line, value=self.example.value, reading=self._reading())
        if self.asked:
            if dates:
                return (
                    _(
                        "Dates lues %(order)s en attendant votre choix : aucune date du fichier "
                        "ne prouve l'ordre (ligne %(line)s, %(value)s se lit pour l'instant "
                        "%(reading)s)."
                    )
                    % params
                )
            return (
                _(
                    "Nombres lus avec %(mark)s en attendant votre choix : aucun nombre du "
                    "fichier ne prouve le séparateur (ligne %(line)s, %(value)s se lit pour "
                    "l'instant %(reading)s)."
                )
                % params
            )
        if dates:
            return (
                _(
                    "Dates lues %(order)s par défaut : aucune date du fichier ne prouve l'ordre "
                    "(ligne %(line)s, %(value)s se lit %(reading)s)."
                )
                % params
            )
        return (
            _(
                "Nombres lus avec %(mark)s par défaut : aucun nombre du fichier ne prouve le "
                "séparateur décimal (ligne %(line)s, %(value)s se lit %(reading)s)."
            )
            % params
        )

    @property
    def question(self) -> str:
        """What the preview asks when the file looks English and proves nothing."""
        params = {
            "signs": " ; ".join(self.english_signs),
            "line": self.example.line,
            "value": self.example.value,
            "first": self._reading(DAY_FIRST if self.option == DATE_ORDER else DECIMAL_COMMA),
            "second": self._reading(MONTH_FIRST if self.option == DATE_ORDER else DECIMAL_POINT),
        }
        if self.option == DATE_ORDER:
            return (
                _(
                    "Le fichier semble venir d'un tableur en anglais (%(signs)s) et aucune de ses "
                    "dates ne prouve l'ordre : à la ligne %(line)s, %(value)s est-il le "
                    "%(first)s ou le %(second)s ? Choisissez l'ordre des dates."
                )
                % params
            )
        return (
            _(
                "Le fichier semble venir d'un tableur en anglais (%(signs)s) et aucun de ses "
                "nombres ne prouve le séparateur décimal : à la ligne %(line)s, %(value)s "
                "vaut-il %(first)s ou %(second)s ? Choisissez le séparateur décimal."
            )
            % params
        )

    def _reading(self, value: str | None = None) -> str:
        """The example cell as read under `value` (the convention in force by default)."""
        value = value or self.value
        if self.option == DATE_ORDER:
            match = NUMERIC_DATE.fullmatch(self.example.value)
            first, second, year = int(match[1]), int(match[2]), int(match[3])
            day, month = (first, second) if value == DAY_FIRST else (second, first)
            return date_format(date(year + (2000 if year < 100 else 0), month, day))
        return _number_text(parse_decimal(self.example.value, decimal_mark=value))

    def as_dict(self) -> dict:
        return {
            "option": self.option,
            "value": self.value,
            "decided_by": self.decided_by,
            "evidence": self.evidence.as_dict() if self.evidence else None,
            "contrary": self.contrary.as_dict() if self.contrary else None,
            "ambiguous": self.ambiguous,
            "example": self.example.as_dict() if self.example else None,
            "english_signs": list(self.english_signs),
            "asked": self.asked,
            "choosable": self.choosable,
            "message": self.message,
        }


def _number_text(value: Decimal) -> str:
    """A number as French typography writes it: 1 250 or 1,25."""
    whole, _dot, fraction = format(abs(value), "f").partition(".")
    text = group_thousands(int(whole))
    fraction = fraction.rstrip("0")
    return ("-" if value < 0 else "") + text + (f",{fraction}" if fraction else "")


@dataclass
class Conventions:
    """The date order and the decimal mark of one file, and the reading of its text cells."""

    date_order: Convention
    decimal_mark: Convention

    @property
    def listed(self) -> list[Convention]:
        return [c for c in (self.date_order, self.decimal_mark) if c.relevant]

    @property
    def choices_needed(self) -> list[dict]:
        return [
            {"option": c.option, "message": c.question}
            for c in (self.date_order, self.decimal_mark)
            if c.asked
        ]

    # Dates

    def date_orders(self, text: str) -> tuple[str, ...]:
        """The orders to try for a text date: the one in force; while the importer is asked,
        also the other for an ambiguous date that only it reads (nothing is imported before
        the answer, and the preview must still show the file)."""
        if self.date_order.asked and _date_shows(text).ambiguous:
            return self.date_order.value, _OTHER[self.date_order.value]
        return (self.date_order.value,)

    def read_date(self, text: str, *, order: str) -> date:
        """A text date (not blank) read with `order`; refuses it (date_unreadable,
        date_impossible, date_order_mixed, date_against_choice)."""
        if match := NUMERIC_DATE.fullmatch(text):
            first, second, year = (int(g) for g in match.groups())
            proven = _order_proven(first, second)
            if proven is not None and proven != order:
                raise self._date_contradicted(text, proven)
            day, month = (first, second) if order == DAY_FIRST else (second, first)
            year += 2000 if year < 100 else 0
        elif match := ISO_DATE.fullmatch(text):
            year, month, day = (int(g) for g in match.groups())
        elif written := written_date(text):
            year, month, day, _english = written
        else:
            raise errors.DATE_UNREADABLE(value=text)
        try:
            return date(year, month, day)
        except ValueError:
            raise errors.DATE_IMPOSSIBLE(value=text) from None

    def _date_contradicted(self, text: str, proven: str) -> BadInput:
        convention = self.date_order
        if convention.decided_by == CHOICE:
            return errors.DATE_AGAINST_CHOICE(
                value=text, order=_label(convention.value), written=_label(proven)
            )
        return errors.DATE_ORDER_MIXED(
            value=text,
            written=_label(proven),
            order=_label(convention.value),
            line=convention.evidence.line,
            example=convention.evidence.value,
        )

    # Numbers

    def decimal_marks(self, text: str) -> tuple[str, ...]:
        """The marks to try for a text number, as date_orders does for dates; refuses a number
        proving the other mark (number_mark_mixed, number_against_choice)."""
        convention = self.decimal_mark
        proven, ambiguous = mark_shown(text)
        if proven is not None and proven != convention.value:
            params = {"value": text, "written": _label(proven), "mark": _label(convention.value)}
            if convention.decided_by == CHOICE:
                raise errors.NUMBER_AGAINST_CHOICE(**params)
            raise errors.NUMBER_MARK_MIXED(
                **params, line=convention.evidence.line, example=convention.evidence.value
            )
        if convention.asked and ambiguous:
            return convention.value, _OTHER[convention.value]
        return (convention.value,)


class _Tally:
    """The cells proving each value of one convention (how many, the first), and those it
    leaves ambiguous."""

    def __init__(self):
        self.proofs: dict[str, int] = {}
        self.first: dict[str, Seen] = {}
        self.ambiguous = 0
        self.example: Seen | None = None

    def prove(self, value: str, seen: Seen) -> None:
        self.proofs[value] = self.proofs.get(value, 0) + 1
        self.first.setdefault(value, seen)

    def leave_open(self, seen: Seen) -> None:
        self.ambiguous += 1
        self.example = self.example or seen

    def decide(self, option: str, *, chosen: str | None, default: str) -> Convention:
        other = _OTHER[default]
        if chosen is not None:
            value, decided_by = chosen, CHOICE
        elif default in self.proofs and other in self.proofs:
            # Both ways: the file's way is the one most of its values prove (the default on a tie).
            value = other if self.proofs[other] > self.proofs[default] else default
            decided_by = FILE
        elif self.proofs:
            value, decided_by = next(iter(self.proofs)), FILE
        else:
            value, decided_by = default, DEFAULT
        return Convention(
            option=option,
            value=value,
            decided_by=decided_by,
            evidence=self.first.get(value),
            contrary=self.first.get(_OTHER[value]),
            ambiguous=self.ambiguous,
            example=self.example,
        )


def read_conventions(
    sheet: Sheet, indexes: dict[str, int], options: ImportOptions | None = None
) -> Conventions:
    """The conventions of the file, from all its text dates and numbers and its headers, with
    the importer's choices where the file leaves them open."""
    options = options or ImportOptions()
    dates, numbers = _Tally(), _Tally()
    english_written: Seen | None = None
    date_index = indexes.get("date")
    number_indexes = [indexes[key] for key in ("quantity", "cost") if key in indexes]
    for line, values in sheet.rows:
        if date_index is not None and date_index < len(values):
            value = values[date_index]
            if isinstance(value, str) and (text := clean(value)):
                shows = _date_shows(text)
                seen = Seen(line, sheet.headers[date_index], text)
                if shows.proves:
                    dates.prove(shows.proves, seen)
                elif shows.ambiguous:
                    dates.leave_open(seen)
                elif shows.english and english_written is None:
                    english_written = seen
        for index in number_indexes:
            value = values[index] if index < len(values) else None
            if isinstance(value, str) and (text := clean(value)):
                proven, ambiguous = mark_shown(text)
                if proven or ambiguous:
                    seen = Seen(line, sheet.headers[index], text)
                    if proven:
                        numbers.prove(proven, seen)
                    else:
                        numbers.leave_open(seen)

    date_order = dates.decide(DATE_ORDER, chosen=options.date_order, default=DAY_FIRST)
    decimal_mark = numbers.decide(DECIMAL_MARK, chosen=options.decimal_mark, default=DECIMAL_COMMA)

    signs = []
    english_headers = [h for h in sheet.headers if h and words_key(h) in _ENGLISH_HEADERS]
    if english_headers:
        headers = ", ".join(english_headers)
        signs.append(_("en-têtes en anglais : %(headers)s") % {"headers": headers})
    if english_written:
        signs.append(
            _("date écrite en anglais ligne %(line)s : %(value)s")
            % {"line": english_written.line, "value": english_written.value}
        )
    date_order.english_signs = list(signs)
    decimal_mark.english_signs = list(signs)
    if decimal_mark.decided_by == FILE and decimal_mark.value == DECIMAL_POINT:
        date_order.english_signs.append(
            _("point décimal ligne %(line)s : %(value)s")
            % {"line": decimal_mark.evidence.line, "value": decimal_mark.evidence.value}
        )
    if date_order.decided_by == FILE and date_order.value == MONTH_FIRST:
        decimal_mark.english_signs.append(
            _("dates mois/jour ligne %(line)s : %(value)s")
            % {"line": date_order.evidence.line, "value": date_order.evidence.value}
        )
    for convention in (date_order, decimal_mark):
        convention.asked = (
            convention.decided_by == DEFAULT
            and convention.ambiguous > 0
            and bool(convention.english_signs)
        )
    return Conventions(date_order=date_order, decimal_mark=decimal_mark)
