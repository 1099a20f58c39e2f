"""Background tasks of production: keeping the totals right."""

from celery import shared_task
from django.utils import timezone

from . import totals


@shared_task(name="makers.production_totals_drain")
def production_totals_drain() -> int:
    """Recompute the dirty buckets. Safe to run twice, or many times at once."""
    return totals.production_totals_drain(now=timezone.now())


@shared_task(name="makers.production_totals_rebuild")
def production_totals_rebuild() -> dict:
    """Rebuild every total from the reports and log any drift. Safe to run twice."""
    return totals.production_totals_rebuild(now=timezone.now())
