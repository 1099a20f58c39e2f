"""What the platform writes into files that people open in a spreadsheet: free text a spreadsheet
will not run, numbers French spreadsheets read as numbers in ";" CSV files, and the number formats
of XLSX cells.

French Excel and LibreOffice in a French locale split a CSV on ";" because the comma is their
decimal mark: "12.50" in such a file is read as text (or as a date, "12.05" is 12 May), so a
";" file writes "12,50". Every ";" CSV of the platform is written with `french_csv_writer` and
its numbers with `csv_decimal` / `csv_euros`. Files for programs (the open data CSV) are
comma-separated with a decimal point instead, as their Table Schema declares.
"""

import csv
from decimal import Decimal
from typing import Any

# Excel, LibreOffice and Google Sheets run a cell starting with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

CSV_DELIMITER = ";"
DECIMAL_COMMA = ","
DECIMAL_POINT = "."

# XLSX number formats: the cell holds a number (or a date), the format only says how it is shown;
# Excel and LibreOffice show the decimal and thousands marks of the reader's locale.
XLSX_EUROS = '#,##0.00\\ "€"'
XLSX_COUNT = "#,##0"
XLSX_ID = "0"
XLSX_DATE = "DD/MM/YYYY"
XLSX_DATETIME = "DD/MM/YYYY HH:MM"


def spreadsheet_safe(text: str) -> str:
    """Text a spreadsheet will not run: behind an apostrophe when it starts like a formula, as
    Excel shows text typed that way. For free text only (names, references), never numbers."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def french_csv_writer(stream):
    """A csv writer for a file French spreadsheets open without an import wizard: ";" between
    fields, CRLF line ends. Its numbers go through `csv_decimal` or `csv_euros`."""
    return csv.writer(stream, delimiter=CSV_DELIMITER, lineterminator="\r\n")


def csv_decimal(value: int | Decimal | float, *, mark: str = DECIMAL_COMMA) -> str:
    """A number as a CSV cell: an optional minus sign, digits without any thousands separator,
    `mark` before the decimals. An int stays whole ("24"), a Decimal keeps its places
    (Decimal("12.50") → "12,50"), a float is written as briefly as it round-trips (0.1 → "0,1"),
    never with an exponent."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal | float):
        raise TypeError(f"not a number: {value!r}")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        value = Decimal(repr(value))
    return format(value, "f").replace(DECIMAL_POINT, mark)


def csv_euros(cents: int, *, mark: str = DECIMAL_COMMA) -> str:
    """An amount in cents as euros with two decimals, exact (never through a float):
    123456 → "1234,56", 5 → "0,05", -250 → "-2,50"."""
    return csv_decimal(Decimal(int(cents)).scaleb(-2), mark=mark)


def csv_cell(value: Any, *, mark: str = DECIMAL_COMMA) -> Any:
    """Any value of a ";" CSV whose columns are not typed (one column holding every kind of
    value): numbers with `mark`, nothing as an empty cell, text made `spreadsheet_safe`."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | Decimal | float):
        return csv_decimal(value, mark=mark)
    if isinstance(value, str):
        return spreadsheet_safe(value)
    return value
