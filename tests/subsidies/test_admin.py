"""The technical admin shows money records and changes none of them; bank details stay out."""

import pytest

from subsidies.models import Programme
from tests.factories import approve_all, make_programme, make_relay, region_controller


@pytest.fixture
def programme(region_staff, relay_staff):
    loch = make_relay(name="La Fabrique du Loch", departments=["56"])
    rennes = relay_staff.relays.get()
    return approve_all(
        make_programme(
            by=region_staff, relays=[rennes, loch], fixed_shares=[(rennes, 2), (loch, 1)]
        ),
        by=region_controller(),
    )


@pytest.mark.parametrize(
    "url",
    [
        "/admin/subsidies/programme/",
        "/admin/subsidies/redistribution/",
        "/admin/subsidies/ledgerentry/",
        "/admin/subsidies/payment/",
    ],
)
def test_money_lists_load_for_an_administrator(client, admin_user, programme, url):
    client.force_login(admin_user)
    assert client.get(url).status_code == 200


def test_an_administrator_cannot_add_or_change_a_programme(client, admin_user, programme):
    client.force_login(admin_user)
    assert client.get("/admin/subsidies/programme/add/").status_code == 403
    page = client.get(f"/admin/subsidies/programme/{programme.pk}/change/")
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    client.post(f"/admin/subsidies/programme/{programme.pk}/change/", {"name": "Autre nom"})
    assert Programme.objects.get(pk=programme.pk).name == programme.name
    assert client.get(f"/admin/subsidies/programme/{programme.pk}/delete/").status_code == 403


def test_bank_details_are_not_in_the_admin(client, admin_user):
    client.force_login(admin_user)
    assert client.get("/admin/subsidies/bankaccount/").status_code == 404
