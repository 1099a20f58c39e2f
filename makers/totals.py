"""Writes of the production totals: dirty buckets, their incremental recompute, the full rebuild.

A bucket is (department, item type, organisation kind, ISO week). Whatever changes a validated
figure marks its bucket dirty in the same transaction; a task recomputes dirty buckets with SQL
aggregates and upserts their totals. The dirty rows, not the task messages, are the record of
pending work: a lost message, a dead broker or a killed worker delays the totals, never
corrupts them, and the beat schedule drains whatever is left. A nightly rebuild recomputes
everything from the reports and logs any drift it had to fix.
"""

import logging
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from functools import reduce
from operator import or_

from django.db import connection, transaction
from django.db.models import Count, DateField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncWeek

from .models import DirtyBucket, OrganisationKind, ProductionReport, ProductionTotal

log = logging.getLogger(__name__)

# (department code, item type id, organisation kind, Monday of the ISO week)
Bucket = tuple[str, int, str, date]
FIGURES = ("quantity", "report_count", "maker_count", "material_cost_cents")
BUCKET_FIELDS = ["department", "item_type", "org_kind", "week_start"]
DRAIN_BATCH = 500
# At most this many terms OR-ed in one WHERE clause: SQLite nests each OR one level deeper and
# refuses expressions deeper than 1,000.
OR_CHUNK = DRAIN_BATCH


def week_start(day: date) -> date:
    """The Monday of the ISO week of `day`."""
    return day - timedelta(days=day.weekday())


def bucket_of(report: ProductionReport) -> Bucket:
    """The bucket a report counts in (its organisation must be loaded or absent)."""
    kind = report.organisation.kind if report.organisation_id else OrganisationKind.INDEPENDENT
    return (report.department_id, report.item_type_id, kind, week_start(report.produced_on))


def production_buckets_mark_dirty(*, buckets: Iterable[Bucket], now: datetime) -> None:
    """Record that these buckets must be recomputed, and ask a worker to do it once the
    current transaction commits. Call it inside the transaction that changes the figures."""
    wanted = sorted(set(buckets))
    if not wanted:
        return
    DirtyBucket.objects.bulk_create(
        [
            DirtyBucket(
                department_id=department,
                item_type_id=item_type,
                org_kind=kind,
                week_start=monday,
                marked_at=now,
            )
            for department, item_type, kind, monday in wanted
        ],
        update_conflicts=True,
        unique_fields=BUCKET_FIELDS,
        update_fields=["marked_at"],
    )
    _drain_on_commit()


def _drain_on_commit() -> None:
    """Queue one drain when the current transaction commits, unless one already waits for it:
    one drain per transaction is enough, however many decisions it holds."""
    pending = transaction.get_connection().run_on_commit
    if any(getattr(callback, "drain_waiting", False) for _sids, callback, _robust in pending):
        return

    def enqueue() -> None:
        # A hook that ran no longer counts as waiting: tests run the hooks of a transaction
        # that never commits and keep them listed, and the next decision needs its own drain.
        enqueue.drain_waiting = False
        _enqueue_drain()

    enqueue.drain_waiting = True
    transaction.on_commit(enqueue)


def _enqueue_drain() -> None:
    from .tasks import production_totals_drain

    try:
        production_totals_drain.delay()
    except Exception:
        # The broker is down or slow (publishing gives up within seconds): the dirty buckets
        # stay recorded and the beat schedule drains them when it is back.
        log.warning("totals drain not queued; the dirty buckets wait for the next beat run")


def _aggregate(reports: QuerySet[ProductionReport]) -> dict[Bucket, tuple[int, int, int, int]]:
    """Validated figures per bucket, computed by the database in one GROUP BY."""
    rows = (
        reports.filter(status=ProductionReport.Status.VALIDATED)
        .annotate(
            week=TruncWeek("produced_on", output_field=DateField()),
            kind=Coalesce("organisation__kind", Value(OrganisationKind.INDEPENDENT)),
        )
        .values_list("department_id", "item_type_id", "kind", "week")
        .annotate(
            Sum("quantity"),
            Count("pk"),
            Count("maker_id", distinct=True),
            Sum("material_cost_cents"),
        )
        .order_by()
    )
    return {
        (department, item_type, kind, _as_date(week)): (quantity, reports, makers, cost)
        for department, item_type, kind, week, quantity, reports, makers, cost in rows
    }


