"""Writes of the figures: production totals (dirty buckets, journal, drain, rebuild), deliveries.

A bucket is (department, item type, organisation kind, ISO week). Whatever makes a report start
or stop counting marks its bucket dirty and journals what it did to the figures, in the same
transaction; a task drains the dirty buckets by adding their journal to the totals, so its work
follows the changes, not the size of the buckets. The dirty rows and the journal, not the task
messages, are the record of pending work: a lost message, a dead broker or a killed worker
delays the totals, never corrupts them, and the beat schedule drains whatever is left. A
nightly rebuild recomputes everything from the reports and logs any drift it had to fix.

Makers sits below and never imports this module: its decisions send the signals of
`makers.signals` inside their transaction, and `figures.receivers` turns them into the calls
below, synchronously, so the marks still commit or roll back with the decision. The delivered
totals are added to by `needs` (above figures), which calls `delivered_totals_add` directly.
"""

import logging
import threading
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from functools import reduce
from operator import or_

from django.db import connection, transaction
from django.db.models import Count, DateField, Exists, F, OuterRef, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncWeek

from makers.models import ProductionReport
from tilab.celery import publish

from . import selectors
from .models import (
    DeliveredTotal,
    DirtyBucket,
    OrganisationKind,
    ProductionTotal,
    TotalDelta,
    TotalsVersion,
)

log = logging.getLogger(__name__)
# Per thread, as transactions are: the token of the drain the current transaction will queue.
_drain = threading.local()

# (department code, item type id, organisation kind, Monday of the ISO week)
Bucket = tuple[str, int, str, date]
FIGURES = ("quantity", "report_count", "maker_count", "producer_count", "material_cost_cents")
ZERO = (0,) * len(FIGURES)
BUCKET_FIELDS = ["department", "item_type", "org_kind", "week_start"]
_BUCKET_COLUMNS = ["department_id", "item_type_id", "org_kind", "week_start"]
DRAIN_BATCH = 500
# At most this many terms OR-ed in one WHERE clause: SQLite nests each OR one level deeper and
# refuses expressions deeper than 1,000.
OR_CHUNK = DRAIN_BATCH
# At most this many values in one IN (…): Django holds SQLite to 999 parameters per statement.
PARAMS_CHUNK = 900


def week_start(day: date) -> date:
    """The Monday of the ISO week of `day`."""
    return day - timedelta(days=day.weekday())


def bucket_of(report: ProductionReport) -> Bucket:
    """The bucket a report counts in (its organisation must be loaded or absent)."""
    kind = report.organisation.kind if report.organisation_id else OrganisationKind.INDEPENDENT
    return (report.department_id, report.item_type_id, kind, week_start(report.produced_on))


def producer_of(report: ProductionReport) -> tuple[str, int]:
    """Who produced a report, as the small-count rule counts producers: its organisation, or
    its maker producing on their own."""
    if report.organisation_id:
        return ("organisation", report.organisation_id)
    return ("maker", report.maker_id)


# Why the journal and the totals never disagree, with drains and the rebuild running beside the
# writers (PostgreSQL, READ COMMITTED):
#
# A writer changes its reports, then upserts the dirty rows of their buckets, then counts its
# makers' reports in those buckets and inserts its journal rows, and commits all of it at once.
# The upsert (INSERT … ON CONFLICT DO UPDATE) takes the lock of each dirty row, and the table's
# ROW EXCLUSIVE lock, and keeps them to the commit. So:
# - Writers of one bucket go one after the other from their upsert on: each one's count sees
#   the changes of those before it and none of those after it, so whether a maker starts or
#   stops counting there (d_makers), and likewise a producer (d_producers), adds up exactly
#   from one journal row to the next.
# - A drain claims only dirty rows nobody holds (SKIP LOCKED). While it holds them, a writer
#   touching those buckets waits at its upsert, before its commit: every statement of the
#   drain sees the same committed journal rows for the buckets it claimed, and the same
#   reports when it recomputes one from them, whatever else commits meanwhile.
# - A writer that upserted first makes the drain skip its bucket; the next drain takes it once
#   it has committed. A drain that deletes a dirty row a writer waits on lets the writer insert
#   it again (ON CONFLICT re-checks), so the writer's journal rows always have their mark.
# - The rebuild locks the dirty table in EXCLUSIVE mode before reading anything: it waits for
#   the writers and drains in progress, and those that come later wait for it. It therefore
#   reads reports whose every journaled change is in the journal it deletes, in one transaction:
#   no change is counted twice nor lost.
# On SQLite one write transaction runs at a time, which is stronger still.


