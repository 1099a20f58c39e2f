"""The webhooks page: register an address (its secret shown once), see what was sent, rotate,
turn off and on, replay; the same rules as the API."""

import pytest
from django.utils import timezone

from makers import services as makers
from tests.conftest import as_user, count_queries, text
from tests.factories import make_report
from webhooks.models import WebhookDelivery, WebhookEndpoint

PAGE = "/webhooks/"
pytestmark = pytest.mark.django_db


def create(client, **fields):
    return client.post(PAGE, {"create": "1", "events": ["report.validated"], **fields})


def test_a_relays_staff_register_an_address_and_see_its_secret_once(client, relay_staff, receiver):
    response = create(as_user(client, relay_staff), url=receiver.url, description="Tableur")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.relay == relay_staff.relays.get() and endpoint.owner == relay_staff
    assert endpoint.secret in text(response)
    again = client.get(PAGE)
    assert endpoint.secret not in text(again) and receiver.url in text(again)


def test_a_refused_address_is_shown_on_its_field(client, region_staff, settings):
    settings.TILAB_WEBHOOK_HTTP_TO_LOCALHOST = False
    response = create(as_user(client, region_staff), url="http://example.org/hook")
    assert response.context["form"].has_error("url", "webhook_url_not_https")
    assert not WebhookEndpoint.objects.exists()


def test_someone_on_a_relay_and_at_the_region_chooses_for_whom(client, region_staff, receiver):
    from tests.factories import make_relay

    make_relay(name="La Fabrique du Loch", departments=["56"], staff=[region_staff])
    from django.contrib.auth.models import Group

    from tilab import roles

    region_staff.groups.add(Group.objects.get(name=roles.RELAY_STAFF))
    as_user(client, region_staff)
    assert "owner" in client.get(PAGE).context["form"].fields
    create(client, url=receiver.url, owner="region")
    assert WebhookEndpoint.objects.get().relay is None


def test_a_delivery_is_shown_with_its_answer_and_replayed(
    client, region_staff, relay_staff, anne, receiver, django_capture_on_commit_callbacks
):
    create(as_user(client, region_staff), url=receiver.url)
    receiver.statuses = [502]
    with django_capture_on_commit_callbacks(execute=True):
        makers.production_report_validate(
            report=make_report(anne), by=relay_staff, now=timezone.now()
        )
    page = text(client.get(PAGE))
    assert "report.validated" in page and "HTTP 502" in page
    delivery = WebhookDelivery.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(PAGE, {"replay": str(delivery.pk)})
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and len(receiver.requests) == 2


def test_an_address_is_turned_off_and_on_and_its_secret_rotated(client, region_staff, receiver):
    create(as_user(client, region_staff), url=receiver.url)
    endpoint = WebhookEndpoint.objects.get()
    client.post(PAGE, {"toggle": str(endpoint.pk)})
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    client.post(PAGE, {"toggle": str(endpoint.pk)})
    endpoint.refresh_from_db()
    assert endpoint.is_active
    response = client.post(PAGE, {"rotate": str(endpoint.pk)})
    endpoint.refresh_from_db()
    assert endpoint.secret in text(response) and endpoint.previous_secret
    client.post(PAGE, {"delete": str(endpoint.pk)})
    assert not WebhookEndpoint.objects.exists()


def test_the_page_costs_the_same_whatever_it_lists(
    client, region_staff, relay_staff, anne, receiver, django_capture_on_commit_callbacks
):
    as_user(client, region_staff)

    def more():
        create(client, url=receiver.url)
        with django_capture_on_commit_callbacks(execute=True):
            makers.production_report_validate(
                report=make_report(anne), by=relay_staff, now=timezone.now()
            )

    more()
    few = count_queries(client, PAGE)
    for _ in range(3):
        more()
    assert count_queries(client, PAGE) == few
