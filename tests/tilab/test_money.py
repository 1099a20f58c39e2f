"""Amounts and counts as people type them, as French readers read them, and split to the cent."""

import os
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.refusals import refused
from tilab.errors import BadInput
from tilab.money import (
    format_euros,
    group_thousands,
    parse_decimal,
    parse_euros,
    parse_whole_number,
    split_largest_remainder,
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
        # Thousands, every way they are written.
        ("1,234,567", 123456700),
        ("1 234 567", 123456700),
        ("1\u00a0234\u00a0567", 123456700),
        ("1.234.567", 123456700),
        ("1'234'567", 123456700),
        ("1.234.567,89", 123456789),
        ("1,234,567.89", 123456789),
        ("1 234 567,89 €", 123456789),
        # A single comma is the French decimal mark; a dot before other than three digits too.
        ("1234.5", 123450),
        ("0,5", 50),
        (",5", 50),
        ("12,500", 1250),
        # Zero, however written; minus zero is zero.
        ("0,00", 0),
        ("0,00 €", 0),
        ("-0", 0),
        ("-0,00", 0),
        # The smallest amount: one cent.
        ("0,01", 1),
        ("0.01", 1),
    ],
)
def test_euros_are_read_as_typed_and_kept_in_cents(typed, cents):
    assert parse_euros(typed) == cents


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("-5", "typed_amount_negative"),
        ("-0,50", "typed_amount_negative"),
        ("-0,01", "typed_amount_negative"),
        ("-1 234,50 €", "typed_amount_negative"),
        ("12,505", "typed_amount_sub_cent"),
        ("1234.567", "typed_amount_sub_cent"),
        ("1,234", "typed_amount_sub_cent"),
        ("0,001", "typed_amount_sub_cent"),
        ("0,005", "typed_amount_sub_cent"),
        ("1,234.567", "typed_amount_sub_cent"),
        ("1,23,4", "not_a_number"),
        ("12.34,5", "not_a_number"),
        ("1234,567.8", "not_a_number"),
        ("1,2345,678", "not_a_number"),
        ("1e3", "not_a_number"),
        ("Infinity", "not_a_number"),
        ("\u0661\u0662", "not_a_number"),
        ("1.2.3", "not_a_number"),
        ("--5", "not_a_number"),
        ("€", "number_empty"),
        ("   ", "number_empty"),
        ("douze", "not_a_number"),
        ("", "number_empty"),
        ("1,2,3.4.5", "not_a_number"),
        ("NaN", "not_a_number"),
    ],
)
def test_unreadable_or_negative_amounts_are_refused(typed, code):
    # An unreadable number is quoted back as typed, so the person sees which one.
    quoted = {"text": typed} if code == "not_a_number" else {}
    with refused(code, kind=BadInput, **quoted):
        parse_euros(typed)


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("24", 24),
        ("1 200", 1200),
        ("1.200", 1200),
        ("1\u00a0200", 1200),
        ("1,234,567", 1234567),
        ("1 234 567", 1234567),
        ("1.234.567", 1234567),
        ("12,0", 12),
        ("0", 0),
    ],
)
def test_counts_accept_thousands_separators(typed, number):
    assert parse_whole_number(typed) == number


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("12,5", "not_a_whole_number"),
        ("abc", "not_a_number"),
        ("1.5", "not_a_whole_number"),
        ("1234.567", "not_a_whole_number"),
        ("1,234", "not_a_whole_number"),
        ("", "number_empty"),
    ],
)
def test_counts_must_be_whole(typed, code):
    quoted = {"text": typed} if code != "number_empty" else {}
    with refused(code, kind=BadInput, **quoted):
        parse_whole_number(typed)


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("-12,5", Decimal("-12.5")),
        ("-1.234,5", Decimal("-1234.5")),
        ("-1,234,567", Decimal("-1234567")),
        ("+3", Decimal("3")),
        ("1234.567", Decimal("1234.567")),
        ("1.234", Decimal("1234")),
        ("1.2345", Decimal("1.2345")),
    ],
)
def test_decimals_keep_their_sign_and_every_digit(typed, number):
    value = parse_decimal(typed)
    assert value == number
    assert value.as_tuple() == number.as_tuple() or value.normalize() == number.normalize()


NNBSP, NBSP = "\u202f", "\u00a0"


@pytest.mark.parametrize(
    ("cents", "french", "english"),
    [
        (0, f"0,00{NBSP}€", "€0.00"),
        (1, f"0,01{NBSP}€", "€0.01"),
        (5, f"0,05{NBSP}€", "€0.05"),
        (99, f"0,99{NBSP}€", "€0.99"),
        (100, f"1,00{NBSP}€", "€1.00"),
        (123450, f"1{NNBSP}234,50{NBSP}€", "€1,234.50"),
        (100_000, f"1{NNBSP}000,00{NBSP}€", "€1,000.00"),
        (123456789, f"1{NNBSP}234{NNBSP}567,89{NBSP}€", "€1,234,567.89"),
        (3_000_000, f"30{NNBSP}000,00{NBSP}€", "€30,000.00"),
        (-1, f"-0,01{NBSP}€", "-€0.01"),
        (-50, f"-0,50{NBSP}€", "-€0.50"),
        (-123450, f"-1{NNBSP}234,50{NBSP}€", "-€1,234.50"),
    ],
)
def test_amounts_are_written_the_french_way_or_the_english_way(cents, french, english):
    assert format_euros(cents) == french
    assert format_euros(cents, language="fr") == french
    assert format_euros(cents, language="en") == english
    assert format_euros(cents, language="en-gb") == english


