"""Staff exports of production reports with their makers' names, as CSV or XLSX files.

Who exports what: relay staff the reports of the departments their relays cover, Région staff
and auditors every department. A small export is built during the request; a larger one is
handed to a task once the request commits. The export row, not the task message, records the
work: when the broker cannot be reached the export stays pending and its owner can start it
again from the exports page (`production_export_retry`), and a second run of the task finds
nothing left to do. What is refused is a coded refusal (figures/errors.py).
"""

import io
import logging
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial

import rules
from django.conf import settings
from django.db import transaction
from django.db.models import BooleanField, Case, Q, QuerySet, Value, When
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from fablabs.selectors import departments_covered_by
from makers.filters import ProductionReportFilter
from makers.models import ProductionReport
from tilab.celery import publish
from tilab.errors import ROLE_NOT_ALLOWED, BadInput, Refusal
from tilab.i18n import catalogue_field
from tilab.models import Department, User
from tilab.spreadsheets import (
    XLSX_COUNT,
    XLSX_DATE,
    XLSX_DATETIME,
    XLSX_EUROS,
    XLSX_ID,
    csv_decimal,
    csv_euros,
    french_csv_writer,
    spreadsheet_safe,
)

from . import errors
from .models import ProductionExport

log = logging.getLogger(__name__)

# Up to this many rows a file is built while the person waits (well under a second);
# beyond, a worker builds it.
IMMEDIATE_MAX_ROWS = 2_000
# Past these, ask for narrower filters: a million CSV rows take about a minute to write, but
# openpyxl writes XLSX in pure Python (about 45 s per 100,000 rows here), and the task's soft
# time limit is 10 minutes.
MAX_ROWS = {"csv": 1_000_000, "xlsx": 300_000}
# A pending export nobody has started after this long lost its message: offer to restart it.
RETRY_AFTER = timedelta(minutes=2)
# Beyond the task's hard time limit (15 minutes), a "running" export has no worker left.
STALE_RUNNING_AFTER = timedelta(minutes=20)
FILTER_FIELDS = ("department", "item_type", "status", "produced_after", "produced_before")
CONTENT_TYPES = {
    ProductionExport.Format.CSV: "text/csv; charset=utf-8",
    ProductionExport.Format.XLSX: (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ),
}


def refusal_text(refusal: Refusal) -> str:
    """What a refusal says to the person, every filter in error included."""
    return " ".join(each.message for each in refusal.refusals)


# --- What a person may export -------------------------------------------------------------------


def departments_exportable_by(user: User) -> QuerySet[Department]:
    """Every department for Région staff and auditors; the departments their relays cover for
    relay staff; none for anybody else."""
    if rules.has_perm("figures.export_every_department", user):
        return Department.objects.order_by("code")
    if rules.has_perm("figures.export_reports", user):
        return departments_covered_by(user)
    return Department.objects.none()


def reports_exportable_by(user: User) -> QuerySet[ProductionReport]:
    """The reports of the departments a user may export, every status."""
    return ProductionReport.objects.filter(department__in=departments_exportable_by(user))


class ExportFilter(ProductionReportFilter):
    """The validation queue's filters that make sense for a file: department (among the user's),
    item type, status and production period."""

    maker = None
    maker_name = None
    organisation = None
    suspected_duplicate = None

    def __init__(self, data=None, *, user: User, **kwargs):
        super().__init__(data, queryset=reports_exportable_by(user), **kwargs)
        self.form.fields["department"].queryset = departments_exportable_by(user)
        self.form.fields["item_type"].label_from_instance = lambda item: item.name

    def normalised(self) -> dict[str, str]:
        """The valid filters as plain strings (codes, slugs, ISO dates), empty ones left out."""
        query = {}
        for name in FILTER_FIELDS:
            value = self.form.cleaned_data.get(name)
            if value in (None, ""):
                continue
            if name == "department":
                value = value.code
            elif name == "item_type":
                value = value.slug
            elif isinstance(value, date):
                value = value.isoformat()
            query[name] = value
        return query


def _filtered(*, user: User, filters: dict) -> tuple[QuerySet[ProductionReport], dict]:
    """The reports `filters` select among those `user` may export, and the filters normalised.

    Refuses (bad input) a filter that is unknown, invalid or names a department out of reach:
    every filter in error at once, each on its field.
    """
    unknown = set(filters) - set(FILTER_FIELDS)
    if unknown:
        raise errors.EXPORT_FILTERS_UNKNOWN(names=", ".join(unknown))
    filterset = ExportFilter(filters, user=user)
    if not filterset.is_valid():
        fields = filterset.form.fields
        Refusal.raise_all(
            errors.EXPORT_FILTER_INVALID(
                field=name, label=fields[name].label, errors=" ".join(messages)
            )
            if name in fields
            # The form's own sentences, about no field (already translated).
            else BadInput(errors.EXPORT_FILTER_INVALID.code, " ".join(messages))
            for name, messages in filterset.form.errors.items()
        )
    return filterset.qs, filterset.normalised()


