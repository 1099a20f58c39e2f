"""A helper to put production reports in the database the way the platform does."""

import datetime

from django.utils import timezone

from makers import services
from makers.models import ItemType, Maker, ProductionReport


def make_report(
    *,
    maker: Maker,
    item: str = "visor",
    quantity: int = 24,
    produced_on: datetime.date | None = None,
    cost_cents: int = 1250,
    recipient: str = "CHU Rennes",
    organisation=None,
    entered_by=None,
    status: str = "submitted",
    decided_by=None,
    now: datetime.datetime | None = None,
) -> ProductionReport:
    """A report entered by its maker; validated or rejected by `decided_by` when asked."""
    now = now or timezone.now()
    report = services.production_report_create(
        maker=maker,
        item_type=ItemType.objects.get(slug=item),
        quantity=quantity,
        produced_on=produced_on or datetime.date(2020, 4, 2),
        material_cost_cents=cost_cents,
        recipient=recipient,
        organisation=organisation,
        entered_by=entered_by or maker.user,
        source=ProductionReport.Source.MAKER,
        now=now,
    )
    if status == "validated":
        services.production_report_validate(report=report, by=decided_by, now=now)
    elif status == "rejected":
        services.production_report_reject(
            report=report, by=decided_by, now=now, reason="Quantité à vérifier"
        )
    report.refresh_from_db()
    return report
