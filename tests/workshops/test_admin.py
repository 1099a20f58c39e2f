"""The technical admin edits themes, shows workshops and their records without changing them,
and shows a registrant's e-mail address to administrators only."""

import pytest

from tests.factories import make_workshop, register_guest
from workshops import services
from workshops.models import Registration, Theme

REGISTRATIONS = "/admin/workshops/registration/"


@pytest.fixture
def staff_reader_app():
    """What `staff_reader` may read in the admin."""
    return "workshops"


@pytest.fixture
def registration(facilitator):
    workshop = make_workshop(by=facilitator)
    services.synthesis_save(workshop=workshop, body="Texte", by=facilitator, now=workshop.starts_at)
    return register_guest(workshop, 1)


@pytest.mark.parametrize(
    "url",
    [
        "/admin/workshops/theme/",
        "/admin/workshops/workshop/",
        REGISTRATIONS,
        "/admin/workshops/workshopmessage/",
        "/admin/workshops/synthesis/",
    ],
)
def test_workshop_lists_load_for_an_administrator(client, admin_user, registration, url):
    client.force_login(admin_user)
    assert client.get(url).status_code == 200


def test_a_guest_address_shows_to_administrators_only(
    client, admin_user, staff_reader, registration
):
    change = f"{REGISTRATIONS}{registration.pk}/change/"
    client.force_login(staff_reader)
    for url in (REGISTRATIONS, change, f"{REGISTRATIONS}?q=invite1"):
        page = client.get(url)
        assert page.status_code == 200
        assert "invite1@example.org" not in page.content.decode()
    assert "Invité 1" in client.get(REGISTRATIONS).content.decode()
    assert "0 inscription" in client.get(f"{REGISTRATIONS}?q=invite1%40").content.decode()

    client.force_login(admin_user)
    assert "invite1@example.org" in client.get(REGISTRATIONS).content.decode()
    assert "invite1@example.org" in client.get(change).content.decode()


def test_registrations_and_workshops_do_not_change_in_the_admin(client, admin_user, registration):
    client.force_login(admin_user)
    change = f"{REGISTRATIONS}{registration.pk}/change/"
    assert b'name="_save"' not in client.get(change).content
    client.post(change, {"status": "cancelled", "name": "Autre"})
    assert Registration.objects.get(pk=registration.pk).status == "confirmed"
    assert client.get(f"{REGISTRATIONS}add/").status_code == 403
    assert client.get(f"{REGISTRATIONS}{registration.pk}/delete/").status_code == 403
    workshop = f"/admin/workshops/workshop/{registration.workshop_id}/change/"
    page = client.get(workshop).content.decode()
    assert registration.workshop.invitation_token not in page
    assert b'name="_save"' not in client.get(workshop).content


def test_an_administrator_adds_a_theme(client, admin_user):
    client.force_login(admin_user)
    client.post(
        "/admin/workshops/theme/add/",
        {"slug": "sante", "name_fr": "Santé", "name_en": "Health", "position": 9},
    )
    assert Theme.objects.get(slug="sante").name_en == "Health"
