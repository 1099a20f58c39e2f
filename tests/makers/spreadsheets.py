"""Workbooks built in tests: XLSX by openpyxl, ODS written as the small zip the format is.

A cell is a value (text, number, date), None (empty), or a Formula: its text and the value the
file keeps beside it (None: no kept value, as a script writing formulas leaves them).
"""

import datetime
import io
import zipfile
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

import openpyxl


@dataclass(frozen=True)
class Formula:
    text: str  # as a person types it: "=SUM(E4:E6)"
    value: object = None


def xlsx_bytes(sheets: dict[str, list[list]]) -> bytes:
    """Sheets by name, in order; formulas written as openpyxl does, without a kept value."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for values in rows:
            sheet.append([v.text if isinstance(v, Formula) else v for v in values])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


ODS_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"
_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"'
    ' manifest:version="1.3">'
    f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{ODS_MIMETYPE}"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)
_NAMESPACES = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:of="urn:oasis:names:tc:opendocument:xmlns:of:1.2"'
)


def _ods_value(value) -> tuple[str, str]:
    """(attributes, paragraph) of a cell holding this value."""
    if value is None:
        return "", ""
    if isinstance(value, datetime.date):
        return (
            f' office:value-type="date" office:date-value="{value.isoformat()}"',
            f"<text:p>{value:%d/%m/%Y}</text:p>",
        )
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (
            f' office:value-type="float" office:value="{value}"',
            f"<text:p>{value}</text:p>",
        )
    return ' office:value-type="string"', f"<text:p>{escape(str(value))}</text:p>"


def ods_content(sheets: dict[str, list[list]], *, prolog: str = "") -> str:
    tables = []
    for name, rows in sheets.items():
        xml_rows = []
        for values in rows:
            cells = []
            for value in values:
                formula = ""
                if isinstance(value, Formula):
                    formula = f" table:formula={quoteattr('of:' + value.text)}"
                    value = value.value
                attributes, paragraph = _ods_value(value)
                cells.append(
                    f"<table:table-cell{formula}{attributes}>{paragraph}</table:table-cell>"
                )
            xml_rows.append(
                f"<table:table-row>{''.join(cells) or '<table:table-cell/>'}</table:table-row>"
            )
        tables.append(
            f"<table:table table:name={quoteattr(name)}>{''.join(xml_rows)}</table:table>"
        )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{prolog}'
        f'<office:document-content {_NAMESPACES} office:version="1.3">'
        f"<office:body><office:spreadsheet>{''.join(tables)}</office:spreadsheet></office:body>"
        "</office:document-content>"
    )


def ods_bytes(sheets: dict[str, list[list]] | None = None, *, content=None, extra=None) -> bytes:
    """An OpenDocument spreadsheet: the mimetype first and stored, as the format requires."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", ODS_MIMETYPE, compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", _MANIFEST)
        archive.writestr("content.xml", content if content is not None else ods_content(sheets))
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return out.getvalue()
