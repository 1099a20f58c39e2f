"""Territory data of the network: organisations (FabLabs, SMEs, collectives, placed at commune
level), their capabilities, the relays and the departments each relay covers."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tilab.models import Department


class Capability(models.Model):
    """What an organisation can make or do (3D printing, laser cutting, sewing…); the
    directory filters by it. Added as data, never code."""

    slug = models.SlugField(_("identifiant"), max_length=50, unique=True)
    name_fr = models.CharField(_("nom (français)"), max_length=100)
    name_en = models.CharField(_("nom (anglais)"), max_length=100)
    position = models.PositiveSmallIntegerField(_("ordre d'affichage"), default=0)

    class Meta:
        verbose_name = _("savoir-faire")
        verbose_name_plural = _("savoir-faire")

    def __str__(self):
        return self.name_fr


class Organisation(models.Model):
    class Kind(models.TextChoices):
        ASSOCIATIVE_FABLAB = "associative_fablab", _("FabLab associatif")
        INSTITUTIONAL_FABLAB = "institutional_fablab", _("FabLab institutionnel")
        SME = "sme", _("PME")
        COLLECTIVE = "collective", _("Collectif")

    name = models.CharField(_("nom"), max_length=200)
    slug = models.SlugField(_("identifiant"), max_length=200, unique=True)
    kind = models.CharField(_("type"), max_length=30, choices=Kind.choices)
    description = models.TextField(_("description"), blank=True)
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="organisations",
        verbose_name=_("département"),
    )
    commune = models.CharField(_("commune"), max_length=100, blank=True)
    website = models.URLField(_("site web"), blank=True)
    siret = models.CharField(
        _("SIRET"),
        max_length=14,
        blank=True,
        help_text=_("14 chiffres ; obligatoire pour une PME."),
    )
    equipment = models.TextField(
        _("équipement"), blank=True, help_text=_("Imprimantes 3D, découpe laser, brodeuses…")
    )
    capabilities = models.ManyToManyField(
        Capability, related_name="organisations", blank=True, verbose_name=_("savoir-faire")
    )
    has_place = models.BooleanField(
        _("dispose d'un lieu"),
        default=True,
        help_text=_("Décochez pour un collectif « sans lieu »."),
    )
    is_public = models.BooleanField(_("visible dans l'annuaire public"), default=True)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged",
        verbose_name=_("fusionnée dans"),
        help_text=_("Un doublon fusionné reste pour l'historique, hors de l'annuaire."),
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self):
        return self.name


class Relay(models.Model):
    """An organisation that answers for the departments it covers: its staff decide on the
    production reports of those departments and pass on the subsidies granted to it."""

    organisation = models.OneToOneField(
        Organisation,
        on_delete=models.PROTECT,
        related_name="relay",
        verbose_name=_("organisation"),
    )
    departments = models.ManyToManyField(
        Department,
        through="RelayCoverage",
        related_name="relays",
        verbose_name=_("départements couverts"),
    )
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="relays",
        blank=True,
        verbose_name=_("équipe"),
    )

    class Meta:
        # Kept from when relays lived in the subsidy app: the rows (and the staff table,
        # named after this one) stay where they are.
        db_table = "subsidies_relay"
        verbose_name = _("relais")
        verbose_name_plural = _("relais")

    def __str__(self):
        return self.organisation.name


class RelayCoverage(models.Model):
    """Which relay answers for a department. Coverage is data: move a row to reassign one."""

    relay = models.ForeignKey(Relay, on_delete=models.CASCADE, related_name="coverage")
    department = models.OneToOneField(
        Department,
        on_delete=models.PROTECT,
        related_name="coverage",
        verbose_name=_("département"),
    )

    class Meta:
        db_table = "subsidies_relaycoverage"
        verbose_name = _("couverture")
        verbose_name_plural = _("couvertures")

    def __str__(self):
        return f"{self.department} → {self.relay}"
