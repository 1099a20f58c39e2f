"""The totals survive faults: a real worker drains what validations mark, a dead broker slows
nothing and loses nothing, and a rolled-back decision leaves no trace."""

import datetime
import logging
import os
import time
from contextlib import contextmanager

import pytest
from django.db import transaction
from django.utils import timezone

from config.celery import app
from figures import tasks, totals
from figures.models import DirtyBucket, ProductionTotal, TotalDelta
from makers import services
from makers.models import ItemType
from makers.reference import item_catalogue_ensure
from tests.factories import make_report
from tests.figures.test_totals import expected_totals, no_drift, stored_totals

DEAD_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connections are refused
QUICK = 5  # seconds: what a person waiting for the validation page would still accept


@contextmanager
def broker_at(url: str):
    """Send tasks for real to `url`, then restore the app as it was.

    The Celery app read Django's CELERY_* settings (prefixed names) when first configured,
    prefers the CELERY_BROKER_URL environment variable to them, and keeps a pool of connections
    to that broker: all three are swapped here, and swapped back afterwards.
    """
    keys = ("CELERY_BROKER_URL", "CELERY_TASK_ALWAYS_EAGER")
    saved = {key: app.conf[key] for key in keys}
    saved_env = os.environ.get("CELERY_BROKER_URL")
    os.environ["CELERY_BROKER_URL"] = url
    app.conf.update(CELERY_BROKER_URL=url, CELERY_TASK_ALWAYS_EAGER=False)
    app._after_fork()  # forget the pools built for the previous broker
    try:
        yield
    finally:
        app.conf.update(saved)
        if saved_env is None:
            del os.environ["CELERY_BROKER_URL"]
        else:
            os.environ["CELERY_BROKER_URL"] = saved_env
        app._after_fork()


def test_with_the_broker_down_a_validation_answers_quickly_and_a_later_drain_catches_up(
    maker, relay_staff, caplog, django_capture_on_commit_callbacks
):
    anne = maker.maker
    report = make_report(maker=anne, quantity=120, cost_cents=4_800)
    with broker_at(DEAD_BROKER), caplog.at_level(logging.WARNING, logger="figures.totals"):
        assert app.connection_for_write().as_uri().startswith("redis://127.0.0.1:1/")
        started = time.monotonic()
        # The validation and what runs when it commits: queuing the drain, which fails.
        with django_capture_on_commit_callbacks(execute=True) as queued:
            services.production_report_validate(report=report, by=relay_staff, now=timezone.now())
        elapsed = time.monotonic() - started

    print(f"\nvalidation with the broker down: {elapsed:.2f} s")
    assert elapsed < QUICK, f"validating took {elapsed:.1f}s with the broker down"
    assert len(queued) == 1
    assert "drain not queued" in caplog.text
    report.refresh_from_db()
    assert report.status == "validated"
    visor = ItemType.objects.get(slug="visor").pk
    bucket = ("35", visor, "independent", datetime.date(2020, 3, 30))
    assert set(
        DirtyBucket.objects.values_list("department_id", "item_type_id", "org_kind", "week_start")
    ) == {bucket}
    # Not yet: the work waits, recorded by the mark and the journal of what changed.
    assert not ProductionTotal.objects.exists()
    assert TotalDelta.objects.count() == 1

    # The beat schedule, once the broker is back, runs the task that drains what is left.
    assert tasks.production_totals_drain.apply().get() == 1

    assert stored_totals() == {bucket: (120, 1, 1, 1, 4_800)}  # one maker, one producer
    assert not DirtyBucket.objects.exists()
    assert not TotalDelta.objects.exists()


def test_a_transaction_rolled_back_after_marking_leaves_nothing_dirty_and_queues_nothing(
    reference_data, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(tasks.production_totals_drain, "delay", lambda: sent.append(1))
    visor = ItemType.objects.get(slug="visor").pk
    bucket = ("29", visor, "sme", datetime.date(2020, 4, 6))

    with (
        django_capture_on_commit_callbacks(execute=True) as queued,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        totals.production_buckets_mark_dirty(buckets=[bucket], now=timezone.now())
        assert DirtyBucket.objects.count() == 1
        raise RuntimeError("the decision failed after marking")

    assert not DirtyBucket.objects.exists()
    assert queued == [] and sent == []

    # The same marking committed does queue its drain: the rollback, not the test, stopped it.
    with django_capture_on_commit_callbacks(execute=True) as queued:
        totals.production_buckets_mark_dirty(buckets=[bucket], now=timezone.now())
    assert len(queued) == 1 and sent == [1]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_on_the_broker_drains_what_validations_mark(
    celery_worker, maker, relay_staff, other_relay_staff
):
    assert not app.conf.task_always_eager  # the drain goes through the broker to the worker
    item_catalogue_ensure()  # a transactional test before this one may have flushed it
    anne = maker.maker
    now = timezone.now()
    reports = [
        make_report(maker=anne, quantity=10 + n, produced_on=datetime.date(2020, 3, 16 + 3 * n))
        for n in range(6)
    ]
    # Committed one by one, as relays click: each commit queues a drain through the broker.
    for report in reports[:3]:
        services.production_report_validate(report=report, by=relay_staff, now=now)
    services.production_reports_validate(
        report_ids=[r.pk for r in reports[3:]], by=relay_staff, now=now
    )

    deadline = time.monotonic() + 30
    while DirtyBucket.objects.exists() or stored_totals() != expected_totals():
        assert time.monotonic() < deadline, (
            f"the worker left {DirtyBucket.objects.count()} dirty buckets after 30 s"
        )
        time.sleep(0.2)

    assert sum(quantity for quantity, *_ in stored_totals().values()) == sum(
        10 + n for n in range(6)
    )
    assert no_drift(totals.production_totals_rebuild(now=timezone.now()))
