"""Money and numbers as people type them ("1 234,50 €") and as the platform keeps them (cents)."""

import math
import re
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from typing import TypeVar

from .errors import (
    NOT_A_NUMBER,
    NOT_A_WHOLE_NUMBER,
    NUMBER_EMPTY,
    SPLIT_NOTHING_TO_SHARE,
    SPLIT_TOTAL_NEGATIVE,
    SPLIT_WEIGHT_NEGATIVE,
    TYPED_AMOUNT_NEGATIVE,
    TYPED_AMOUNT_SUB_CENT,
)

# Spaces people and spreadsheets put between thousands: plain, no-break, narrow no-break, thin.
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']+")
# Whole parts grouped by thousands, by a comma or a dot: the first group 1 to 3 digits, then
# groups of exactly 3 ("1,234,567", "1.234").
_GROUPED = {
    ",": re.compile(r"^-?[0-9]{1,3}(,[0-9]{3})+$"),
    ".": re.compile(r"^-?[0-9]{1,3}(\.[0-9]{3})+$"),
}
# What is left once the thousands are gone: plain ASCII digits, one dot at most, no exponent.
_PLAIN = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$")


K = TypeVar("K")
Number = int | Decimal | Fraction


# The decimal marks a text number may be read with, when the writer's convention is known.
DECIMAL_COMMA, DECIMAL_POINT = "comma", "point"


def parse_decimal(text: str, *, decimal_mark: str | None = None) -> Decimal:
    """Read a French or English written number: "1 234,5", "1.234,50", "1,234.50", "12.5".
    Raises a BadInput refusal (number_empty, not_a_number) whose message is a fragment to
    put into a field's or a row's message.

    Without `decimal_mark`, the platform's own forms, the rules, in order:
    - spaces of any kind, an apostrophe, "€" and "EUR" are left out;
    - with both "," and ".", the last one is the decimal mark and the other separates
      thousands, in groups of three ("1.234,50", "1,234.50"; "12.34,5" is refused);
    - several commas separate thousands, in groups of three ("1,234,567"; "1,23,4" is refused);
      a single comma is the French decimal mark ("12,5", and so "1,234" is 1.234);
    - dots followed by groups of exactly three digits ("1.200", "1.234.567") separate
      thousands, as a French spreadsheet writes them; otherwise a dot is the decimal mark
      ("1234.567" is 1234.567, which `parse_euros` refuses for its tenth of a cent);
    - what remains is ASCII digits with an optional sign and one decimal mark: no exponent
      ("1e3"), no other script's digits.

    With `decimal_mark` ("comma" or "point"), the writer's convention is known (a file read
    as a whole): that mark is the decimal one, once at most, and the other only separates
    thousands in groups of three. "1,250" is 1.25 with a comma, 1250 with a point; "12.5" is
    not a number with a comma.
    """
    cleaned = _SPACES.sub("", str(text)).replace("€", "").replace("EUR", "").strip()
    if not cleaned:
        raise NUMBER_EMPTY()
    if decimal_mark is not None:
        return _parse_with_mark(text, cleaned, decimal_mark)
    if "," in cleaned and "." in cleaned:
        decimal_mark = "," if cleaned.rfind(",") > cleaned.rfind(".") else "."
        thousands = "." if decimal_mark == "," else ","
        whole, _mark, fraction = cleaned.rpartition(decimal_mark)
        if not _GROUPED[thousands].match(whole):
            raise NOT_A_NUMBER(text=text)
        cleaned = whole.replace(thousands, "") + "." + fraction
    elif cleaned.count(",") > 1:
        if not _GROUPED[","].match(cleaned):
            raise NOT_A_NUMBER(text=text)
        cleaned = cleaned.replace(",", "")
    elif "," in cleaned:
        cleaned = cleaned.replace(",", ".")
    elif _GROUPED["."].match(cleaned):
        cleaned = cleaned.replace(".", "")
    if not _PLAIN.match(cleaned):
        raise NOT_A_NUMBER(text=text)
    return Decimal(cleaned)


