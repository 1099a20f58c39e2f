"""Makers and the catalogue of what they produce."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from fablabs.models import Organisation
from tilab.models import Department


class ItemType(models.Model):
    """What the network produces (visors, masks, gowns…); a catalogue staff can edit."""

    slug = models.SlugField(_("identifiant"), max_length=50, unique=True)
    name_fr = models.CharField(_("nom (français)"), max_length=100)
    name_en = models.CharField(_("nom (anglais)"), max_length=100)
    unit_fr = models.CharField(_("unité (français)"), max_length=50)
    unit_en = models.CharField(_("unité (anglais)"), max_length=50)
    is_active = models.BooleanField(_("proposé à la saisie"), default=True)
    position = models.PositiveSmallIntegerField(_("ordre d'affichage"), default=0)

    class Meta:
        verbose_name = _("type d'article")
        verbose_name_plural = _("types d'articles")

    def __str__(self):
        return self.name

    @property
    def name(self):
        return self.name_en if (get_language() or "fr").startswith("en") else self.name_fr


class Maker(models.Model):
    """A person who produces. May have no login: relays enter reports on their behalf."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="maker",
        verbose_name=_("compte"),
    )
    display_name = models.CharField(_("nom affiché"), max_length=150)
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="makers",
        verbose_name=_("département"),
    )
    commune = models.CharField(_("commune"), max_length=100, blank=True)
    skills = models.TextField(_("savoir-faire"), blank=True)
    equipment = models.TextField(
        _("équipement"), blank=True, help_text=_("Imprimantes 3D, machines à coudre…")
    )
    is_public = models.BooleanField(
        _("profil visible dans l'annuaire public"),
        default=False,
        help_text=_("Seuls le nom affiché, la commune et les savoir-faire sont montrés."),
    )
    organisations = models.ManyToManyField(
        Organisation,
        through="Membership",
        related_name="makers",
        blank=True,
        verbose_name=_("organisations"),
    )
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("maker")
        verbose_name_plural = _("makers")
        indexes = [models.Index(Lower("display_name"), "department", name="maker_name_dept")]

    def __str__(self):
        return self.display_name


class Membership(models.Model):
    maker = models.ForeignKey(Maker, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    is_manager = models.BooleanField(_("gère l'organisation"), default=False)
    joined_on = models.DateField(_("membre depuis"), null=True, blank=True)

    class Meta:
        verbose_name = _("adhésion")
        verbose_name_plural = _("adhésions")
        constraints = [
            models.UniqueConstraint(fields=["maker", "organisation"], name="membership_unique"),
        ]

    def __str__(self):
        return f"{self.maker} ∈ {self.organisation}"
