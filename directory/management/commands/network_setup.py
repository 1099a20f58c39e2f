"""Load the real network on a new server: departments, role groups, the item catalogue, the
directory's capabilities and the relays with their coverage (fablabs/data/relays.csv)."""

from django.core.management.base import BaseCommand

from fablabs.reference import capabilities_ensure, relays_ensure
from makers.reference import item_catalogue_ensure
from tilab.reference import reference_data_ensure


class Command(BaseCommand):
    help = (
        "Charge le réseau réel : départements, rôles, catalogue d'articles, compétences de "
        "l'annuaire, relais et départements couverts. Sans effet sur ce qui existe déjà."
    )

    def handle(self, *args, **options):
        reference_data_ensure()
        item_catalogue_ensure()
        capabilities_ensure()
        created = relays_ensure()
        self.stdout.write(
            "Réseau en place : "
            f"{created['relays']} relais créés, {created['departments']} départements attribués "
            f"({created['organisations']} organisations ajoutées à l'annuaire)."
        )