# --- Requesting, starting and restarting --------------------------------------------------------


def production_export_request(
    *, by: User, format: str, filters: dict, now: datetime
) -> ProductionExport:
    """Record an export of the reports `filters` select among those `by` may export, and
    start it: built at once up to IMMEDIATE_MAX_ROWS rows, else queued for a worker when the
    transaction commits. Returns the export as it stands (ready, or pending).

    Refuses someone who may not export (not allowed), and (bad input) an unknown format,
    filters out of their reach or a file beyond MAX_ROWS rows of its format.
    """
    if not by.has_perm("figures.export_reports"):
        raise ROLE_NOT_ALLOWED(rule="figures.export_reports")
    if format not in ProductionExport.Format.values:
        raise errors.EXPORT_FORMAT_UNKNOWN(format=format)
    reports, normalised = _filtered(user=by, filters=filters)
    count = reports.count()
    if count > MAX_ROWS[format]:
        raise errors.EXPORT_TOO_LARGE(count=count, max=MAX_ROWS[format], format=format.upper())
    export = ProductionExport.objects.create(
        requested_by=by,
        requested_at=now,
        format=format,
        filters=normalised,
        language=translation.get_language() or "fr",
        row_count=count,
    )
    _start(export=export, now=now)
    return ProductionExport.objects.defer("content").get(pk=export.pk)


def _start(*, export: ProductionExport, now: datetime) -> None:
    if export.row_count <= IMMEDIATE_MAX_ROWS:
        production_export_build(export_id=export.pk, now=now)
    else:
        # Once committed, or a worker could look for an export that is not there yet.
        transaction.on_commit(partial(_enqueue, export_id=export.pk, now=now))


def _enqueue(*, export_id: int, now: datetime) -> None:
    from .tasks import production_export_build as task

    # Marked first: in the embedded mode the task runs inside delay() and finishes the export.
    ProductionExport.objects.filter(pk=export_id, status=ProductionExport.Status.PENDING).update(
        queued_at=now
    )
    if not publish(task, export_id=export_id):
        # The broker is down or slow (publishing gives up within seconds): the export stays
        # pending, unmarked, and the exports page offers to start it again.
        ProductionExport.objects.filter(
            pk=export_id, status=ProductionExport.Status.PENDING, queued_at=now
        ).update(queued_at=None)


def retryable(now: datetime) -> Q:
    """Exports their owner may start again: failed, never handed to the broker, waiting for
    longer than RETRY_AFTER, or "running" with no worker left."""
    return (
        Q(status=ProductionExport.Status.FAILED)
        | Q(status=ProductionExport.Status.PENDING, queued_at__isnull=True)
        | Q(status=ProductionExport.Status.PENDING, queued_at__lt=now - RETRY_AFTER)
        | Q(status=ProductionExport.Status.RUNNING, started_at__lt=now - STALE_RUNNING_AFTER)
    )


