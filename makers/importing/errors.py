"""What an import refuses and why: the per-line error list, and the failures the services raise."""

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

# Line 0 stands for the file as a whole (unreadable, too big…), 1 is the header row.
FILE_LINE = 0


@dataclass(frozen=True)
class RowError:
    """What is wrong, where: the file's line number, the column as headed in the file, why."""

    line: int
    column: str
    message: str

    def as_dict(self) -> dict:
        return {"line": self.line, "column": self.column, "message": self.message}


class ImportRejected(Exception):
    """The file cannot be imported as it is; `errors` lists every problem. Nothing was written."""

    def __init__(self, errors: list[RowError]):
        self.errors = sorted(errors, key=lambda e: e.line)
        super().__init__(self.summary())

    def summary(self) -> str:
        lines = {e.line for e in self.errors if e.line > FILE_LINE}
        return ngettext(
            "%(count)d ligne est à corriger : rien n'a été importé.",
            "%(count)d lignes sont à corriger : rien n'a été importé.",
            len(lines),
        ) % {"count": len(lines)}


class SpreadsheetUnreadable(ImportRejected):
    """The file itself is refused (format, size, encoding, missing columns), before any row."""

    def summary(self) -> str:
        if len(self.errors) == 1:
            return self.errors[0].message
        return _("Ce fichier ne peut pas être importé : %(reasons)s") % {
            "reasons": " ".join(e.message for e in self.errors)
        }


class ImportAlreadyConfirmed(Exception):
    """This stored import was confirmed already (a second click, another tab): nothing redone."""


class ImportConflict(Exception):
    """Another import wrote the same rows at the same moment; this one was rolled back whole."""


def unreadable(message: str, *, line: int = FILE_LINE, column: str = "") -> SpreadsheetUnreadable:
    return SpreadsheetUnreadable([RowError(line, column, message)])


def not_a_spreadsheet() -> SpreadsheetUnreadable:
    return unreadable(
        _("Ce fichier n'est pas un tableur : déposez un fichier CSV ou Excel (.xlsx).")
    )
