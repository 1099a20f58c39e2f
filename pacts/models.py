"""Cooperation pacts ("pactes de coopération"): a partnership between public bodies (the
Région, a department, a commune, Ti Lab) and commons actors (FabLabs, collectives, makers),
what each commits, the commons it produces under an open licence, and its reports.

The text of a pact lives in its versions: a signed version is never edited; an amendment is a
new version that every party signs again. The pact itself carries its life (draft → proposed →
signed → active → reported → ended or renewed)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fablabs.models import Organisation
from makers.models import Maker
from tilab.models import Department

MAX_AMOUNT_CENTS = 10_000_000_000  # 100 million euros for one commitment: beyond, a typo


class Licence(models.TextChoices):
    """Open licences a pact's commons may be published under (SPDX identifiers)."""

    CC_BY_4 = "CC-BY-4.0", "Creative Commons BY 4.0"
    CC_BY_SA_4 = "CC-BY-SA-4.0", "Creative Commons BY-SA 4.0"
    CC0_1 = "CC0-1.0", "Creative Commons Zero 1.0"
    CERN_OHL_S_2 = "CERN-OHL-S-2.0", "CERN Open Hardware Licence S 2.0"
    CERN_OHL_W_2 = "CERN-OHL-W-2.0", "CERN Open Hardware Licence W 2.0"
    CERN_OHL_P_2 = "CERN-OHL-P-2.0", "CERN Open Hardware Licence P 2.0"
    GPL_3 = "GPL-3.0-or-later", "GNU GPL 3.0 ou ultérieure"
    MIT = "MIT", "MIT"
    ETALAB_2 = "etalab-2.0", "Licence Ouverte / Etalab 2.0"


class Theme(models.TextChoices):
    HEALTH = "health", _("santé et équipements de protection")
    REPAIR = "repair", _("réparation et réemploi")
    EDUCATION = "education", _("éducation et formation")
    DIGITAL_INCLUSION = "digital_inclusion", _("inclusion numérique")
    FOOD = "food", _("alimentation et agriculture")
    CULTURE = "culture", _("culture")
    OTHER = "other", _("autre")


