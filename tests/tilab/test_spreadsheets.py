"""The spreadsheet helpers: numbers French spreadsheets read as numbers in ";" CSV files, written
once for every such file of the platform."""

import io
import re
from decimal import Decimal
from pathlib import Path

import pytest

from tests.spreadsheets import french_excel_rows, french_number
from tilab.spreadsheets import csv_cell, csv_decimal, csv_euros, french_csv_writer

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("cents", "text"),
    [
        (123_456, "1234,56"),
        (5, "0,05"),
        (0, "0,00"),
        (-250, "-2,50"),
        (100_000_000, "1000000,00"),
        (123_456_789_012_345, "1234567890123,45"),
    ],
)
def test_euros_are_written_with_a_decimal_comma_and_no_thousands_separator(cents, text):
    assert csv_euros(cents) == text
    assert int(french_number(text) * 100) == cents


def test_a_file_for_programs_may_ask_for_a_decimal_point():
    assert csv_euros(123_456, mark=".") == "1234.56"
    assert csv_decimal(Decimal("0.5"), mark=".") == "0.5"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (24, "24"),
        (1_200_000, "1200000"),
        (Decimal("12.50"), "12,50"),
        (Decimal("1E+3"), "1000"),
        (Decimal("-0.05"), "-0,05"),
        (0.1, "0,1"),
        (1e20, "100000000000000000000"),
        (2.5e-7, "0,00000025"),
    ],
)
def test_numbers_are_plain_digits_with_a_decimal_comma_never_an_exponent(value, text):
    assert csv_decimal(value) == text
    french_number(text)


@pytest.mark.parametrize("value", [True, "12", None])
def test_only_numbers_are_written_as_numbers(value):
    with pytest.raises(TypeError):
        csv_decimal(value)


def test_a_cell_of_any_kind_is_a_number_text_a_spreadsheet_will_not_run_or_empty():
    assert csv_cell(None) == ""
    assert csv_cell(Decimal("3.25")) == "3,25"
    assert csv_cell(-4) == "-4"  # a negative number is a number, not a formula to defuse
    assert csv_cell("=1+1") == "'=1+1"
    assert csv_cell("Anne") == "Anne"


def test_the_french_writer_separates_with_semicolons_so_decimal_commas_stay_in_their_cell():
    buffer = io.StringIO()
    french_csv_writer(buffer).writerows([["Montant", "Nom"], [csv_euros(123_456), "Le Goff, A."]])
    assert buffer.getvalue() == "Montant;Nom\r\n1234,56;Le Goff, A.\r\n"
    assert french_excel_rows(buffer.getvalue()) == [["Montant", "Nom"], ["1234,56", "Le Goff, A."]]


def _app_sources():
    for path in sorted(ROOT.glob("*/**/*.py")):
        relative = path.relative_to(ROOT)
        top = relative.parts[0]
        if top.startswith(".") or top in {"tests", "static", "locale", "templates"}:
            continue
        if "migrations" in relative.parts or relative.parts[:2] == ("makers", "importing"):
            continue
        yield relative, path.read_text(encoding="utf-8")


def test_every_semicolon_csv_is_written_by_the_french_writer():
    # A ";" file with decimal points is what French Excel reads as text: the one writer of
    # ";" files pairs the separator with the decimal comma. The open data CSV, for programs,
    # is the only other CSV (comma-separated, decimal point, as its Table Schema says).
    writers = {
        str(relative)
        for relative, source in _app_sources()
        if re.search(r"csv\.writer\(|delimiter\s*=", source)
    }
    assert writers == {"tilab/spreadsheets.py", "figures/open_data.py"}
    open_data = (ROOT / "figures" / "open_data.py").read_text(encoding="utf-8")
    assert "delimiter" not in open_data.replace("RFC 4180", "")
