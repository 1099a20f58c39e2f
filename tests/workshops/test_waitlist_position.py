"""The waitlist position, a rule written once (workshops/selectors.py): the pages, the API and
the e-mails all read it from there, so they all say the same number."""

import html

from django.urls import reverse
from django.utils import timezone

from tests.factories import make_workshop, register_guest
from workshops import emails, selectors, services
from workshops.models import Registration


def cancel(registration):
    services.registration_cancel(registration=registration, now=timezone.now())


def positions(workshop) -> dict[str, int | None]:
    """Every registration's position, as one registration and as a list (they must agree)."""
    one_by_one = {
        r.email: selectors.registration_waitlist_position(r)
        for r in Registration.objects.filter(workshop=workshop)
    }
    as_a_list = {
        r.email: r.waitlist_position
        for r in selectors.with_waitlist_position(Registration.objects.filter(workshop=workshop))
    }
    assert one_by_one == as_a_list
    return one_by_one


def test_positions_close_up_after_cancellations_and_promotions(facilitator):
    workshop = make_workshop(by=facilitator, capacity=1)
    guests = [register_guest(workshop, n) for n in range(1, 6)]
    assert positions(workshop) == {
        "invite1@example.org": None,
        "invite2@example.org": 1,
        "invite3@example.org": 2,
        "invite4@example.org": 3,
        "invite5@example.org": 4,
    }

    cancel(guests[2])  # the second person waiting leaves
    assert positions(workshop) == {
        "invite1@example.org": None,
        "invite2@example.org": 1,
        "invite3@example.org": None,
        "invite4@example.org": 2,
        "invite5@example.org": 3,
    }

    cancel(guests[0])  # the seat goes to the first person waiting
    assert positions(workshop) == {
        "invite1@example.org": None,
        "invite2@example.org": None,
        "invite3@example.org": None,
        "invite4@example.org": 1,
        "invite5@example.org": 2,
    }


def test_the_page_the_api_the_e_mail_and_the_facilitators_list_say_the_same_position(
    client, facilitator
):
    workshop = make_workshop(by=facilitator, capacity=1)
    guests = [register_guest(workshop, n) for n in range(1, 5)]
    cancel(guests[1])
    last = guests[3]
    assert selectors.registration_waitlist_position(last) == 2

    token = services.registration_cancel_token(last)
    page = client.get(reverse("workshops:registration_manage", kwargs={"token": token}))
    assert "Invité 4, vous êtes sur la liste d'attente, en position 2." in html.unescape(
        page.content.decode()
    )

    message = emails.registration_email(last, "waitlisted", language="fr")
    assert "en position 2." in message.body

    client.force_login(facilitator)
    rows = client.get(f"/api/v1/workshops/{workshop.pk}/registrations/").json()["results"]
    assert {r["email"]: r["position"] for r in rows}["invite4@example.org"] == 2
    listed = {r.email: r.waitlist_position for r in selectors.registrations_of(workshop)}
    assert listed["invite4@example.org"] == 2
