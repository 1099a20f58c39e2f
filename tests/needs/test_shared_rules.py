"""Rules of the needs written once and read by the pages and the API alike: which pledges a
person sees, what a producer may still deliver, and posting a need."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from fablabs.models import Organisation
from makers.models import ItemType, Membership
from needs import selectors, services
from needs.models import Establishment, Need
from tests.factories import make_maker, make_need, make_organisation, make_report, make_user
from tests.needs.helpers import need_post_form
from tests.refusals import answered, refused
from tilab import roles
from tilab.errors import BadInput, WrongState


def now():
    return timezone.now()


def a_maker(email: str, name: str):
    user = make_user(role=roles.MAKER, email=email, full_name=name)
    make_maker(user=user, display_name=name)
    return user


def pledge(user, need, *, organisation: Organisation | None = None, quantity=10):
    producer = {"organisation": organisation} if organisation else {"maker": user.maker}
    return services.pledge_create(need=need, quantity=quantity, by=user, now=now(), **producer)


# --- Which pledges a person sees ----------------------------------------------------------------


@pytest.fixture
def pledges(maker):
    """Anne pledges as herself; Bruno, her fellow member of LabFab, for LabFab; Chloé, a maker
    of no organisation, as herself."""
    bruno = a_maker("bruno@example.org", "Bruno Kerhervé")
    chloe = a_maker("chloe@example.org", "Chloé Le Bihan")
    lab = make_organisation(name="LabFab")
    for user in (maker, bruno):
        Membership.objects.create(maker=user.maker, organisation=lab)
    need = make_need()
    return {
        "anne": pledge(maker, need),
        "lab": pledge(bruno, need, organisation=lab),
        "chloe": pledge(chloe, need),
        "bruno": bruno,
        "chloe_user": chloe,
    }


def seen(user, pledges) -> set[str]:
    names = {p.pk: name for name, p in pledges.items() if hasattr(p, "need_id")}
    return {names[p.pk] for p in selectors.pledges_of_user(user)}


def test_a_person_sees_their_own_pledges_and_their_organisations(
    pledges, maker, relay_staff, facilitator, region_staff, auditor
):
    assert seen(maker, pledges) == {"anne", "lab"}
    assert seen(pledges["bruno"], pledges) == {"lab"}
    assert seen(pledges["chloe_user"], pledges) == {"chloe"}
    for nobody in (relay_staff, facilitator, region_staff, auditor, AnonymousUser()):
        assert seen(nobody, pledges) == set()


def test_the_page_and_the_api_list_the_same_pledges(client, pledges, maker):
    client.force_login(maker)
    listed = {p["id"] for p in client.get("/api/v1/pledges/").json()["results"]}
    page = client.get("/besoins/promesses/").content.decode()

    assert listed == {pledges["anne"].pk, pledges["lab"].pk}
    assert all(f'id="promesse-{pk}"' in page for pk in listed)
    assert f'id="promesse-{pledges["chloe"].pk}"' not in page


# --- What a producer may still deliver ----------------------------------------------------------


def test_what_is_left_to_deliver_is_what_was_declared_less_what_was_delivered(maker):
    make_report(maker=maker.maker, quantity=30)
    need = make_need(quantity=100)
    promised = pledge(maker, need, quantity=100)
    key = (maker.maker.pk, None, need.item_type_id)

    output = selectors.producer_output(maker_id=maker.maker.pk, item_type_id=need.item_type_id)
    assert (output.produced, output.delivered, output.left) == (30, 0, 30)
    assert output.allows(30) and not output.allows(31)
    assert selectors.producer_outputs([key]) == {key: output}
    assert selectors.outputs_of([promised]) == {key: output}

    with refused("delivery_beyond_production", kind=WrongState, produced=30, delivered=0):
        services.delivery_record(
            pledge=promised, quantity=31, delivered_on=timezone.localdate(), by=maker, now=now()
        )
    services.delivery_record(
        pledge=promised, quantity=20, delivered_on=timezone.localdate(), by=maker, now=now()
    )
    output = selectors.producer_output(maker_id=maker.maker.pk, item_type_id=need.item_type_id)
    assert (output.produced, output.delivered, output.left) == (30, 20, 10)


def test_the_pledge_page_and_the_pledges_page_show_what_is_left(client, maker):
    make_report(maker=maker.maker, quantity=30)
    need = make_need(quantity=100)
    promised = pledge(maker, need, quantity=100)
    services.delivery_record(
        pledge=promised, quantity=12, delivered_on=timezone.localdate(), by=maker, now=now()
    )
    client.force_login(maker)
    other = make_need(quantity=50, contact_email="autre@example.org")

    pledging = client.get(f"/besoins/{other.pk}/promettre/").context["outputs"]
    listing = client.get("/besoins/promesses/").context["active"]

    assert [(row["produced"], row["delivered"], row["left"]) for row in pledging] == [(30, 12, 18)]
    assert [p.output.left for p in listing] == [18]


# --- Posting a need ------------------------------------------------------------------------------


def submitted(**changes):
    values = {
        "establishment_name": "EHPAD Les Tilleuls",
        "care_type": "ehpad",
        "department_id": "35",
        "commune": "Rennes",
        "item_type": ItemType.objects.get(slug="visor"),
        "quantity": 200,
        "needed_by": timezone.localdate() + datetime.timedelta(days=10),
        "contact_name": "Claire Morvan",
        "contact_email": "cadre.sante@ehpad-tilleuls.example.org",
        "now": now(),
        **changes,
    }
    return services.need_submit(**values)


def test_posting_a_need_finds_the_establishment_or_creates_it_once(reference_data):
    first, second = submitted(), submitted(quantity=50)

    assert first.establishment == second.establishment
    assert Establishment.objects.count() == 1
    assert first.status == Need.Status.UNCONFIRMED


def test_a_refused_need_leaves_no_establishment_behind(reference_data):
    with refused("needed_by_past", kind=BadInput):
        submitted(needed_by=timezone.localdate() - datetime.timedelta(days=1))

    assert not Establishment.objects.exists() and not Need.objects.exists()


def test_the_page_and_the_api_post_a_need_through_the_same_service(client, reference_data):
    past = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    page = client.post("/besoins/nouveau/", need_post_form(needed_by=past))
    api = client.post(
        "/api/v1/needs/",
        {
            **need_post_form(needed_by=past),
            "item_type": "visor",
        },
        content_type="application/json",
    )

    assert page.status_code == 400
    answered(api, 400, "needed_by_past")
    assert not Establishment.objects.exists()
