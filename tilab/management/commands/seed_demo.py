"""Load realistic Breton demo data and one login per role. Idempotent; never in production."""

import datetime
import random

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from fablabs.models import Organisation
from makers import services as production
from makers.models import ItemType, Maker, Membership, ProductionReport
from makers.reference import item_catalogue_ensure
from subsidies.models import Relay, RelayCoverage
from tilab import roles
from tilab.models import Department, User
from tilab.reference import reference_data_ensure

DEMO_PASSWORD = "demo-tilab-2020"
DEMO_DOMAIN = "demo.tilab.test"

# (slug, name, kind, department, commune, has_place, website)
ORGANISATIONS = [
    ("labfab-rennes", "LabFab de Rennes", "associative_fablab", "35", "Rennes", True, ""),
    ("fabrique-du-loch", "La Fabrique du Loch", "associative_fablab", "56", "Auray", True, ""),
    ("ensta-bretagne", "ENSTA Bretagne", "institutional_fablab", "29", "Brest", True, ""),
    ("fablab-lannion", "FabLab Lannion", "associative_fablab", "22", "Lannion", True, ""),
    (
        "fablab-iut-saint-brieuc",
        "FabLab de l'IUT de Saint-Brieuc",
        "institutional_fablab",
        "22",
        "Saint-Brieuc",
        True,
        "",
    ),
    (
        "petites-mains-quimper",
        "Les Petites Mains de Quimper",
        "collective",
        "29",
        "Quimper",
        False,
        "",
    ),
    (
        "couturieres-pays-de-vannes",
        "Couturières solidaires du pays de Vannes",
        "collective",
        "56",
        "Vannes",
        False,
        "",
    ),
    ("armor-plasturgie", "Armor Plasturgie", "sme", "22", "Loudéac", True, ""),
    ("atelier-laser-brestois", "Atelier laser brestois", "sme", "29", "Brest", True, ""),
    (
        "makers-pays-de-fougeres",
        "Makers du pays de Fougères",
        "collective",
        "35",
        "Fougères",
        True,
        "",
    ),
]

# Which relay covered which departments in 2020 (../shared/reference/relays.csv).
RELAYS = {"labfab-rennes": ["35", "22"], "fabrique-du-loch": ["56"], "ensta-bretagne": ["29"]}

# (display name, department, commune, skills, equipment, organisation slug or None)
MAKERS = [
    ("Anne Le Goff", "35", "Rennes", "Impression 3D", "Prusa i3 MK3S", None),
    (
        "Yann Kerbrat",
        "22",
        "Lannion",
        "Impression 3D, découpe laser",
        "2 Ender 3",
        "fablab-lannion",
    ),
    ("Maëlle Tanguy", "29", "Quimper", "Couture", "Machine à coudre", "petites-mains-quimper"),
    ("Erwan Morvan", "56", "Auray", "Impression 3D", "Ultimaker 2+", "fabrique-du-loch"),
    ("Gwenaëlle Le Bihan", "29", "Brest", "Découpe laser", "Trotec Speedy", "ensta-bretagne"),
    (
        "Loïc Guillou",
        "35",
        "Fougères",
        "Impression 3D",
        "Creality CR-10",
        "makers-pays-de-fougeres",
    ),
    ("Nolwenn Le Roux", "56", "Vannes", "Couture", "Surjeteuse", "couturieres-pays-de-vannes"),
    (
        "Tristan Le Corre",
        "22",
        "Saint-Brieuc",
        "Impression 3D",
        "Prusa Mini",
        "fablab-iut-saint-brieuc",
    ),
    ("Soizic Hamon", "35", "Rennes", "Couture", "Machine à coudre", "labfab-rennes"),
    ("Ronan Le Floc'h", "29", "Morlaix", "Impression 3D", "Anycubic i3 Mega", None),
    ("Katell Riou", "56", "Lorient", "Impression 3D, couture", "Prusa i3 MK3S", None),
    ("Pierrick Jaouen", "22", "Dinan", "Impression 3D", "Ender 5", None),
]

MAKER_SKILLS = {name: skills for name, _dept, _commune, skills, *_rest in MAKERS}

DEMO_ACCOUNTS = [
    # (local part, full name, role, relay slug or None)
    ("maker", "Anne Le Goff", roles.MAKER, None),
    ("relais.rennes", "Camille Le Gall", roles.RELAY_STAFF, "labfab-rennes"),
    ("relais.loch", "Mathieu Le Dantec", roles.RELAY_STAFF, "fabrique-du-loch"),
    ("relais.ensta", "Sophie Quéré", roles.RELAY_STAFF, "ensta-bretagne"),
    ("region", "Hélène Cadiou", roles.REGION_STAFF, None),
    ("facilitateur", "Benoît Lemoine", roles.FACILITATOR, None),
    ("audit", "Jean-Yves Prigent", roles.AUDITOR, None),
]

