"""Organisations of the network: FabLabs, SMEs and collectives, placed at commune level."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from tilab.models import Department


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
    has_place = models.BooleanField(
        _("dispose d'un lieu"),
        default=True,
        help_text=_("Décochez pour un collectif « sans lieu »."),
    )
    is_public = models.BooleanField(_("visible dans l'annuaire public"), default=True)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self):
        return self.name
