"""The upload checks on a workbook (XLSX, ODS, XLS): what its container may hold before a reader
opens it, and which of the three formats its bytes are.

Safe by construction against XML entities: every part of a zip is read as a stream, whatever its
name or size, and a DOCTYPE or ENTITY declaration anywhere refuses the file. Office and
LibreOffice never write one; "billion laughs" and external entities need one.
"""

import io
import logging
import zipfile

from django.utils.translation import gettext_lazy as _

from . import errors
from .errors import unreadable

logger = logging.getLogger(__name__)

XLSX, ODS, XLS, CSV = "xlsx", "ods", "xls", "csv"
FORMAT_LABELS = {
    XLSX: _("Excel (.xlsx)"),
    ODS: _("OpenDocument (.ods)"),
    XLS: _("Excel 97-2003 (.xls)"),
    CSV: _("CSV"),
}
ZIP_SIGNATURE = b"PK\x03\x04"
OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"

# A 5 MB workbook of 50,000 plain rows unzips to about 20 MB; far more is a "zip bomb". Sizes
# are those the archive declares, and they bound the reading too: Python's zipfile never
# returns more than the declared size of a part (a lying part fails its checksum).
MAX_UNZIPPED_BYTES = 64 * 1024 * 1024
MAX_ZIP_PARTS = 1000
# Parts are scanned in chunks this big; the tail of each chunk is kept so that a declaration
# cut in two by a chunk boundary is still seen.
_CHUNK_BYTES = 256 * 1024
_DECLARATIONS = (b"<!doctype", b"<!entity")
_TAIL = max(len(d) for d in _DECLARATIONS)
# The VBA storage of an Excel 97 workbook with macros, as named in its OLE2 directory (UTF-16).
_XLS_MACROS = "_VBA_PROJECT_CUR".encode("utf-16-le")


def declares_entities(stream) -> bool:
    """Whether a stream holds a DOCTYPE or an ENTITY declaration anywhere, in any case, in UTF-8
    or UTF-16/32 (NUL bytes are dropped before looking). Read in chunks: memory stays small
    whatever the part's size."""
    tail = b""
    while chunk := stream.read(_CHUNK_BYTES):
        window = tail + chunk.replace(b"\x00", b"").lower()
        if any(declaration in window for declaration in _DECLARATIONS):
            return True
        tail = window[-_TAIL:]
    return False


def check_workbook(content: bytes) -> str:
    """The workbook format of `content` (XLSX, ODS or XLS), once nothing refuses it
    (SpreadsheetUnreadable): a zip bomb, macros, links to other files, embedded OLE or ActiveX
    objects, an XML declaration of entities in any part. Nothing is parsed as XML here."""
    if content.startswith(OLE2_SIGNATURE):
        if _XLS_MACROS in content:
            raise unreadable(errors.WORKBOOK_MACROS())
        return XLS
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise unreadable(errors.NOT_A_SPREADSHEET(looks_like=_("une archive zip abîmée"))) from None
    with archive:
        parts = archive.infolist()
        if len(parts) > MAX_ZIP_PARTS or sum(p.file_size for p in parts) > MAX_UNZIPPED_BYTES:
            raise unreadable(errors.WORKBOOK_TOO_BIG(max=MAX_UNZIPPED_BYTES // (1024 * 1024)))
        names = {part.filename.lower(): part for part in parts}
        workbook_format = XLSX
        try:
            if "mimetype" in names:
                if archive.read(names["mimetype"]).strip() != ODS_MIMETYPE:
                    raise unreadable(
                        errors.NOT_A_SPREADSHEET(looks_like=_("un document OpenDocument"))
                    )
                workbook_format = ODS
                _check_ods(names)
            elif "[content_types].xml" in names and "xl/workbook.xml" in names:
                workbook_format = XLSX
                _check_xlsx(archive, names)
            else:
                raise unreadable(errors.NOT_A_SPREADSHEET(looks_like=_("une archive zip")))
            # Every part, whatever its name: a sheet may be named .bin, a DOCTYPE may come after
            # any amount of padding.
            for part in parts:
                with archive.open(part) as stream:
                    if declares_entities(stream):
                        raise unreadable(errors.WORKBOOK_DOCTYPE())
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError):
            # A damaged part, an unknown compression, an encrypted part.
            logger.info("unreadable workbook upload", exc_info=True)
            label = FORMAT_LABELS[workbook_format]
            raise unreadable(errors.WORKBOOK_UNREADABLE(format=label)) from None
    return workbook_format


def _check_xlsx(archive: zipfile.ZipFile, names: dict) -> None:
    types = archive.read(names["[content_types].xml"]).lower()
    if (
        b"macroenabled" in types
        or b"vbaproject" in types
        or any(name.endswith("vbaproject.bin") for name in names)
    ):
        raise unreadable(errors.WORKBOOK_MACROS())
    if b"externallink" in types or any(name.startswith("xl/externallinks/") for name in names):
        raise unreadable(errors.WORKBOOK_EXTERNAL_LINKS())
    if (
        b"oleobject" in types
        or b"activex" in types
        or any(name.startswith(("xl/embeddings/", "xl/activex/")) for name in names)
    ):
        raise unreadable(errors.WORKBOOK_EMBEDDED_OBJECTS())


def _check_ods(names: dict) -> None:
    # LibreOffice keeps Basic macros under Basic/ and scripts (Python, JavaScript…) under
    # Scripts/; a file without macros has neither.
    if any(name.startswith(("basic/", "scripts/")) for name in names):
        raise unreadable(errors.WORKBOOK_MACROS())
