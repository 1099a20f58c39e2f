"""Links e-mailed to people without an account are opaque and end with their purpose.

A token names an object and a digest of the address it went to, never the address (URLs travel
through histories, logs and Referer headers). A registration's link ends once the workshop is
over; a need's confirmation link a week after it was posted; its management link and a
delivery's some weeks after. Links made before tokens were opaque keep opening until then. A
contact who lost a link asks for new ones with the address; the answer says nothing of it.
"""

import base64
import datetime

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from needs import services as needs
from needs.models import Need
from tests.factories import make_need, make_workshop, register_guest
from tests.needs.helpers import deliver, pledge_for, validated
from tests.refusals import refused
from tests.workshops.conftest import moved_to_the_past
from tilab.errors import WrongState
from tilab.models import OutboxEmail
from workshops import services as workshops

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


def _readable(token: str) -> str:
    """What anyone reading the URL sees of a token: its payload, base64-decoded."""
    payload = token.split(":")[0]
    return base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode(errors="replace")


def test_no_link_carries_the_address_it_was_sent_to(facilitator, maker, relay_staff):
    registration = register_guest(make_workshop(by=facilitator), 1)
    need = make_need()
    validated(maker, relay_staff, 10)
    delivery = deliver(pledge_for(maker, need, 10), 5)
    for token in (
        workshops.registration_cancel_token(registration),
        needs.need_confirm_token(need),
        needs.need_manage_token(need),
        needs.delivery_confirm_token(delivery),
    ):
        assert "@" not in _readable(token)
        assert "example" not in _readable(token)


def test_a_registration_link_ends_once_the_workshop_is_over(client, facilitator):
    workshop = make_workshop(by=facilitator)
    registration = register_guest(workshop, 1)
    url = reverse(
        "workshops:registration_manage",
        args=[workshops.registration_cancel_token(registration)],
    )
    assert client.get(url).status_code == 200

    moved_to_the_past(workshop, days=1)  # started yesterday, over since
    response = client.get(url)
    assert response.status_code == 400
    assert "Ce lien a expiré" in response.content.decode()
    with refused("cancel_link_expired", kind=WrongState):
        workshops.registration_from_token(workshops.registration_cancel_token(registration))


def test_a_link_made_before_tokens_were_opaque_opens_until_its_natural_end(client, facilitator):
    workshop = make_workshop(by=facilitator)
    registration = register_guest(workshop, 1)
    legacy = signing.dumps(
        {"r": registration.pk, "e": registration.email}, salt=workshops.CANCEL_SALT
    )
    url = reverse("workshops:registration_manage", args=[legacy])
    assert client.get(url).status_code == 200
    # Another address in a legacy token opens nothing.
    forged = signing.dumps({"r": registration.pk, "e": "x@example.org"}, salt=workshops.CANCEL_SALT)
    assert client.get(reverse("workshops:registration_manage", args=[forged])).status_code == 400

    moved_to_the_past(workshop, days=1)
    assert client.get(url).status_code == 400

    need = make_need()
    old_manage = signing.dumps({"n": need.pk, "e": need.contact_email}, salt=needs.MANAGE_SALT)
    assert client.get(reverse("needs:manage", args=[old_manage])).status_code == 200


def test_a_need_s_management_link_ends_some_weeks_after_it_closed(client, settings):
    need = make_need()
    url = reverse("needs:manage", args=[needs.need_manage_token(need)])
    days = settings.TILAB_NEED_LINK_DAYS_AFTER_CLOSE

    Need.objects.filter(pk=need.pk).update(
        status="withdrawn", closed_at=timezone.now() - (days - 1) * DAY
    )
    assert client.get(url).status_code == 200
    Need.objects.filter(pk=need.pk).update(closed_at=timezone.now() - (days + 1) * DAY)
    response = client.get(url)
    assert response.status_code == 400
    assert "Ce lien a expiré" in response.content.decode()


def test_a_need_s_confirmation_link_ends_a_week_after_it_was_posted(client, reference_data):
    need = make_need(confirmed=False)
    url = reverse("needs:confirm", args=[needs.need_confirm_token(need)])
    assert client.get(url).status_code == 200
    Need.objects.filter(pk=need.pk).update(
        created_at=timezone.now() - (needs.CONFIRM_LINK_DAYS + 1) * DAY
    )
    assert client.get(url).status_code == 400
    assert client.post(url).status_code == 400
    assert Need.objects.get(pk=need.pk).status == "unconfirmed"


def test_a_delivery_s_link_ends_some_weeks_after_it_was_recorded(
    client, maker, relay_staff, settings
):
    validated(maker, relay_staff, 10)
    delivery = deliver(pledge_for(maker, make_need(), 10), 5)
    token = needs.delivery_confirm_token(delivery)
    assert client.get(reverse("needs:delivery_confirm", args=[token])).status_code == 200
    delivery.recorded_at -= (settings.TILAB_NEED_LINK_DAYS_AFTER_CLOSE + 1) * DAY
    delivery.save(update_fields=["recorded_at"])
    assert client.get(reverse("needs:delivery_confirm", args=[token])).status_code == 400


