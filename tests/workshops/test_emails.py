"""The workshop e-mails as people receive them: who gets which, what it says (in French, in
Paris time, with a cancel link that works), and that none is sent twice. Each is written to the
outbox with its event and sent once that commits (`run_tasks`) or by beat (`beat`)."""

import datetime
import re
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.urls import resolve
from django.utils import timezone

from tests.factories import make_details, make_workshop, register_guest
from tilab import outbox
from tilab.models import OutboxEmail
from workshops import emails, services, tasks
from workshops.models import Registration, WorkshopMessage

PARIS = ZoneInfo("Europe/Paris")
# A Tuesday, 14:30 in Paris (12:30 UTC, summer time).
TUESDAY = datetime.datetime(2030, 6, 18, 14, 30, tzinfo=PARIS)


@pytest.fixture
def run_tasks(django_capture_on_commit_callbacks):
    """Tasks queued on commit run (eagerly) when the block ends, as after a real commit."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def beat(*, minutes: int = 0) -> int:
    """Beat's run of the outbox, `minutes` from now; returns how many e-mails left."""
    return outbox.outbox_emails_send_due(now=timezone.now() + datetime.timedelta(minutes=minutes))


@pytest.fixture
def workshop_details():
    """`workshop` on a known Tuesday, with a title plain text must not escape."""
    return {"capacity": 2, "starts_at": TUESDAY, "title": "Makers & hôpitaux : l'après 2020"}


def to(message) -> str:
    (address,) = message.to
    return address


def links(message, fragment: str) -> list[str]:
    return [url for url in re.findall(r"https?://\S+", message.body) if fragment in url]


def after_their_links(mailoutbox) -> list:
    """The e-mails besides the links guests confirm their registration with (each guest
    registered by `register_guest` got one first)."""
    return [m for m in mailoutbox if not links(m, "/inscription/confirmer/")]


def cancel_link(message) -> str:
    (url,) = links(message, "/inscription/")
    return url


def test_a_seated_person_gets_a_confirmation_in_french_with_paris_time(
    workshop, mailoutbox, run_tasks, client
):
    with run_tasks():
        registration = register_guest(workshop, 1)

    link, message = mailoutbox
    assert link.subject == "[Ti Lab] Confirmez votre inscription : Makers & hôpitaux : l'après 2020"
    assert message.to == ["invite1@example.org"]
    assert message.subject == "[Ti Lab] Inscription confirmée : Makers & hôpitaux : l'après 2020"
    body = message.body
    assert "Bonjour Invité 1," in body
    assert "« Makers & hôpitaux : l'après 2020 »" in body  # plain text: nothing escaped
    assert "Le mardi 18 juin 2030, de 14:30 à 16:30 (heure de Paris)" in body
    assert "Lieu : 1 rue de la République, Rennes (Ille-et-Vilaine)" in body
    (ics,) = links(message, ".ics")
    assert resolve(urlsplit(ics).path).url_name == "ics"
    assert client.get(urlsplit(ics).path).status_code == 200
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"

    # The cancel link opens this registration, and cancels it.
    path = urlsplit(cancel_link(message)).path
    assert services.registration_from_token(resolve(path).kwargs["token"]) == registration
    page = client.get(path)
    assert page.status_code == 200 and "l&#x27;après 2020" in page.content.decode()
    client.post(path)
    registration.refresh_from_db()
    assert registration.status == "cancelled"


def test_an_online_link_goes_to_seated_people_only(facilitator, mailoutbox, run_tasks):
    online = make_workshop(
        by=facilitator,
        capacity=1,
        address="",
        commune="",
        department_id=None,
        online_url="https://visio.example.org/salle-secrete",
    )
    with run_tasks():
        register_guest(online, 1)
        register_guest(online, 2)

    seated, waiting = after_their_links(mailoutbox)
    assert "En ligne : https://visio.example.org/salle-secrete" in seated.body
    assert "visio.example.org" not in waiting.body
    assert "le lien de connexion vous sera envoyé avec votre place" in waiting.body
    assert "Lieu :" not in seated.body