class Pact(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("brouillon")
        PROPOSED = "proposed", _("proposé à la signature")
        SIGNED = "signed", _("signé")
        ACTIVE = "active", _("en cours")
        REPORTED = "reported", _("rapport remis")
        ENDED = "ended", _("terminé")
        RENEWED = "renewed", _("renouvelé")

    status = models.CharField(
        _("état"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    theme = models.CharField(_("thème"), max_length=30, choices=Theme.choices)
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("département"),
        help_text=_("Vide pour un pacte régional."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="pacts_created",
        verbose_name=_("créé par"),
    )
    created_at = models.DateTimeField(_("créé le"))
    renewed_from = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="renewal",
        verbose_name=_("renouvelle le pacte"),
    )
    # The first signature of all its parties: when the pact entered the public register.
    signed_at = models.DateTimeField(_("signé le"), null=True, blank=True)
    ended_at = models.DateTimeField(_("terminé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("pacte de coopération")
        verbose_name_plural = _("pactes de coopération")
        constraints = [
            models.CheckConstraint(
                condition=Q(signed_at__isnull=False) | Q(status__in=["draft", "proposed"]),
                name="pact_signed_has_date",
            ),
        ]

    def __str__(self):
        return _("Pacte n° %(number)s") % {"number": self.pk}


class PactVersion(models.Model):
    """The text of a pact, as proposed and signed. Version 1 is the pact; each amendment is
    the next number. Only a draft is ever written to."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("brouillon")
        PROPOSED = "proposed", _("proposée à la signature")
        SIGNED = "signed", _("signée, en vigueur")
        SUPERSEDED = "superseded", _("remplacée par un avenant")

    pact = models.ForeignKey(Pact, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("état"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    title = models.CharField(_("titre"), max_length=200)
    purpose = models.TextField(_("objet du pacte"))
    commons = models.TextField(
        _("communs produits"), help_text=_("Plans ouverts, documentation, logiciels…")
    )
    licence = models.CharField(_("licence ouverte"), max_length=20, choices=Licence.choices)
    starts_on = models.DateField(_("début"))
    ends_on = models.DateField(_("fin"))
    amendment_reason = models.TextField(_("motif de l'avenant"), blank=True)
    created_at = models.DateTimeField(_("créée le"))
    proposed_at = models.DateTimeField(_("proposée le"), null=True, blank=True)
    signed_at = models.DateTimeField(_("signée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("version d'un pacte")
        verbose_name_plural = _("versions d'un pacte")
        constraints = [
            models.UniqueConstraint(fields=["pact", "number"], name="pact_version_number_unique"),
            # One version at most being written or signed at a time.
            models.UniqueConstraint(
                fields=["pact"],
                condition=Q(status__in=["draft", "proposed"]),
                name="pact_one_open_version",
            ),
            # One version in force.
            models.UniqueConstraint(
                fields=["pact"], condition=Q(status="signed"), name="pact_one_signed_version"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="pact_version_dates_order"
            ),
            models.CheckConstraint(
                condition=Q(signed_at__isnull=False) | Q(status__in=["draft", "proposed"]),
                name="pact_version_signed_has_date",
            ),
        ]

    def __str__(self):
        return f"{self.title} (v{self.number})"


class ReviewDate(models.Model):
    """A date the parties meet to look at the pact together (a report is due by then)."""

    version = models.ForeignKey(PactVersion, on_delete=models.CASCADE, related_name="reviews")
    review_on = models.DateField(_("date de revue"))

    class Meta:
        verbose_name = _("date de revue")
        verbose_name_plural = _("dates de revue")
        constraints = [
            models.UniqueConstraint(fields=["version", "review_on"], name="pact_review_unique"),
        ]

    def __str__(self):
        return self.review_on.isoformat()


class Party(models.Model):
    """One side of the pact: a public body or a commons actor, and the person who signs for it."""

    class Kind(models.TextChoices):
        REGION = "region", _("Région")
        DEPARTMENT = "department", _("Département")
        COMMUNE = "commune", _("Commune")
        TILAB = "tilab", _("Ti Lab")
        ORGANISATION = "organisation", _("FabLab ou collectif")
        MAKER = "maker", _("Maker")

    PUBLIC_KINDS = ("region", "department", "commune", "tilab")
    COMMONS_KINDS = ("organisation", "maker")

    version = models.ForeignKey(PactVersion, on_delete=models.CASCADE, related_name="parties")
    kind = models.CharField(_("type de partie"), max_length=15, choices=Kind.choices)
    name = models.CharField(_("nom"), max_length=200)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pact_parties",
        verbose_name=_("organisation"),
    )
    maker = models.ForeignKey(
        Maker,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pact_parties",
        verbose_name=_("maker"),
    )
    representative = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="pact_parties",
        verbose_name=_("représentant·e qui signe"),
    )
    position = models.PositiveIntegerField(_("rang"), default=0)

    class Meta:
        verbose_name = _("partie")
        verbose_name_plural = _("parties")
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="organisation") & Q(organisation__isnull=False))
                | (~Q(kind="organisation") & Q(organisation__isnull=True)),
                name="pact_party_organisation_iff_kind",
            ),
            models.CheckConstraint(
                condition=(Q(kind="maker") & Q(maker__isnull=False))
                | (~Q(kind="maker") & Q(maker__isnull=True)),
                name="pact_party_maker_iff_kind",
            ),
            # A person signs once for one party of a version.
            models.UniqueConstraint(
                fields=["version", "representative"], name="pact_party_one_per_representative"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_public_body(self) -> bool:
        return self.kind in self.PUBLIC_KINDS


class Commitment(models.Model):
    """What one party brings: a place, equipment, materials, money, skills, time."""

    class Kind(models.TextChoices):
        PLACE = "place", _("un lieu")
        EQUIPMENT = "equipment", _("de l'équipement")
        MATERIALS = "materials", _("des matériaux")
        MONEY = "money", _("de l'argent")
        SKILLS = "skills", _("des compétences")
        TIME = "time", _("du temps")

    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="commitments")
    kind = models.CharField(_("nature"), max_length=12, choices=Kind.choices)
    description = models.CharField(_("description"), max_length=500)
    amount_cents = models.BigIntegerField(_("montant (centimes)"), null=True, blank=True)

    class Meta:
        verbose_name = _("engagement")
        verbose_name_plural = _("engagements")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="money")
                    & Q(amount_cents__isnull=False)
                    & Q(amount_cents__gt=0)
                    & Q(amount_cents__lte=MAX_AMOUNT_CENTS)
                )
                | (~Q(kind="money") & Q(amount_cents__isnull=True)),
                name="pact_commitment_amount_iff_money",
            ),
        ]

    def __str__(self):
        return self.description


class Signature(models.Model):
    """A party's signature of a version, by its representative, logged in (a decision too)."""

    party = models.OneToOneField(Party, on_delete=models.PROTECT, related_name="signature")
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="pact_signatures",
        verbose_name=_("signé par"),
    )
    signed_at = models.DateTimeField(_("signé le"))

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")

    def __str__(self):
        return f"{self.party} ({self.signed_at:%Y-%m-%d})"


class PactReport(models.Model):
    """A short report on what the pact did: a few words, figures and attachments."""

    pact = models.ForeignKey(Pact, on_delete=models.CASCADE, related_name="reports")
    version = models.ForeignKey(
        PactVersion, on_delete=models.PROTECT, related_name="+", verbose_name=_("version")
    )
    summary = models.TextField(_("ce que le pacte a fait"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="pact_reports",
        verbose_name=_("remis par"),
    )
    submitted_at = models.DateTimeField(_("remis le"))

    class Meta:
        verbose_name = _("rapport de pacte")
        verbose_name_plural = _("rapports de pacte")

    def __str__(self):
        return f"{self.pact_id} ({self.submitted_at:%Y-%m-%d})"


class ReportFigure(models.Model):
    report = models.ForeignKey(PactReport, on_delete=models.CASCADE, related_name="figures")
    label = models.CharField(_("indicateur"), max_length=200)
    value = models.BigIntegerField(_("valeur"))
    unit = models.CharField(_("unité"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("chiffre d'un rapport")
        verbose_name_plural = _("chiffres d'un rapport")
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="pact_figure_not_negative"),
        ]

    def __str__(self):
        return f"{self.label}: {self.value} {self.unit}".strip()


class ReportAttachment(models.Model):
    """A file joined to a report, kept in the database (bounded by FILE_UPLOAD_MAX_BYTES), so a
    report travels with a backup of the database."""

    report = models.ForeignKey(PactReport, on_delete=models.CASCADE, related_name="attachments")
    name = models.CharField(_("nom du fichier"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("taille (octets)"))
    sha256 = models.CharField(_("empreinte SHA-256"), max_length=64)
    content = models.BinaryField(_("contenu"))

    class Meta:
        verbose_name = _("pièce jointe")
        verbose_name_plural = _("pièces jointes")

    def __str__(self):
        return self.name
