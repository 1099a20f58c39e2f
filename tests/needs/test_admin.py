"""The technical admin corrects establishments, shows needs, pledges and deliveries without
changing them, and shows a need's contact to administrators only."""

import pytest
from django.utils import timezone

from needs import services
from tests.factories import make_need, make_report

CONTACT = "cadre.sante@ehpad-tilleuls.example.org"


@pytest.fixture
def staff_reader_app():
    """What `staff_reader` may read in the admin."""
    return "needs"


@pytest.fixture
def delivery(maker, relay_staff):
    make_report(maker=maker.maker, quantity=30, status="validated", decided_by=relay_staff)
    pledge = services.pledge_create(
        need=make_need(), quantity=20, by=maker, maker=maker.maker, now=timezone.now()
    )
    delivery = services.delivery_record(
        pledge=pledge, quantity=20, delivered_on=timezone.localdate(), by=maker, now=timezone.now()
    )
    services.need_message_send(
        pledge=pledge, body="Merci !", from_establishment=True, now=timezone.now()
    )
    return delivery


@pytest.mark.parametrize("model", ["establishment", "need", "pledge", "delivery", "needmessage"])
def test_every_list_and_record_opens_for_an_administrator(client, admin_user, delivery, model):
    client.force_login(admin_user)

    listed = client.get(f"/admin/needs/{model}/")
    assert listed.status_code == 200
    first = listed.context["cl"].result_list[0]
    assert client.get(f"/admin/needs/{model}/{first.pk}/change/").status_code == 200


def test_needs_pledges_and_deliveries_are_read_only_establishments_editable(
    client, admin_user, delivery
):
    client.force_login(admin_user)

    for model in ("need", "pledge", "delivery", "needmessage"):
        assert client.get(f"/admin/needs/{model}/add/").status_code == 403
    establishment = delivery.pledge.need.establishment
    response = client.post(
        f"/admin/needs/establishment/{establishment.pk}/change/",
        {
            "name": "EHPAD Les Tilleuls",
            "care_type": "ehpad",
            "commune": "Rennes",
            "department": "35",
        },
    )
    assert response.status_code == 302
    need = delivery.pledge.need
    client.post(f"/admin/needs/need/{need.pk}/change/", {"quantity": 1})
    need.refresh_from_db()
    assert need.quantity == 100


def test_a_needs_contact_shows_to_administrators_only(client, admin_user, staff_reader, delivery):
    need = delivery.pledge.need

    client.force_login(staff_reader)
    for url in ("/admin/needs/need/", f"/admin/needs/need/{need.pk}/change/"):
        response = client.get(url)
        assert response.status_code == 200
        assert "EHPAD Les Tilleuls" in response.content.decode()
        assert CONTACT not in response.content.decode()

    client.force_login(admin_user)
    assert CONTACT in client.get("/admin/needs/need/").content.decode()
    assert CONTACT in client.get(f"/admin/needs/need/{need.pk}/change/").content.decode()