def test_people_waiting_are_told_their_position_and_how_to_leave(workshop, mailoutbox, run_tasks):
    with run_tasks():
        for n in range(4):
            register_guest(workshop, n)

    third, fourth = after_their_links(mailoutbox)[2:]
    assert (to(third), to(fourth)) == ("invite2@example.org", "invite3@example.org")
    assert third.subject == "[Ti Lab] Liste d'attente : Makers & hôpitaux : l'après 2020"
    assert "vous êtes en liste d'attente, en position 1." in third.body
    assert "en position 2." in fourth.body
    path = urlsplit(cancel_link(fourth)).path
    assert services.registration_from_token(resolve(path).kwargs["token"]).email == to(fourth)


def test_the_first_person_waiting_is_told_when_a_seat_frees_up(workshop, mailoutbox, run_tasks):
    seated = [register_guest(workshop, n) for n in range(2)]
    register_guest(workshop, 2)
    register_guest(workshop, 3)

    with run_tasks():
        services.registration_cancel(registration=seated[0], now=timezone.now())

    (message,) = mailoutbox
    assert to(message) == "invite2@example.org"
    assert message.subject == "[Ti Lab] Une place s'est libérée : Makers & hôpitaux : l'après 2020"
    assert "une place s'est libérée et elle est à vous" in message.body
    assert "Le mardi 18 juin 2030, de 14:30" in message.body
    path = urlsplit(cancel_link(message)).path
    assert services.registration_from_token(resolve(path).kwargs["token"]).email == to(message)


def test_more_seats_tell_each_person_promoted(facilitator, workshop, mailoutbox, run_tasks):
    for n in range(5):
        register_guest(workshop, n)
    with run_tasks():
        services.workshop_update(
            workshop=workshop,
            details=make_details(starts_at=TUESDAY, capacity=4),
            by=facilitator,
            now=timezone.now(),
        )

    assert sorted(to(m) for m in mailoutbox) == ["invite2@example.org", "invite3@example.org"]
    assert all("Une place s'est libérée" in m.subject for m in mailoutbox)


def test_a_cancelled_workshop_is_announced_to_everyone_seated_or_waiting_with_the_reason(
    facilitator, workshop, mailoutbox, run_tasks
):
    with run_tasks():
        registrations = [register_guest(workshop, n) for n in range(4)]
        services.registration_cancel(registration=registrations[3], now=timezone.now())
    mailoutbox.clear()  # the registrations' own e-mails

    with run_tasks():
        services.workshop_cancel(
            workshop=workshop, reason="La salle est inondée.", by=facilitator, now=timezone.now()
        )

    assert sorted(to(m) for m in mailoutbox) == [
        "invite0@example.org",
        "invite1@example.org",
        "invite2@example.org",
    ]
    for message in mailoutbox:
        assert message.subject == "[Ti Lab] Atelier annulé : Makers & hôpitaux : l'après 2020"
        assert "prévu le mardi 18 juin 2030 est annulé" in message.body
        assert "La salle est inondée." in message.body
    # Written again (a retried event): nothing more is queued, nothing more leaves.
    assert emails.cancellation_emails_write(workshop=workshop, now=timezone.now()) == 3
    assert beat(minutes=10) == 0
    assert len(mailoutbox) == 3


def test_a_facilitator_message_reaches_seated_people_once_even_when_delivered_twice(
    facilitator, workshop, mailoutbox, run_tasks
):
    with run_tasks():
        for n in range(3):
            register_guest(workshop, n)
    mailoutbox.clear()  # the registrations' own e-mails

    with run_tasks():
        message = services.workshop_message_send(
            workshop=workshop,
            subject="Changement de salle",
            body="Rendez-vous salle B.",
            include_waitlist=False,
            by=facilitator,
            now=timezone.now(),
        )
    assert services.workshop_message_deliver(message=message, now=timezone.now()) == 0
    assert beat(minutes=10) == 0

    assert sorted(to(m) for m in mailoutbox) == ["invite0@example.org", "invite1@example.org"]
    email = mailoutbox[0]
    assert email.subject == "[Ti Lab] Changement de salle – Makers & hôpitaux : l'après 2020"
    assert "Rendez-vous salle B." in email.body
    assert email.reply_to == [facilitator.email]
    message.refresh_from_db()
    assert message.delivered_at is not None and message.recipient_count == 2