FIRST_NAMES = [
    "Anne",
    "Yann",
    "Maëlle",
    "Erwan",
    "Gwen",
    "Loïc",
    "Nolwenn",
    "Tristan",
    "Soizic",
    "Ronan",
    "Katell",
    "Pierrick",
    "Morgane",
    "Tanguy",
    "Enora",
    "Gaël",
    "Azilis",
    "Brieuc",
    "Rozenn",
    "Mael",
]
LAST_NAMES = [
    "Le Goff",
    "Kerbrat",
    "Tanguy",
    "Morvan",
    "Le Bihan",
    "Guillou",
    "Le Roux",
    "Le Corre",
    "Hamon",
    "Riou",
    "Jaouen",
    "Le Gall",
    "Cadiou",
    "Prigent",
    "Quéré",
    "Le Dantec",
    "Kervella",
    "Le Moal",
    "Pennec",
    "Caradec",
]
COMMUNES = {
    "22": ["Saint-Brieuc", "Lannion", "Dinan", "Guingamp", "Loudéac"],
    "29": ["Brest", "Quimper", "Morlaix", "Concarneau", "Landerneau"],
    "35": ["Rennes", "Saint-Malo", "Fougères", "Vitré", "Redon"],
    "56": ["Vannes", "Lorient", "Auray", "Pontivy", "Ploërmel"],
}


