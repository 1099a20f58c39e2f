"""API of webhooks: the endpoints a program registers to be told what happens, and the log of
what was sent to them, with a replay.

Région staff manage the Région's endpoints (every event of the network), relay staff their
relay's (the events of its departments); anyone else gets 403, and another's endpoint or
delivery answers 404. Every write is one service call; refusals carry their `code`.
"""

from functools import cached_property

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from tilab.pagination import CursorPagination
from tilab.schema import error_responses

from . import selectors, services
from .filters import WebhookDeliveryFilter
from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .serializers import (
    WebhookDeliveryDetailSerializer,
    WebhookDeliverySerializer,
    WebhookEndpointChangeSerializer,
    WebhookEndpointInputSerializer,
    WebhookEndpointSerializer,
    WebhookEndpointWithSecretSerializer,
)

MANAGE = "webhooks.manage_endpoints"
ERRORS_ABOUT = {
    403: _("Rôle qui ne le permet pas (role_not_allowed), ou relais qui n'est pas le vôtre."),
    409: _("L'adresse est désactivée : réactivez-la d'abord."),
}


def _errors(*statuses: int) -> dict:
    return error_responses(*statuses, about=ERRORS_ABOUT)


class NewestFirstPagination(CursorPagination):
    ordering = "-pk"


@extend_schema_view(
    list=extend_schema(
        summary=_("Vos adresses de webhooks"),
        responses={200: WebhookEndpointSerializer(many=True), **_errors(403)},
    ),
    retrieve=extend_schema(
        summary=_("Une adresse de webhooks"),
        responses={200: WebhookEndpointSerializer, **_errors(403, 404)},
    ),
    destroy=extend_schema(
        summary=_("Supprimer une adresse (et le journal de ses envois)"),
        responses={204: None, **_errors(403, 404)},
    ),
)
class WebhookEndpointViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Webhook endpoints: URLs of your programs that receive a signed POST when something
    happens (a report validated, an allocation approved, a workshop cancelled…).

    Messages follow the Standard Webhooks convention: headers `webhook-id` (the same on every
    attempt: ignore a repeat), `webhook-timestamp` (seconds) and `webhook-signature`,
    `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` keyed with the base64 part of your
    secret (`whsec_…`); during a rotation, two signatures, space-separated. The body is
    `{"type", "timestamp", "data": {"object", "id", "url", …}}`. A failed attempt (no 2xx
    within a few seconds) is tried again later, less and less often; an endpoint failing
    many times in a row is turned off and its owner told by e-mail.
    """

    serializer_class = WebhookEndpointSerializer
    pagination_class = NewestFirstPagination
    permission = MANAGE
    lookup_value_regex = r"[0-9]+"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    @cached_property
    def now(self):
        return timezone.now()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WebhookEndpoint.objects.none()
        return selectors.endpoints_managed_by(self.request.user)

    def _valid(self, serializer_class, **kwargs):
        serializer = serializer_class(data=self.request.data, **kwargs)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    @extend_schema(
        summary=_("Enregistrer une adresse de webhooks"),
        request=WebhookEndpointInputSerializer,
        responses={201: WebhookEndpointWithSecretSerializer, **_errors(400, 403)},
    )
    def create(self, request, *args, **kwargs):
        """The answer holds the signing secret, shown this once. A relay's staff register
        endpoints of their relay; Région staff, with `relay` null or left out, the Région's."""
        data = self._valid(WebhookEndpointInputSerializer)
        endpoint = services.webhook_endpoint_create(
            url=data["url"],
            events=data["events"],
            description=data.get("description", ""),
            relay=data.get("relay"),
            relay_given="relay" in data,
            by=request.user,
            now=self.now,
        )
        return Response(
            WebhookEndpointWithSecretSerializer(endpoint).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary=_("Modifier une adresse (les champs donnés)"),
        request=WebhookEndpointChangeSerializer,
        responses={200: WebhookEndpointSerializer, **_errors(400, 403, 404)},
    )
    def partial_update(self, request, *args, **kwargs):
        """`is_active: true` turns back on an endpoint switched off after its failures: what
        waited for it leaves at once."""
        endpoint = self.get_object()
        data = self._valid(WebhookEndpointChangeSerializer, partial=True)
        endpoint = services.webhook_endpoint_update(
            endpoint=endpoint, by=request.user, now=self.now, **data
        )
        return Response(WebhookEndpointSerializer(endpoint).data)

    def perform_destroy(self, instance):
        services.webhook_endpoint_delete(endpoint=instance, by=self.request.user)

    @extend_schema(
        summary=_("Changer le secret de signature"),
        request=None,
        responses={200: WebhookEndpointWithSecretSerializer, **_errors(403, 404)},
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        """A new secret, shown this once. The previous one keeps signing beside it (two
        signatures in `webhook-signature`) until `previous_secret_until`."""
        endpoint = services.webhook_endpoint_rotate_secret(
            endpoint=self.get_object(), by=request.user, now=self.now
        )
        return Response(WebhookEndpointWithSecretSerializer(endpoint).data)


@extend_schema_view(
    list=extend_schema(
        summary=_("Le journal des envois"),
        responses={200: WebhookDeliverySerializer(many=True), **_errors(403)},
    ),
    retrieve=extend_schema(
        summary=_("Un envoi, son message et chacun de ses essais"),
        responses={200: WebhookDeliveryDetailSerializer, **_errors(403, 404)},
    ),
)
class WebhookDeliveryViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """What was sent to your endpoints, newest first: each event, its state (`pending`,
    `delivered`, `failed` when given up), and, one by one, its attempts with the HTTP status
    and the start of the answer."""

    pagination_class = NewestFirstPagination
    filterset_class = WebhookDeliveryFilter
    permission = MANAGE
    lookup_value_regex = r"[0-9]+"

    @cached_property
    def now(self):
        return timezone.now()

    def get_serializer_class(self):
        if self.action == "list":
            return WebhookDeliverySerializer
        return WebhookDeliveryDetailSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WebhookDelivery.objects.none()
        deliveries = selectors.deliveries_managed_by(self.request.user)
        if self.action == "list":
            return deliveries
        attempts = WebhookAttempt.objects.order_by("pk")
        return deliveries.select_related("endpoint").prefetch_related(
            Prefetch("attempt_log", queryset=attempts)
        )

    @extend_schema(
        summary=_("Renvoyer un message"),
        request=None,
        responses={202: WebhookDeliverySerializer, **_errors(403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def replay(self, request, pk=None):
        """The same message (same `webhook-id`) again, with a fresh round of attempts,
        whether it was received or given up. Its endpoint must be on (409 otherwise)."""
        delivery = services.webhook_delivery_replay(
            delivery=self.get_object(), by=request.user, now=self.now
        )
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