def test_a_message_may_include_the_waitlist(facilitator, workshop, mailoutbox, run_tasks):
    for n in range(3):
        register_guest(workshop, n)
    with run_tasks():
        services.workshop_message_send(
            workshop=workshop,
            subject="Objet",
            body="Texte",
            include_waitlist=True,
            by=facilitator,
            now=timezone.now(),
        )
    assert sorted(to(m) for m in mailoutbox) == [f"invite{n}@example.org" for n in range(3)]
    waiting = next(m for m in mailoutbox if to(m) == "invite2@example.org")
    assert "vous êtes en liste d'attente de cet atelier" in waiting.body


def test_a_confirmation_is_queued_once_even_when_written_twice(workshop, mailoutbox, run_tasks):
    with run_tasks():
        registration = register_guest(workshop, 1)
    emails.registration_email_write(registration=registration, kind="confirmed", now=timezone.now())

    assert (
        OutboxEmail.objects.filter(to="invite1@example.org", key__endswith=":confirmed").count()
        == 1
    )
    assert beat(minutes=10) == 0
    assert len(after_their_links(mailoutbox)) == 1


class FailingOnceBackend(EmailBackend):
    """A mail server that refuses the first e-mail, then accepts."""

    failures = 1

    def send_messages(self, messages):
        if FailingOnceBackend.failures:
            FailingOnceBackend.failures -= 1
            raise ConnectionRefusedError("serveur de courrier injoignable")
        return super().send_messages(messages)


def test_a_confirmation_refused_by_the_mail_server_is_retried_and_arrives_once(
    workshop, maker, settings, mailoutbox, run_tasks
):
    settings.EMAIL_BACKEND = f"{__name__}.FailingOnceBackend"
    FailingOnceBackend.failures = 1

    with run_tasks():
        # The worker's attempt is refused.
        services.registration_create(workshop=workshop, user=maker, now=timezone.now())

    assert (mail.outbox, FailingOnceBackend.failures) == ([], 0)
    assert beat() == 0  # not due before its back-off
    assert beat(minutes=2) == 1
    assert beat(minutes=60) == 0
    assert [to(m) for m in mail.outbox] == [maker.email]


# Reminders -------------------------------------------------------------------------------


def tomorrow_at(hour: int, days: int = 1) -> datetime.datetime:
    day = timezone.now().astimezone(PARIS).date() + datetime.timedelta(days=days)
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=PARIS)


def test_reminders_go_once_to_the_people_seated_at_tomorrows_workshops(
    facilitator, mailoutbox, run_tasks
):
    tomorrow = make_workshop(
        by=facilitator,
        capacity=2,
        starts_at=tomorrow_at(10),
        title="Demain",
        registration_deadline=tomorrow_at(9),
    )
    cancelled = make_workshop(
        by=facilitator,
        starts_at=tomorrow_at(15),
        title="Annulé",
        registration_deadline=tomorrow_at(9),
    )
    later = make_workshop(by=facilitator, starts_at=tomorrow_at(10, days=2), title="Après-demain")
    seated = [register_guest(tomorrow, n) for n in range(3)]  # the third one waits
    register_guest(cancelled, 5)
    register_guest(later, 6)
    services.workshop_cancel(
        workshop=cancelled, reason="Tempête", by=facilitator, now=timezone.now()
    )

    with run_tasks():
        assert tasks.workshop_reminders_send() == 2
    with run_tasks():
        assert tasks.workshop_reminders_send() == 0  # the next beat run

    assert sorted(to(m) for m in mailoutbox) == ["invite0@example.org", "invite1@example.org"]
    message = mailoutbox[0]
    assert message.subject == "[Ti Lab] Rappel : Demain, demain à 10:00"
    assert "l'atelier auquel vous êtes inscrit a lieu demain" in message.body
    path = urlsplit(cancel_link(message)).path
    assert services.registration_from_token(resolve(path).kwargs["token"]).email == to(message)
    assert Registration.objects.filter(reminder_sent_at__isnull=False).count() == 2
    assert Registration.objects.get(pk=seated[2].pk).reminder_sent_at is None


def test_the_beat_schedule_sends_reminders_every_quarter_hour_in_the_daytime(settings):
    from config.celery import app

    (entry,) = [
        entry
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "workshops.workshop_reminders_send"
    ]
    assert app.tasks[entry["task"]].name == tasks.workshop_reminders_send.name
    assert entry["schedule"].hour == set(range(8, 21))  # Paris time (CELERY_TIMEZONE)
    assert entry["schedule"].minute == {0, 15, 30, 45}
    assert settings.CELERY_TIMEZONE == "Europe/Paris"