def test_zero_is_never_written_with_a_minus_sign():
    for language in ("fr", "en"):
        assert "-" not in format_euros(0, language=language)
        assert "-" not in format_euros(-0, language=language)


@pytest.mark.parametrize(
    ("number", "written"),
    [
        (0, "0"),
        (7, "7"),
        (999, "999"),
        (1000, f"1{NNBSP}000"),
        (25000, f"25{NNBSP}000"),
        (1234567, f"1{NNBSP}234{NNBSP}567"),
        (-1234567, f"-1{NNBSP}234{NNBSP}567"),
        (-999, "-999"),
    ],
)
def test_counts_are_grouped_by_thousands(number, written):
    assert group_thousands(number) == written
    assert group_thousands(number, ",") == written.replace(NNBSP, ",")


@pytest.mark.parametrize("cents", [0, 1, 5, 99, 100, 123450, 123456789, 10**12])
def test_a_written_amount_reads_back_to_the_same_cents(cents):
    assert parse_euros(format_euros(cents)) == cents
    assert parse_euros(format_euros(cents, language="en").replace("€", "")) == cents


# --- Splitting an amount to the cent -------------------------------------------------------------

# Under `make mutate` (mutmut names the mutant in MUTANT_UNDER_TEST) each mutant runs these
# properties with a tenth of the examples: the exact cases above do most of the killing.
EXAMPLES = 10 if os.environ.get("MUTANT_UNDER_TEST") else 100

weights_by_key = st.dictionaries(
    keys=st.integers(min_value=1, max_value=10_000),
    values=st.integers(min_value=0, max_value=10**9),
    min_size=1,
    max_size=60,
).filter(lambda weights: sum(weights.values()) > 0)
totals = st.integers(min_value=0, max_value=10**12)  # up to ten billion euros, in cents


def test_the_2020_grant_splits_50_25_25():
    shares = split_largest_remainder(
        3_000_000, {"LabFab de Rennes": 50, "La Fabrique du Loch": 25, "ENSTA Bretagne": 25}
    )
    assert shares == {
        "LabFab de Rennes": 1_500_000,
        "La Fabrique du Loch": 750_000,
        "ENSTA Bretagne": 750_000,
    }


def test_a_2020_shaped_redistribution_splits_to_the_cent():
    """Rennes's 15,000 € less 3,000 € of grouped PLA purchases, pro rata to validated visors:
    the exact shares are 344,132.0009…, 158,122.2403…, 24,819.8931…, 672,089.2401… and
    836.6256… cents; the 2 cents left over go to the two largest fractions (.8931 and .6256),
    not to the FabLab (.2401) nor to Yann (.2403)."""
    shares = split_largest_remainder(
        1_200_000,
        {
            "Anne Le Goff": 1234,
            "Yann Kervella": 567,
            "Gaëlle Tanguy": 89,
            "FabLab de Saint-Brieuc": 2410,
            "Erwan Le Bihan": 3,
        },
    )
    assert shares == {
        "Anne Le Goff": 344_132,
        "Yann Kervella": 158_122,
        "Gaëlle Tanguy": 24_820,
        "FabLab de Saint-Brieuc": 672_089,
        "Erwan Le Bihan": 837,
    }


# The documented rule, one exact case per branch: whole cents first; then the cents left over,
# one each, to the largest fractional part; equal fractions to the larger weight; equal weights
# to the smaller key.


def test_the_leftover_cent_goes_to_the_largest_fraction_even_for_a_smaller_weight():
    # 10 cents at 16:84 are 1.6 and 8.4: the cent left goes to the .6, never giving 1 and 9.
    assert split_largest_remainder(10, {"z": 16, "a": 84}) == {"z": 2, "a": 8}
    assert split_largest_remainder(10, {"a": 16, "z": 84}) == {"a": 2, "z": 8}


def test_equal_fractions_give_the_cent_to_the_larger_weight_whatever_the_keys():
    # 2 cents at 1:3 are 0.5 and 1.5: equal fractions, the larger weight gets the cent.
    assert split_largest_remainder(2, {"a": 1, "b": 3}) == {"a": 0, "b": 2}
    assert split_largest_remainder(2, {"b": 1, "a": 3}) == {"b": 0, "a": 2}


def test_equal_fractions_and_weights_give_the_cent_to_the_smaller_key():
    assert split_largest_remainder(100, {3: 1, 1: 1, 2: 1}) == {1: 34, 2: 33, 3: 33}
    assert split_largest_remainder(1, {"b": 1, "a": 1}) == {"a": 1, "b": 0}
    # Of a zero weight and two equal ones, the zero gets nothing and the smaller key the cent.
    assert split_largest_remainder(3, {"c": 1, "b": 1, "a": 0}) == {"a": 0, "b": 2, "c": 1}


