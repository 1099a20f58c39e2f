"""Reading an uploaded file: CSV, Excel (.xlsx, .xls) or OpenDocument (.ods) bytes become the
table of one sheet, its cells typed, or a refusal.

The file as a whole is refused here (size, format, encoding, an unsafe workbook, no header,
formulas without a value); what the cells say is checked later, row by row (checking.py).
Spreadsheets are read by python-calamine (Rust: fast, and it expands no XML entity: an
undeclared one is an error, and workbook_checks.py refuses any declaration before); CSV by the
standard library.
"""

import csv
import io
import logging
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from . import errors
from .columns import known_columns
from .errors import unreadable
from .finding import (
    FORMULAS_LISTED,
    HEADER_ROWS_SEARCHED,
    MIN_KNOWN_HEADERS,
    FormulaCell,
    SkippedRow,
    find_header,
    table_rows,
)
from .normalise import clean
from .workbook_checks import (
    CSV,
    FORMAT_LABELS,
    ODS,
    OLE2_SIGNATURE,
    XLSX,
    ZIP_SIGNATURE,
    check_workbook,
)

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000

__all__ = ["FORMULAS_LISTED", "MAX_FILE_BYTES", "MAX_ROWS", "Sheet", "check_size", "read_sheet"]


@dataclass
class Sheet:
    """The table found in a file: its header row (text) and line, then every non-blank row
    under it with its line number in the file; cells keep their type (text from a CSV;
    numbers, dates and text from a workbook). A workbook names the sheet read; the rows
    skipped as totals and the formula cells read are listed for the preview."""

    header_line: int
    headers: list[str]
    rows: list[tuple[int, tuple]]
    sheet_name: str | None = None
    file_format: str = CSV
    skipped_rows: list[SkippedRow] = field(default_factory=list)
    formula_cells: list[FormulaCell] = field(default_factory=list)
    # Sheets the person hid in their program: never read, named in the preview.
    hidden_sheets: list[str] = field(default_factory=list)

    @property
    def format_label(self) -> str:
        return str(FORMAT_LABELS[self.file_format])


_BINARY_SIGNATURES = {
    b"%PDF": _("un PDF"),
    b"\x89PNG": _("une image PNG"),
    b"\xff\xd8\xff": _("une image JPEG"),
    b"GIF8": _("une image GIF"),
    b"{\\rtf": _("un document RTF"),
    b"\x1f\x8b": _("une archive gzip"),
}


