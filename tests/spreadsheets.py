"""Reading the platform's files as a person's spreadsheet would: a ";" CSV as French Excel opens
it, an XLSX cell as Excel shows it."""

import csv
import datetime
import io
import re
from decimal import Decimal

# What French Excel takes for a number in a CSV cell: an optional minus, digits, a decimal comma.
# "12.50" is text there (or a date: "12.05" becomes 12 May), and so is "1 234,50".
FRENCH_NUMBER = re.compile(r"-?\d+(,\d+)?")


def french_excel_rows(content: bytes | str) -> list[list[str]]:
    """The cells of a ";" CSV, as French Excel splits them (UTF-8, with or without its BOM)."""
    if isinstance(content, bytes):
        content = content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(content.removeprefix("\ufeff")), delimiter=";"))


def french_number(cell: str) -> Decimal:
    """The number French Excel reads in a cell; fails when it would read text instead."""
    assert FRENCH_NUMBER.fullmatch(cell), f"French Excel reads {cell!r} as text, not a number"
    # What the spreadsheet does, with the float it keeps...
    assert float(cell.replace(",", ".")) == float(Decimal(cell.replace(",", ".")))
    # ...and exactly, to add amounts to the cent.
    return Decimal(cell.replace(",", "."))


def french_euros_cents(cell: str) -> int:
    """An amount cell in euros ("1234,50") as cents; fails unless it has exactly two decimals."""
    assert re.fullmatch(r"-?\d+,\d\d", cell), f"{cell!r} is not an amount in euros and cents"
    return int(french_number(cell) * 100)


def assert_numeric_cell(cell, number_format: str | None = None) -> None:
    """An XLSX cell holding a number (never text that looks like one), shown with a number
    format of its own (`number_format` when given), not Excel's "General"."""
    assert cell.data_type == "n", (cell.coordinate, cell.data_type, cell.value)
    assert isinstance(cell.value, int | float) and not isinstance(cell.value, bool), cell.value
    assert cell.number_format != "General", cell.coordinate
    if number_format is not None:
        assert cell.number_format == number_format, (cell.coordinate, cell.number_format)


def assert_date_cell(cell) -> None:
    """An XLSX cell holding a date (openpyxl reads it back as a datetime), shown as a date."""
    assert cell.is_date, (cell.coordinate, cell.value, cell.number_format)
    assert isinstance(cell.value, datetime.datetime | datetime.date), cell.value
