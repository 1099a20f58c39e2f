"""The e-mails of needs and deliveries: who gets them, what they say, that neither side sees the
other's address, and that an event written twice queues one e-mail. Each is written to the
outbox with its event and sent once that commits (or by beat, `beat`)."""

import datetime
import re

import pytest
from django.utils import timezone

from needs import emails, services
from tests.factories import make_need, make_report, make_user
from tilab import outbox
from tilab.models import OutboxEmail

CONTACT = "cadre.sante@ehpad-tilleuls.example.org"
SITE = "https://tilab.example.org"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE


def beat() -> int:
    """Beat's run of the outbox, an hour from now (every back-off over); how many left."""
    return outbox.outbox_emails_send_due(now=timezone.now() + datetime.timedelta(hours=1))


def _everything(email) -> str:
    """Headers and body, as the recipient's mail program would see them."""
    return email.message().as_string() + email.body


def _link(email, prefix: str) -> str:
    """The path of the link of the e-mail that starts with SITE + prefix."""
    match = re.search(re.escape(SITE + prefix) + r"(\S+)/", email.body)
    assert match, email.body
    return prefix + match.group(1) + "/"


def test_posting_sends_the_contact_a_link_that_publishes_the_need(
    client, reference_data, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        need = make_need(confirmed=False)

    (email,) = mailoutbox
    assert email.to == [CONTACT]
    assert "Confirmez le besoin d'EHPAD Les Tilleuls" in email.subject
    client.post(_link(email, "/besoins/confirmer/"))
    need.refresh_from_db()
    assert need.status == "open"
    # The management link is queued with the confirmation itself, broker or not.
    assert OutboxEmail.objects.filter(key=f"needs:need:{need.pk}:manage", sent_at=None).exists()
    assert "100 × Visière de protection" in email.body
    assert email.extra_headers["Auto-Submitted"] == "auto-generated"


def test_a_need_published_at_once_gets_its_management_link(
    reference_data, django_capture_on_commit_callbacks, mailoutbox
):
    from needs.models import Need

    user = make_user(email="infirmier@clinique.example.org")
    with django_capture_on_commit_callbacks(execute=True):
        need = make_need(confirmed=False, by=user, contact_email=user.email)
    assert Need.objects.get(pk=need.pk).status == "open"
    email = mailoutbox[-1]
    assert email.to == [user.email]
    assert services.need_from_manage_token(_link(email, "/besoins/suivi/").split("/")[-2]) == need


def test_notifying_twice_sends_one_e_mail(
    reference_data, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        need = make_need(confirmed=False)
    mailoutbox.clear()
    emails.need_posted_email_write(need=need, now=timezone.now())  # already queued when posted
    assert beat() == 0
    assert mailoutbox == []


def test_a_pledge_tells_the_establishment_without_the_maker_s_address(
    maker, django_capture_on_commit_callbacks, mailoutbox
):
    need = make_need()
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        pledge = services.pledge_create(
            need=need,
            quantity=30,
            by=maker,
            maker=maker.maker,
            now=timezone.now(),
            message="Livraison possible jeudi",
        )

    (email,) = mailoutbox
    assert email.to == [CONTACT]
    assert "un maker s'engage à fournir 30" in email.body
    assert "Livraison possible jeudi" in email.body
    assert services.need_from_manage_token(_link(email, "/besoins/suivi/").split("/")[-2]) == need
    assert maker.email not in _everything(email) and "Anne Le Goff" not in email.body
    assert email.reply_to == []
    emails.pledge_email_write(pledge=pledge, now=timezone.now())
    assert OutboxEmail.objects.get(key=f"needs:pledge:{pledge.pk}").sent_at is not None
    assert len(mailoutbox) == 1


def test_a_delivery_asks_the_establishment_to_confirm_by_a_signed_link(
    maker, relay_staff, django_capture_on_commit_callbacks, mailoutbox
):
    make_report(maker=maker.maker, quantity=20, status="validated", decided_by=relay_staff)
    need = make_need()
    pledge = services.pledge_create(
        need=need, quantity=20, by=maker, maker=maker.maker, now=timezone.now()
    )
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        delivery = services.delivery_record(
            pledge=pledge,
            quantity=15,
            delivered_on=datetime.date.today(),
            by=maker,
            now=timezone.now(),
        )

    (email,) = mailoutbox
    assert email.to == [CONTACT]
    assert "déclare vous avoir livré 15" in email.body
    token = _link(email, "/besoins/livraisons/").split("/")[-2]
    assert services.delivery_from_token(token) == delivery
    assert maker.email not in _everything(email)

    emails.delivery_confirmation_email_write(delivery=delivery, now=timezone.now())
    assert OutboxEmail.objects.get(key=f"needs:delivery:{delivery.pk}").sent_at is not None
    assert len(mailoutbox) == 1


def test_messages_reach_the_other_side_and_never_show_an_address(
    maker, django_capture_on_commit_callbacks, mailoutbox
):
    need = make_need()
    pledge = services.pledge_create(
        need=need, quantity=5, by=maker, maker=maker.maker, now=timezone.now()
    )
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        to_maker = services.need_message_send(
            pledge=pledge,
            body="Merci ! Livrez à l'accueil.",
            from_establishment=True,
            now=timezone.now(),
        )
        services.need_message_send(
            pledge=pledge,
            body="Entendu, jeudi 14 h.",
            from_establishment=False,
            now=timezone.now(),
            by=maker,
        )

    first, second = mailoutbox
    assert first.to == [maker.email]
    assert "Merci ! Livrez à l'accueil." in first.body
    assert CONTACT not in _everything(first) and "Claire Morvan" not in first.body
    assert "/besoins/promesses/" in first.body
    assert second.to == [CONTACT]
    assert "Entendu, jeudi 14 h." in second.body
    assert maker.email not in _everything(second)
    assert first.reply_to == second.reply_to == []

    emails.message_email_write(message=to_maker, now=timezone.now())
    assert OutboxEmail.objects.get(key=f"needs:message:{to_maker.pk}").sent_at is not None
    assert len(mailoutbox) == 2


def test_a_need_posted_in_english_is_answered_in_english_and_confirmed_the_same(
    client, reference_data, django_capture_on_commit_callbacks, mailoutbox
):
    from django.utils import translation

    with django_capture_on_commit_callbacks(execute=True), translation.override("en"):
        need = make_need(confirmed=False)
    (email,) = mailoutbox
    assert email.subject.startswith("[Ti Lab] Confirm the need from EHPAD Les Tilleuls")

    # Confirmed from a French page: the management link still speaks the contact's language.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_link(email, "/besoins/confirmer/"))
    need.refresh_from_db()
    assert need.status == "open"
    assert OutboxEmail.objects.get(key=f"needs:need:{need.pk}:manage").language == "en"
