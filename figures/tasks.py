"""Background tasks of the figures: keeping the totals right, building staff exports."""

from celery import shared_task
from django.utils import timezone

from . import exports, totals


@shared_task(name="figures.production_totals_drain")
def production_totals_drain() -> int:
    """Add the journal of the dirty buckets to their totals (or recompute those marked for
    it). Safe to run twice, or many times at once."""
    return totals.production_totals_drain(now=timezone.now())


@shared_task(name="figures.production_totals_rebuild")
def production_totals_rebuild() -> dict:
    """Rebuild every total from the reports and log any drift. Safe to run twice."""
    return totals.production_totals_rebuild(now=timezone.now())


@shared_task(name="figures.production_export_build")
def production_export_build(*, export_id: int) -> bool:
    """Build the file of a pending export. Safe to run twice: the second run does nothing."""
    return exports.production_export_build(export_id=export_id, now=timezone.now())


@shared_task(name="figures.production_exports_requeue")
def production_exports_requeue() -> int:
    """Queue again the exports a lost message or a dead broker left waiting. Safe to run
    twice: each export is built once."""
    return exports.production_exports_requeue(now=timezone.now())


@shared_task(name="figures.production_exports_expire")
def production_exports_expire() -> int:
    """Nightly: delete export files past their retention. Safe to run twice."""
    return exports.production_exports_expire(now=timezone.now())
