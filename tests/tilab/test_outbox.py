"""The e-mail outbox: an e-mail is written with its event or not at all, queued once per event,
sent by the worker against a real (local) mail server, retried with back-off when the server
refuses or hangs, and written in the recipient's language. Requests never wait on SMTP."""

import datetime
import time

import pytest
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone, translation

from tests.factories import PASSWORD, make_user, register_guest
from tests.smtp import free_port, hanging_smtp, smtp_sink
from tilab import outbox
from tilab.models import OutboxEmail, User
from workshops import services as workshops

pytestmark = pytest.mark.django_db
MINUTE = datetime.timedelta(minutes=1)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """What the block queued on commit (the worker's send, eagerly here) runs at its end."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def smtp(settings):
    """Django's real SMTP backend, pointed at a port of ours (`smtp(port)`), with a short
    timeout so a hanging server costs the test a second."""

    def point_at(port: int) -> None:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_TIMEOUT = 1

    return point_at


def write(key: str = "test:1", to: str = "anne@example.org", *, now=None) -> OutboxEmail | None:
    message = EmailMessage(subject="Objet", body="Texte", to=[to])
    return outbox.outbox_email_write(
        key=key, message=message, language="fr", now=now or timezone.now()
    )


def test_an_e_mail_is_written_in_the_transaction_of_its_event(committed, mailoutbox):
    with committed(), pytest.raises(RuntimeError), transaction.atomic():
        write()
        raise RuntimeError("the event fails after writing its e-mail")

    assert OutboxEmail.objects.count() == 0
    assert mailoutbox == []


def test_the_same_event_never_queues_twice(committed, mailoutbox):
    with committed():
        assert write("workshops:registration:7:confirmed") is not None
        assert write("workshops:registration:7:confirmed") is None

    assert OutboxEmail.objects.count() == 1
    assert len(mailoutbox) == 1
    assert OutboxEmail.objects.get().sent_at is not None


def test_a_refusing_mail_server_pushes_the_e_mail_back_further_each_time(smtp, mailoutbox):
    smtp(free_port())  # nothing listens: connection refused
    now = timezone.now()
    row = write(now=now)

    delays = []
    for _attempt in range(4):
        assert outbox.outbox_emails_send_due(now=now) == 0
        row.refresh_from_db()
        delays.append(row.due_at - now)
        assert "ConnectionRefusedError" in row.last_error
        now = row.due_at
    assert delays == [1 * MINUTE, 2 * MINUTE, 4 * MINUTE, 8 * MINUTE]
    assert row.attempts == 4 and row.sent_at is None
    assert outbox.outbox_emails_send_due(now=now - datetime.timedelta(seconds=1)) == 0  # not due
    assert outbox.retry_delay(30) == outbox.LAST_RETRY


def test_an_e_mail_refused_then_accepted_is_sent_once(smtp):
    port = free_port()
    smtp(port)
    now = timezone.now()
    write(now=now)
    assert outbox.outbox_emails_send_due(now=now) == 0

    with smtp_sink(port) as sink:
        assert outbox.outbox_emails_send_due(now=now + MINUTE) == 1
        assert outbox.outbox_emails_send_due(now=now + 60 * MINUTE) == 0

    assert sink.recipients() == ["anne@example.org"]
    assert OutboxEmail.objects.get().sent_at == now + MINUTE


def test_a_hanging_mail_server_costs_the_worker_its_timeout_and_the_e_mail_waits(smtp):
    now = timezone.now()
    row = write(now=now)
    with hanging_smtp() as port:
        smtp(port)
        started = time.monotonic()
        assert outbox.outbox_email_send(email_id=row.pk, now=now) is False
        elapsed = time.monotonic() - started

    assert elapsed < 5  # EMAIL_TIMEOUT is 1 s here
    row.refresh_from_db()
    assert "timed out" in row.last_error and row.due_at == now + MINUTE


def test_a_row_claimed_by_another_run_is_left_to_it(smtp):
    now = timezone.now()
    row = write(now=now)
    with smtp_sink() as sink:
        smtp(sink.port)
        # Another run claimed it (its lease runs) and is sending it now.
        OutboxEmail.objects.filter(pk=row.pk).update(due_at=now + outbox.LEASE)
        assert outbox.outbox_email_send(email_id=row.pk, now=now) is False
        # The other run died: once the lease is over, the row is sent.
        assert outbox.outbox_emails_send_due(now=now + outbox.LEASE) == 1
    assert sink.recipients() == ["anne@example.org"]


def test_beat_sends_the_outbox_every_minute(settings):
    from config.celery import app

    (entry,) = [
        entry
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "tilab.outbox_emails_send_due"
    ]
    assert entry["task"] in app.tasks
    assert entry["schedule"] == MINUTE
    assert settings.EMAIL_TIMEOUT > 0


# Languages -----------------------------------------------------------------------------------


def test_a_guest_is_written_to_in_the_language_they_registered_in(workshop, committed, mailoutbox):
    with committed():
        register_guest(workshop, 1)
        with translation.override("en"):
            register_guest(workshop, 2)

    # Each first gets the link to confirm with, then the seat's e-mail, in the same language.
    french_link, french, english_link, english = mailoutbox
    assert all("/inscription/confirmer/" in m.body for m in (french_link, english_link))
    assert french.subject.startswith("[Ti Lab] Inscription confirmée : ")
    assert english.subject.startswith("[Ti Lab] Registration confirmed: ")
    assert list(OutboxEmail.objects.order_by("pk").values_list("language", flat=True)) == [
        "fr",
        "fr",
        "en",
        "en",
    ]


def test_a_person_with_an_account_is_written_to_in_their_chosen_language(
    workshop, committed, mailoutbox
):
    anglophone = make_user(email="morgan@example.org", language="en")
    with committed():
        # Their account's choice wins over the page they happen to use.
        workshops.registration_create(workshop=workshop, user=anglophone, now=timezone.now())

    (message,) = mailoutbox
    assert message.subject.startswith("[Ti Lab] Registration confirmed: ")


def test_the_language_switch_records_a_signed_in_persons_choice(client, maker):
    client.force_login(maker)
    assert client.post("/i18n/setlang/", {"language": "en", "next": "/"}).status_code == 302
    maker.refresh_from_db()
    assert maker.language == "en"
    client.post("/i18n/setlang/", {"language": "xx", "next": "/"})
    maker.refresh_from_db()
    assert maker.language == "en"


# The account library's e-mails ---------------------------------------------------------------


def test_sign_up_with_the_mail_server_refusing_answers_and_the_e_mail_leaves_later(
    client, reference_data, smtp, committed, settings
):
    port = free_port()
    smtp(port)  # refusing
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # signs up on the English pages
    with committed():
        response = client.post(
            "/accounts/signup/",
            {"email": "yann@example.org", "password1": PASSWORD, "password2": PASSWORD},
        )

    assert response.status_code == 302
    assert User.objects.get(email="yann@example.org").language == "en"
    row = OutboxEmail.objects.get(to="yann@example.org")
    assert row.sent_at is None and row.attempts == 1 and row.language == "en"
    with smtp_sink(port) as sink:
        assert outbox.outbox_emails_send_due(now=timezone.now() + MINUTE) == 1
    (sent,) = sink.received
    assert sent["To"] == "yann@example.org"
    assert "/accounts/confirm-email/" in sent.get_body(("plain",)).get_content()


def test_sign_up_with_the_mail_server_hanging_answers_at_once(
    client, reference_data, smtp, django_capture_on_commit_callbacks, settings
):
    with hanging_smtp() as port:
        smtp(port)
        settings.EMAIL_TIMEOUT = 30  # a send in the request would cost all of it
        started = time.monotonic()
        # The worker's send is left queued (execute=False): only the request is timed.
        with django_capture_on_commit_callbacks(execute=False):
            response = client.post(
                "/accounts/signup/",
                {"email": "gwen@example.org", "password1": PASSWORD, "password2": PASSWORD},
            )
        elapsed = time.monotonic() - started

    assert response.status_code == 302 and elapsed < 5
    assert OutboxEmail.objects.filter(to="gwen@example.org", sent_at=None).exists()
