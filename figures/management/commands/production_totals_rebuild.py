"""Rebuild the production totals from the validated reports, as the nightly task does."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from figures.totals import production_totals_rebuild


class Command(BaseCommand):
    help = (
        "Recalcule tous les totaux de production à partir des déclarations validées, "
        "corrige et signale tout écart (idempotent)."
    )

    def handle(self, *args, **options):
        drift = production_totals_rebuild(now=timezone.now())
        self.stdout.write(
            f"{drift['buckets']} totaux vérifiés : {drift['changed']} corrigés, "
            f"{drift['added']} ajoutés, {drift['removed']} supprimés."
        )
