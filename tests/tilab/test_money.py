"""Amounts and counts as people type them, and as French readers expect to read them."""

import pytest

from tilab.money import (
    NumberInvalid,
    format_euros,
    group_thousands,
    parse_euros,
    parse_whole_number,
)


@pytest.mark.parametrize(
    ("typed", "cents"),
    [
        ("12,50", 1250),
        ("12.50", 1250),
        ("12,5", 1250),
        ("0", 0),
        ("1 234,50 €", 123450),
        ("1\u202f234,50", 123450),
        ("1.234,50", 123450),
        ("1,234.50", 123450),
        ("1.234", 123400),
        ("31,20 EUR", 3120),
    ],
)
def test_euros_are_read_as_typed_and_kept_in_cents(typed, cents):
    assert parse_euros(typed) == cents


@pytest.mark.parametrize("typed", ["-5", "12,505", "douze", "", "1,2,3.4.5", "NaN"])
def test_unreadable_or_negative_amounts_are_refused(typed):
    with pytest.raises(NumberInvalid):
        parse_euros(typed)


@pytest.mark.parametrize(
    ("typed", "number"), [("24", 24), ("1 200", 1200), ("1.200", 1200), ("1\u00a0200", 1200)]
)
def test_counts_accept_thousands_separators(typed, number):
    assert parse_whole_number(typed) == number


@pytest.mark.parametrize("typed", ["12,5", "abc", "1.5"])
def test_counts_must_be_whole(typed):
    with pytest.raises(NumberInvalid):
        parse_whole_number(typed)


def test_amounts_and_counts_are_written_the_french_way_or_the_english_way():
    assert group_thousands(25000) == "25\u202f000"
    assert format_euros(123450) == "1\u202f234,50\u00a0€"
    assert format_euros(5) == "0,05\u00a0€"
    assert format_euros(123450, language="en") == "€1,234.50"
