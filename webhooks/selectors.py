"""Reads of webhook endpoints and deliveries, scoped to who asks: the Région's endpoints for its
staff, a relay's for the relay's staff; nobody else sees any."""

import rules
from django.db.models import OuterRef, Q, QuerySet, Subquery

from fablabs.selectors import relays_staffed_by

from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


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


def deliveries_shown(user) -> QuerySet[WebhookDelivery]:
    """The deliveries of the page, newest first, each with its endpoint's URL and the HTTP
    status of its latest attempt (`last_status`), in one query."""
    latest = WebhookAttempt.objects.filter(delivery=OuterRef("pk")).order_by("-pk")
    return (
        deliveries_managed_by(user)
        .select_related("endpoint")
        .annotate(last_status=Subquery(latest.values("status_code")[:1]))
    )
