"""Requests to join an organisation, the directory's only model (it was `makers`'; its table
keeps that name, so existing rows stay where they are)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fablabs.models import Organisation
from makers.models import Maker


class MembershipRequest(models.Model):
    """A maker asks to join an organisation; one of its managers (or a facilitator) decides."""

    class Status(models.TextChoices):
        PENDING = "pending", _("en attente")
        ACCEPTED = "accepted", _("acceptée")
        REFUSED = "refused", _("refusée")
        WITHDRAWN = "withdrawn", _("retirée")

    maker = models.ForeignKey(Maker, on_delete=models.CASCADE, related_name="membership_requests")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="membership_requests"
    )
    message = models.TextField(_("message"), blank=True)
    status = models.CharField(
        _("état"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    requested_at = models.DateTimeField(_("demandée le"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("décidée par"),
    )
    decided_at = models.DateTimeField(_("décidée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("demande d'adhésion")
        verbose_name_plural = _("demandes d'adhésion")
        db_table = "makers_membershiprequest"
        constraints = [
            models.UniqueConstraint(
                fields=["maker", "organisation"],
                condition=Q(status="pending"),
                name="membership_request_one_pending",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "withdrawn"])
                | Q(decided_by__isnull=False, decided_at__isnull=False),
                name="membership_request_decision_signed",
            ),
        ]

    def __str__(self):
        return f"{self.maker} → {self.organisation} ({self.status})"
