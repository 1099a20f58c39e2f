"""The network the recognition tests share: a small cast of organisations, makers, workshops
attended together and deliveries to the same recipient."""

from types import SimpleNamespace

import pytest
from django.utils import timezone

from makers.models import Membership
from tests.factories import (
    make_maker,
    make_organisation,
    make_report,
    make_user,
    make_workshop,
    register_guest,
)
from tilab import roles
from workshops import services as workshop_services


def _attend(workshop, facilitator, people, *, absent=(), guests=()):
    """Register these users (and guests), then mark who came."""
    now = timezone.now()

    def register(user):
        return workshop_services.registration_create(workshop=workshop, user=user, now=now).pk

    present = {register(user): True for user in people}
    present.update({register(user): False for user in absent})
    present.update({register_guest(workshop, n).pk: True for n in guests})
    workshop_services.attendance_record(
        workshop=workshop, attended=present, by=facilitator, now=workshop.starts_at
    )


@pytest.fixture
def cast(reference_data, facilitator, relay_staff):
    """Two organisations (one not public), four makers (one not public), two workshops, and
    deliveries to the CHU of Rennes spelt three ways."""
    lab_a = make_organisation(name="LabFab Atelier", department="35", commune="Rennes")
    lab_b = make_organisation(name="Lab Discret", department="29", is_public=False)
    users = {
        name: make_user(role=roles.MAKER, email=f"{name.lower()}@cast.example.org", full_name=name)
        for name in ["Anne", "Bob", "Claire", "Dan"]
    }
    anne = make_maker(user=users["Anne"], display_name="Anne Public", is_public=True)
    bob = make_maker(user=users["Bob"], display_name="Bob Public", is_public=True)
    claire = make_maker(user=users["Claire"], display_name="Claire Privée")
    dan = make_maker(user=users["Dan"], display_name="Dan Public", is_public=True, commune="Vitré")
    for maker, organisation in [(anne, lab_a), (bob, lab_a), (claire, lab_a), (anne, lab_b)]:
        Membership.objects.create(maker=maker, organisation=organisation)
    first = make_workshop(by=facilitator)
    _attend(first, facilitator, [users["Anne"], users["Dan"]], absent=[users["Bob"]], guests=[1])
    second = make_workshop(by=facilitator, title="Deuxième atelier")
    _attend(second, facilitator, [users["Anne"], users["Dan"]], guests=[2])
    make_report(
        maker=anne,
        organisation=lab_a,
        recipient="CHU Rennes",
        status="validated",
        decided_by=relay_staff,
    )
    make_report(maker=dan, recipient="C.H.U.  rennes", status="validated", decided_by=relay_staff)
    make_report(maker=bob, recipient="chu Rennes")  # submitted only: it does not count
    make_report(maker=claire, recipient="EHPAD de Bruz", status="validated", decided_by=relay_staff)
    return SimpleNamespace(lab_a=lab_a, lab_b=lab_b, anne=anne, bob=bob, claire=claire, dan=dan)