def test_a_contact_asks_for_the_links_of_their_needs_again(client, reference_data):
    need = make_need()
    OutboxEmail.objects.all().delete()
    url = reverse("needs:links_resend")

    known = client.post(url, {"email": need.contact_email.upper()})
    unknown = client.post(url, {"email": "personne@example.org"})

    assert known.status_code == unknown.status_code == 200
    (email,) = OutboxEmail.objects.all()
    assert email.to == need.contact_email
    assert reverse("needs:manage", args=[needs.need_manage_token(need)]) in email.body
    # Asked twice the same day: one e-mail.
    client.post(url, {"email": need.contact_email})
    assert OutboxEmail.objects.count() == 1


def test_asking_for_links_again_is_paced_per_address_signed_in_or_not(client, maker, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "needs_establishment": "2/hour"}
    client.force_login(maker)
    url = reverse("needs:links_resend")
    answers = [client.post(url, {"email": f"c{n}@example.org"}).status_code for n in range(3)]
    assert answers == [200, 200, 429]


# --- A need's links follow its contact address ---------------------------------------------

NEW_CONTACT = "accueil@ehpad-tilleuls.example.org"


def _change_contact(client, staff, need, email=NEW_CONTACT):
    client.force_login(staff)
    response = client.post(reverse("needs:contact_change", args=[need.pk]), {"email": email})
    client.logout()
    return response


def test_a_changed_contact_address_ends_the_old_links_and_mails_the_new_one_its_own(
    client, relay_staff
):
    need = make_need()
    old_manage = reverse("needs:manage", args=[needs.need_manage_token(need)])
    assert client.get(old_manage).status_code == 200
    OutboxEmail.objects.all().delete()

    assert _change_contact(client, relay_staff, need).status_code == 302

    assert client.get(old_manage).status_code == 400
    (email,) = OutboxEmail.objects.all()
    assert email.to == NEW_CONTACT
    assert "cadre.sante" not in email.body
    new_manage = reverse("needs:manage", args=[needs.need_manage_token(Need.objects.get())])
    assert new_manage in email.body and new_manage != old_manage
    assert client.get(new_manage).status_code == 200
    # Asking again: the new address gets the links, the old one nothing.
    OutboxEmail.objects.all().delete()
    client.post(reverse("needs:links_resend"), {"email": "cadre.sante@ehpad-tilleuls.example.org"})
    client.post(reverse("needs:links_resend"), {"email": NEW_CONTACT})
    assert [e.to for e in OutboxEmail.objects.all()] == [NEW_CONTACT]


def test_a_need_waiting_for_confirmation_sends_its_new_contact_the_confirmation_link(
    client, relay_staff
):
    need = make_need(confirmed=False)
    old_confirm = reverse("needs:confirm", args=[needs.need_confirm_token(need)])
    OutboxEmail.objects.all().delete()

    _change_contact(client, relay_staff, need)

    assert client.post(old_confirm).status_code == 400
    (email,) = OutboxEmail.objects.all()
    new_confirm = reverse("needs:confirm", args=[needs.need_confirm_token(Need.objects.get())])
    assert new_confirm in email.body
    client.post(new_confirm)
    assert Need.objects.get().status == "open"


def test_the_same_contact_address_again_changes_nothing_and_sends_nothing(relay_staff):
    need = make_need()
    token = needs.need_manage_token(need)
    OutboxEmail.objects.all().delete()
    needs.need_contact_change(
        need=need, email=need.contact_email.upper(), by=relay_staff, now=timezone.now()
    )
    assert not OutboxEmail.objects.exists()
    assert needs.need_from_manage_token(token).pk == need.pk


def test_a_contact_address_is_changed_only_to_an_address(relay_staff):
    need = make_need()
    with refused("email_invalid", field="email"):
        needs.need_contact_change(need=need, email="accueil", by=relay_staff, now=timezone.now())
    assert Need.objects.get().contact_email == need.contact_email


def test_the_change_is_recorded_without_either_address(client, relay_staff):
    from tilab.models import Decision

    need = make_need()
    _change_contact(client, relay_staff, need)
    (decision,) = Decision.objects.filter(action="need_contact_change")
    assert decision.actor == relay_staff
    recorded = " ".join(str(value) for value in vars(decision).values())
    assert "@" not in recorded


def test_the_api_changes_a_contact_address_as_the_page_does(client, relay_staff):
    need = make_need()
    old_manage = reverse("needs:manage", args=[needs.need_manage_token(need)])
    OutboxEmail.objects.all().delete()
    client.force_login(relay_staff)
    url = f"/api/v1/needs/{need.pk}/contact/"

    refused_answer = client.post(url, {"email": "accueil"}, content_type="application/json")
    answer = client.post(url, {"email": NEW_CONTACT}, content_type="application/json")

    assert (refused_answer.status_code, refused_answer.json()["code"]) == (400, "email_invalid")
    assert answer.status_code == 200
    assert "contact_email" not in answer.json()
    client.logout()
    assert client.get(old_manage).status_code == 400
    assert [e.to for e in OutboxEmail.objects.all()] == [NEW_CONTACT]
