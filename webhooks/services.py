"""Every write on webhooks: endpoints registered, changed, their secret rotated, deleted; an
event emitted by the app where it happens; a delivery replayed.

An event is emitted inside the transaction of what it tells (`webhook_event_emit`): one
delivery row per endpoint that wants it, and, once that transaction commits, a task per row
for the worker (webhooks/delivering.py sends, retries and gives up). A rolled-back decision
leaves no delivery; a lost task message leaves a row that beat sends.
"""

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.urls import reverse

from fablabs.models import Relay, RelayCoverage
from fablabs.selectors import relays_staffed_by
from tilab.celery import publish
from tilab.permissions import require
from tilab.webhooks import secret_generate, url_check

from . import errors
from .models import Event, WebhookDelivery, WebhookEndpoint


def url_allowed(url: str) -> str | None:
    """Refuse a URL this deployment may not send to (tilab.webhooks.url_check, with its
    settings); else the address to connect to (None: any)."""
    return url_check(
        url,
        http_to_localhost=settings.TILAB_WEBHOOK_HTTP_TO_LOCALHOST,
        private_addresses=settings.TILAB_WEBHOOK_PRIVATE_ADDRESSES,
        timeout=settings.TILAB_WEBHOOK_TIMEOUT,
    )


def _check_events(events: Iterable[str]) -> list[str]:
    events = list(dict.fromkeys(events))
    if not events:
        raise errors.WEBHOOK_EVENTS_EMPTY()
    for event in events:
        if event not in Event.values:
            raise errors.WEBHOOK_EVENT_UNKNOWN(event=event)
    return events


def _relay_for(by, relay: Relay | None, *, given: bool) -> Relay | None:
    """Whose endpoint `by` registers: the relay given (one they staff), the Région's (None,
    for its staff), or, given nothing, their only relay."""
    staffed = list(relays_staffed_by(by))
    if relay is not None:
        if relay.pk not in {r.pk for r in staffed}:
            raise errors.WEBHOOK_RELAY_NOT_STAFFED()
        return relay
    if by.has_perm("webhooks.manage_region_endpoints"):
        return None
    if given:
        raise errors.WEBHOOK_REGION_ONLY()
    if len(staffed) == 1:
        return staffed[0]
    raise errors.WEBHOOK_RELAY_REQUIRED()


def webhook_endpoint_create(
    *,
    url: str,
    events: Iterable[str],
    by,
    now: datetime,
    description: str = "",
    relay: Relay | None = None,
    relay_given: bool = False,
) -> WebhookEndpoint:
    """Register an endpoint with a new secret (shown once, by whoever calls this). `relay`:
    see `_relay_for`; `relay_given` says the caller asked for the Région's (null) on purpose."""
    require(by, "webhooks.manage_endpoints")
    url = url.strip()
    url_allowed(url)
    events = _check_events(events)
    relay = _relay_for(by, relay, given=relay_given)
    return WebhookEndpoint.objects.create(
        relay=relay,
        owner=by,
        url=url,
        description=description.strip(),
        events=events,
        secret=secret_generate(),
        created_at=now,
    )


def webhook_endpoint_update(
    *,
    endpoint: WebhookEndpoint,
    by,
    now: datetime,
    url: str | None = None,
    events: Iterable[str] | None = None,
    description: str | None = None,
    is_active: bool | None = None,
) -> WebhookEndpoint:
    """Change what is given (None leaves it). Turning an endpoint back on clears its count of
    failures: it gets the full allowance again."""
    require(by, "webhooks.manage_endpoints")
    fields = []
    if url is not None:
        endpoint.url = url.strip()
        url_allowed(endpoint.url)
        fields.append("url")
    if events is not None:
        endpoint.events = _check_events(events)
        fields.append("events")
    if description is not None:
        endpoint.description = description.strip()
        fields.append("description")
    if is_active is not None and is_active != endpoint.is_active:
        endpoint.is_active = is_active
        fields.append("is_active")
        if is_active:
            endpoint.consecutive_failures = 0
            endpoint.disabled_at = None
            fields += ["consecutive_failures", "disabled_at"]
    if fields:
        endpoint.save(update_fields=fields)
    if is_active:
        # What waited while it was off leaves now, its back-off forgotten.
        waiting = endpoint.deliveries.filter(status=WebhookDelivery.Status.PENDING)
        waiting.update(due_at=now)
        _enqueue(list(waiting))
    return endpoint


def webhook_endpoint_rotate_secret(*, endpoint: WebhookEndpoint, by, now: datetime):
    """A new secret (shown once); the one it replaces still signs every message for
    TILAB_WEBHOOK_SECRET_GRACE_HOURS, beside the new, so the receiver can switch calmly."""
    require(by, "webhooks.manage_endpoints")
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_until = now + timedelta(
            hours=settings.TILAB_WEBHOOK_SECRET_GRACE_HOURS
        )
        endpoint.secret = secret_generate()
        endpoint.save(update_fields=["previous_secret", "previous_secret_until", "secret"])
    return endpoint


