"""The upload checks on an Excel workbook: what its zip may hold before openpyxl opens it."""

import io
import logging
import re
import zipfile

from . import errors
from .errors import unreadable

logger = logging.getLogger(__name__)

# A 5 MB workbook of 50,000 plain rows unzips to about 20 MB; far more is a "zip bomb". Sizes
# are those the archive declares, and they bound the reading too: Python's zipfile never
# returns more than the declared size of a part (a lying part fails its checksum).
MAX_UNZIPPED_BYTES = 64 * 1024 * 1024
MAX_ZIP_PARTS = 1000
# An XML part's prolog is read this far when looking for a DOCTYPE.
_PROLOG_BYTES = 64 * 1024
_FIRST_ELEMENT = re.compile(rb"<[A-Za-z_]")


def _has_doctype(archive: zipfile.ZipFile, part: zipfile.ZipInfo) -> bool:
    """Whether an XML part declares a DOCTYPE or entities before its first element. Office never
    writes one; entity tricks ("billion laughs", external entities) need one."""
    with archive.open(part) as stream:
        head = stream.read(_PROLOG_BYTES).replace(b"\x00", b"")  # UTF-16 parts too
    first = _FIRST_ELEMENT.search(head)
    prolog = (head if first is None else head[: first.start()]).lower()
    return b"<!doctype" in prolog or b"<!entity" in prolog


def check_workbook(content: bytes) -> None:
    """Refuse a zip that is not a plain Excel workbook (SpreadsheetUnreadable): an OpenDocument
    file, a zip bomb, macros (.xlsm, vbaProject.bin), links to other files, embedded OLE or
    ActiveX objects, XML with a DOCTYPE. Only the archive's directory and the first bytes of
    its parts are read."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise unreadable(errors.NOT_A_SPREADSHEET()) from None
    with archive:
        parts = archive.infolist()
        if len(parts) > MAX_ZIP_PARTS or sum(p.file_size for p in parts) > MAX_UNZIPPED_BYTES:
            raise unreadable(errors.WORKBOOK_TOO_BIG(max=MAX_UNZIPPED_BYTES // (1024 * 1024)))
        names = {part.filename.lower(): part for part in parts}
        try:
            if "mimetype" in names and b"opendocument" in archive.read(names["mimetype"]):
                raise unreadable(errors.OPENDOCUMENT_FORMAT())
            if "[content_types].xml" not in names or "xl/workbook.xml" not in names:
                raise unreadable(errors.NOT_A_SPREADSHEET())
            types = archive.read(names["[content_types].xml"]).lower()
            if (
                b"macroenabled" in types
                or b"vbaproject" in types
                or any(name.endswith("vbaproject.bin") for name in names)
            ):
                raise unreadable(errors.WORKBOOK_MACROS())
            if b"externallink" in types or any(
                name.startswith("xl/externallinks/") for name in names
            ):
                raise unreadable(errors.WORKBOOK_EXTERNAL_LINKS())
            if (
                b"oleobject" in types
                or b"activex" in types
                or any(name.startswith(("xl/embeddings/", "xl/activex/")) for name in names)
            ):
                raise unreadable(errors.WORKBOOK_EMBEDDED_OBJECTS())
            if any(
                _has_doctype(archive, part)
                for name, part in names.items()
                if name.endswith((".xml", ".rels", ".vml"))
            ):
                raise unreadable(errors.WORKBOOK_DOCTYPE())
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError):
            # A damaged part, an unknown compression, an encrypted part.
            logger.info("unreadable xlsx upload", exc_info=True)
            raise unreadable(errors.WORKBOOK_UNREADABLE()) from None