def _parse_with_mark(text: str, cleaned: str, decimal_mark: str) -> Decimal:
    if decimal_mark not in (DECIMAL_COMMA, DECIMAL_POINT):
        raise ValueError(f"decimal_mark={decimal_mark!r}")
    mark, thousands = (",", ".") if decimal_mark == DECIMAL_COMMA else (".", ",")
    whole, found, fraction = cleaned.partition(mark)
    if mark in fraction or thousands in fraction:
        raise NOT_A_NUMBER(text=text)
    if thousands in whole:
        if not _GROUPED[thousands].match(whole):
            raise NOT_A_NUMBER(text=text)
        whole = whole.replace(thousands, "")
    cleaned = f"{whole}.{fraction}" if found else whole
    if not _PLAIN.match(cleaned):
        raise NOT_A_NUMBER(text=text)
    return Decimal(cleaned)


def parse_euros(text: str, *, decimal_mark: str | None = None) -> int:
    """Euros as typed ("12,50", "1 234,5 €") to integer cents. Refuses negatives ("-0,50":
    typed_amount_negative; "-0" reads as zero) and fractions of a cent ("12,505", "1234.567":
    typed_amount_sub_cent), never rounding them away. `decimal_mark`: see parse_decimal."""
    value = parse_decimal(text, decimal_mark=decimal_mark)
    if value < 0:
        raise TYPED_AMOUNT_NEGATIVE()
    cents = value * 100
    if cents != cents.to_integral_value():
        raise TYPED_AMOUNT_SUB_CENT()
    return int(cents)


def parse_whole_number(text: str, *, decimal_mark: str | None = None) -> int:
    """A count as typed ("1 200", "1.200", "24") to an int; refuses fractions.
    `decimal_mark`: see parse_decimal ("1,250" with a point is 1250)."""
    value = parse_decimal(text, decimal_mark=decimal_mark)
    if value != value.to_integral_value():
        raise NOT_A_WHOLE_NUMBER(text=text)
    return int(value)


def group_thousands(number: int, separator: str = "\u202f") -> str:
    """25000 → "25 000" with a narrow no-break space, as French typography writes it."""
    sign = "-" if number < 0 else ""
    digits = str(abs(int(number)))
    groups = []
    while digits:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    return sign + separator.join(groups)


def format_euros(cents: int, *, language: str = "fr") -> str:
    """123450 → "1 234,50 €" in French, "€1,234.50" in English."""
    euros, rest = divmod(abs(int(cents)), 100)
    sign = "-" if cents < 0 else ""
    if language.startswith("en"):
        return f"{sign}€{group_thousands(euros, ',')}.{rest:02d}"
    return f"{sign}{group_thousands(euros)},{rest:02d}\u00a0€"


def split_largest_remainder(total_cents: int, weights: Mapping[K, Number]) -> dict[K, int]:
    """Split `total_cents` between the keys in proportion to their weights, to the cent.

    Largest remainder method: each key first gets the whole cents of its exact share, then
    the cents left over go one each to the keys with the largest fractional parts. The shares
    always add up to the total, and each is within one cent of its exact value. Exact rational
    arithmetic throughout: no float ever touches money.

    Ties are broken by a stable rule that never depends on the order the keys were given in:
    larger fractional part first, then larger weight, then the smaller key in sorted order
    (keys are identifiers such as relay or payee ids, so the rule is reproducible).

    Raises a BadInput refusal when there is nothing to split on: split_total_negative,
    split_weight_negative, split_nothing_to_share.
    """
    if total_cents < 0:
        raise SPLIT_TOTAL_NEGATIVE()
    exact_weights = {key: Fraction(weight) for key, weight in weights.items()}
    if any(weight < 0 for weight in exact_weights.values()):
        raise SPLIT_WEIGHT_NEGATIVE()
    weight_sum = sum(exact_weights.values(), Fraction(0))
    if weight_sum == 0:
        if total_cents == 0:
            return dict.fromkeys(exact_weights, 0)
        raise SPLIT_NOTHING_TO_SHARE()
    exact = {key: total_cents * weight / weight_sum for key, weight in exact_weights.items()}
    shares = {key: math.floor(value) for key, value in exact.items()}
    left_over = total_cents - sum(shares.values())
    order = sorted(
        exact,
        key=lambda key: (-(exact[key] - shares[key]), -exact_weights[key], key),
    )
    for key in order[:left_over]:
        shares[key] += 1
    return shares
