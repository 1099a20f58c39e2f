"""Webhooks through the real queue: a decision commits, its delivery goes through Redis to a real
Celery worker process, which POSTs it to a real HTTP server here; a refused attempt waits for
beat's run, which sends it again. The worker runs with the demo's URL rules (http to this
machine), as the environment leaves DEBUG to its default."""

import time

import pytest
from django.utils import timezone
from standardwebhooks import Webhook

from makers import services as makers
from tests.factories import cast_maker, cast_region_staff, cast_relay_staff, make_report
from tilab.reference import reference_data_ensure
from webhooks import services
from webhooks.models import WebhookDelivery
from webhooks.tasks import webhook_deliveries_send_due

pytestmark = [pytest.mark.worker, pytest.mark.postgres]


def wait_for(condition, *, timeout=30.0, what=""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(0.2)
    pytest.fail(f"waited {timeout}s for {what}")


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_a_signed_webhook_and_beat_retries_a_refused_one(
    celery_worker, receiver
):
    reference_data_ensure()
    from makers.reference import item_catalogue_ensure

    item_catalogue_ensure()
    region, camille, anne = cast_region_staff(), cast_relay_staff(), cast_maker().maker
    endpoint = services.webhook_endpoint_create(
        url=receiver.url, events=["report.validated"], by=region, now=timezone.now()
    )

    first = make_report(anne)
    makers.production_report_validate(report=first, by=camille, now=timezone.now())

    (request,) = wait_for(lambda: receiver.requests, what="the worker's POST")
    message = Webhook(endpoint.secret).verify(request.body, request.headers)
    assert message["type"] == "report.validated" and message["data"]["id"] == first.pk
    wait_for(
        lambda: WebhookDelivery.objects.filter(status="delivered").exists(),
        what="the delivery recorded as received",
    )

    # Refused once: the delivery waits for its back-off, then beat's run sends it again.
    receiver.statuses = [500]
    second = make_report(anne)
    makers.production_report_validate(report=second, by=camille, now=timezone.now())
    refused = wait_for(
        lambda: WebhookDelivery.objects.filter(attempts=1, status="pending").first(),
        what="the refused attempt recorded",
    )
    assert refused.attempt_log.get().status_code == 500
    WebhookDelivery.objects.filter(pk=refused.pk).update(due_at=timezone.now())
    webhook_deliveries_send_due.delay()
    wait_for(
        lambda: WebhookDelivery.objects.filter(pk=refused.pk, status="delivered").exists(),
        what="beat's run to deliver it",
    )
    assert len(receiver.requests) == 3
    assert receiver.requests[1].headers["webhook-id"] == receiver.requests[2].headers["webhook-id"]