def webhook_endpoint_delete(*, endpoint: WebhookEndpoint, by) -> None:
    """Delete an endpoint and its deliveries: nothing more leaves for it."""
    require(by, "webhooks.manage_endpoints")
    endpoint.delete()


def webhook_delivery_replay(*, delivery: WebhookDelivery, by, now: datetime) -> WebhookDelivery:
    """Send a delivery again, delivered or given up: the same message (same `webhook-id`, so
    a receiver that kept it can tell), a fresh round of attempts. Its endpoint must be on."""
    require(by, "webhooks.manage_endpoints")
    if not delivery.endpoint.is_active:
        raise errors.WEBHOOK_ENDPOINT_INACTIVE()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.PENDING, due_at=now, attempts=0, delivered_at=None
    )
    delivery.refresh_from_db()
    _enqueue([delivery])
    return delivery


# --- Events --------------------------------------------------------------------------------


def _enqueue(deliveries: list[WebhookDelivery]) -> None:
    from . import tasks

    for delivery in deliveries:
        transaction.on_commit(
            partial(publish, tasks.webhook_delivery_send, delivery_id=delivery.pk)
        )


@dataclass(frozen=True)
class WebhookEvent:
    """Something that happened to an object, as endpoints hear of it: `event` happened to
    `obj` n° `obj_id`, whose API URL is `url_name` (under the API's namespace), with a few
    `fields` the receiver may read already (never a person's data). It concerns the
    `departments` given and the relay `relay_id`, if any."""

    event: Event
    obj: str
    obj_id: int
    url_name: str
    fields: dict
    departments: tuple = ()
    relay_id: int | None = None

    def wanted_by(self, endpoint: WebhookEndpoint, covered: dict[int, set[str]]) -> bool:
        if self.event not in endpoint.events:
            return False
        if endpoint.relay_id is None:
            return True
        return endpoint.relay_id == self.relay_id or bool(
            covered.get(endpoint.relay_id, set()) & set(self.departments)
        )

    def body(self, now: datetime) -> str:
        path = reverse(f"v1:{self.url_name}", args=[self.obj_id])
        message = {
            "type": str(self.event),
            "timestamp": now.isoformat(),
            "data": {
                "object": self.obj,
                "id": self.obj_id,
                "url": settings.SITE_URL.rstrip("/") + path,
                **self.fields,
            },
        }
        return json.dumps(message, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))


def webhook_events_emit(events: Iterable[WebhookEvent], *, now: datetime) -> list[WebhookDelivery]:
    """Tell the endpoints that want them of these events, in the caller's transaction: the
    Région's endpoints always, a relay's when an event concerns one of the departments the
    relay covers or the relay itself. Nothing is sent here: one row per event and endpoint
    is written now, and leaves once the caller commits.

    Three queries whatever the number of events (one when no endpoint is on): a batch of
    decisions emits once."""
    events = list(events)
    endpoints = list(WebhookEndpoint.objects.filter(is_active=True).order_by("pk"))
    if not events or not endpoints:
        return []
    covered: dict[int, set[str]] = {}
    relays = {endpoint.relay_id for endpoint in endpoints} - {None}
    for relay_id, department in RelayCoverage.objects.filter(relay_id__in=relays).values_list(
        "relay_id", "department_id"
    ):
        covered.setdefault(relay_id, set()).add(department)
    rows = []
    for event in events:
        wanting = [endpoint for endpoint in endpoints if event.wanted_by(endpoint, covered)]
        if not wanting:
            continue
        body, msg_id = event.body(now), f"msg_{uuid.uuid4().hex}"
        rows += [
            WebhookDelivery(
                endpoint=endpoint,
                msg_id=msg_id,
                event=event.event,
                body=body,
                created_at=now,
                due_at=now,
            )
            for endpoint in wanting
        ]
    deliveries = WebhookDelivery.objects.bulk_create(rows) if rows else []
    _enqueue(deliveries)
    return deliveries


def webhook_event_emit(
    *,
    event: Event,
    obj: str,
    obj_id: int,
    url_name: str,
    fields: dict,
    now: datetime,
    departments: Iterable[str] = (),
    relay_id: int | None = None,
) -> list[WebhookDelivery]:
    """One event (`WebhookEvent`), told as `webhook_events_emit` tells them."""
    event = WebhookEvent(
        event=event,
        obj=obj,
        obj_id=obj_id,
        url_name=url_name,
        fields=fields,
        departments=tuple(code for code in departments if code),
        relay_id=relay_id,
    )
    return webhook_events_emit([event], now=now)
