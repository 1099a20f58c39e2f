"""Load realistic Breton demo data and one login per role. Idempotent; never in production."""

import datetime
import random

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from schwifty import IBAN
from stdnum import luhn

from fablabs.models import Capability, Organisation, Relay
from fablabs.reference import capabilities_ensure, relays_ensure
from figures.totals import production_totals_rebuild
from makers import selectors as production_selectors
from makers import services as production
from makers.models import ItemType, Maker, Membership, ProductionReport
from makers.reference import item_catalogue_ensure
from subsidies import services as money
from subsidies.models import BankAccount, Programme
from tilab import roles
from tilab.models import Department, User
from tilab.notices import notices_muted
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


def demo_siret(siren_digits: str, establishment: str) -> str:
    """A fictitious SIRET that passes the checksum: 8 digits and their Luhn key make the SIREN,
    then 4 digits of establishment and the SIRET's own key."""
    siren = siren_digits + luhn.calc_check_digit(siren_digits)
    body = siren + establishment
    return body + luhn.calc_check_digit(body)


# What the directory shows of each organisation: (capabilities, equipment, SIRET for an SME).
DIRECTORY = {
    "labfab-rennes": (["3d-printing", "laser-cutting", "electronics"], "6 imprimantes 3D", ""),
    "fabrique-du-loch": (["3d-printing", "sewing", "design"], "4 Prusa i3, 2 brodeuses", ""),
    "ensta-bretagne": (
        ["3d-printing", "laser-cutting", "cnc-milling"],
        "Découpe laser Trotec, fraiseuse numérique",
        "",
    ),
    "fablab-lannion": (["3d-printing", "laser-cutting"], "Découpe laser 60 W", ""),
    "fablab-iut-saint-brieuc": (["3d-printing", "electronics"], "10 imprimantes 3D", ""),
    "petites-mains-quimper": (["sewing"], "", ""),
    "couturieres-pays-de-vannes": (["sewing"], "", ""),
    "armor-plasturgie": (
        ["thermoforming", "design"],
        "Thermoformeuse, presse",
        demo_siret("43170284", "0017"),
    ),
    "atelier-laser-brestois": (
        ["laser-cutting", "vinyl-cutting"],
        "Découpe laser 1 200 × 900 mm",
        demo_siret("81253719", "0024"),
    ),
    "makers-pays-de-fougeres": (["3d-printing"], "", ""),
}

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

# The network's makers without an account, whose batches their relay entered: three per
# department, visors and masks every week of spring 2020. Public figures withhold each weekly
# total of fewer than three makers (TILAB_PUBLIC_MIN_PRODUCERS), so without them the demo's
# public figures would be nearly empty. (display name, department, commune)
NETWORK_MAKERS = [
    (f"{name} de {commune}", dept, commune)
    for dept, commune in (("22", "Guingamp"), ("29", "Morlaix"), ("35", "Vitré"), ("56", "Lorient"))
    for name in ("Atelier solidaire", "Collectif des voisins", "Petites mains")
]
NETWORK_FIRST_MONDAY = datetime.date(2020, 3, 16)
NETWORK_WEEKS = 8

DEMO_PROGRAMME = "Soutien régional aux makers – printemps 2020"

