"""Background tasks of the makers app."""

from celery import shared_task
from django.utils import timezone

from . import importing


@shared_task(name="makers.production_imports_prune")
def production_imports_prune() -> dict:
    """Nightly: forget uploaded spreadsheets past their retention (importing.writing)."""
    return importing.production_imports_prune(now=timezone.now())
