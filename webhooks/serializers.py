"""Shapes of the webhook API: what a program sends (types only; the rules are the services')
and what it reads. A secret appears in two answers only: the endpoint's creation and the
rotation of its secret."""

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from fablabs.models import Relay
from tilab.serializers import ModelSerializer

from .models import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint

EVENTS_HELP = format_lazy("{} {}.", _("Les événements à recevoir :"), ", ".join(Event.values))


class WebhookEndpointInputSerializer(serializers.Serializer):
    url = serializers.CharField(
        max_length=2000,
        help_text=_("https:// (http:// seulement vers cette machine, en démonstration)."),
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=Event.choices), help_text=EVENTS_HELP
    )
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    relay = serializers.PrimaryKeyRelatedField(
        queryset=Relay.objects.all(),
        required=False,
        allow_null=True,
        help_text=_(
            "Le relais dont vous êtes l'équipe (par défaut, le vôtre) ; null pour une adresse "
            "de la Région, qui reçoit les événements de tout le réseau."
        ),
    )


class WebhookEndpointChangeSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=2000, required=False)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=Event.choices),
        required=False,
        help_text=EVENTS_HELP,
    )
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    is_active = serializers.BooleanField(
        required=False,
        help_text=_("Réactiver une adresse désactivée remet son compte d'échecs à zéro."),
    )


class WebhookEndpointSerializer(ModelSerializer):
    events = serializers.ListField(child=serializers.ChoiceField(choices=Event.choices))

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "description",
            "events",
            "relay",
            "is_active",
            "consecutive_failures",
            "disabled_at",
            "previous_secret_until",
            "created_at",
        ]
        read_only_fields = fields


class WebhookEndpointWithSecretSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        help_text=_("Le secret de signature (whsec_…), montré cette fois seulement : gardez-le.")
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookAttemptSerializer(ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["attempted_at", "status_code", "response_body", "error", "duration_ms"]
        read_only_fields = fields


class WebhookDeliverySerializer(ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "endpoint",
            "msg_id",
            "event",
            "status",
            "attempts",
            "created_at",
            "due_at",
            "delivered_at",
        ]
        read_only_fields = fields


class WebhookDeliveryDetailSerializer(WebhookDeliverySerializer):
    body = serializers.CharField(help_text=_("Le message envoyé, tel quel (JSON)."))
    attempt_log = WebhookAttemptSerializer(many=True, read_only=True)

    class Meta(WebhookDeliverySerializer.Meta):
        fields = [*WebhookDeliverySerializer.Meta.fields, "body", "attempt_log"]
        read_only_fields = fields