class Command(BaseCommand):
    help = "Charge les données de démonstration (idempotent). Refusé quand DEBUG est désactivé."

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            type=int,
            default=0,
            help="Nombre de makers supplémentaires générés (sans compte), pour les mesures.",
        )
        parser.add_argument("--quiet-logins", action="store_true", help="N'affiche pas les accès.")

    def handle(self, *args, scale, quiet_logins, **options):
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo refuse de s'exécuter quand DEBUG est désactivé : "
                "ce sont des données fictives avec des mots de passe connus."
            )
        if scale < 0:
            raise CommandError("--scale doit être positif ou nul.")
        with transaction.atomic():
            reference_data_ensure()
            item_catalogue_ensure()
            organisations = self._organisations()
            relays = self._relays(organisations)
            self._makers(organisations)
            self._accounts(relays)
            self._reports()
            if scale:
                self._scaled_makers(scale, organisations)
        self.stdout.write(
            self.style.SUCCESS(
                f"Données de démonstration prêtes : {Organisation.objects.count()} organisations, "
                f"{Maker.objects.count()} makers, {Relay.objects.count()} relais, "
                f"{ProductionReport.objects.count()} déclarations de production."
            )
        )
        if not quiet_logins:
            self._print_logins()

    def _organisations(self) -> dict[str, Organisation]:
        departments = {d.code: d for d in Department.objects.all()}
        result = {}
        for slug, name, kind, dept, commune, has_place, website in ORGANISATIONS:
            result[slug], _ = Organisation.objects.update_or_create(
                slug=slug,
                defaults={
                    "name": name,
                    "kind": kind,
                    "department": departments[dept],
                    "commune": commune,
                    "has_place": has_place,
                    "website": website,
                },
            )
        return result

    def _relays(self, organisations) -> dict[str, Relay]:
        result = {}
        for slug, codes in RELAYS.items():
            relay, _ = Relay.objects.get_or_create(organisation=organisations[slug])
            for code in codes:
                RelayCoverage.objects.update_or_create(
                    department_id=code, defaults={"relay": relay}
                )
            result[slug] = relay
        return result

    def _makers(self, organisations):
        for name, dept, commune, skills, equipment, org in MAKERS:
            maker, _ = Maker.objects.update_or_create(
                display_name=name,
                department_id=dept,
                defaults={
                    "commune": commune,
                    "skills": skills,
                    "equipment": equipment,
                    "is_public": True,
                },
            )
            if org:
                Membership.objects.get_or_create(maker=maker, organisation=organisations[org])

    def _accounts(self, relays):
        groups = {g.name: g for g in Group.objects.filter(name__in=roles.ROLES)}
        for local, full_name, role, relay_slug in DEMO_ACCOUNTS:
            email = f"{local}@{DEMO_DOMAIN}"
            user, created = User.objects.get_or_create(
                email=email, defaults={"full_name": full_name}
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            user.groups.add(groups[role])
            EmailAddress.objects.update_or_create(
                user=user, email=email, defaults={"verified": True, "primary": True}
            )
            if relay_slug:
                relays[relay_slug].staff.add(user)
            if role == roles.MAKER:
                Maker.objects.filter(display_name=full_name, user__isnull=True).update(user=user)

    def _reports(self):
        """Spring 2020 as the relays lived it: each demo maker reported a few batches; some
        were validated or refused, others still wait, and one batch was reported twice."""
        makers = list(
            Maker.objects.filter(display_name__in=[m[0] for m in MAKERS])
            .prefetch_related("organisations")
            .order_by("display_name")
        )
        if ProductionReport.objects.filter(maker__in=makers).exists():
            return
        items = {item.slug: item for item in ItemType.objects.all()}
        deciders = {
            code: relay.staff.order_by("pk").first()
            for relay in Relay.objects.prefetch_related("staff", "departments")
            for code in relay.departments.values_list("code", flat=True)
        }
        rng = random.Random(2020)
        recipients = [
            "CHU Rennes",
            "EHPAD Lannion",
            "Pharmacie Quimper",
            "Hôpital Vannes",
            "CHU Brest",
            "Clinique Saint-Malo",
            "EHPAD Pontivy",
            "Cabinet infirmier",
        ]
        first_day = datetime.date(2020, 3, 16)
        for maker in makers:
            sewing = "Couture" in (MAKER_SKILLS.get(maker.display_name) or "")
            organisation = next(iter(maker.organisations.all()), None)
            for n in range(6):
                produced_on = first_day + datetime.timedelta(days=rng.randrange(0, 55))
                item = items[
                    "fabric-mask" if sewing else rng.choice(["visor", "visor", "ear-saver"])
                ]
                quantity = rng.randrange(10, 80) if item.slug != "ear-saver" else 100
                now = timezone.make_aware(
                    datetime.datetime.combine(produced_on, datetime.time(18, 0))
                )
                report = production.production_report_create(
                    maker=maker,
                    organisation=organisation if n % 2 else None,
                    item_type=item,
                    quantity=quantity,
                    produced_on=produced_on,
                    material_cost_cents=quantity * rng.choice([25, 40, 52]),
                    recipient=rng.choice(recipients),
                    entered_by=maker.user,
                    source=ProductionReport.Source.MAKER
                    if maker.user
                    else ProductionReport.Source.RELAY,
                    now=now,
                )
                decider = deciders.get(report.department_id)
                later = now + datetime.timedelta(days=2)
                if decider is None or n >= 4:
                    continue  # still waiting for the relay
                if n == 3:
                    production.production_report_reject(
                        report=report,
                        by=decider,
                        now=later,
                        reason="Quantité à confirmer : merci de préciser le lot.",
                    )
                else:
                    production.production_report_validate(report=report, by=decider, now=later)
        # The same batch reported by a maker and again by their FabLab's relay.
        yann = next(m for m in makers if m.display_name == "Yann Kerbrat")
        production.production_report_enter_for(
            by=deciders["22"],
            now=timezone.make_aware(datetime.datetime(2020, 3, 18, 9, 0)),
            maker=yann,
            organisation=Organisation.objects.get(slug="fablab-lannion"),
            item_type=items["visor"],
            quantity=40,
            produced_on=datetime.date(2020, 3, 16),
            material_cost_cents=1800,
            recipient="EHPAD Lannion",
        )
        production.production_report_create(
            maker=yann,
            item_type=items["visor"],
            quantity=40,
            produced_on=datetime.date(2020, 3, 16),
            material_cost_cents=1800,
            recipient="EHPAD Lannion",
            entered_by=None,
            source=ProductionReport.Source.RELAY,
            now=timezone.make_aware(datetime.datetime(2020, 3, 17, 20, 0)),
        )

    def _scaled_makers(self, scale, organisations):
        rng = random.Random(2020)
        departments = sorted(COMMUNES)
        wanted = []
        for i in range(scale):
            dept = departments[i % len(departments)]
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)} ({i + 1:05d})"
            wanted.append(
                Maker(
                    display_name=name,
                    department_id=dept,
                    commune=rng.choice(COMMUNES[dept]),
                    skills="Impression 3D",
                )
            )
        existing = set(
            Maker.objects.filter(display_name__in=[m.display_name for m in wanted]).values_list(
                "display_name", flat=True
            )
        )
        Maker.objects.bulk_create(
            [m for m in wanted if m.display_name not in existing], batch_size=1000
        )

    def _print_logins(self):
        self.stdout.write("")
        self.stdout.write(f"Accès de démonstration (mot de passe commun : {DEMO_PASSWORD}) :")
        names = {slug: name for slug, name, *_ in ORGANISATIONS}
        for local, _full_name, role, relay_slug in DEMO_ACCOUNTS:
            where = f" – {names[relay_slug]}" if relay_slug else ""
            self.stdout.write(f"  {roles.ROLES[role]!s:<22} {local}@{DEMO_DOMAIN}{where}")
        if not settings.TILAB_MFA_REQUIRED_FOR_MONEY:
            self.stdout.write(
                "La double authentification n'est pas exigée pour les décisions financières "
                "dans cette démonstration (TILAB_MFA_REQUIRED_FOR_MONEY=False) ; elle l'est en "
                "production."
            )
