"""The spreadsheet importer of production reports: preview a file, then import all its rows or none.

A file goes through reading.py (bytes of a CSV, XLSX, XLS or ODS file to the table of one
sheet, its cells typed; workbook_checks.py for what a workbook may hold; finding.py for the
header row, the totals to skip and the formula cells), columns.py (headers to fields),
conventions.py (the file's own date order and decimal mark, decided from all its values),
checking.py (every cell parsed, every bad row listed; item names through makers/item_names.py),
plan.py (matched against the database, the row key, the lines handed to other relays, the
preview; double_counts.py flags lines that likely count a report again) and writing.py (the
stored upload and the all-or-nothing write). options.py holds what the importer chose where the
file leaves a choice open. errors.py declares what they refuse, each with its code: a refused
import is one ImportRejected (bad input) listing every line in error.
"""

from .errors import FILE_LINE, ImportRejected, RowError, SpreadsheetUnreadable
from .options import ImportOptions
from .plan import PREVIEW_ROWS, ImportPlan, production_import_preview
from .reading import FORMULAS_LISTED, MAX_FILE_BYTES, check_size
from .writing import (
    BULK_BATCH_SIZE,
    production_import_apply,
    production_import_choose,
    production_import_confirm,
    production_import_refuse,
    production_import_upload,
    production_imports_prune,
)

__all__ = [
    "BULK_BATCH_SIZE",
    "FILE_LINE",
    "FORMULAS_LISTED",
    "MAX_FILE_BYTES",
    "PREVIEW_ROWS",
    "ImportOptions",
    "ImportPlan",
    "ImportRejected",
    "RowError",
    "SpreadsheetUnreadable",
    "check_size",
    "production_import_apply",
    "production_import_choose",
    "production_import_confirm",
    "production_import_preview",
    "production_import_refuse",
    "production_import_upload",
    "production_imports_prune",
]
