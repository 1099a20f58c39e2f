"""Rebuild the production totals from the validated reports, as the nightly task does."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from figures.totals import production_totals_rebuild


class Command(BaseCommand):
    help = (
        "Recalcule tous les totaux de production à partir des déclarations validées, "
        "corrige et signale tout écart (idempotent)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="Échoue (code 1) si un total était faux : après une restauration, par exemple.",
        )

    def handle(self, *args, **options):
        drift = production_totals_rebuild(now=timezone.now())
        self.stdout.write(
            f"{drift['buckets']} totaux vérifiés : {drift['changed']} corrigés, "
            f"{drift['added']} ajoutés, {drift['removed']} supprimés."
        )
        if options["check"] and (drift["changed"] or drift["added"] or drift["removed"]):
            raise CommandError("Des totaux ne correspondaient pas aux déclarations validées.")