DEMO_ACCOUNTS = [
    # (local part, full name, role, relay slug or None)
    ("maker", "Anne Le Goff", roles.MAKER, None),
    ("relais.rennes", "Camille Le Gall", roles.RELAY_STAFF, "labfab-rennes"),
    # Four eyes: a second staffer at Rennes approves what Camille proposes.
    ("relais.rennes2", "Morgane Riou", roles.RELAY_STAFF, "labfab-rennes"),
    ("relais.loch", "Mathieu Le Dantec", roles.RELAY_STAFF, "fabrique-du-loch"),
    ("relais.ensta", "Sophie Quéré", roles.RELAY_STAFF, "ensta-bretagne"),
    ("region", "Hélène Cadiou", roles.REGION_STAFF, None),
    # Four eyes: the Région's second agent approves what Hélène proposes.
    ("region.controle", "Erwan Le Meur", roles.REGION_STAFF, None),
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
# Generated production (--scale): what each item weighs in the mix, its usual batch and its
# material cost per unit in cents (PLA and PET sheet for visors, cotton and elastic for masks…).
SCALED_ITEMS = [
    # (slug, weight, smallest batch, largest batch, cost per unit in cents)
    ("visor", 45, 5, 120, 52),
    ("fabric-mask", 30, 5, 60, 80),
    ("ear-saver", 10, 20, 200, 5),
    ("gown", 10, 1, 20, 350),
    ("door-opener", 5, 1, 30, 120),
]
SCALED_FIRST_DAY = datetime.date(2020, 3, 16)
SCALED_DAYS = 77  # up to 31 May 2020, the end of the first lockdown's production
SCALED_MAKERS_PER_BATCH = 2_000
RECIPIENTS = [
    "CHU Rennes",
    "EHPAD Lannion",
    "Pharmacie Quimper",
    "Hôpital Vannes",
    "CHU Brest",
    "Clinique Saint-Malo",
    "EHPAD Pontivy",
    "Cabinet infirmier",
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
        parser.add_argument(
            "--reports-per-maker",
            type=int,
            default=5,
            help=(
                "Avec --scale : déclarations validées générées pour chaque maker ajouté "
                "(5 par défaut ; --scale 200000 donne 1 000 000 de déclarations)."
            ),
        )
        parser.add_argument("--quiet-logins", action="store_true", help="N'affiche pas les accès.")

    def handle(self, *args, scale, reports_per_maker, quiet_logins, **options):
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo refuse de s'exécuter quand DEBUG est désactivé : "
                "ce sont des données fictives avec des mots de passe connus."
            )
        if scale < 0:
            raise CommandError("--scale doit être positif ou nul.")
        if reports_per_maker < 0:
            raise CommandError("--reports-per-maker doit être positif ou nul.")
        generated = 0
        # The demo's made-up decisions and payments tell nobody (tilab.notices).
        with transaction.atomic(), notices_muted():
            reference_data_ensure()
            item_catalogue_ensure()
            organisations = self._organisations()
            self._directory(organisations)
            relays = self._relays(organisations)
            self._makers(organisations)
            self._accounts(relays)
            self._reports()
            self._subsidies(relays)
            self._workshops()
            self._needs()
            if scale:
                self._scaled_makers(scale, organisations)
                generated = self._scaled_reports(scale, reports_per_maker, organisations)
                # The generated reports bypass the decisions (see _scaled_reports): the totals
                # are rebuilt from all the reports at once, as the nightly task would.
                production_totals_rebuild(now=timezone.now())
        if generated:
            self.stdout.write(f"{generated} déclarations validées générées.")
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

    def _directory(self, organisations):
        """Capabilities, equipment and SIRETs of the directory (only fills what is empty, so
        what a manager wrote in the demo stays)."""
        capabilities_ensure()
        by_slug = {c.slug: c for c in Capability.objects.all()}
        for slug, (capabilities, equipment, siret) in DIRECTORY.items():
            organisation = organisations[slug]
            if not organisation.capabilities.exists():
                organisation.capabilities.set([by_slug[c] for c in capabilities])
            changed = []
            if equipment and not organisation.equipment:
                organisation.equipment = equipment
                changed.append("equipment")
            if siret and not organisation.siret:
                organisation.siret = siret
                changed.append("siret")
            if changed:
                organisation.save(update_fields=changed)

    def _relays(self, organisations) -> dict[str, Relay]:
        # The real network's relays, as `manage.py network_setup` loads them.
        relays_ensure()
        return {
            relay.organisation.slug: relay for relay in Relay.objects.select_related("organisation")
        }

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
        region = User.objects.get(email=f"region@{DEMO_DOMAIN}")
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
                if production_selectors.decision_routes([report])[report.pk].by == "region":
                    decider = region  # four eyes: the relay's own reports go to the Région
                if n == 3:
                    production.production_report_reject(
                        report=report,
                        by=decider,
                        now=later,
                        reason="Quantité à confirmer : merci de préciser le lot.",
                    )
                else:
                    production.production_report_validate(report=report, by=decider, now=later)
        self._network_reports(deciders, region)
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

    def _network_reports(self, deciders, region):
        """The batches of the network's makers without an account, entered by their relay and
        validated: a visor batch and a mask batch from each, every week of `NETWORK_WEEKS`."""
        items = {
            item.slug: item for item in ItemType.objects.filter(slug__in=["visor", "fabric-mask"])
        }
        rng = random.Random(2022)
        for name, dept, commune in NETWORK_MAKERS:
            maker, _ = Maker.objects.get_or_create(
                display_name=name,
                department_id=dept,
                defaults={"commune": commune, "skills": "Impression 3D, couture"},
            )
            for week in range(NETWORK_WEEKS):
                for slug, weekday in (("visor", 1), ("fabric-mask", 3)):
                    produced_on = NETWORK_FIRST_MONDAY + datetime.timedelta(
                        weeks=week, days=weekday
                    )
                    now = timezone.make_aware(
                        datetime.datetime.combine(produced_on, datetime.time(18, 0))
                    )
                    quantity = rng.randrange(20, 120)
                    report = production.production_report_create(
                        maker=maker,
                        item_type=items[slug],
                        quantity=quantity,
                        produced_on=produced_on,
                        material_cost_cents=quantity * rng.choice([25, 40, 52]),
                        recipient="Collecte du relais",
                        entered_by=None,
                        source=ProductionReport.Source.RELAY,
                        now=now,
                    )
                    decider = deciders[dept]
                    if production_selectors.decision_routes([report])[report.pk].by == "region":
                        decider = region
                    production.production_report_validate(
                        report=report, by=decider, now=now + datetime.timedelta(days=1)
                    )

    @staticmethod
    def _scaled_maker_rows(scale):
        """(name, department, commune) of each generated maker, always the same for a scale."""
        rng = random.Random(2020)
        departments = sorted(COMMUNES)
        for i in range(scale):
            dept = departments[i % len(departments)]
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)} ({i + 1:05d})"
            yield name, dept, rng.choice(COMMUNES[dept])

    @staticmethod
    def _chunks(values, size):
        for start in range(0, len(values), size):
            yield values[start : start + size]

    def _scaled_makers(self, scale, organisations):
        wanted = [
            Maker(display_name=name, department_id=dept, commune=commune, skills="Impression 3D")
            for name, dept, commune in self._scaled_maker_rows(scale)
        ]
        existing = set()
        # In chunks: SQLite refuses a query with more than 32 766 parameters.
        for chunk in self._chunks([m.display_name for m in wanted], 5_000):
            existing.update(
                Maker.objects.filter(display_name__in=chunk).values_list("display_name", flat=True)
            )
        Maker.objects.bulk_create(
            [m for m in wanted if m.display_name not in existing], batch_size=1000
        )

    def _scaled_reports(self, scale, per_maker, organisations) -> int:
        """Give each generated maker who has none yet `per_maker` validated reports of spring
        2020; two makers in five belong to an organisation of their department and report
        most batches on its behalf. Returns how many reports were created.

        Written with bulk_create for speed (1,000,000 reports in a few minutes): these reports
        have no decision rows, and their totals are rebuilt at the end. Deterministic: the same
        scale always gives the same reports, and a maker who has reports gets no more.
        """
        if not per_maker:
            return 0
        deciders = {
            code: relay.staff.order_by("pk").first()
            for relay in Relay.objects.prefetch_related("staff", "departments")
            for code in relay.departments.values_list("code", flat=True)
        }
        # Four eyes: what a relay's own organisation made, the Région decided.
        relay_organisations = set(Relay.objects.values_list("organisation", flat=True))
        region = User.objects.get(email=f"region@{DEMO_DOMAIN}")
        by_department = {}
        for organisation in sorted(organisations.values(), key=lambda o: o.slug):
            by_department.setdefault(organisation.department_id, []).append(organisation)
        items = {item.slug: item.pk for item in ItemType.objects.all()}
        mix = [(items[slug], low, high, cost) for slug, _w, low, high, cost in SCALED_ITEMS]
        weights = [weight for _slug, weight, *_rest in SCALED_ITEMS]
        days = []
        for offset in range(SCALED_DAYS):
            day = SCALED_FIRST_DAY + datetime.timedelta(days=offset)
            entered = timezone.make_aware(datetime.datetime.combine(day, datetime.time(18, 0)))
            days.append((day, entered, entered + datetime.timedelta(days=2)))
        rows = list(self._scaled_maker_rows(scale))
        rng = random.Random(2021)
        created = 0
        for start in range(0, len(rows), SCALED_MAKERS_PER_BATCH):
            batch = rows[start : start + SCALED_MAKERS_PER_BATCH]
            ids = dict(
                Maker.objects.filter(display_name__in=[name for name, *_ in batch]).values_list(
                    "display_name", "pk"
                )
            )
            reported = set(
                ProductionReport.objects.filter(maker_id__in=ids.values())
                .values_list("maker_id", flat=True)
                .distinct()
            )
            memberships, reports = [], []
            for i, (name, dept, _commune) in enumerate(batch, start=start):
                # Drawn for every maker, reported or not, so each maker's reports stay the same.
                choices = [
                    (
                        rng.choices(mix, weights)[0],
                        days[rng.randrange(SCALED_DAYS)],
                        rng.random(),
                        rng.random(),
                        rng.choice(RECIPIENTS),
                    )
                    for _ in range(per_maker)
                ]
                maker_id = ids.get(name)
                if maker_id is None or maker_id in reported or dept not in deciders:
                    continue
                organisation = None
                if i % 5 in (1, 2):
                    organisation = by_department[dept][i % len(by_department[dept])]
                    memberships.append(Membership(maker_id=maker_id, organisation=organisation))
                for (item, low, high, cost), (day, entered, decided), size, share, to in choices:
                    quantity = low + int(size * (high - low + 1))
                    made_for = organisation if organisation and share < 0.7 else None
                    own = made_for is not None and made_for.pk in relay_organisations
                    reports.append(
                        ProductionReport(
                            maker_id=maker_id,
                            organisation=made_for,
                            department_id=dept,
                            item_type_id=item,
                            quantity=quantity,
                            produced_on=day,
                            material_cost_cents=quantity * cost,
                            recipient=to,
                            status=ProductionReport.Status.VALIDATED,
                            source=ProductionReport.Source.RELAY,
                            entered_at=entered,
                            updated_at=decided,
                            decided_by=region if own else deciders[dept],
                            decided_at=decided,
                        )
                    )
            Membership.objects.bulk_create(memberships, ignore_conflicts=True, batch_size=1000)
            ProductionReport.objects.bulk_create(reports, batch_size=2000)
            created += len(reports)
        return created

    def _subsidies(self, relays):
        """The 2020 grant as it happened: EUR 30,000 split 50/25/25 between the three relays,
        proposed by Hélène and approved by Erwan, the Région's second agent; Camille, at
        LabFab de Rennes, has proposed its redistribution (with a grouped purchase of PLA) and
        Morgane, her colleague, is to approve it (four eyes). Bank details are fictitious."""
        if Programme.objects.filter(name=DEMO_PROGRAMME).exists():
            return
        region = User.objects.get(email=f"region@{DEMO_DOMAIN}")
        now = timezone.now()
        for owner, holder, account in [
            (relays["labfab-rennes"].organisation, "LabFab de Rennes", "00010000001"),
            (relays["fabrique-du-loch"].organisation, "La Fabrique du Loch", "00010000002"),
            (relays["ensta-bretagne"].organisation, "ENSTA Bretagne", "00010000003"),
            (Maker.objects.get(user__email=f"maker@{DEMO_DOMAIN}"), "Anne Le Goff", "00020000001"),
        ]:
            if not BankAccount.objects.filter(**{owner._meta.model_name: owner}).exists():
                BankAccount.objects.create(
                    **{owner._meta.model_name: owner},
                    holder=holder,
                    iban=str(IBAN.generate("FR", bank_code="30006", account_code=account).compact),
                    updated_by=region,
                    updated_at=now,
                    # The demo's details may go into transfer files at once (no waiting period).
                    usable_from=now,
                )
        taking_part = [
            relays[slug] for slug in ("labfab-rennes", "fabrique-du-loch", "ensta-bretagne")
        ]
        programme = money.programme_create(
            terms=money.ProgrammeTerms(
                name=DEMO_PROGRAMME,
                envelope_cents=3_000_000,
                period_start_on=datetime.date(2020, 3, 16),
                period_end_on=datetime.date(2020, 5, 31),
                basis=Programme.Basis.UNITS,
                relays=tuple(taking_part),
                fixed_shares=tuple(zip(taking_part, (50, 25, 25), strict=True)),
            ),
            by=region,
            now=now,
        )
        # Four eyes: Hélène proposed the programme, Erwan approves its allocations.
        controller = User.objects.get(email=f"region.controle@{DEMO_DOMAIN}")
        if not controller.has_perm("subsidies.approve_allocation"):
            return  # two-factor required here: the allocations wait for a real approval
        for allocation in programme.allocations.order_by("pk"):
            money.allocation_approve(allocation=allocation, by=controller, now=now)
        rennes = programme.allocations.get(relay=relays["labfab-rennes"])
        money.redistribution_propose(
            allocation=rennes,
            own_use=[("Achat groupé de PLA et de plaques PET", 300_000)],
            by=relays["labfab-rennes"].staff.order_by("pk").first(),
            now=now,
        )

    def _workshops(self):
        """Open cooperation workshops run by the demo facilitator: upcoming ones in Rennes,
        Auray and Brest and one online (the Auray one is full, with a waitlist), one on
        invitation for the relays, and the 2020 debrief with its attendance and published
        synthesis. Each is created once, found again by its title.

        Registrations are written as rows, not through the registration service, so that
        seeding sends no e-mail (in the embedded mode they would all print to the console);
        seats and the waitlist follow the same rule: arrival order, within capacity."""
        from zoneinfo import ZoneInfo

        from workshops import services as workshops
        from workshops.models import Registration, Theme, Workshop
        from workshops.reference import themes_ensure

        facilitator = User.objects.get(email=f"facilitateur@{DEMO_DOMAIN}")
        paris = ZoneInfo(settings.TIME_ZONE)
        now = timezone.now()
        today = now.astimezone(paris).date()
        themes_ensure()
        themes = {theme.slug: theme for theme in Theme.objects.all()}

        def at(days, hour, minute=0, day=None):
            day = day or today + datetime.timedelta(days=days)
            return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=paris)

        guests = [
            ("Morgane Le Moal", "morgane.lemoal@example.org"),
            ("Tanguy Pennec", "tanguy.pennec@example.org"),
            ("Enora Caradec", "enora.caradec@example.org"),
            ("Gaël Kervella", "gael.kervella@example.org"),
            ("Azilis Le Gall", "azilis.legall@example.org"),
            ("Brieuc Prigent", "brieuc.prigent@example.org"),
            ("Rozenn Cadiou", "rozenn.cadiou@example.org"),
            ("Mael Hamon", "mael.hamon@example.org"),
        ]
        accounts = {
            u.email.split("@")[0]: u for u in User.objects.filter(email__endswith=DEMO_DOMAIN)
        }
        # (title, theme, starts, hours, capacity, place (address, commune, dept) or None,
        #  online link, public, who registers (account local parts, then guests))
        plans = [
            (
                "Makers et hôpitaux : ce que le printemps 2020 nous a appris",
                "cooperation", at(9, 14), 3, 12, ("2 place Pasteur", "Rennes", "35"), "",
                True, (["maker"], guests[:3]),
            ),
            (
                "Fabrication distribuée : organiser la logistique entre FabLabs",
                "distributed-making", at(16, 18), 2, 4, ("Rue du Penher", "Auray", "56"), "",
                True, ([], guests[:6]),
            ),
            (
                "Financer et reconnaître la participation des makers",
                "funding", at(23, 9, 30), 3, 20, ("Rue François Verny", "Brest", "29"),
                "https://visio.tilab.test/financer-la-participation",
                True, (["maker"], guests[5:8]),
            ),
            (
                "Documenter et partager les modèles ouverts (visières, masques)",
                "documentation", at(12, 12, 30), 1, 30, None,
                "https://visio.tilab.test/documenter-les-modeles",
                True, ([], guests[1:4]),
            ),
            (
                "Gouvernance du réseau : l'atelier des relais",
                "governance", at(30, 10), 3, 10,
                ("Place du Général de Gaulle", "Saint-Brieuc", "22"), "",
                False, (["relais.rennes", "relais.loch", "relais.ensta", "region"], []),
            ),
        ]  # fmt: skip
        for title, theme, starts_at, hours, capacity, place, online, public, people in plans:
            if Workshop.objects.filter(title=title, created_by=facilitator).exists():
                continue
            address, commune, department = place or ("", "", None)
            workshop = workshops.workshop_create(
                details=workshops.WorkshopDetails(
                    title=title,
                    description=(
                        "Un atelier ouvert de coopération entre makers, FabLabs et "
                        "institutions, animé par Ti Lab. Venez comme vous êtes : on part de "
                        "ce que chacun a vécu en 2020."
                    ),
                    theme=themes[theme],
                    starts_at=starts_at,
                    duration_minutes=hours * 60,
                    capacity=capacity,
                    registration_deadline=starts_at - datetime.timedelta(days=1),
                    address=address,
                    commune=commune,
                    department_id=department,
                    online_url=online,
                    is_public=public,
                ),
                by=facilitator,
                now=now,
            )
            local_parts, invited = people
            who = [
                (accounts[p], accounts[p].get_full_name(), accounts[p].email) for p in local_parts
            ]
            who += [(None, name, email) for name, email in invited]
            for n, (user, name, email) in enumerate(who):
                Registration.objects.create(
                    workshop=workshop,
                    user=user,
                    name=name,
                    email=email,
                    status="confirmed" if n < capacity else "waitlisted",
                    registered_at=now - datetime.timedelta(hours=len(who) - n),
                )

        # The debrief of the first wave, held in June 2020: attendance and synthesis.
        title = "Retour d'expérience : les visières de la première vague"
        if Workshop.objects.filter(title=title, created_by=facilitator).exists():
            return
        then = at(0, 10, day=datetime.date(2020, 5, 28))
        starts_at = at(0, 14, day=datetime.date(2020, 6, 18))
        workshop = workshops.workshop_create(
            details=workshops.WorkshopDetails(
                title=title,
                description=(
                    "Trois mois après les premières visières imprimées, makers, FabLabs, "
                    "soignants et services de l'État font le point ensemble."
                ),
                theme=themes["cooperation"],
                starts_at=starts_at,
                duration_minutes=180,
                capacity=15,
                registration_deadline=starts_at - datetime.timedelta(days=1),
                address="2 place Pasteur",
                commune="Rennes",
                department_id="35",
                online_url="https://visio.tilab.test/retour-experience-2020",
            ),
            by=facilitator,
            now=then,
        )
        who = [(accounts["maker"], accounts["maker"].get_full_name(), accounts["maker"].email)]
        who += [(None, name, email) for name, email in guests]
        registrations = [
            Registration.objects.create(
                workshop=workshop, user=user, name=name, email=email, status="confirmed",
                registered_at=then + datetime.timedelta(days=1, hours=n),
            )
            for n, (user, name, email) in enumerate(who)
        ]  # fmt: skip
        held = starts_at + datetime.timedelta(hours=3)
        workshops.attendance_record(
            workshop=workshop,
            attended={r.pk: n not in (3, 7) for n, r in enumerate(registrations)},
            by=facilitator,
            now=held,
        )
        synthesis = workshops.synthesis_save(
            workshop=workshop,
            body=(
                "## Ce que nous avons appris\n\n"
                "- Les makers ont produit vite grâce aux modèles partagés ; les relais ont "
                "fait le lien avec les hôpitaux et les EHPAD.\n"
                "- Le plus difficile : la matière première (PLA, plaques PET) et la "
                "logistique des livraisons.\n"
                "- Les collectifs sans lieu ont besoin d'être reconnus autant que les "
                "FabLabs.\n\n"
                "## Ce que nous proposons\n\n"
                "1. Des achats groupés de matière, portés par les relais.\n"
                "2. Une reconnaissance de la participation *en actes* : ce que chacun a "
                "vraiment fait.\n"
                "3. Des synthèses ouvertes, comme celle-ci, après chaque atelier.\n"
            ),
            by=facilitator,
            now=held + datetime.timedelta(days=5),
        )
        workshops.synthesis_publish(
            synthesis=synthesis, by=facilitator, now=held + datetime.timedelta(days=7)
        )

    def _needs(self):
        """Care establishments' needs: an EHPAD in Côtes-d'Armor, a CHU service in Rennes and a
        pharmacy in Finistère ask; Anne Le Goff (the demo maker) pledged to two of them within
        what she produced, one delivery confirmed by the CHU (her oldest reports corroborated,
        the delivered totals grown) and one waiting for the EHPAD's confirmation. Created once.

        Needs, pledges and deliveries are written as rows, not through the services that post
        them, so that seeding queues no e-mail (in the embedded mode they would print to the
        console); the producer's limit is checked with the same function the services use, and
        the confirmation goes through its service (it sends no e-mail)."""
        from needs import selectors as needs_selectors
        from needs import services as needs
        from needs.models import Delivery, Need, Pledge

        now = timezone.now()
        today = timezone.localdate(now)
        anne = Maker.objects.select_related("user").get(user__email=f"maker@{DEMO_DOMAIN}")
        plans = [
            # (name, care type, department, commune, item (None: Anne's), quantity, in days,
            #  constraints, contact name, contact e-mail)
            (
                "CHU de Rennes – service de gériatrie", "hospital", "35", "Rennes", None, 120,
                21, "Livraison au magasin central, bâtiment B, du lundi au vendredi.",
                "Soizic Le Bihan", "geriatrie.cadre@chu-rennes.example.org",
            ),
            (
                "EHPAD Les Ajoncs", "ehpad", "22", "Lannion", None, 60, 14,
                "Sonner à l'accueil ; le matin de préférence.",
                "Erwan Guillou", "direction@ehpad-les-ajoncs.example.org",
            ),
            (
                "Pharmacie du Port", "pharmacy", "29", "Brest", "fabric-mask", 200, 10,
                "", "Katell Morvan", "pharmacie.du.port@example.org",
            ),
        ]  # fmt: skip
        if Need.objects.filter(establishment__name__in=[plan[0] for plan in plans]).exists():
            return
        # Anne delivers what she made most of (what her reports declare, less what she delivered).
        outputs = {
            item: needs_selectors.producer_output(maker_id=anne.pk, item_type_id=item.pk)
            for item in ItemType.objects.filter(is_active=True).order_by("position", "pk")
        }
        annes_item, (produced, delivered) = max(
            outputs.items(), key=lambda entry: entry[1][0] - entry[1][1]
        )
        available = produced - delivered
        items = {item.slug: item for item in ItemType.objects.all()}
        # The LabFab checked the needs of its departments (a call to each establishment): their
        # deliveries corroborate production. The pharmacy's waits on the follow-up page.
        checker = User.objects.get(email=f"relais.rennes@{DEMO_DOMAIN}")
        created = {}
        for name, care, dept, commune, item, quantity, days, constraints, contact, email in plans:
            establishment = needs.establishment_find_or_create(
                name=name, care_type=care, department_id=dept, commune=commune, now=now
            )
            created[dept] = Need.objects.create(
                establishment=establishment,
                item_type=items[item] if item else annes_item,
                quantity=quantity,
                needed_by=today + datetime.timedelta(days=days),
                department_id=dept,
                delivery_constraints=constraints,
                contact_name=contact,
                contact_email=email,
                created_at=now - datetime.timedelta(days=3),
                confirmed_at=now - datetime.timedelta(days=3),
                status=Need.Status.OPEN,
                checked_at=now - datetime.timedelta(days=2) if dept in ("35", "22") else None,
                checked_by=checker if dept in ("35", "22") else None,
            )
        if available < 2:
            return  # nothing left to deliver: the needs stay unanswered
        confirmed_part, waiting_part = (available + 1) // 2, available // 2
        for dept, part, message, confirmed in [
            ("35", min(confirmed_part, 40), "Je peux livrer mardi à Rennes.", True),
            ("22", min(waiting_part, 25), "Livraison groupée avec le LabFab.", False),
        ]:
            need = created[dept]
            pledge = Pledge.objects.create(
                need=need,
                maker=anne,
                quantity=min(part + 10, need.quantity),
                message=message,
                pledged_by=anne.user,
                pledged_at=now - datetime.timedelta(days=2),
            )
            delivery = Delivery.objects.create(
                pledge=pledge,
                quantity=part,
                delivered_on=today - datetime.timedelta(days=1),
                recorded_by=anne.user,
                recorded_at=now - datetime.timedelta(days=1),
            )
            if confirmed:
                needs.delivery_confirm(
                    token=needs.delivery_confirm_token(delivery), confirmed_quantity=part, now=now
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