def production_totals_record(
    *,
    entered: Iterable[ProductionReport] = (),
    left: Iterable[ProductionReport] = (),
    now: datetime,
) -> None:
    """Record that these reports started (`entered`) or stopped (`left`) counting: their
    buckets are marked dirty and the change journaled, and a drain is queued for when the
    current transaction commits. Call it inside that transaction, after changing the reports
    (their organisations must be loaded). A change that nets to nothing records nothing."""
    deltas: dict[tuple[Bucket, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    # Per (bucket, producer): the change in its reports there, and the maker whose journal row
    # carries its ±1.
    producers: dict[tuple[Bucket, tuple[str, int]], list[int]] = {}
    for sign, reports in ((1, entered), (-1, left)):
        for report in reports:
            bucket = bucket_of(report)
            delta = deltas[(bucket, report.maker_id)]
            delta[0] += sign * report.quantity
            delta[1] += sign
            delta[2] += sign * report.material_cost_cents
            producer = producers.setdefault((bucket, producer_of(report)), [0, report.maker_id])
            producer[0] += sign
    deltas = {key: values for key, values in sorted(deltas.items()) if any(values)}
    if not deltas:
        return
    # The mark before the count: from here to the commit this transaction holds the buckets'
    # dirty rows, so no other writer changes these buckets in between (see above).
    _mark(buckets=[bucket for bucket, _maker in deltas], now=now, full=False)
    counted = _counted(deltas)
    counted_producers = _counted_producers(producers)
    journal, unsure = {}, set()
    for (bucket, maker), (quantity, reports, cost) in deltas.items():
        after = counted.get((bucket, maker), 0)
        before = after - reports
        if before < 0:  # the reports say otherwise than the caller: recompute the bucket
            unsure.add(bucket)
        department, item_type, kind, monday = bucket
        journal[(bucket, maker)] = TotalDelta(
            department_id=department,
            item_type_id=item_type,
            org_kind=kind,
            week_start=monday,
            maker_id=maker,
            d_quantity=quantity,
            d_reports=reports,
            d_makers=(after > 0) - (before > 0),
            d_cost_cents=cost,
        )
    for (bucket, producer), (reports, maker) in producers.items():
        if not reports:
            continue
        after = counted_producers.get((bucket, producer), 0)
        before = after - reports
        if before < 0 or (bucket, maker) not in journal:
            unsure.add(bucket)
            continue
        journal[(bucket, maker)].d_producers += (after > 0) - (before > 0)
    if unsure:
        _mark(buckets=unsure, now=now, full=True)
    TotalDelta.objects.bulk_create(journal.values(), batch_size=1000)
    _drain_on_commit()


def _counted(deltas: dict[tuple[Bucket, int], list]) -> dict[tuple[Bucket, int], int]:
    """How many validated reports each maker has in each bucket, for these (bucket, maker):
    the few reports of each maker that week, found through the maker index."""
    makers_per_week = defaultdict(set)
    for (_department, _item_type, _kind, monday), maker in deltas:
        makers_per_week[monday].add(maker)
    counted = {}
    for monday, makers in sorted(makers_per_week.items()):
        for chunk in _chunks(sorted(makers), PARAMS_CHUNK):
            rows = (
                _bucketed(
                    ProductionReport.objects.filter(
                        maker_id__in=chunk,
                        produced_on__gte=monday,
                        produced_on__lt=monday + timedelta(days=7),
                    )
                )
                .values_list("department_id", "item_type_id", "kind", "week", "maker_id")
                .annotate(Count("pk"))
                .order_by()
            )
            for department, item_type, kind, week, maker, n in rows:
                counted[((department, item_type, kind, _as_date(week)), maker)] = n
    return counted


def _counted_producers(
    producers: dict[tuple[Bucket, tuple[str, int]], list],
) -> dict[tuple[Bucket, tuple[str, int]], int]:
    """How many validated reports each producer has in each bucket, for these (bucket,
    producer): an organisation's reports through the organisation index, a maker's own through
    the maker index."""
    wanted = defaultdict(set)
    for (_department, _item_type, _kind, monday), (by, producer) in producers:
        wanted[(monday, by)].add(producer)
    counted = {}
    for (monday, by), ids in sorted(wanted.items()):
        for chunk in _chunks(sorted(ids), PARAMS_CHUNK):
            if by == "organisation":
                reports = ProductionReport.objects.filter(organisation_id__in=chunk)
            else:
                reports = ProductionReport.objects.filter(
                    maker_id__in=chunk, organisation__isnull=True
                )
            rows = (
                _bucketed(
                    reports.filter(
                        produced_on__gte=monday, produced_on__lt=monday + timedelta(days=7)
                    )
                )
                .values_list("department_id", "item_type_id", "kind", "week", f"{by}_id")
                .annotate(Count("pk"))
                .order_by()
            )
            for department, item_type, kind, week, producer, n in rows:
                counted[((department, item_type, kind, _as_date(week)), (by, producer))] = n
    return counted


def production_buckets_mark_dirty(*, buckets: Iterable[Bucket], now: datetime) -> None:
    """Record that these buckets must be recomputed from their reports, for a change that
    cannot say what it did to the figures, and ask a worker to do it once the current
    transaction commits. Call it inside the transaction that changes the figures."""
    if _mark(buckets=buckets, now=now, full=True):
        _drain_on_commit()


def production_totals_organisation_kind_changed(
    *, organisation_id: int, was: str, now: datetime
) -> None:
    """The organisation's validated reports leave the buckets of kind `was` for those of its
    new kind: both are marked for a full recompute. Call it in the transaction that changes
    the kind, after the change. (A report validated at that very moment may still be counted
    under the old kind until the nightly rebuild: the decisions do not lock organisations.)"""
    weeks = (
        ProductionReport.objects.filter(
            organisation_id=organisation_id, status=ProductionReport.Status.VALIDATED
        )
        .annotate(week=TruncWeek("produced_on", output_field=DateField()))
        .values_list("department_id", "item_type_id", "week", "organisation__kind")
        .distinct()
        .order_by()
    )
    production_buckets_mark_dirty(
        buckets=[
            (department, item_type, kind, _as_date(week))
            for department, item_type, week, is_now in weeks
            for kind in (was, is_now)
        ],
        now=now,
    )


def _mark(*, buckets: Iterable[Bucket], now: datetime, full: bool) -> bool:
    # In bucket order: writers lock the dirty rows they upsert in the same order, so they wait
    # for each other instead of deadlocking. A journaled mark leaves a pending full recompute
    # as it is; a full one sets it.
    wanted = sorted(set(buckets))
    if not wanted:
        return False
    DirtyBucket.objects.bulk_create(
        [
            DirtyBucket(
                department_id=department,
                item_type_id=item_type,
                org_kind=kind,
                week_start=monday,
                marked_at=now,
                needs_full=full,
            )
            for department, item_type, kind, monday in wanted
        ],
        update_conflicts=True,
        unique_fields=BUCKET_FIELDS,
        update_fields=["marked_at", "needs_full"] if full else ["marked_at"],
        batch_size=1000,
    )
    return True


def _drain_on_commit() -> None:
    """Queue one drain when the current transaction commits, however many decisions it holds.

    Each call leaves a hook; the hooks of one transaction share a token, and the first to run
    queues the drain and spends it, so the others stand down. A rolled-back transaction's hooks
    never run: its token stays unspent and the next transaction's hooks queue the drain.
    """
    token = getattr(_drain, "waiting", None)
    if token is None:
        token = _drain.waiting = object()

    def enqueue() -> None:
        if getattr(_drain, "waiting", None) is not token:
            return  # this transaction's drain is queued already
        _drain.waiting = None
        _enqueue_drain()

    enqueue.queues_drain = True  # how tests recognise the hook among a transaction's others
    transaction.on_commit(enqueue)


def _enqueue_drain() -> None:
    from .tasks import production_totals_drain

    # Not queued (the broker is down or hangs): the dirty buckets stay recorded and the beat
    # schedule drains them when it is back.
    publish(production_totals_drain)


def _bucketed(reports: QuerySet[ProductionReport]) -> QuerySet[ProductionReport]:
    """The validated reports among `reports`, with their bucket's week and kind."""
    return reports.filter(status=ProductionReport.Status.VALIDATED).annotate(
        week=TruncWeek("produced_on", output_field=DateField()),
        kind=Coalesce("organisation__kind", Value(OrganisationKind.INDEPENDENT)),
    )


def _aggregate(reports: QuerySet[ProductionReport]) -> dict[Bucket, tuple[int, ...]]:
    """Validated figures per bucket, computed by the database in one GROUP BY."""
    rows = (
        _bucketed(reports)
        .values_list("department_id", "item_type_id", "kind", "week")
        .annotate(
            total_quantity=Sum("quantity"),
            reports=Count("pk"),
            makers=Count("maker_id", distinct=True),
            # The organisation, or the maker when there is none: a bucket's reports all have
            # an organisation or none has (its kind says which), so the two ids never mix.
            producers=Count(Coalesce("organisation_id", "maker_id"), distinct=True),
            cost=Sum("material_cost_cents"),
        )
        .order_by()
    )
    return {
        (department, item_type, kind, _as_date(week)): tuple(figures)
        for department, item_type, kind, week, *figures in rows
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


def _upsert(figures: dict[Bucket, tuple[int, ...]], *, now: datetime) -> None:
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
                producer_count=values[3],
                material_cost_cents=values[4],
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
    validated left loses its row. Idempotent: running it twice leaves the same rows.

    It leaves the journal alone: the drain deletes a bucket's journal before recomputing it
    in the same transaction; anywhere else, changes still waiting would be counted twice."""
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
    """Bring every dirty bucket's total up to date, then forget it; returns how many were.

    A bucket's journal is added to its total; a bucket marked for a full recompute, or without
    a journal, is recomputed from its reports. Idempotent and safe to run several times at
    once: on PostgreSQL each run claims its dirty rows with SKIP LOCKED and consumes their
    journal in the same transaction, and a bucket marked again while it was being recomputed
    keeps its mark (the delete checks the mark's time), so the next run sees the newer change.
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
            _drain(claimed, now=now)
            marked = defaultdict(list)
            for d in claimed:
                marked[d.marked_at].append(d.pk)
            DirtyBucket.objects.filter(
                reduce(or_, (Q(marked_at=at, pk__in=pks) for at, pks in marked.items()))
            ).delete()
            totals_version_bump(now=now)
        done += len(claimed)


def totals_version_bump(*, now: datetime) -> None:
    """A new version of the totals, in the transaction that changed them: the public pages
    cached under the previous one are not served again once it commits (tilab.public_cache).
    The drain and the rebuild call it last before their commit, so the row's lock is held for
    as short a time as possible; whatever else writes the totals (a fix by hand) calls it too."""
    if not TotalsVersion.objects.filter(pk=1).update(version=F("version") + 1, changed_at=now):
        # The first change ever (or a database emptied by hand): the row does not exist yet.
        TotalsVersion.objects.get_or_create(pk=1, defaults={"version": 1, "changed_at": now})
    selectors.TOTALS_VERSION.changed()


def _of_dirty(pks: list[int]) -> Exists:
    """Rows (journal or totals) in the buckets of these dirty rows."""
    return Exists(
        DirtyBucket.objects.filter(
            pk__in=pks,
            department_id=OuterRef("department_id"),
            item_type_id=OuterRef("item_type_id"),
            org_kind=OuterRef("org_kind"),
            week_start=OuterRef("week_start"),
        )
    )


def _drain(claimed: list[DirtyBucket], *, now: datetime) -> None:
    """Consume the journal of the claimed buckets into their totals (the caller holds them)."""
    journaled = [d.pk for d in claimed if not d.needs_full]
    deltas = {}
    if journaled:
        for department, item_type, kind, monday, *sums in (
            TotalDelta.objects.filter(_of_dirty(journaled))
            .values_list(*_BUCKET_COLUMNS)
            .annotate(
                Sum("d_quantity"),
                Sum("d_reports"),
                Sum("d_makers"),
                Sum("d_producers"),
                Sum("d_cost_cents"),
            )
            .order_by()
        ):
            deltas[(department, item_type, kind, monday)] = tuple(int(v) for v in sums)
    TotalDelta.objects.filter(_of_dirty([d.pk for d in claimed])).delete()
    full = {(d.department_id, d.item_type_id, d.org_kind, d.week_start) for d in claimed}
    full -= deltas.keys()
    full |= _add(deltas, of_dirty=journaled, now=now)
    if full:
        production_totals_recompute(buckets=full, now=now)


def _add(
    deltas: dict[Bucket, tuple[int, ...]], *, of_dirty: list[int], now: datetime
) -> set[Bucket]:
    """Add the journal's sums to the totals of these dirty rows' buckets; returns the buckets
    whose journal disagrees with their total, to recompute from their reports."""
    if not deltas:
        return set()
    stored = {}
    # Locked in bucket order, like every writer of these rows.
    for department, item_type, kind, monday, *values in (
        ProductionTotal.objects.select_for_update()
        .filter(_of_dirty(of_dirty))
        .order_by(*_BUCKET_COLUMNS)
        .values_list(*_BUCKET_COLUMNS, *FIGURES)
    ):
        stored[(department, item_type, kind, monday)] = tuple(int(v) for v in values)
    kept, emptied, disagree = {}, [], set()
    for bucket, delta in deltas.items():
        figures = tuple(a + b for a, b in zip(stored.get(bucket, ZERO), delta, strict=True))
        quantity, reports, makers, producers, cost = figures
        if figures == ZERO:
            if bucket in stored:
                emptied.append(bucket)
        elif 1 <= makers <= reports <= quantity and 1 <= producers <= reports and cost >= 0:
            kept[bucket] = figures
        else:
            disagree.add(bucket)
    if kept:
        _upsert(kept, now=now)
    for chunk in _chunks(emptied):
        ProductionTotal.objects.filter(_bucket_filter(chunk)).delete()
    if disagree:
        log.warning(
            "production totals: the journal of %s buckets disagrees with their totals; "
            "recomputed from their reports",
            len(disagree),
        )
    return disagree


def production_totals_rebuild(*, now: datetime) -> dict:
    """Recompute every total from the validated reports, compare with the stored totals, fix
    what differs and log the drift; the journal and the dirty marks, which it covers, are
    forgotten with it. Idempotent: a second run finds no drift."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # EXCLUSIVE, not SHARE ROW EXCLUSIVE: it must also stop the drains, whose claims
            # (SELECT … FOR UPDATE) take ROW SHARE. Decisions (at their dirty mark) and drains
            # wait for the nightly rebuild, a second or two at a million reports; readers of
            # the totals do not. See "Why the journal…" above.
            with connection.cursor() as cursor:
                cursor.execute(
                    f"LOCK TABLE {connection.ops.quote_name(DirtyBucket._meta.db_table)} "
                    "IN EXCLUSIVE MODE"
                )
        fresh = _aggregate(ProductionReport.objects.all())
        stored, ids = {}, {}
        for pk, department, item_type, kind, monday, *values in ProductionTotal.objects.values_list(
            "pk", *_BUCKET_COLUMNS, *FIGURES
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
        TotalDelta.objects.all().delete()
        DirtyBucket.objects.all().delete()
        if changed or added or removed:
            totals_version_bump(now=now)
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


# --- Delivered totals ---------------------------------------------------------------------------


def delivered_totals_add(*, department_id: str, item_type_id: int, quantity: int, now) -> None:
    """Add a confirmed delivery to the delivered totals (call it in the confirming transaction)."""
    total, _created = DeliveredTotal.objects.select_for_update().get_or_create(
        department_id=department_id,
        item_type_id=item_type_id,
        defaults={"quantity": 0, "delivery_count": 0, "updated_at": now},
    )
    DeliveredTotal.objects.filter(pk=total.pk).update(
        quantity=F("quantity") + quantity, delivery_count=F("delivery_count") + 1, updated_at=now
    )
    # The dashboard shows them, cached under the version of the totals (figures.views).
    totals_version_bump(now=now)
