"""Signed webhooks, end to end: endpoints registered through the API, events emitted where they
happen, deliveries POSTed to a real HTTP server and checked with an independent implementation
of Standard Webhooks (the `standardwebhooks` package); retries with back-off, an endpoint
turned off after failures with a notice, replay, rotation, who sees what, URL refusals."""

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from standardwebhooks import Webhook, WebhookVerificationError

from makers import services as makers
from tests.conftest import as_user, count_queries, ids, patch, post
from tests.factories import make_report, make_workshop
from tilab.models import OutboxEmail
from webhooks import delivering
from webhooks.models import WebhookDelivery, WebhookEndpoint

ENDPOINTS = "/api/v1/webhooks/"
DELIVERIES = "/api/v1/webhook-deliveries/"
pytestmark = pytest.mark.django_db


def register(client, user, url, events=("report.validated",), **extra) -> dict:
    response = post(as_user(client, user), ENDPOINTS, {"url": url, "events": list(events), **extra})
    assert response.status_code == 201, response.content
    return response.json()


def verified(secret: str, request) -> dict:
    """The message, if its signature verifies with `secret` (independent implementation)."""
    return Webhook(secret).verify(request.body, request.headers)


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run what waits for the commit (the tasks, eagerly here) as a real commit would."""

    def run(action, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return action(*args, **kwargs)

    return run


@pytest.fixture
def submitted(anne):
    return make_report(anne)


def validate(report, by):
    return makers.production_report_validate(report=report, by=by, now=timezone.now())


# --- Delivery, signature ---------------------------------------------------------------------


def test_a_validated_report_reaches_the_receiver_signed_standard_webhooks_style(
    client, region_staff, relay_staff, submitted, receiver, commit
):
    endpoint = register(client, region_staff, receiver.url, ["report.validated"])
    assert endpoint["secret"].startswith("whsec_") and endpoint["relay"] is None

    commit(validate, submitted, relay_staff)

    (request,) = receiver.requests
    message = verified(endpoint["secret"], request)
    assert message["type"] == "report.validated"
    assert message["data"]["object"] == "production_report"
    assert message["data"]["id"] == submitted.pk
    assert message["data"]["url"].endswith(f"/api/v1/production-reports/{submitted.pk}/")
    assert message["data"]["department"] == "35" and message["data"]["quantity"] == 24
    # Nothing about the person: no name, no e-mail.
    assert "Anne" not in request.body.decode() and "@" not in request.body.decode()
    assert request.headers["webhook-id"].startswith("msg_")
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "delivered" and delivery.msg_id == request.headers["webhook-id"]
    with pytest.raises(WebhookVerificationError):
        verified("whsec_" + "A" * 44, request)  # another secret does not verify


def test_an_endpoint_hears_only_the_events_it_subscribed_to(
    client, region_staff, relay_staff, anne, receiver, commit
):
    register(client, region_staff, receiver.url, ["report.rejected"])
    commit(validate, make_report(anne), relay_staff)
    assert receiver.requests == []
    report = make_report(anne)
    commit(
        makers.production_report_reject,
        report=report,
        by=relay_staff,
        now=timezone.now(),
        reason="Doublon",
    )
    (request,) = receiver.requests
    assert json.loads(request.body)["type"] == "report.rejected"


def test_a_relays_endpoint_hears_of_its_departments_only_and_the_regions_of_all(
    client, region_staff, relay_staff, other_relay_staff, anne, receiver, commit
):
    """LabFab de Rennes covers 35 and 22, ENSTA Bretagne 29: a report of 35 goes to LabFab's
    endpoint and the Région's, not to ENSTA's."""
    region = register(client, region_staff, receiver.url + "?who=region")
    labfab = register(client, relay_staff, receiver.url + "?who=labfab")
    ensta = register(client, other_relay_staff, receiver.url + "?who=ensta")
    assert labfab["relay"] is not None and ensta["relay"] not in (None, labfab["relay"])

    commit(validate, make_report(anne), relay_staff)

    assert sorted(r.path.split("=")[1] for r in receiver.requests) == ["labfab", "region"]
    assert {e["id"] for e in (region, labfab, ensta)} == set(
        WebhookEndpoint.objects.values_list("pk", flat=True)
    )


def test_a_workshop_created_then_cancelled_is_told(
    client, region_staff, facilitator, receiver, commit
):
    from workshops import services as workshops

    endpoint = register(
        client, region_staff, receiver.url, ["workshop.created", "workshop.cancelled"]
    )
    workshop = commit(make_workshop, by=facilitator)
    commit(
        workshops.workshop_cancel,
        workshop=workshop,
        reason="Salle indisponible",
        by=facilitator,
        now=timezone.now(),
    )
    kinds = [verified(endpoint["secret"], r)["type"] for r in receiver.requests]
    assert kinds == ["workshop.created", "workshop.cancelled"]


def test_a_rolled_back_decision_sends_nothing(
    client, region_staff, relay_staff, submitted, receiver
):
    from django.db import transaction

    register(client, region_staff, receiver.url)
    with pytest.raises(RuntimeError), transaction.atomic():
        validate(submitted, relay_staff)
        raise RuntimeError("the request fails after the decision")
    assert not WebhookDelivery.objects.exists() and receiver.requests == []


# --- Retries, back-off, turning off, replay ---------------------------------------------------


def test_a_refused_delivery_is_logged_and_retried_after_its_back_off(
    client, region_staff, relay_staff, submitted, receiver, commit
):
    receiver.statuses = [500]
    register(client, region_staff, receiver.url)
    commit(validate, submitted, relay_staff)
    delivery = WebhookDelivery.objects.get()
    (attempt,) = delivery.attempt_log.all()
    assert attempt.status_code == 500
    assert (
        attempt.response_body.startswith("Internal trouble") and len(attempt.response_body) == 2000
    )
    assert delivery.status == "pending" and delivery.attempts == 1
    first_due = delivery.due_at
    assert first_due - attempt.attempted_at == delivering.FIRST_RETRY

    # Beat before the back-off is over: nothing leaves.
    assert delivering.webhook_deliveries_send_due(now=first_due - timedelta(seconds=5)) == 0
    assert len(receiver.requests) == 1
    # After it: delivered, the same message (same id, same body).
    assert delivering.webhook_deliveries_send_due(now=first_due) == 1
    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"] and first.body == second.body
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and delivery.attempts == 2
    assert [a.status_code for a in delivery.attempt_log.order_by("pk")] == [500, 200]


def test_the_back_off_doubles_and_a_delivery_is_given_up_after_the_last_attempt(
    client, region_staff, relay_staff, submitted, receiver, commit, settings
):
    settings.TILAB_WEBHOOK_MAX_ATTEMPTS = 4
    settings.TILAB_WEBHOOK_FAILURES_BEFORE_DISABLE = 100
    receiver.statuses = [503] * 10
    register(client, region_staff, receiver.url)
    commit(validate, submitted, relay_staff)
    delivery = WebhookDelivery.objects.get()
    gaps = []
    while delivery.due_at is not None:
        previous = delivery.due_at
        delivering.webhook_deliveries_send_due(now=previous)
        delivery.refresh_from_db()
        if delivery.due_at:
            gaps.append(delivery.due_at - previous)
    assert gaps == [timedelta(minutes=2), timedelta(minutes=4)]
    assert delivery.status == "failed" and delivery.attempts == 4 and len(receiver.requests) == 4


def test_an_endpoint_failing_again_and_again_is_turned_off_and_its_owner_told(
    client, region_staff, relay_staff, anne, receiver, commit, settings
):
    settings.TILAB_WEBHOOK_FAILURES_BEFORE_DISABLE = 3
    receiver.statuses = [500] * 3
    endpoint = register(client, region_staff, receiver.url)
    for _ in range(3):
        commit(validate, make_report(anne), relay_staff)

    row = WebhookEndpoint.objects.get(pk=endpoint["id"])
    assert not row.is_active and row.disabled_at is not None and row.consecutive_failures == 3
    notice = OutboxEmail.objects.get(to=region_staff.email)
    assert receiver.url in notice.body and "désactivée" in notice.body
    assert [m.to for m in mail.outbox] == [[region_staff.email]]  # sent by the worker

    # Off: a new event is not even written for it, and what waited does not leave.
    commit(validate, make_report(anne), relay_staff)
    assert WebhookDelivery.objects.count() == 3
    assert delivering.webhook_deliveries_send_due(now=timezone.now() + timedelta(hours=7)) == 0
    assert len(receiver.requests) == 3

    # Turned back on through the API: what waited leaves at once.
    response = commit(
        patch, as_user(client, region_staff), f"{ENDPOINTS}{endpoint['id']}/", {"is_active": True}
    )
    assert response.status_code == 200 and response.json()["consecutive_failures"] == 0
    assert len(receiver.requests) == 3 + 3
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}


def test_a_delivery_is_replayed_with_the_same_id(
    client, region_staff, relay_staff, submitted, receiver, commit
):
    register(client, region_staff, receiver.url)
    commit(validate, submitted, relay_staff)
    delivery = WebhookDelivery.objects.get()

    response = commit(post, as_user(client, region_staff), f"{DELIVERIES}{delivery.pk}/replay/")

    assert response.status_code == 202, response.content
    first, again = receiver.requests
    assert again.headers["webhook-id"] == first.headers["webhook-id"]
    detail = client.get(f"{DELIVERIES}{delivery.pk}/").json()
    assert detail["status"] == "delivered" and len(detail["attempt_log"]) == 2
    assert json.loads(detail["body"])["data"]["id"] == submitted.pk


def test_a_delivery_of_an_endpoint_turned_off_is_not_replayed(
    client, region_staff, relay_staff, submitted, receiver, commit
):
    endpoint = register(client, region_staff, receiver.url)
    commit(validate, submitted, relay_staff)
    patch(client, f"{ENDPOINTS}{endpoint['id']}/", {"is_active": False})
    delivery = WebhookDelivery.objects.get()
    response = post(client, f"{DELIVERIES}{delivery.pk}/replay/")
    assert response.status_code == 409 and response.json()["code"] == "webhook_endpoint_inactive"


# --- Secrets ---------------------------------------------------------------------------------


def test_a_rotated_secret_signs_beside_the_new_one_until_its_grace_ends(
    client, region_staff, relay_staff, anne, receiver, commit, settings
):
    old = register(client, region_staff, receiver.url)
    response = post(client, f"{ENDPOINTS}{old['id']}/rotate-secret/")
    assert response.status_code == 200
    new = response.json()
    assert new["secret"] != old["secret"] and new["previous_secret_until"]
    assert "secret" not in client.get(f"{ENDPOINTS}{old['id']}/").json()  # shown once

    commit(validate, make_report(anne), relay_staff)
    (request,) = receiver.requests
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    assert verified(old["secret"], request) and verified(new["secret"], request)

    WebhookEndpoint.objects.filter(pk=old["id"]).update(
        previous_secret_until=timezone.now() - timedelta(seconds=1)
    )
    commit(validate, make_report(anne), relay_staff)
    late = receiver.requests[1]
    assert len(late.headers["webhook-signature"].split(" ")) == 1
    assert verified(new["secret"], late)
    with pytest.raises(WebhookVerificationError):
        verified(old["secret"], late)


# --- Who sees what ---------------------------------------------------------------------------


def test_relay_staff_see_their_relays_endpoints_and_the_region_its_own(
    client, region_staff, relay_staff, relay_colleague, other_relay_staff, receiver
):
    region = register(client, region_staff, receiver.url)
    labfab = register(client, relay_staff, receiver.url)
    ensta = register(client, other_relay_staff, receiver.url)

    as_user(client, relay_colleague)  # the same relay: sees it
    assert ids(client.get(ENDPOINTS)) == [labfab["id"]]
    for other in (region, ensta):
        assert client.get(f"{ENDPOINTS}{other['id']}/").status_code == 404
        assert client.delete(f"{ENDPOINTS}{other['id']}/").status_code == 404
        assert post(client, f"{ENDPOINTS}{other['id']}/rotate-secret/").status_code == 404
    as_user(client, region_staff)
    assert ids(client.get(ENDPOINTS)) == [region["id"]]


def test_relay_staff_register_only_for_their_relay_and_never_for_the_region(
    client, relay_staff, other_relay_staff, receiver
):
    ensta = other_relay_staff.relays.get()
    response = post(
        as_user(client, relay_staff),
        ENDPOINTS,
        {"url": receiver.url, "events": ["need.posted"], "relay": ensta.pk},
    )
    assert response.status_code == 403 and response.json()["code"] == "webhook_relay_not_staffed"
    response = post(
        client, ENDPOINTS, {"url": receiver.url, "events": ["need.posted"], "relay": None}
    )
    assert response.status_code == 403 and response.json()["code"] == "webhook_region_only"


def test_others_may_not_manage_webhooks(client, maker, facilitator, auditor):
    for user in (maker, facilitator, auditor):
        as_user(client, user)
        assert client.get(ENDPOINTS).status_code == 403
        assert client.get(DELIVERIES).status_code == 403
        response = post(
            client, ENDPOINTS, {"url": "https://example.org/", "events": ["need.posted"]}
        )
        assert response.status_code == 403 and response.json()["code"] == "role_not_allowed"


def test_a_relays_deliveries_are_its_own(
    client, region_staff, relay_staff, other_relay_staff, submitted, receiver, commit
):
    register(client, region_staff, receiver.url)
    register(client, relay_staff, receiver.url)
    commit(validate, submitted, relay_staff)
    region_delivery = WebhookDelivery.objects.get(endpoint__relay=None)
    as_user(client, relay_staff)
    assert len(ids(client.get(DELIVERIES))) == 1
    assert client.get(f"{DELIVERIES}{region_delivery.pk}/").status_code == 404
    assert post(client, f"{DELIVERIES}{region_delivery.pk}/replay/").status_code == 404
    as_user(client, other_relay_staff)
    assert ids(client.get(DELIVERIES)) == []


def test_the_lists_cost_the_same_whatever_their_length(
    client, region_staff, relay_staff, anne, receiver, commit
):
    as_user(client, region_staff)
    register(client, region_staff, receiver.url)
    commit(validate, make_report(anne), relay_staff)
    few = count_queries(client, ENDPOINTS), count_queries(client, DELIVERIES)
    for _ in range(4):
        register(client, region_staff, receiver.url)
        commit(validate, make_report(anne), relay_staff)
    assert (count_queries(client, ENDPOINTS, expected=5), count_queries(client, DELIVERIES)) == few


# --- URLs ------------------------------------------------------------------------------------


@pytest.fixture
def production_urls(settings):
    settings.TILAB_WEBHOOK_HTTP_TO_LOCALHOST = False
    settings.TILAB_WEBHOOK_PRIVATE_ADDRESSES = False


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://hooks.example.org/tilab", "webhook_url_not_https"),
        ("http://127.0.0.1:8080/hook", "webhook_url_not_https"),
        ("ftp://example.org/hook", "webhook_url_invalid"),
        ("https://user:secret@example.org/hook", "webhook_url_invalid"),
        ("not a url", "webhook_url_invalid"),
        ("https://127.0.0.1/hook", "webhook_url_private"),
        ("https://localhost/hook", "webhook_url_private"),
        ("https://10.1.2.3/hook", "webhook_url_private"),
        ("https://192.168.1.10/hook", "webhook_url_private"),
        ("https://169.254.169.254/latest/meta-data", "webhook_url_private"),
        ("https://[::1]/hook", "webhook_url_private"),
        ("https://[::ffff:10.0.0.1]/hook", "webhook_url_private"),
        ("https://100.64.0.1/hook", "webhook_url_private"),
        ("https://240.0.0.1/hook", "webhook_url_private"),
        ("https://no-such-host.invalid/hook", "webhook_url_unresolved"),
    ],
)
def test_production_refuses_urls_that_are_not_https_to_a_public_address(
    client, region_staff, production_urls, url, code
):
    response = post(
        as_user(client, region_staff), ENDPOINTS, {"url": url, "events": ["need.posted"]}
    )
    assert response.status_code == 400, response.content
    assert response.json()["code"] == code and response.json()["field"] == "url"
    assert not WebhookEndpoint.objects.exists()


def test_production_accepts_https_to_a_public_address(client, region_staff, production_urls):
    endpoint = register(client, region_staff, "https://93.184.215.14/tilab", ["need.posted"])
    assert endpoint["url"] == "https://93.184.215.14/tilab"


def test_the_demo_accepts_http_to_this_machine_only(client, region_staff):
    register(client, region_staff, "http://localhost:9000/hook")
    response = post(
        client, ENDPOINTS, {"url": "http://example.org/hook", "events": ["need.posted"]}
    )
    assert response.json()["code"] == "webhook_url_not_https"


def test_unknown_events_are_refused(client, region_staff):
    response = post(
        as_user(client, region_staff),
        ENDPOINTS,
        {"url": "https://example.org/", "events": ["report.eaten"]},
    )
    assert response.status_code == 400 and response.json()["field"] == "events"
    response = post(client, ENDPOINTS, {"url": "https://example.org/", "events": []})
    assert response.status_code == 400 and response.json()["code"] == "webhook_events_empty"


def test_the_address_is_checked_again_before_each_attempt(
    client, region_staff, relay_staff, submitted, receiver, commit, settings
):
    """Registered when this machine was allowed (or when the name pointed elsewhere): once
    the rules refuse it, the attempt is not made, and is logged as refused."""
    register(client, region_staff, receiver.url)
    settings.TILAB_WEBHOOK_HTTP_TO_LOCALHOST = False
    settings.TILAB_WEBHOOK_PRIVATE_ADDRESSES = False
    commit(validate, submitted, relay_staff)
    assert receiver.requests == []
    (attempt,) = WebhookDelivery.objects.get().attempt_log.all()
    assert attempt.status_code is None and attempt.error.startswith("webhook_url_not_https")


def test_a_receiver_that_does_not_answer_in_time_is_a_failure(
    client, region_staff, relay_staff, submitted, commit, settings
):
    import socket

    settings.TILAB_WEBHOOK_TIMEOUT = 0.5
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()  # accepts connections, never answers
    try:
        register(client, region_staff, f"http://127.0.0.1:{silent.getsockname()[1]}/hook")
        commit(validate, submitted, relay_staff)
    finally:
        silent.close()
    (attempt,) = WebhookDelivery.objects.get().attempt_log.all()
    assert attempt.status_code is None and "timed out" in attempt.error.lower()
    assert attempt.duration_ms < 3000


def test_an_owner_who_deletes_their_account_is_no_longer_named_and_the_endpoint_stays(
    client, relay_staff, receiver
):
    from accounts import services as accounts

    register(client, relay_staff, receiver.url)
    accounts.account_delete(user=relay_staff, now=timezone.now())
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.owner is None and endpoint.is_active


def test_an_approved_allocation_is_told_to_its_relay_and_the_region_only(
    client, region_staff, relay_staff, other_relay_staff, other_region_staff, anne, receiver, commit
):
    from tests.factories import approve_all, make_programme

    events = ["allocation.approved"]
    register(client, region_staff, receiver.url + "?who=region", events)
    register(client, relay_staff, receiver.url + "?who=labfab", events)
    register(client, other_relay_staff, receiver.url + "?who=ensta", events)
    make_report(anne, status="validated", decided_by=relay_staff)
    labfab, ensta = relay_staff.relays.get(), other_relay_staff.relays.get()
    programme = make_programme(by=region_staff, relays=[labfab, ensta])
    commit(approve_all, programme, by=other_region_staff)

    heard = sorted(
        (r.path.split("=")[1], json.loads(r.body)["data"]["relay"]) for r in receiver.requests
    )
    assert heard == sorted(
        [("region", labfab.pk), ("region", ensta.pk), ("labfab", labfab.pk), ("ensta", ensta.pk)]
    )


def test_a_need_is_told_once_it_is_on_the_board(client, relay_staff, receiver, commit):
    from needs import services as needs
    from tests.factories import make_need

    register(client, relay_staff, receiver.url, ["need.posted"])
    need = commit(make_need, confirmed=False)
    assert receiver.requests == []  # waiting for its contact's confirmation
    commit(needs.need_confirm, token=needs.need_confirm_token(need), now=timezone.now())
    (request,) = receiver.requests
    data = json.loads(request.body)["data"]
    assert data["id"] == need.pk and data["department"] == need.department_id
    assert "contact" not in request.body.decode() and "@" not in request.body.decode()


def test_the_log_is_filtered_by_endpoint_and_a_wrong_id_answers_400(
    client, region_staff, relay_staff, submitted, receiver, commit
):
    first = register(client, region_staff, receiver.url + "?n=1")
    register(client, region_staff, receiver.url + "?n=2")
    commit(validate, submitted, relay_staff)
    deliveries = client.get(f"{DELIVERIES}?endpoint={first['id']}").json()["results"]
    assert [d["endpoint"] for d in deliveries] == [first["id"]]
    response = client.get(f"{DELIVERIES}?endpoint={10**30}")
    assert response.status_code == 400 and "endpoint" in response.json()


def test_a_name_that_resolves_too_slowly_is_refused_in_time(monkeypatch):
    """The resolver is the outside service here: one that hangs is stood in for."""
    import socket
    import time

    from tilab import webhooks as wire
    from tilab.errors import BadInput

    def hanging(*args, **kwargs):
        time.sleep(2)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", 443))]

    monkeypatch.setattr(wire.socket, "getaddrinfo", hanging)
    started = time.monotonic()
    with pytest.raises(BadInput) as refused:
        wire.url_check(
            "https://slow.example.org/hook",
            http_to_localhost=False,
            private_addresses=False,
            timeout=0.2,
        )
    assert refused.value.code == "webhook_url_unresolved"
    assert time.monotonic() - started < 1
