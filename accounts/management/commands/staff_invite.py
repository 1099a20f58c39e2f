"""Invite a member of staff (or the first administrator) without the admin."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.invitations import INVITABLE, staff_invite
from fablabs.models import Relay
from tilab.errors import Refusal


class Command(BaseCommand):
    help = (
        "Crée le compte d'un membre d'équipe avec son rôle (et sa place dans l'équipe d'un "
        "relais) et lui envoie un lien à usage unique pour choisir son mot de passe. "
        "--print-link affiche le lien au lieu de l'envoyer (premier administrateur d'un "
        "serveur sans messagerie)."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--role", required=True, choices=INVITABLE)
        parser.add_argument("--relay", help="nom ou identifiant (slug) du relais")
        parser.add_argument("--name", default="", help="nom complet")
        parser.add_argument("--language", default="fr", choices=["fr", "en"])
        parser.add_argument("--print-link", action="store_true")

    def handle(self, *args, **options):
        relay = None
        if options["relay"]:
            wanted = options["relay"].strip()
            relay = (
                Relay.objects.select_related("organisation")
                .filter(organisation__slug=wanted)
                .first()
                or Relay.objects.select_related("organisation")
                .filter(organisation__name__iexact=wanted)
                .first()
            )
            if relay is None:
                names = ", ".join(
                    Relay.objects.order_by("organisation__name").values_list(
                        "organisation__name", flat=True
                    )
                )
                raise CommandError(f"Aucun relais « {wanted} ». Relais : {names or 'aucun'}.")
        try:
            user, link = staff_invite(
                email=options["email"],
                role=options["role"],
                relay=relay,
                full_name=options["name"],
                language=options["language"],
                now=timezone.now(),
                send=not options["print_link"],
            )
        except Refusal as refusal:
            raise CommandError(refusal.message) from refusal
        if options["print_link"]:
            self.stdout.write(f"Lien à usage unique pour {user.email} :\n{link}")
        else:
            self.stdout.write(f"Invitation envoyée à {user.email}.")
