"""Posting a need e-mails the address typed in: the form is no spam relay. Posting is limited per
account and per address, an address gets few confirmation e-mails a day whoever posts, the
confirmation carries no text of the poster's but the establishment's name, and facilitators see
how much is posted."""

import pytest
from django.test import Client
from django.urls import reverse

from needs.models import Need
from tests.factories import make_personal_token, make_user
from tests.needs.helpers import need_post_form
from tilab.models import OutboxEmail

pytestmark = pytest.mark.django_db

STRANGER = "victime@example.org"


def _api_post(client, token, **changes):
    body = {
        "establishment_name": "EHPAD Les Tilleuls",
        "care_type": "ehpad",
        "department": "35",
        "commune": "Rennes",
        "item_type": "visor",
        "quantity": 20,
        "needed_by": "2999-01-01",
        "contact_name": "Claire",
        "contact_email": STRANGER,
        **changes,
    }
    return client.post(
        "/api/v1/needs/",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token}",
    )


def test_a_signed_in_person_cannot_post_needs_without_end(client, reference_data, settings):
    settings.TILAB_NEEDS_CONFIRMATIONS_PER_ADDRESS = 0  # this test is about the pace alone
    client.force_login(make_user())
    answers = [
        client.post(
            reverse("needs:post"), need_post_form(contact_email=f"c{n}@example.org")
        ).status_code
        for n in range(11)
    ]
    assert answers == [200] * 10 + [429]
    assert Need.objects.count() == 10


def test_the_page_and_the_api_count_one_account_together(client, reference_data, settings):
    settings.TILAB_NEEDS_CONFIRMATIONS_PER_ADDRESS = 0
    user = make_user()
    token = make_personal_token(user)
    client.force_login(user)
    for n in range(5):
        client.post(reverse("needs:post"), need_post_form(contact_email=f"p{n}@example.org"))
    answers = [
        _api_post(Client(), token, contact_email=f"a{n}@example.org").status_code for n in range(6)
    ]
    assert answers == [201] * 5 + [429]


def test_one_address_gets_few_confirmation_e_mails_a_day_whoever_posts(reference_data):
    answers = []
    for n in range(4):
        client = Client(REMOTE_ADDR=f"198.51.100.{n + 1}")
        client.force_login(make_user())
        answers.append(client.post(reverse("needs:post"), need_post_form(contact_email=STRANGER)))
    assert [a.status_code for a in answers] == [200, 200, 200, 409]
    assert "contact_email" in answers[3].context["form"].errors
    assert OutboxEmail.objects.filter(to=STRANGER).count() == 3


def test_the_api_refuses_a_busy_address_with_its_code(client, reference_data):
    token = make_personal_token(make_user())
    for _ in range(3):
        assert _api_post(client, token).status_code == 201
    response = _api_post(client, token)
    assert response.status_code == 409
    assert response.json()["code"] == "contact_email_busy"
    assert response.json()["field"] == "contact_email"


def test_ones_own_verified_address_is_not_counted(client, reference_data):
    user = make_user(email="cadre@ehpad.example.org")
    client.force_login(user)
    for _ in range(4):
        response = client.post(reverse("needs:post"), need_post_form(contact_email=user.email))
        assert response.status_code in (200, 302)
    assert Need.objects.filter(status="open").count() == 4


def test_the_confirmation_e_mail_carries_no_text_of_the_posters_but_the_establishment(
    client, reference_data
):
    client.post(
        reverse("needs:post"),
        need_post_form(
            contact_name="Gagnez 1000 euros sur casino.example",
            commune="Cliquez ici http://casino.example",
            delivery_constraints="Offre spéciale",
        ),
    )
    (email,) = OutboxEmail.objects.all()
    assert "EHPAD Les Tilleuls" in email.body
    for text in ("casino", "Gagnez", "Offre spéciale"):
        assert text not in email.body and text not in email.subject


def test_facilitators_see_how_many_needs_were_posted_and_by_whom(client, facilitator):
    poster = make_user(full_name="Paul Posteur")
    other = Client()
    other.force_login(poster)
    for n in range(2):
        other.post(reverse("needs:post"), need_post_form(contact_email=f"x{n}@example.org"))
    Client().post(reverse("needs:post"), need_post_form(contact_email="y@example.org"))

    client.force_login(facilitator)
    response = client.get(reverse("needs:follow_up"))
    posting = response.context["posting"]
    assert (posting["day"], posting["day_unconfirmed"], posting["week"]) == (3, 3, 3)
    assert [(p["created_by__full_name"], p["posted"]) for p in posting["posters"]] == [
        ("Paul Posteur", 2),
        (None, 1),
    ]
    assert "Paul Posteur" in response.content.decode()