def test_a_reminder_already_claimed_by_another_run_is_not_sent(facilitator, mailoutbox, run_tasks):
    workshop = make_workshop(
        by=facilitator, starts_at=tomorrow_at(10), registration_deadline=tomorrow_at(9)
    )
    first, second = register_guest(workshop, 1), register_guest(workshop, 2)
    # Another run wrote `first`'s reminder between this run's selection and its own claim.
    assert services.registration_reminder_send(registration=first, now=timezone.now())

    with run_tasks():
        assert tasks.workshop_reminders_send() == 1

    assert [to(m) for m in mailoutbox] == [second.email]


class RefusingBackend(EmailBackend):
    def send_messages(self, messages):
        raise ConnectionRefusedError("serveur de courrier injoignable")


def test_a_reminder_refused_by_the_mail_server_is_sent_later_once(
    facilitator, settings, mailoutbox, run_tasks
):
    workshop = make_workshop(
        by=facilitator, starts_at=tomorrow_at(10), registration_deadline=tomorrow_at(9)
    )
    with run_tasks():
        first, second = register_guest(workshop, 1), register_guest(workshop, 2)
    mailoutbox.clear()  # the confirmations
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"

    with run_tasks():
        assert tasks.workshop_reminders_send() == 2  # written, refused

    assert mailoutbox == []
    assert tasks.workshop_reminders_send() == 0  # claimed: never written twice
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert beat(minutes=2) == 2
    assert beat(minutes=60) == 0
    assert sorted(to(m) for m in mailoutbox) == [first.email, second.email]


# Privacy ---------------------------------------------------------------------------------


def test_no_e_mail_shows_another_persons_address(facilitator, mailoutbox, run_tasks):
    workshop = make_workshop(
        by=facilitator, capacity=2, starts_at=tomorrow_at(11), registration_deadline=tomorrow_at(9)
    )
    with run_tasks():
        registrations = [register_guest(workshop, n) for n in range(4)]
    with run_tasks():
        services.registration_cancel(registration=registrations[0], now=timezone.now())
    with run_tasks():
        services.workshop_message_send(
            workshop=workshop,
            subject="Objet",
            body="Texte",
            include_waitlist=True,
            by=facilitator,
            now=timezone.now(),
        )
    with run_tasks():
        tasks.workshop_reminders_send()
    with run_tasks():
        services.workshop_cancel(
            workshop=workshop, reason="Non", by=facilitator, now=timezone.now()
        )

    addresses = {r.email for r in registrations}
    assert len(mailoutbox) == 4 + 4 + 1 + 3 + 2 + 3  # the 4 links to confirm first
    for message in mailoutbox:
        assert len(message.to) == 1 and message.cc == [] and message.bcc == []
        (mine,) = message.to
        everything = message.message().as_string()
        assert [a for a in addresses - {mine} if a in everything] == []


def test_a_message_left_undelivered_is_delivered_once_by_beat(facilitator, mailoutbox, run_tasks):
    workshop = make_workshop(by=facilitator)
    register_guest(workshop, 1)
    # Recorded but never delivered (as the version before the outbox could leave one).
    message = WorkshopMessage.objects.create(
        workshop=workshop,
        subject="Changement de salle",
        body="Rendez-vous salle B.",
        include_waitlist=False,
        sent_by=facilitator,
        created_at=timezone.now() - datetime.timedelta(minutes=10),
    )

    with run_tasks():
        assert tasks.workshop_messages_requeue() == 1
    assert tasks.workshop_messages_requeue() == 0

    (sent,) = mailoutbox
    assert sent.subject.startswith("[Ti Lab] Changement de salle – ")
    message.refresh_from_db()
    assert message.delivered_at is not None and message.recipient_count == 1


def test_a_message_is_delivered_with_its_writing_and_left_alone_by_beat(facilitator, mailoutbox):
    workshop = make_workshop(by=facilitator)
    register_guest(workshop, 1)
    services.workshop_message_send(
        workshop=workshop,
        subject="Bienvenue",
        body="À bientôt.",
        include_waitlist=False,
        by=facilitator,
        now=timezone.now(),
    )
    assert tasks.workshop_messages_requeue() == 0
    assert OutboxEmail.objects.filter(subject__contains="Bienvenue").count() == 1
