"""Reads of webhook endpoints and deliveries, scoped to who asks: the Région's endpoints for its
staff, a relay's for the relay's staff; nobody else sees any."""

import rules
from django.db.models import Q, QuerySet

from fablabs.selectors import relays_staffed_by

from .models import WebhookDelivery, WebhookEndpoint


def endpoints_managed_by(user) -> QuerySet[WebhookEndpoint]:
    """The endpoints this user manages, newest first."""
    if not user.is_authenticated:
        return WebhookEndpoint.objects.none()
    mine = Q(relay__in=relays_staffed_by(user))
    if rules.has_perm("webhooks.manage_region_endpoints", user):
        mine |= Q(relay=None)
    return (
        WebhookEndpoint.objects.filter(mine).select_related("relay__organisation").order_by("-pk")
    )


def deliveries_managed_by(user) -> QuerySet[WebhookDelivery]:
    """The deliveries to the endpoints this user manages."""
    return WebhookDelivery.objects.filter(
        endpoint__in=endpoints_managed_by(user).values("pk")
    ).order_by("-pk")
