"""A guest's registration waits for the link e-mailed to the address: until it is followed it
holds no seat and changes nothing anybody sees, so registering a stranger's address tells
nothing about that person, not even through the seats line when one seat is left. Followed,
it takes a seat, or a place in the waitlist if the workshop is full by then, and says which.
Links expire; housekeeping forgets what was never confirmed. The API does as the pages."""

import datetime
import html
import re
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from tests.conftest import as_user, post
from tests.factories import (
    confirm_link,
    confirm_token,
    make_user,
    make_workshop,
    register_and_confirm,
    register_guest,
)
from tests.refusals import answered, refused
from tilab.errors import BadInput, WrongState
from tilab.models import OutboxEmail
from workshops import selectors, services, tasks
from workshops.models import PendingRegistration, Registration, Workshop

pytestmark = pytest.mark.django_db
HOUR = datetime.timedelta(hours=1)
WORKSHOPS = "/api/v1/workshops/"
CONFIRM = "/api/v1/registrations/confirm/"
CSRF = re.compile(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+')


def page_of(client, workshop) -> str:
    """The workshop's public page as a visitor gets it, CSRF tokens (new each time) blanked."""
    response = client.get(reverse("workshops:detail", args=[workshop.pk]))
    assert response.status_code == 200
    return CSRF.sub(r"\1", response.content.decode())


def register_page(client, workshop, email: str, **extra):
    return client.post(
        reverse("workshops:register", args=[workshop.pk]), {"name": "X", "email": email}, **extra
    )


def text(response) -> str:
    return html.unescape(response.content.decode()).replace("\u202f", " ").replace("\u00a0", " ")


@pytest.fixture
def one_seat_left(facilitator):
    """Two seats; Invité 1 holds one (confirmed)."""
    workshop = make_workshop(by=facilitator, capacity=2)
    register_guest(workshop, 1)
    return workshop


# --- The side channel ------------------------------------------------------------------------


def test_with_one_seat_left_registering_an_attendee_or_a_new_address_leaves_the_page_as_it_was(
    one_seat_left,
):
    visitor = Client()
    before = page_of(visitor, one_seat_left)
    assert before == page_of(visitor, one_seat_left)  # the comparison itself is fair
    assert "places disponibles" in before

    answers = {}
    for who, email in (("attendee", "invite1@example.org"), ("new", "new@example.org")):
        for mode in ("page", "htmx"):
            extra = {"HTTP_HX_REQUEST": "true"} if mode == "htmx" else {}
            response = register_page(visitor, one_seat_left, email, **extra)
            answers[who, mode] = (
                response.status_code,
                CSRF.sub(r"\1", response.content.decode()).replace(email, "ADDRESS"),
            )
        assert page_of(visitor, one_seat_left) == before, who

    assert answers["attendee", "page"] == answers["new", "page"]
    assert answers["attendee", "htmx"] == answers["new", "htmx"]
    # The agenda reads the same too; nothing was taken.
    assert "places disponibles" in text(visitor.get(reverse("workshops:agenda")))
    assert one_seat_left.registrations.count() == 1
    # Only the mailboxes differ: the attendee is told they are registered, the new address
    # gets its link to confirm (once, however often asked that day).
    (already,) = OutboxEmail.objects.filter(to="invite1@example.org", key__contains=":already:")
    assert "déjà inscrite" in already.body
    (link,) = OutboxEmail.objects.filter(to="new@example.org")
    assert "/inscription/confirmer/" in link.body


def test_a_waiting_or_pending_address_gets_the_same_answer_as_a_new_one(facilitator):
    workshop = make_workshop(by=facilitator, capacity=1)
    register_guest(workshop, 1)
    register_guest(workshop, 2)  # waiting
    services.registration_create(
        workshop=workshop, now=timezone.now(), name="P", email="pending@example.org"
    )
    visitor = Client()
    before = page_of(visitor, workshop)
    answers = set()
    for email in ("invite1@example.org", "invite2@example.org", "pending@example.org", "n@x.org"):
        response = register_page(visitor, workshop, email)
        answers.add((response.status_code, text(response).replace(email, "ADDRESS")))
        answers = {(code, CSRF.sub(r"\1", body)) for code, body in answers}
        assert page_of(visitor, workshop) == before
    assert len(answers) == 1


def test_the_api_answers_the_same_for_a_new_pending_registered_or_waiting_address(
    client, facilitator
):
    workshop = make_workshop(by=facilitator, capacity=2)
    register_guest(workshop, 1)
    register_guest(workshop, 2)
    register_guest(workshop, 3)  # waiting
    url = f"{WORKSHOPS}{workshop.pk}/"
    before = client.get(url).json()
    answers = []
    for email in (
        "new@example.org",  # new
        "new@example.org",  # now pending
        "invite1@example.org",  # seated
        "invite3@example.org",  # waiting
    ):
        response = post(client, f"{url}register/", {"name": "X", "email": email})
        answers.append((response.status_code, {**response.json(), "email": "ADDRESS"}))
        assert client.get(url).json() == before
    assert all(answer == answers[0] for answer in answers)
    assert answers[0][0] == 202


# --- Confirmation -----------------------------------------------------------------------------


def test_following_the_link_takes_the_seat_and_says_so_by_page_and_e_mail(client, one_seat_left):
    register_page(client, one_seat_left, "Soizic@Example.org")
    path = urlparse(confirm_link(one_seat_left, "soizic@example.org")).path

    shown = client.get(path)
    assert "Confirmer mon inscription" in text(shown)
    assert not Registration.objects.filter(
        email="soizic@example.org"
    ).exists()  # GET changes nothing
    assert shown["Cache-Control"] == "no-store, private"
    confirmed = client.post(path)

    registration = Registration.objects.get(email="soizic@example.org")
    assert registration.status == "confirmed"
    assert "vous avez une place à cet atelier" in text(confirmed)
    (seat,) = OutboxEmail.objects.filter(to="soizic@example.org", key__endswith=":confirmed")
    assert "Votre place est réservée" in seat.body
    # The page now says the workshop is full.
    assert "complet – liste d'attente" in text(client.get(f"/workshops/{one_seat_left.pk}/"))


def test_a_seat_taken_while_the_guest_waited_sends_the_guest_to_the_waitlist(
    client, one_seat_left, maker
):
    services.registration_create(
        workshop=one_seat_left, now=timezone.now(), name="Soizic", email="soizic@example.org"
    )
    # The pending registration held nothing: an account takes the last seat meanwhile.
    assert services.registration_create(
        workshop=one_seat_left, user=maker, now=timezone.now()
    ).status == ("confirmed")

    confirmed = client.post(urlparse(confirm_link(one_seat_left, "soizic@example.org")).path)

    registration = Registration.objects.get(email="soizic@example.org")
    assert registration.status == "waitlisted"
    assert "vous êtes sur la liste d'attente, en position 1" in text(confirmed)
    (told,) = OutboxEmail.objects.filter(to="soizic@example.org", key__endswith=":waitlisted")
    assert "en position 1." in told.body


def test_confirming_twice_keeps_one_registration_and_one_e_mail(one_seat_left):
    services.registration_create(
        workshop=one_seat_left, now=timezone.now(), name="Soizic", email="soizic@example.org"
    )
    token = confirm_token(one_seat_left, "soizic@example.org")
    first = services.registration_confirm(token=token, now=timezone.now())
    again = services.registration_confirm(token=token, now=timezone.now() + HOUR)
    assert first == again
    assert Registration.objects.filter(email="soizic@example.org").count() == 1
    assert OutboxEmail.objects.filter(to="soizic@example.org").count() == 2  # link, seat


def test_a_cancelled_workshop_or_closed_registrations_take_no_confirmation(
    facilitator, one_seat_left
):
    for email in ("a@example.org", "b@example.org"):
        services.registration_create(
            workshop=one_seat_left, now=timezone.now(), name="X", email=email
        )
    # The deadline passed while the link waited.
    Workshop.objects.filter(pk=one_seat_left.pk).update(registration_deadline=timezone.now() - HOUR)
    with refused("registration_closed", kind=WrongState):
        services.registration_confirm(
            token=confirm_token(one_seat_left, "a@example.org"), now=timezone.now()
        )
    Workshop.objects.filter(pk=one_seat_left.pk).update(
        registration_deadline=one_seat_left.registration_deadline
    )
    services.workshop_cancel(
        workshop=one_seat_left, reason="Tempête", by=facilitator, now=timezone.now()
    )
    with refused("workshop_cancelled", kind=WrongState):
        services.registration_confirm(
            token=confirm_token(one_seat_left, "b@example.org"), now=timezone.now()
        )
    assert one_seat_left.registrations.count() == 1


def test_an_account_with_a_verified_address_takes_the_seat_at_once_and_an_unverified_one_confirms(
    client, one_seat_left
):
    verified = make_user(email="verifiee@example.org", full_name="Vérifiée")
    unverified = make_user(
        email="pas.verifiee@example.org", full_name="Pas Vérifiée", verified=False
    )

    seated = post(as_user(client, verified), f"{WORKSHOPS}{one_seat_left.pk}/register/")
    assert (seated.status_code, seated.json()["status"]) == (201, "confirmed")

    asked = post(as_user(client, unverified), f"{WORKSHOPS}{one_seat_left.pk}/register/")
    assert asked.status_code == 202
    assert asked.json()["email"] == "pas.verifiee@example.org"
    assert not Registration.objects.filter(user=unverified).exists()
    confirmed = post(Client(), CONFIRM, {"token": confirm_token(one_seat_left, unverified.email)})
    assert (confirmed.status_code, confirmed.json()["status"]) == (200, "waitlisted")
    assert Registration.objects.get(email=unverified.email).user == unverified


def test_the_api_confirms_as_the_link_does(client, one_seat_left):
    post(client, f"{WORKSHOPS}{one_seat_left.pk}/register/", {"name": "S", "email": "s@x.org"})
    token = confirm_token(one_seat_left, "s@x.org")

    answered(post(client, CONFIRM, {"token": token[:-3] + "abc"}), 400, "registration_link_invalid")
    first = post(client, CONFIRM, {"token": token})
    again = post(client, CONFIRM, {"token": token})

    assert (first.status_code, first.json()["status"], first.json()["position"]) == (
        200,
        "confirmed",
        None,
    )
    assert again.json() == first.json()
    assert first.json()["id"] == Registration.objects.get(email="s@x.org").pk


# --- Expiry and housekeeping ----------------------------------------------------------------


def test_a_link_not_followed_in_time_expires_and_asking_again_sends_a_new_one(
    client, one_seat_left
):
    hours = settings.TILAB_WORKSHOP_CONFIRM_HOURS
    assert hours == 48
    asked_at = timezone.now()
    services.registration_create(
        workshop=one_seat_left, now=asked_at, name="Soizic", email="soizic@example.org"
    )
    token = confirm_token(one_seat_left, "soizic@example.org")
    pending = PendingRegistration.objects.get(email="soizic@example.org")
    assert pending.expires_at == asked_at + hours * HOUR

    later = asked_at + hours * HOUR + datetime.timedelta(seconds=1)
    with refused("registration_link_expired", kind=WrongState):
        services.registration_confirm(token=token, now=later)
    # The page reads the clock: move the expiry behind it.
    PendingRegistration.objects.filter(pk=pending.pk).update(expires_at=timezone.now() - HOUR)
    response = client.get(reverse("workshops:registration_confirm", args=[token]))
    assert response.status_code == 400
    assert "Ce lien de confirmation a expiré" in text(response)
    answered(post(client, CONFIRM, {"token": token}), 409, "registration_link_expired")

    services.registration_create(
        workshop=one_seat_left, now=timezone.now(), name="Soizic", email="soizic@example.org"
    )
    fresh = confirm_token(one_seat_left, "soizic@example.org")
    assert fresh != token
    assert services.registration_confirm(token=fresh, now=timezone.now()).status == "confirmed"


def test_the_confirmation_hours_are_a_setting(settings, one_seat_left):
    settings.TILAB_WORKSHOP_CONFIRM_HOURS = 2
    now = timezone.now()
    services.registration_create(workshop=one_seat_left, now=now, name="S", email="s@x.org")
    assert PendingRegistration.objects.get(email="s@x.org").expires_at == now + 2 * HOUR


def test_housekeeping_forgets_expired_pending_registrations_and_keeps_live_ones(one_seat_left):
    now = timezone.now()
    for email, asked in (("old@x.org", now - 49 * HOUR), ("live@x.org", now - HOUR)):
        services.registration_create(workshop=one_seat_left, now=asked, name="X", email=email)
    register_and_confirm(one_seat_left, name="Done", email="done@x.org", now=now - 50 * HOUR)

    assert tasks.pending_registrations_prune.apply().get() == 2  # old, and done's trace
    # Invité 1's trace (confirmed within the hour) stays until its own expiry.
    assert sorted(PendingRegistration.objects.values_list("email", flat=True)) == [
        "invite1@example.org",
        "live@x.org",
    ]
    assert tasks.pending_registrations_prune.apply().get() == 0  # twice is harmless
    # The registration confirmed stays; only its link's trace went.
    assert Registration.objects.filter(email="done@x.org").exists()
    with refused("registration_link_invalid", kind=BadInput):
        services.registration_confirm(
            token=services.registration_confirm_token(
                PendingRegistration(pk=10**6, email="old@x.org")
            ),
            now=now,
        )


# --- Who sees what ------------------------------------------------------------------------


def test_facilitators_see_pending_registrations_counted_apart(
    client, facilitator, one_seat_left, maker
):
    for email in ("a@x.org", "b@x.org"):
        services.registration_create(
            workshop=one_seat_left, now=timezone.now(), name="X", email=email
        )

    as_user(client, facilitator)
    page = text(client.get(reverse("workshops:manage_detail", args=[one_seat_left.pk])))
    assert "2 inscriptions sans compte attendent leur confirmation par e-mail" in page
    assert "a@x.org" not in page  # not attendees: nothing of them is shown
    counted = client.get(f"{WORKSHOPS}{one_seat_left.pk}/").json()
    assert (counted["pending_count"], counted["seats_left"]) == (2, 1)
    assert (
        client.get(f"{WORKSHOPS}{one_seat_left.pk}/registrations/").json()["results"][0]["email"]
        == "invite1@example.org"
    )
    assert len(client.get(f"{WORKSHOPS}{one_seat_left.pk}/registrations/").json()["results"]) == 1

    as_user(client, maker)
    assert client.get(f"{WORKSHOPS}{one_seat_left.pk}/").json()["pending_count"] is None


def test_a_pending_registration_is_not_one_of_my_workshops(client, one_seat_left):
    person = make_user(email="pas.verifiee@example.org", verified=False)
    as_user(client, person)
    post(client, f"{WORKSHOPS}{one_seat_left.pk}/register/")
    assert client.get("/api/v1/registrations/").json()["results"] == []
    assert client.get(f"{WORKSHOPS}{one_seat_left.pk}/").json()["my_registration"] is None


# --- The e-mail, in both languages -------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "when", "page_label"),
    [
        ("fr", "Le mardi 18 juin 2030, de 14:30 à 16:30 (heure de Paris)", "Page de l'atelier :"),
        ("en", "On Tuesday 18 June 2030, from 14:30 to 16:30 (Paris time)", "Workshop page:"),
    ],
)
def test_the_link_is_e_mailed_in_the_language_the_guest_registered_in(
    facilitator, language, when, page_label
):
    paris = timezone.get_default_timezone()
    workshop = make_workshop(
        by=facilitator, starts_at=datetime.datetime(2030, 6, 18, 14, 30, tzinfo=paris)
    )
    with translation.override(language):
        services.registration_create(
            workshop=workshop, now=timezone.now(), name="Soizic", email="soizic@example.org"
        )

    (message,) = OutboxEmail.objects.filter(to="soizic@example.org")
    assert message.language == language
    assert when in message.body
    assert page_label in message.body
    assert "soizic@example.org" not in urlparse(confirm_link(workshop, "soizic@example.org")).path
    # Confirmed, the seat's e-mail follows in the same language.
    registration = services.registration_confirm(
        token=confirm_token(workshop, "soizic@example.org"), now=timezone.now()
    )
    seat = OutboxEmail.objects.get(key=f"workshops:registration:{registration.pk}:confirmed")
    assert seat.language == language and when in seat.body
    assert selectors.registration_waitlist_position(registration) is None
