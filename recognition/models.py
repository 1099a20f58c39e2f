"""What recognises participation: attestations with a code anyone can check."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fablabs.models import Organisation
from makers.models import Maker


def new_code() -> str:
    """12 characters, grouped by 4 when shown (ABCD-EFGH-JKMN): easy to type, hard to guess
    (60 bits; letters and digits that cannot be mistaken for one another)."""
    alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(12))


class Attestation(models.Model):
    """An attestation of participation as issued: its content is frozen in `content`, so the
    public check shows exactly what the PDF said, whatever happens later."""

    code = models.CharField(_("code de vérification"), max_length=12, unique=True, default=new_code)
    maker = models.ForeignKey(
        Maker, on_delete=models.SET_NULL, null=True, blank=True, related_name="attestations"
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="attestations",
    )
    holder_name = models.CharField(_("au nom de"), max_length=200)
    content = models.JSONField(_("contenu"))
    issued_at = models.DateTimeField(_("délivrée le"))
    issued_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("attestation")
        verbose_name_plural = _("attestations")
        constraints = [
            models.CheckConstraint(
                condition=~Q(maker__isnull=False, organisation__isnull=False),
                name="attestation_one_holder",
            ),
        ]

    def __str__(self):
        return f"{self.code} – {self.holder_name}"
