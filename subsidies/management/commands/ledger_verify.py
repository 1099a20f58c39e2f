"""Check the money ledger's hash chain and every balance; exit 1 at the first break."""

from django.core.management.base import BaseCommand, CommandError

from subsidies.ledger import ledger_verify


class Command(BaseCommand):
    help = "Vérifie la chaîne du grand livre et chaque équilibre ; signale la première rupture."

    def handle(self, *args, **options):
        check = ledger_verify()
        if not check.intact:
            for problem in check.breaks[1:]:
                self.stderr.write(problem)
            raise CommandError(f"Première rupture : {check.breaks[0]}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Grand livre intact : {check.entries} écritures, chaîne et équilibres vérifiés."
            )
        )
