"""Webhook endpoints (a URL, the events it wants, its signing secrets), the deliveries of
events to them, and each attempt's answer.

An endpoint belongs to the Région (no relay: every event) or to a relay (the events of the
departments the relay covers today). A delivery is written in the transaction of its event
and sent by the worker (webhooks/delivering.py); `due_at` says when to try it next (None once
delivered or given up)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Event(models.TextChoices):
    """What happened, as the `type` of a message. Stable: programs subscribe by these names."""

    REPORT_VALIDATED = "report.validated", _("déclaration validée")
    REPORT_REJECTED = "report.rejected", _("déclaration refusée")
    ALLOCATION_APPROVED = "allocation.approved", _("allocation approuvée")
    REDISTRIBUTION_APPROVED = "redistribution.approved", _("redistribution approuvée")
    PAYMENT_BATCH_CREATED = "payment_batch.created", _("lot de paiement créé")
    PAYMENT_RECORDED = "payment.recorded", _("paiement enregistré")
    WORKSHOP_CREATED = "workshop.created", _("atelier programmé")
    WORKSHOP_CANCELLED = "workshop.cancelled", _("atelier annulé")
    NEED_POSTED = "need.posted", _("besoin publié")


class WebhookEndpoint(models.Model):
    relay = models.ForeignKey(
        "fablabs.Relay",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="webhook_endpoints",
        verbose_name=_("relais"),
        help_text=_("Vide pour un point de la Région, qui reçoit les événements de partout."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responsable"),
        help_text=_("Qui l'a enregistré : prévenu par e-mail s'il est désactivé."),
    )
    url = models.URLField(_("adresse"), max_length=2000)
    description = models.CharField(_("description"), max_length=200, blank=True)
    events = models.JSONField(_("événements"), default=list)
    # Kept as such: signing needs the secret itself (HMAC), not a digest of it.
    secret = models.CharField(_("secret"), max_length=100)
    previous_secret = models.CharField(_("secret précédent"), max_length=100, blank=True)
    previous_secret_until = models.DateTimeField(
        _("secret précédent valable jusqu'au"), null=True, blank=True
    )
    is_active = models.BooleanField(_("actif"), default=True)
    consecutive_failures = models.PositiveIntegerField(_("échecs consécutifs"), default=0)
    disabled_at = models.DateTimeField(_("désactivé après des échecs le"), null=True, blank=True)
    created_at = models.DateTimeField(_("créé le"))

    class Meta:
        verbose_name = _("point de réception de webhooks")
        verbose_name_plural = _("points de réception de webhooks")

    def __str__(self):
        return self.url


class WebhookDelivery(models.Model):
    """One event for one endpoint. `msg_id` is the message's `webhook-id`, the same for every
    endpoint and every attempt (the receiver's key to ignore a repeat); `body` the exact bytes
    signed and sent, the same on every attempt."""

    class Status(models.TextChoices):
        PENDING = "pending", _("à envoyer")
        DELIVERED = "delivered", _("reçu")
        FAILED = "failed", _("abandonné")

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    msg_id = models.CharField(_("identifiant du message"), max_length=40)
    event = models.CharField(_("événement"), max_length=40, choices=Event.choices)
    body = models.TextField(_("contenu"))
    status = models.CharField(
        _("état"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(_("créé le"))
    due_at = models.DateTimeField(_("à envoyer le"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("essais"), default=0)
    delivered_at = models.DateTimeField(_("reçu le"), null=True, blank=True)

    class Meta:
        verbose_name = _("envoi de webhook")
        verbose_name_plural = _("envois de webhooks")
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "msg_id"], name="webhook_message_once"),
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "delivered", "failed"]),
                name="webhook_delivery_status_known",
            ),
        ]
        indexes = [
            # What beat looks for: the deliveries still to send, by when they are due.
            models.Index(
                fields=["due_at"], condition=models.Q(status="pending"), name="webhook_due"
            )
        ]

    def __str__(self):
        return f"{self.event} {self.msg_id} → {self.endpoint_id}"


class WebhookAttempt(models.Model):
    """One POST of a delivery and what came back: the status (none when nothing answered)
    and the start of the body, or the error."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    attempted_at = models.DateTimeField(_("essayé le"))
    status_code = models.PositiveIntegerField(_("code HTTP"), null=True, blank=True)
    response_body = models.TextField(_("réponse (début)"), blank=True)
    error = models.TextField(_("erreur"), blank=True)
    duration_ms = models.PositiveIntegerField(_("durée (ms)"), default=0)

    class Meta:
        verbose_name = _("essai d'envoi de webhook")
        verbose_name_plural = _("essais d'envoi de webhooks")

    def __str__(self):
        return f"{self.delivery_id} {self.attempted_at:%Y-%m-%d %H:%M} {self.status_code}"
