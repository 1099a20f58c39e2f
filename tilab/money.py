"""Money and numbers as people type them ("1 234,50 €") and as the platform keeps them (cents)."""

import math
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
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
_DOT_THOUSANDS = re.compile(r"^-?\d{1,3}(\.\d{3})+$")


K = TypeVar("K")
Number = int | Decimal | Fraction


def parse_decimal(text: str) -> Decimal:
    """Read a French or English written number: "1 234,5", "1.234,50", "1,234.50", "12.5".
    Raises a BadInput refusal (number_empty, not_a_number) whose message is a fragment to
    put into a field's or a row's message.

    A lone dot followed by groups of exactly three digits ("1.200") is a thousands separator,
    as a French spreadsheet writes it; otherwise the last of "," and "." is the decimal mark.
    """
    cleaned = _SPACES.sub("", str(text)).replace("€", "").replace("EUR", "").strip()
    if not cleaned:
        raise NUMBER_EMPTY()
    if "," in cleaned and "." in cleaned:
        decimal_mark = "," if cleaned.rfind(",") > cleaned.rfind(".") else "."
        thousands = "." if decimal_mark == "," else ","
        cleaned = cleaned.replace(thousands, "").replace(decimal_mark, ".")
    elif "," in cleaned:
        # "1,234,567" can only be thousands; a single comma is the French decimal mark.
        several = cleaned.count(",") > 1
        cleaned = cleaned.replace(",", "") if several else cleaned.replace(",", ".")
    elif _DOT_THOUSANDS.match(cleaned):
        cleaned = cleaned.replace(".", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise NOT_A_NUMBER(text=text) from None
    if not value.is_finite():
        raise NOT_A_NUMBER(text=text)
    return value


def parse_euros(text: str) -> int:
    """Euros as typed ("12,50", "1 234,5 €") to integer cents; refuses negatives and sub-cents."""
    value = parse_decimal(text)
    if value < 0:
        raise TYPED_AMOUNT_NEGATIVE()
    cents = value * 100
    if cents != cents.to_integral_value():
        raise TYPED_AMOUNT_SUB_CENT()
    return int(cents)


def parse_whole_number(text: str) -> int:
    """A count as typed ("1 200", "1.200", "24") to an int; refuses fractions."""
    value = parse_decimal(text)
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
