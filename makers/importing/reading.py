"""Reading an uploaded file: CSV or Excel (.xlsx) bytes become a sheet of typed cells, or a refusal.

The file as a whole is refused here (size, format, encoding, an unsafe workbook, formulas);
what the cells say is checked later, row by row (checking.py).
"""

import csv
import io
import logging
import re
from dataclasses import dataclass

from . import errors
from .errors import (
    FILE_LINE,
    ImportRejected,
    RowError,
    SpreadsheetUnreadable,
    rows_rejected,
    unreadable,
)
from .normalise import clean
from .workbook_checks import check_workbook

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000
FORMULAS_LISTED = 20


@dataclass
class Sheet:
    """The first non-blank row as headers (text), then every non-blank row under it with its
    line number in the file; cells keep their type (text from a CSV; numbers, dates and text
    from a workbook)."""

    header_line: int
    headers: list[str]
    rows: list[tuple[int, tuple]]


_BINARY_SIGNATURES = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"{\\rtf", b"\x1f\x8b")


def check_size(size: int) -> None:
    """Refuse a file of more than MAX_FILE_BYTES (SpreadsheetUnreadable). The pages and the API
    ask before reading an upload, so that a huge one is never loaded in memory."""
    if size > MAX_FILE_BYTES:
        raise unreadable(errors.FILE_TOO_BIG(max=MAX_FILE_BYTES // (1024 * 1024)))


def read_sheet(content: bytes) -> Sheet:
    """Parse the file into its header and rows; raise SpreadsheetUnreadable for anything else.

    The format is recognised from the bytes, whatever the file's name or announced type says:
    an Excel workbook is a zip holding [Content_Types].xml and xl/workbook.xml and nothing
    active (see check_workbook); a CSV is text that decodes, without NUL or other control
    characters. Everything else is refused.

    This is the one way in from a file: each format has a reader returning its first sheet as
    (header line, header cells, numbered rows), so another format is one more branch here.
    """
    check_size(len(content))
    if not content.strip():
        raise unreadable(errors.FILE_EMPTY())
    if content.startswith(b"PK\x03\x04"):
        check_workbook(content)
        header_line, header, rows = _read_xlsx(content)
    elif content.startswith(b"\xd0\xcf\x11\xe0"):
        raise unreadable(errors.OLD_EXCEL_FORMAT())
    elif content.startswith(_BINARY_SIGNATURES):
        raise unreadable(errors.NOT_A_SPREADSHEET())
    else:
        header_line, header, rows = _read_csv(content)
    headers = [clean(h) for h in header]
    return Sheet(header_line=header_line, headers=headers, rows=rows)


def _is_blank(values) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def _collect(numbered_rows) -> tuple[int, list, list[tuple[int, tuple]]]:
    """The header (first non-blank row) and the non-blank rows under it, bounded in number."""
    header_line, header, rows = 0, None, []
    for line, values in numbered_rows:
        if _is_blank(values):
            continue
        if header is None:
            header_line, header = line, list(values)
            continue
        rows.append((line, tuple(values)))
        if len(rows) > MAX_ROWS:
            raise unreadable(errors.FILE_TOO_LONG(max=f"{MAX_ROWS:,}".replace(",", "\u202f")))
    if header is None:
        raise unreadable(errors.FILE_EMPTY())
    return header_line, header, rows


# Text has no control character but tabs and line ends: anything else is binary content,
# whatever the file's name or announced type says.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _decode(content: bytes) -> str:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Excel's "Unicode text" export: UTF-16 with its byte order mark, tab-separated.
        try:
            text = content.decode("utf-16")
        except UnicodeDecodeError:
            raise unreadable(errors.NOT_A_SPREADSHEET()) from None
    else:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                # What Excel on Windows writes when it saves "CSV (séparateur : point-virgule)".
                text = content.decode("cp1252")
            except UnicodeDecodeError:
                raise unreadable(errors.ENCODING_UNKNOWN()) from None
    if found := _CONTROL.search(text):
        line = text.count("\n", 0, found.start()) + 1
        if found.group() == "\x00":
            reason = errors.NUL_BYTES()
        else:
            reason = errors.CONTROL_CHARACTERS(code=f"{ord(found.group()):#04x}")
        raise unreadable(reason, line=line)
    return text


def _delimiter(text: str) -> str:
    for line in text.splitlines():
        if line.strip().strip(",;\t"):
            counts = {d: line.count(d) for d in (";", "\t", ",")}
            best = max(counts, key=lambda d: counts[d])
            return best if counts[best] else ";"
    return ";"


def _read_csv(content: bytes) -> tuple[int, list, list]:
    # Cells are text, whatever they start with ("=", "+", "-", "@" included): nothing here
    # evaluates them, and the platform's exports defuse them (makers/exports.py).
    text = _decode(content)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        return _collect(enumerate(reader, start=1))
    except csv.Error as exc:
        raise unreadable(
            errors.LINE_UNREADABLE(line=reader.line_num, reason=str(exc)), line=reader.line_num
        ) from None


def _formulas_refused(formulas: list[tuple[int, int]], header: list | None) -> ImportRejected:
    """One error per formula cell, with its line and column (the first ones, then a count).

    Formulas are refused rather than read: the value a workbook keeps beside a formula is
    whatever the last program to save it wrote (nothing at all when a script made the file,
    anything when someone forges it), and the formula's text is not a figure. Pasting the
    values is one action in Excel, and the person sees what will be imported."""
    from openpyxl.utils import get_column_letter

    found = []
    for line, index in formulas[:FORMULAS_LISTED]:
        letter = get_column_letter(index + 1)
        heading = clean(header[index]) if header and index < len(header) else ""
        found.append(RowError(line, heading or letter, errors.CELL_FORMULA(cell=f"{letter}{line}")))
    more = len(formulas) - FORMULAS_LISTED
    if more > 0:
        found.append(RowError(FILE_LINE, "", errors.MORE_FORMULAS(count=more)))
    return rows_rejected(found)


def _read_xlsx(content: bytes) -> tuple[int, list, list]:
    import openpyxl  # imported here: only an XLSX upload pays for loading it

    try:
        # data_only=False: formula cells show as formulas, so they can be refused.
        workbook = openpyxl.load_workbook(
            io.BytesIO(content), read_only=True, data_only=False, keep_links=False
        )
    except Exception:
        # Anything may go wrong inside a foreign zip (missing parts, bad XML): one answer.
        logger.info("unreadable xlsx upload", exc_info=True)
        raise unreadable(errors.WORKBOOK_UNREADABLE()) from None
    formulas: list[tuple[int, int]] = []

    def numbered_rows(sheet):
        for line, cells in enumerate(sheet.iter_rows(min_row=1), start=1):
            values = []
            for index, cell in enumerate(cells):
                if cell.data_type == "f":
                    formulas.append((line, index))
                values.append(cell.value)
            yield line, tuple(values)

    try:
        if not workbook.worksheets:
            raise unreadable(errors.WORKBOOK_WITHOUT_SHEET())
        header_line, header, rows = _collect(numbered_rows(workbook.worksheets[0]))
    except SpreadsheetUnreadable:
        raise
    except Exception:
        # read_only mode parses the sheet while we iterate: a broken sheet fails here.
        logger.info("unreadable xlsx worksheet", exc_info=True)
        raise unreadable(errors.WORKBOOK_UNREADABLE()) from None
    finally:
        workbook.close()
    if formulas:
        raise _formulas_refused(formulas, header)
    return header_line, header, rows
