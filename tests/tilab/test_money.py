"""Amounts and counts as people type them, as French readers read them, and split to the cent."""

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.refusals import refused
from tilab.errors import BadInput
from tilab.money import (
    format_euros,
    group_thousands,
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
    ],
)
def test_euros_are_read_as_typed_and_kept_in_cents(typed, cents):
    assert parse_euros(typed) == cents


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("-5", "typed_amount_negative"),
        ("12,505", "typed_amount_sub_cent"),
        ("douze", "not_a_number"),
        ("", "number_empty"),
        ("1,2,3.4.5", "not_a_number"),
        ("NaN", "not_a_number"),
    ],
)
def test_unreadable_or_negative_amounts_are_refused(typed, code):
    with refused(code, kind=BadInput):
        parse_euros(typed)


@pytest.mark.parametrize(
    ("typed", "number"), [("24", 24), ("1 200", 1200), ("1.200", 1200), ("1\u00a0200", 1200)]
)
def test_counts_accept_thousands_separators(typed, number):
    assert parse_whole_number(typed) == number


@pytest.mark.parametrize(
    ("typed", "code"),
    [("12,5", "not_a_whole_number"), ("abc", "not_a_number"), ("1.5", "not_a_whole_number")],
)
def test_counts_must_be_whole(typed, code):
    with refused(code, kind=BadInput):
        parse_whole_number(typed)


def test_amounts_and_counts_are_written_the_french_way_or_the_english_way():
    assert group_thousands(25000) == "25\u202f000"
    assert format_euros(123450) == "1\u202f234,50\u00a0€"
    assert format_euros(5) == "0,05\u00a0€"
    assert format_euros(123450, language="en") == "€1,234.50"


# --- Splitting an amount to the cent -------------------------------------------------------------

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


def test_a_cent_that_cannot_be_shared_evenly_goes_by_the_documented_rule():
    # Equal fractional parts and equal weights: the smaller key gets the extra cent.
    assert split_largest_remainder(100, {3: 1, 1: 1, 2: 1}) == {1: 34, 2: 33, 3: 33}
    # Equal fractional parts, different weights: the larger weight gets it.
    assert split_largest_remainder(1, {1: 1, 2: 3}) == {1: 0, 2: 1}


@settings(max_examples=3000, deadline=None)
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


@settings(max_examples=1000, deadline=None)
@given(total=totals, weights=weights_by_key, data=st.data())
def test_the_split_never_depends_on_the_order_the_keys_come_in(total, weights, data):
    shuffled = data.draw(st.permutations(list(weights.items())))
    assert split_largest_remainder(total, dict(shuffled)) == split_largest_remainder(total, weights)


@settings(max_examples=1000, deadline=None)
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
