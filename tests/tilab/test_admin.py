"""Administrators grant roles and set relay coverage in the admin; decisions stay read-only."""

import datetime

import pytest

from tests.factories import make_relay, make_report
from tilab.models import Decision, Department
from tilab.services import decision_record


@pytest.mark.parametrize(
    "url",
    [
        "/admin/tilab/user/",
        "/admin/tilab/user/add/",
        "/admin/tilab/department/",
        "/admin/tilab/decision/",
        "/admin/fablabs/organisation/",
        "/admin/makers/maker/",
        "/admin/makers/itemtype/",
        "/admin/makers/productionreport/",
        "/admin/makers/productionimport/",
        "/admin/fablabs/relay/",
    ],
)
def test_admin_pages_load(client, admin_user, url):
    make_relay(name="LabFab de Rennes", departments=["35"])
    client.force_login(admin_user)
    assert client.get(url).status_code == 200


def test_an_administrator_grants_a_role(client, admin_user, maker):
    from django.contrib.auth.models import Group

    client.force_login(admin_user)
    group = Group.objects.get(name="facilitator")
    response = client.post(
        f"/admin/tilab/user/{maker.pk}/change/",
        {
            "email": maker.email,
            "full_name": maker.full_name,
            "language": "fr",
            "groups": [group.pk],
            "is_active": "on",
            "last_login_0": "",
            "last_login_1": "",
            "date_joined_0": "2020-03-16",
            "date_joined_1": "10:00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(maker.groups.values_list("name", flat=True)) == ["facilitator"]


def test_decisions_cannot_be_changed_in_the_admin(client, admin_user):
    decision = decision_record(
        actor=admin_user,
        subject=Department.objects.get(code="56"),
        action="approve",
        now=datetime.datetime(2020, 5, 1, tzinfo=datetime.UTC),
    )
    client.force_login(admin_user)
    assert client.get(f"/admin/tilab/decision/{decision.pk}/delete/").status_code == 403
    client.post(f"/admin/tilab/decision/{decision.pk}/change/", {"motivation": "changed"})
    assert Decision.objects.get(pk=decision.pk).motivation == ""


def test_production_reports_are_read_only_in_the_admin(client, admin_user, maker):
    report = make_report(maker=maker.maker)
    client.force_login(admin_user)
    assert client.get(f"/admin/makers/productionreport/{report.pk}/change/").status_code == 200
    client.post(f"/admin/makers/productionreport/{report.pk}/delete/", {"post": "yes"})
    assert client.get("/admin/makers/productionreport/add/").status_code == 403
    report.refresh_from_db()


def test_staff_read_the_outbox_and_change_nothing(client, admin_user):
    from tilab.models import OutboxEmail

    client.force_login(admin_user)
    row = OutboxEmail.objects.create(
        key="test:1",
        to="anne@example.org",
        from_email="ne-pas-repondre@tilab.bzh",
        subject="Objet",
        body="Texte",
        language="fr",
        created_at=datetime.datetime(2020, 5, 1, tzinfo=datetime.UTC),
        due_at=datetime.datetime(2020, 5, 1, tzinfo=datetime.UTC),
    )
    listing = client.get("/admin/tilab/outboxemail/")
    assert listing.status_code == 200 and "anne@example.org" in listing.content.decode()
    assert client.get(f"/admin/tilab/outboxemail/{row.pk}/change/").status_code == 200
    assert client.post(f"/admin/tilab/outboxemail/{row.pk}/delete/").status_code == 403
    assert client.get("/admin/tilab/outboxemail/add/").status_code == 403
