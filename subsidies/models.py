"""Relays: the organisations that redistribute the Région's money in the departments they cover."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fablabs.models import Organisation
from tilab.models import Department


class Relay(models.Model):
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
        verbose_name = _("couverture")
        verbose_name_plural = _("couvertures")

    def __str__(self):
        return f"{self.department} → {self.relay}"