def check_size(size: int) -> None:
    """Refuse a file of more than MAX_FILE_BYTES (SpreadsheetUnreadable). The pages and the API
    ask before reading an upload, so that a huge one is never loaded in memory."""
    if size > MAX_FILE_BYTES:
        raise unreadable(errors.FILE_TOO_BIG(max=MAX_FILE_BYTES // (1024 * 1024)))


def read_sheet(content: bytes) -> Sheet:
    """Find the table of the file; raise SpreadsheetUnreadable for anything else.

    The format is recognised from the bytes, whatever the file's name or announced type says:
    a zip holding xl/workbook.xml is an Excel workbook, one whose mimetype part says so an
    OpenDocument spreadsheet, an OLE2 file an Excel 97 workbook (each checked first by
    check_workbook); a CSV is text that decodes, without NUL or other control characters.
    Everything else is refused, saying what it looks like.

    The header is the first row, in the first sheet having one, holding known headers
    (finding.py); totals under it are skipped and listed, never refused.
    """
    check_size(len(content))
    if not content.strip():
        raise unreadable(errors.FILE_EMPTY())
    if content.startswith((ZIP_SIGNATURE, OLE2_SIGNATURE)):
        return _read_workbook(content, check_workbook(content))
    for signature, looks_like in _BINARY_SIGNATURES.items():
        if content.startswith(signature):
            raise unreadable(errors.NOT_A_SPREADSHEET(looks_like=looks_like))
    return _read_csv(content)


def _table(
    heads: list[tuple[str | None, list]],
    rows_of,
    *,
    file_format: str,
    formulas_of=lambda name: {},
) -> Sheet:
    """The Sheet found among `heads` (each sheet's name and first rows); `rows_of(index)` gives
    all the rows of a sheet, `formulas_of(name)` its formula cells by row and column."""
    sheet_index, header_index = find_header(heads)
    name = heads[sheet_index][0]
    rows = rows_of(sheet_index)
    data, skipped, formula_cells = table_rows(
        rows, header_index, sheet_name=name, formulas=formulas_of(name)
    )
    if len(data) > MAX_ROWS:
        raise unreadable(errors.FILE_TOO_LONG(max=f"{MAX_ROWS:,}".replace(",", "\u202f")))
    return Sheet(
        header_line=header_index + 1,
        headers=[clean(h) for h in rows[header_index]],
        rows=data,
        sheet_name=name,
        file_format=file_format,
        skipped_rows=skipped,
        formula_cells=formula_cells,
    )


# --- CSV -----------------------------------------------------------------------------------------

# Text has no control character but tabs and line ends: anything else is binary content,
# whatever the file's name or announced type says.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _decode(content: bytes) -> str:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Excel's "Unicode text" export: UTF-16 with its byte order mark, tab-separated.
        try:
            text = content.decode("utf-16")
        except UnicodeDecodeError:
            raise unreadable(
                errors.NOT_A_SPREADSHEET(looks_like=_("un texte UTF-16 abîmé"))
            ) from None
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


def _read_csv(content: bytes) -> Sheet:
    # Cells are text, whatever they start with ("=", "+", "-", "@" included): nothing here
    # evaluates them, and the platform's exports defuse them (makers/exports.py).
    text = _decode(content)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    rows = []
    try:
        for values in reader:
            rows.append(values)
            if len(rows) > MAX_ROWS + HEADER_ROWS_SEARCHED + 1:
                break  # too long whatever its header: refused below
    except csv.Error as exc:
        raise unreadable(
            errors.LINE_UNREADABLE(line=reader.line_num, reason=str(exc)), line=reader.line_num
        ) from None
    return _table([(None, rows[:HEADER_ROWS_SEARCHED])], lambda _index: rows, file_format=CSV)


# --- Workbooks -----------------------------------------------------------------------------------


def _read_workbook(content: bytes, file_format: str) -> Sheet:
    import python_calamine  # imported here: only a workbook upload pays for loading it

    label = FORMAT_LABELS[file_format]
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(content))
    except Exception:
        # Anything may go wrong inside a foreign file (missing parts, bad XML): one answer.
        logger.info("unreadable %s upload", file_format, exc_info=True)
        raise unreadable(errors.WORKBOOK_UNREADABLE(format=label)) from None
    try:
        active = (
            python_calamine.SheetTypeEnum.MacroSheet,
            python_calamine.SheetTypeEnum.Vba,
            python_calamine.SheetTypeEnum.DialogSheet,
        )
        if any(meta.typ == kind for meta in workbook.sheets_metadata for kind in active):
            # Excel 4.0 macro sheets and VBA modules, which an Excel 97 file may hold.
            raise unreadable(errors.WORKBOOK_MACROS())
        worksheets = [
            meta
            for meta in workbook.sheets_metadata
            if meta.typ == python_calamine.SheetTypeEnum.WorkSheet
        ]
        if not worksheets:
            raise unreadable(errors.WORKBOOK_WITHOUT_SHEET())
        # A hidden sheet is what its author chose not to show (last year's figures, a lookup
        # list): reading it would import what nobody saw. Only visible sheets are read.
        names = [
            m.name for m in worksheets if m.visible == python_calamine.SheetVisibleEnum.Visible
        ]
        hidden = [meta.name for meta in worksheets if meta.name not in names]
        if not names:
            raise unreadable(errors.WORKBOOK_ONLY_HIDDEN_SHEETS(sheets=", ".join(hidden)))
        sheets = []
        heads = []
        for name in names:
            sheets.append(workbook.get_sheet_by_name(name))
            # skip_empty_area=False: row 0 is line 1 and column 0 is A, as the person sees them.
            heads.append(
                (name, sheets[-1].to_python(skip_empty_area=False, nrows=HEADER_ROWS_SEARCHED))
            )
            if any(_may_be_header(values) for values in heads[-1][1]):
                break  # the first sheets are enough when this one may hold the header
        table = _table(
            heads,
            lambda index: sheets[index].to_python(skip_empty_area=False),
            file_format=file_format,
            formulas_of=lambda name: _formulas(content, file_format, name),
        )
        table.hidden_sheets = hidden
        return table
    except errors.ImportRejected:
        raise
    except Exception:
        logger.info("unreadable %s sheet", file_format, exc_info=True)
        raise unreadable(errors.WORKBOOK_UNREADABLE(format=label)) from None
    finally:
        workbook.close()


def _may_be_header(values) -> bool:
    return len(known_columns(values)) >= MIN_KNOWN_HEADERS


def _formulas(content: bytes, file_format: str, sheet_name: str) -> dict[int, dict[int, str]]:
    """The formula cells of a sheet, {row index: {column index: formula text}}: calamine gives
    their cached values only. An Excel 97 file keeps no formula text calamine can give: its
    values are read as they are."""
    if file_format == XLSX:
        return _xlsx_formulas(content, sheet_name)
    if file_format == ODS:
        return _ods_formulas(content, sheet_name)
    return {}


_XLSX_FORMULA = re.compile(rb"<(?:\w+:)?f[\s/>]")


def _xlsx_formulas(content: bytes, sheet_name: str) -> dict[int, dict[int, str]]:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        # A light pass first: most workbooks have no formula at all, and openpyxl is slow.
        if not any(
            _XLSX_FORMULA.search(archive.read(part))
            for part in archive.namelist()
            if part.lower().startswith("xl/worksheets/")
        ):
            return {}
    import openpyxl  # uses defusedxml when installed (openpyxl.xml.DEFUSEDXML), as it is here

    workbook = openpyxl.load_workbook(
        io.BytesIO(content), read_only=True, data_only=False, keep_links=False
    )
    found: dict[int, dict[int, str]] = {}
    try:
        for row in workbook[sheet_name].iter_rows():
            for cell in row:
                if getattr(cell, "data_type", None) == "f":
                    text = getattr(cell.value, "text", cell.value)  # an ArrayFormula has .text
                    found.setdefault(cell.row - 1, {})[cell.column - 1] = str(text)
    finally:
        workbook.close()
    return found


_FORMULA_NAMESPACE = re.compile(r"^\w+:(?==)")
_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"


def _ods_formulas(content: bytes, sheet_name: str) -> dict[int, dict[int, str]]:
    import zipfile

    import defusedxml.ElementTree

    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        data = archive.read("content.xml")
    if b"formula" not in data:
        return {}
    found: dict[int, dict[int, str]] = {}
    in_sheet, row, column = False, -1, 0
    events = defusedxml.ElementTree.iterparse(
        io.BytesIO(data), events=("start", "end"), forbid_dtd=True
    )
    for event, element in events:
        tag = element.tag
        if tag == f"{_TABLE}table":
            if event == "start":
                in_sheet, row = element.get(f"{_TABLE}name") == sheet_name, -1
            elif in_sheet:
                break
        elif not in_sheet:
            continue
        elif tag == f"{_TABLE}table-row":
            if event == "start":
                row, column = row + 1, 0
            else:
                row += int(element.get(f"{_TABLE}number-rows-repeated", "1")) - 1
                element.clear()
        elif tag in (f"{_TABLE}table-cell", f"{_TABLE}covered-table-cell") and event == "start":
            if formula := element.get(f"{_TABLE}formula"):
                # "of:=SUM([.E4:.E6])": the namespace of the formula language goes.
                found.setdefault(row, {})[column] = _FORMULA_NAMESPACE.sub("", formula, count=1)
            column += int(element.get(f"{_TABLE}number-columns-repeated", "1"))
    return found
