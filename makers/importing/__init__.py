"""Spreadsheet import of production reports: the names the views, the API and the tests use."""

from .plan import (
    BULK_BATCH_SIZE,
    FILE_LINE,
    FORMULAS_LISTED,
    MAX_FILE_BYTES,
    PREVIEW_ROWS,
    ImportAlreadyConfirmed,
    ImportConflict,
    ImportPlan,
    ImportRejected,
    RowError,
    SpreadsheetUnreadable,
    production_import_apply,
    production_import_confirm,
    production_import_preview,
    production_import_upload,
)

__all__ = [
    "BULK_BATCH_SIZE",
    "FILE_LINE",
    "FORMULAS_LISTED",
    "MAX_FILE_BYTES",
    "PREVIEW_ROWS",
    "ImportAlreadyConfirmed",
    "ImportConflict",
    "ImportPlan",
    "ImportRejected",
    "RowError",
    "SpreadsheetUnreadable",
    "production_import_apply",
    "production_import_confirm",
    "production_import_preview",
    "production_import_upload",
]