def production_exports_requeue(*, now: datetime, limit: int = 100) -> int:
    """Hand again to the broker the exports no worker took up: never queued (the broker was
    down), waiting longer than RETRY_AFTER (a lost message), or "running" with no worker left.
    Failed exports wait for their owner, who sees the reason. Returns how many were queued.

    Run by beat; safe to run twice or while the first message is still in a queue: the build
    claims an export once.
    """
    lost = (
        ProductionExport.objects.filter(retryable(now))
        .exclude(status=ProductionExport.Status.FAILED)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    ids = list(lost)
    for export_id in ids:
        _enqueue(export_id=export_id, now=now)
    return len(ids)


def production_export_retry(*, export_id: int, by: User, now: datetime) -> ProductionExport:
    """Start again an export of `by` that failed or that no worker took up.

    Safe when the first attempt is still somewhere in a queue: whichever run claims the export
    first builds it, the other finds nothing to do. Raises ProductionExport.DoesNotExist for
    someone else's export and refuses (wrong state) one that is ready or being built.
    """
    mine = ProductionExport.objects.filter(pk=export_id, requested_by=by)
    # One conditional UPDATE: of two clicks on "restart", one restarts, the other is told.
    restarted = mine.filter(retryable(now)).update(
        status=ProductionExport.Status.PENDING, error="", queued_at=None, started_at=None
    )
    export = mine.defer("content").get()
    if not restarted:
        raise errors.EXPORT_NOT_RETRYABLE(id=export.pk, status=export.get_status_display())
    _start(export=export, now=now)
    return mine.defer("content").get()


# --- Building the file --------------------------------------------------------------------------


def production_export_build(*, export_id: int, now: datetime) -> bool:
    """Build the file of a pending export and store it; returns whether this run built it.

    Idempotent: the run that moves the export from pending to running (one conditional
    UPDATE) builds it, any other run does nothing. A failure marks the export failed with its
    reason and logs it. `finished_at` is the wall-clock end of the build.
    """
    claimed = (
        ProductionExport.objects.filter(pk=export_id)
        .filter(
            Q(status=ProductionExport.Status.PENDING)
            | Q(status=ProductionExport.Status.RUNNING, started_at__lt=now - STALE_RUNNING_AFTER)
        )
        .update(status=ProductionExport.Status.RUNNING, started_at=now)
    )
    if not claimed:
        log.info("export %s already built or being built: nothing to do", export_id)
        return False
    # Only the run that holds this start may finish the export.
    ours = ProductionExport.objects.filter(
        pk=export_id, status=ProductionExport.Status.RUNNING, started_at=now
    )
    export = (
        ProductionExport.objects.select_related("requested_by").defer("content").get(pk=export_id)
    )
    try:
        with translation.override(export.language):
            content, row_count = _render(export)
    except Refusal as refusal:
        with translation.override(export.language):
            reason = refusal_text(refusal)
        log.warning("export %s refused (%s): %s", export_id, refusal.code, reason)
        ours.update(status=ProductionExport.Status.FAILED, error=reason, finished_at=timezone.now())
        return False
    except Exception as error:
        log.exception("export %s failed", export_id)
        with translation.override(export.language):
            reason = _("Erreur inattendue (%(kind)s) : %(detail)s") % {
                "kind": type(error).__name__,
                "detail": str(error)[:500] or "—",
            }
        ours.update(status=ProductionExport.Status.FAILED, error=reason, finished_at=timezone.now())
        return False
    local = timezone.localtime(export.requested_at)
    built = ours.update(
        status=ProductionExport.Status.READY,
        content=content,
        row_count=row_count,
        filename=f"declarations-{local:%Y%m%d-%H%M}-{export.pk}.{export.format}",
        finished_at=timezone.now(),
        error="",
    )
    return built == 1


def _render(export: ProductionExport) -> tuple[bytes, int]:
    user = export.requested_by
    if not user.has_perm("figures.export_reports"):
        raise errors.EXPORT_NO_LONGER_ALLOWED()
    reports, _normalised = _filtered(user=user, filters=export.filters)
    rows = _rows(reports)
    if export.format == ProductionExport.Format.XLSX:
        return _xlsx(rows)
    return _csv(rows)


def _headers() -> list[str]:
    return [
        _("N°"),
        _("Date de production"),
        _("Maker"),
        _("Pour le compte de"),
        _("Département"),
        _("Article"),
        _("Quantité"),
        _("Coût matière (€)"),
        _("Livré à"),
        _("Statut"),
        _("Origine"),
        _("Saisie le"),
        _("Décidée le"),
        _("Décidée par"),
        _("Motif du refus"),
    ]


def _rows(reports: QuerySet[ProductionReport]):
    """One tuple per report, in the order of the headers: values, not models, so a million
    rows stream through in chunks."""
    statuses = dict(ProductionReport.Status.choices)
    sources = dict(ProductionReport.Source.choices)
    for (
        pk,
        produced_on,
        maker,
        organisation,
        department,
        item,
        quantity,
        cost_cents,
        recipient,
        status,
        source,
        entered_at,
        decided_at,
        decider_name,
        decider_email,
        reason,
    ) in (
        reports.order_by("produced_on", "pk")
        .values_list(
            "pk",
            "produced_on",
            "maker__display_name",
            "organisation__name",
            "department_id",
            f"item_type__{catalogue_field('name')}",
            "quantity",
            "material_cost_cents",
            "recipient",
            "status",
            "source",
            "entered_at",
            "decided_at",
            "decided_by__full_name",
            "decided_by__email",
            "rejection_reason",
        )
        .iterator(chunk_size=2000)
    ):
        yield (
            pk,
            produced_on,
            maker,
            organisation or "",
            department,
            item,
            quantity,
            cost_cents,
            recipient,
            str(statuses.get(status, status)),
            str(sources.get(source, source)),
            _local(entered_at),
            _local(decided_at),
            decider_name or decider_email or "",
            reason,
        )


def _local(moment: datetime | None) -> datetime | None:
    # Spreadsheets know no time zones: write the time as read on a clock in Brittany.
    return timezone.localtime(moment).replace(tzinfo=None) if moment else None


TEXT_COLUMNS = {2, 3, 5, 8, 9, 10, 13, 14}
ID_COLUMN, DATE_COLUMN, QUANTITY_COLUMN, COST_COLUMN = 0, 1, 6, 7
DATETIME_COLUMNS = {11, 12}
# How the spreadsheet shows each typed column; the department code (column 4) is text, as
# codes are ("2A", "01"), never a number.
NUMBER_FORMATS = {
    ID_COLUMN: XLSX_ID,
    DATE_COLUMN: XLSX_DATE,
    QUANTITY_COLUMN: XLSX_COUNT,
    COST_COLUMN: XLSX_EUROS,
    **dict.fromkeys(DATETIME_COLUMNS, XLSX_DATETIME),
}


def _csv(rows) -> tuple[bytes, int]:
    """UTF-8 with a byte-order mark, ";" between fields and a decimal comma without thousands
    separators ("1234,50"): what French Excel opens without an import wizard, numbers as
    numbers. Dates are written dd/mm/yyyy."""
    buffer = io.BytesIO()
    text = io.TextIOWrapper(buffer, encoding="utf-8-sig", newline="")
    writer = french_csv_writer(text)
    writer.writerow(_headers())
    count = 0
    for row in rows:
        values = list(row)
        values[DATE_COLUMN] = values[DATE_COLUMN].strftime("%d/%m/%Y")
        values[QUANTITY_COLUMN] = csv_decimal(values[QUANTITY_COLUMN])
        values[COST_COLUMN] = csv_euros(values[COST_COLUMN])
        for index in DATETIME_COLUMNS:
            values[index] = values[index].strftime("%d/%m/%Y %H:%M") if values[index] else ""
        for index in TEXT_COLUMNS:
            values[index] = spreadsheet_safe(values[index])
        writer.writerow(values)
        count += 1
    text.flush()
    content = buffer.getvalue()
    text.detach()
    return content, count


WIDTHS = [9, 12, 28, 28, 8, 18, 10, 14, 24, 14, 20, 16, 16, 24, 40]


def _xlsx(rows) -> tuple[bytes, int]:
    """One sheet with typed cells (numbers, dates, euros: never numbers as text, each with its
    number format), a bold frozen header row and an autofilter; written row by row so memory
    stays flat."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("Déclarations")[:31])
    sheet.freeze_panes = "A2"
    for index, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    bold = Font(bold=True)
    header = []
    for title in _headers():
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    # One styled cell per column, refilled row after row: openpyxl writes a row out as soon as
    # it is appended, and styling fresh cells for every row would double the time of a build.
    cells = []
    for index in range(len(WIDTHS)):
        cell = WriteOnlyCell(sheet)
        if index in NUMBER_FORMATS:
            cell.number_format = NUMBER_FORMATS[index]
        cells.append(cell)
    count = 0
    for row in rows:
        for index, (cell, value) in enumerate(zip(cells, row, strict=True)):
            if index in TEXT_COLUMNS:
                cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
                # Typed as text: a name starting with "=" stays a name, never a formula.
                cell.data_type = "s"
            elif index == COST_COLUMN:
                cell.value = Decimal(value) / 100
            else:
                cell.value = value
        sheet.append(cells)
        count += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(WIDTHS))}{count + 1}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue(), count


# --- Reads for the exports page -----------------------------------------------------------------


def exports_of(user: User, *, now: datetime, limit: int = 20) -> QuerySet[ProductionExport]:
    """A user's latest exports, newest first, without their files; each says whether its owner
    may start it again (`retryable`)."""
    return (
        ProductionExport.objects.filter(requested_by=user)
        .defer("content")
        .annotate(
            retryable=Case(
                When(retryable(now), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        .order_by("-requested_at", "-pk")[:limit]
    )


def production_exports_expire(*, now: datetime) -> int:
    """Delete the export files finished more than TILAB_EXPORT_RETENTION_DAYS ago (ready or
    failed): an export is a copy of figures that can be asked for again, and it may list
    makers' names. The number of exports deleted."""
    cutoff = now - timedelta(days=settings.TILAB_EXPORT_RETENTION_DAYS)
    deleted, _by_model = ProductionExport.objects.filter(
        status__in=[ProductionExport.Status.READY, ProductionExport.Status.FAILED],
        finished_at__lt=cutoff,
    ).delete()
    return deleted