def test_several_leftover_cents_go_one_each_down_the_order():
    # 5 cents between 7 equal weights: 5 keys get one each, the two largest keys none.
    assert split_largest_remainder(5, dict.fromkeys("gfedcba", 1)) == {
        "a": 1, "b": 1, "c": 1, "d": 1, "e": 1, "f": 0, "g": 0,
    }  # fmt: skip
    # 7 cents at 1:1:1:4 are 1, 1, 1 and 4 exactly: nothing is left over, nobody gets more.
    assert split_largest_remainder(7, {1: 1, 2: 1, 3: 1, 4: 4}) == {1: 1, 2: 1, 3: 1, 4: 4}


def test_weights_may_be_decimals_or_fractions():
    assert split_largest_remainder(100, {1: Decimal("0.5"), 2: Fraction(1, 4)}) == {1: 67, 2: 33}
    assert split_largest_remainder(10, {"x": Decimal("1.6"), "y": Decimal("8.4")}) == {
        "x": 2,
        "y": 8,
    }


@settings(max_examples=30 * EXAMPLES, deadline=None)
@given(total=totals, weights=weights_by_key)
def test_shares_add_up_to_the_total_and_each_is_within_a_cent_of_its_exact_value(total, weights):
    shares = split_largest_remainder(total, weights)
    assert set(shares) == set(weights)
    assert sum(shares.values()) == total
    weight_sum = sum(weights.values())
    for key, share in shares.items():
        exact = Fraction(total * weights[key], weight_sum)
        assert abs(share - exact) < 1
        assert share >= 0


@settings(max_examples=10 * EXAMPLES, deadline=None)
@given(total=totals, weights=weights_by_key, data=st.data())
def test_the_split_never_depends_on_the_order_the_keys_come_in(total, weights, data):
    shuffled = data.draw(st.permutations(list(weights.items())))
    assert split_largest_remainder(total, dict(shuffled)) == split_largest_remainder(total, weights)


@settings(max_examples=10 * EXAMPLES, deadline=None)
@given(total=totals, weights=weights_by_key)
def test_a_larger_weight_never_gets_less(total, weights):
    shares = split_largest_remainder(total, weights)
    for a in weights:
        for b in weights:
            if weights[a] > weights[b]:
                assert shares[a] >= shares[b]


@pytest.mark.parametrize(
    ("total", "weights", "code"),
    [
        (-1, {1: 1}, "split_total_negative"),
        (100, {1: -1, 2: 2}, "split_weight_negative"),
        (100, {1: 0, 2: 0}, "split_nothing_to_share"),
    ],
)
def test_impossible_splits_are_refused_with_a_reason(total, weights, code):
    with refused(code, kind=BadInput):
        split_largest_remainder(total, weights)


def test_nothing_to_split_gives_zero_to_everyone():
    assert split_largest_remainder(0, {1: 0, 2: 0}) == {1: 0, 2: 0}


@pytest.mark.parametrize(
    ("typed", "mark", "value"),
    [
        # "1,250" and "1.250" are read the writer's way once the writer's mark is known.
        ("1,250", "comma", Decimal("1.25")),
        ("1,250", "point", Decimal("1250")),
        ("1.250", "comma", Decimal("1250")),
        ("1.250", "point", Decimal("1.25")),
        ("1.250,50", "comma", Decimal("1250.50")),
        ("1,250.50", "point", Decimal("1250.50")),
        ("1 250,50 €", "comma", Decimal("1250.50")),
        ("1 250.50", "point", Decimal("1250.50")),
        ("1,250,000", "point", Decimal("1250000")),
        ("1.250.000", "comma", Decimal("1250000")),
        ("-12.5", "point", Decimal("-12.5")),
        ("24", "point", Decimal("24")),
    ],
)
def test_a_number_is_read_with_the_decimal_mark_of_its_writer(typed, mark, value):
    assert parse_decimal(typed, decimal_mark=mark) == value


@pytest.mark.parametrize(
    ("typed", "mark"),
    [
        ("12.5", "comma"),  # a dot can only separate thousands, in groups of three
        ("12,5", "point"),
        ("1,250.50", "comma"),
        ("1.250,50", "point"),
        ("1,25,0", "point"),
        ("1,250,5", "comma"),
    ],
)
def test_a_number_against_its_writers_mark_is_not_a_number(typed, mark):
    with refused("not_a_number", kind=BadInput):
        parse_decimal(typed, decimal_mark=mark)


def test_counts_and_euros_take_the_writers_mark_too():
    assert parse_whole_number("1,250", decimal_mark="point") == 1250
    with refused("not_a_whole_number", kind=BadInput):
        parse_whole_number("1,250", decimal_mark="comma")
    assert parse_euros("1,250", decimal_mark="point") == 125000
    assert parse_euros("1,250", decimal_mark="comma") == 125
    # Without a mark, the platform's forms read as before.
    assert (parse_euros("1,250"), parse_euros("1.250")) == (125, 125000)
