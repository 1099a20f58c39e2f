"""Sending webhook deliveries, by the worker: signed POSTs, retried with back-off, each attempt
logged with its answer; an endpoint that keeps failing is turned off and its owner told.

The same pattern as the e-mail outbox (tilab/due.py): a delivery is claimed with a
conditional UPDATE before it is sent, so two runs never send it at once; a failure pushes its
`due_at` back (doubling, capped), and after TILAB_WEBHOOK_MAX_ATTEMPTS it is given up (a
person can replay it). At least once: a worker killed between the POST and its record sends
the message again when the lease ends, with the same `webhook-id`.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from tilab import due
from tilab.errors import Refusal
from tilab.outbox import language_of, outbox_email_write
from tilab.webhooks import Answer, post, signed_headers

from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .services import url_allowed

log = logging.getLogger(__name__)

# A claimed delivery is left to its sender this long: well beyond one bounded POST.
LEASE = timedelta(minutes=2)
FIRST_RETRY = timedelta(minutes=1)
LAST_RETRY = timedelta(hours=6)
BATCH = 200


def _secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The secrets that sign now: the current one, and the previous during its grace."""
    secrets = [endpoint.secret]
    if (
        endpoint.previous_secret
        and endpoint.previous_secret_until
        and (now < endpoint.previous_secret_until)
    ):
        secrets.append(endpoint.previous_secret)
    return secrets


def _sendable():
    return WebhookDelivery.objects.filter(
        status=WebhookDelivery.Status.PENDING, endpoint__is_active=True
    )


def webhook_delivery_send(*, delivery_id: int, now: datetime) -> bool | None:
    """Try one delivery if it is due and its endpoint on: True if the receiver took it (2xx),
    False if not (recorded, retried later), None if there was nothing to do (delivered,
    not due, its endpoint off, or another run has it). Safe to run twice, even at once."""
    if not due.claim(_sendable(), pk=delivery_id, now=now, lease=LEASE):
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    body = delivery.body.encode()
    try:
        # Again now, and the connection goes to the address checked: what a name resolves
        # to may have changed since the endpoint was registered.
        address = url_allowed(endpoint.url)
    except Refusal as refusal:
        answer = Answer(None, "", f"{refusal.code}: {refusal.message}")
    else:
        headers = signed_headers(
            msg_id=delivery.msg_id,
            timestamp=int(now.timestamp()),
            body=body,
            secrets=_secrets(endpoint, now),
        )
        answer = post(
            endpoint.url,
            body=body,
            headers=headers,
            timeout=settings.TILAB_WEBHOOK_TIMEOUT,
            address=address,
        )
    WebhookAttempt.objects.create(
        delivery=delivery,
        attempted_at=now,
        status_code=answer.status,
        response_body=answer.body,
        error=answer.error,
        duration_ms=int(answer.seconds * 1000),
    )
    if answer.ok:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookDelivery.Status.DELIVERED, delivered_at=now, due_at=None
        )
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=0)
        return True
    log.info(
        "webhook %s to endpoint %s failed (attempt %s): %s",
        delivery.msg_id,
        endpoint.pk,
        delivery.attempts,
        answer.status or answer.error,
    )
    if delivery.attempts >= settings.TILAB_WEBHOOK_MAX_ATTEMPTS:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookDelivery.Status.FAILED, due_at=None
        )
    else:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            due_at=now + due.retry_delay(delivery.attempts, first=FIRST_RETRY, last=LAST_RETRY)
        )
    _count_failure(endpoint, now=now)
    return False


def _count_failure(endpoint: WebhookEndpoint, *, now: datetime) -> None:
    """One more failure in a row; at TILAB_WEBHOOK_FAILURES_BEFORE_DISABLE the endpoint is
    turned off (once: a conditional UPDATE), and its owner gets a notice through the outbox."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    limit = settings.TILAB_WEBHOOK_FAILURES_BEFORE_DISABLE
    with transaction.atomic():
        turned_off = WebhookEndpoint.objects.filter(
            pk=endpoint.pk, is_active=True, consecutive_failures__gte=limit
        ).update(is_active=False, disabled_at=now)
        if turned_off:
            log.warning("webhook endpoint %s turned off after %s failures", endpoint.pk, limit)
            endpoint.refresh_from_db()
            _notice_disabled(endpoint, now=now)


def _notice_disabled(endpoint: WebhookEndpoint, *, now: datetime) -> None:
    owner = endpoint.owner
    if owner is None or not owner.email:
        return
    language = language_of(owner.email)
    with translation.override(language):
        context = {
            "endpoint": endpoint,
            "failures": endpoint.consecutive_failures,
            "url": settings.SITE_URL.rstrip("/") + reverse("webhooks:endpoints"),
        }
        subject = render_to_string("webhooks/email/disabled_subject.txt", context).strip()
        message = EmailMessage(
            subject=subject,
            body=render_to_string("webhooks/email/disabled.txt", context),
            to=[owner.email],
            headers={"Auto-Submitted": "auto-generated"},
        )
    outbox_email_write(
        key=f"webhook-disabled:{endpoint.pk}:{now.isoformat()}",
        message=message,
        language=language,
        now=now,
    )


def webhook_deliveries_due(*, now: datetime, limit: int = BATCH) -> list[int]:
    """The deliveries due at `now` whose endpoint is on, oldest first."""
    return list(
        _sendable()
        .filter(due_at__lte=now)
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def webhook_deliveries_send_due(*, now: datetime) -> int:
    """Send what is due (beat: retries after their back-off, and deliveries a lost task
    message left behind); returns how many were received. Safe to run twice."""
    return sum(
        bool(webhook_delivery_send(delivery_id=pk, now=now))
        for pk in webhook_deliveries_due(now=now)
    )