def _as_date(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def _chunks(values: list, size: int = OR_CHUNK) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _bucket_filter(buckets: Iterable[Bucket]) -> Q:
    return reduce(
        or_,
        (
            Q(department_id=department, item_type_id=item_type, org_kind=kind, week_start=monday)
            for department, item_type, kind, monday in buckets
        ),
    )


def _upsert(figures: dict[Bucket, tuple[int, int, int, int]], *, now: datetime) -> None:
    # Rows in bucket order: concurrent runs lock the rows they upsert in the same order, so
    # they wait for each other instead of deadlocking.
    figures = dict(sorted(figures.items()))
    ProductionTotal.objects.bulk_create(
        [
            ProductionTotal(
                department_id=department,
                item_type_id=item_type,
                org_kind=kind,
                week_start=monday,
                quantity=values[0],
                report_count=values[1],
                maker_count=values[2],
                material_cost_cents=values[3],
                computed_at=now,
            )
            for (department, item_type, kind, monday), values in figures.items()
        ],
        update_conflicts=True,
        unique_fields=BUCKET_FIELDS,
        update_fields=[*FIGURES, "computed_at"],
        batch_size=1000,
    )


def production_totals_recompute(*, buckets: Iterable[Bucket], now: datetime) -> None:
    """Recompute these buckets from the reports and upsert them; a bucket with nothing
    validated left loses its row. Idempotent: running it twice leaves the same rows."""
    # The kinds of a (department, item, week) side by side: their reports are read once.
    wanted = sorted(set(buckets), key=lambda b: (b[0], b[1], b[3], b[2]))
    with transaction.atomic():
        for chunk in _chunks(wanted):
            _recompute(set(chunk), now=now)


def _recompute(wanted: set[Bucket], *, now: datetime) -> None:
    # One query for all of them: the reports of each (department, item, week), every kind.
    weeks = {(department, item, monday) for department, item, _kind, monday in wanted}
    reports = ProductionReport.objects.filter(
        reduce(
            or_,
            (
                Q(
                    department_id=department,
                    item_type_id=item,
                    produced_on__gte=monday,
                    produced_on__lt=monday + timedelta(days=7),
                )
                for department, item, monday in weeks
            ),
        )
    )
    figures = {bucket: values for bucket, values in _aggregate(reports).items() if bucket in wanted}
    _upsert(figures, now=now)
    emptied = wanted - figures.keys()
    if emptied:
        ProductionTotal.objects.filter(_bucket_filter(emptied)).delete()


def production_totals_drain(*, now: datetime, batch_size: int = DRAIN_BATCH) -> int:
    """Recompute every dirty bucket, then forget it; returns how many were recomputed.

    Idempotent and safe to run several times at once: on PostgreSQL each run claims its dirty
    rows with SKIP LOCKED, and a bucket marked again while it was being recomputed keeps its
    mark (the delete checks the mark's time), so the next run sees the newer change.
    """
    done = 0
    while True:
        with transaction.atomic():
            pending = DirtyBucket.objects.order_by("pk")
            if connection.features.has_select_for_update_skip_locked:
                pending = pending.select_for_update(skip_locked=True)
            claimed = list(pending[:batch_size])
            if not claimed:
                return done
            production_totals_recompute(
                buckets=[
                    (d.department_id, d.item_type_id, d.org_kind, d.week_start) for d in claimed
                ],
                now=now,
            )
            for chunk in _chunks(claimed):
                DirtyBucket.objects.filter(
                    reduce(or_, (Q(pk=d.pk, marked_at=d.marked_at) for d in chunk))
                ).delete()
        done += len(claimed)


def production_totals_rebuild(*, now: datetime) -> dict:
    """Recompute every total from the validated reports, compare with the stored totals, fix
    what differs and log the drift. Idempotent: a second run finds no drift."""
    with transaction.atomic():
        fresh = _aggregate(ProductionReport.objects.all())
        stored, ids = {}, {}
        for pk, department, item_type, kind, monday, *values in ProductionTotal.objects.values_list(
            "pk", "department_id", "item_type_id", "org_kind", "week_start", *FIGURES
        ):
            stored[(department, item_type, kind, monday)] = tuple(values)
            ids[(department, item_type, kind, monday)] = pk
        changed = {b: v for b, v in fresh.items() if b in stored and stored[b] != v}
        added = {b: v for b, v in fresh.items() if b not in stored}
        removed = stored.keys() - fresh.keys()
        if changed or added:
            _upsert({**changed, **added}, now=now)
        for chunk in _chunks(sorted(ids[bucket] for bucket in removed), 1000):
            ProductionTotal.objects.filter(pk__in=chunk).delete()
    drift = {"buckets": len(fresh), "changed": len(changed), "added": len(added)}
    drift["removed"] = len(removed)
    if changed or added or removed:
        log.warning(
            "production totals drifted: %(changed)s changed, %(added)s missing, "
            "%(removed)s extra out of %(buckets)s buckets; fixed",
            drift,
        )
    else:
        log.info("production totals checked: %(buckets)s buckets, no drift", drift)
    return drift
