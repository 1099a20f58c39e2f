"""Needs, pledges and deliveries through the API: the board for everyone, posting without an
account, moderation, one's own pledges and deliveries, the establishment's confirmation by
token, what each role sees, and at what cost."""

import datetime

import pytest
from django.utils import timezone

from figures.models import DeliveredTotal
from makers.models import Membership, ProductionReport
from needs import services
from needs.models import Delivery, Establishment, Need, NeedMessage, Pledge
from tests.conftest import as_user, count_queries, ids, post
from tests.factories import (
    make_establishment,
    make_maker,
    make_need,
    make_organisation,
    make_user,
)
from tests.needs.helpers import deliver, pledge_for, validated
from tests.refusals import answered
from tilab import roles
from tilab.models import Decision

NEEDS = "/api/v1/needs/"
PLEDGES = "/api/v1/pledges/"
DELIVERIES = "/api/v1/deliveries/"
TODAY = timezone.localdate()

pytestmark = pytest.mark.django_db


def a_need_form(**overrides):
    return {
        "establishment_name": "EHPAD Les Tilleuls",
        "care_type": "ehpad",
        "department": "22",
        "commune": "Lannion",
        "item_type": "visor",
        "quantity": 120,
        "needed_by": (TODAY + datetime.timedelta(days=10)).isoformat(),
        "delivery_constraints": "Livraison à l'accueil, 9 h – 17 h.",
        "contact_name": "Claire Morvan",
        "contact_email": "cadre.sante@ehpad-tilleuls.example.org",
        **overrides,
    }


# --- The board --------------------------------------------------------------------------------


def test_anyone_lists_the_open_needs_soonest_first_without_any_contact(client, reference_data):
    later = make_need(needed_by=TODAY + datetime.timedelta(days=20))
    sooner = make_need(needed_by=TODAY + datetime.timedelta(days=3), contact_email="b@example.org")
    make_need(confirmed=False)
    services.need_withdraw(need=make_need(), now=timezone.now())

    response = client.get(NEEDS)

    assert ids(response) == [sooner.pk, later.pk]
    row = response.json()["results"][0]
    assert row["establishment"] == {
        "id": sooner.establishment_id,
        "name": "EHPAD Les Tilleuls",
        "care_type": "ehpad",
        "commune": "Rennes",
    }
    assert row["item_type"]["slug"] == "visor" and row["department"]["code"] == "35"
    assert (row["pledged"], row["received"], row["status"]) == (0, 0, "open")
    assert "contact" not in response.content.decode()
    assert "example.org" not in response.content.decode()


def test_the_board_filters_by_department_and_item(client, reference_data):
    rennes = make_need()
    lannion = make_need(establishment=make_establishment(department="22", commune="Lannion"))
    masks = make_need(item="fabric-mask", contact_email="m@example.org")

    assert ids(client.get(NEEDS, {"department": "22"})) == [lannion.pk]
    assert set(ids(client.get(NEEDS, {"item_type": "visor"}))) == {rennes.pk, lannion.pk}
    assert ids(client.get(NEEDS, {"item_type": "fabric-mask", "department": "35"})) == [masks.pk]
    assert ids(client.get(NEEDS, {"department": "99"})) == []


def test_only_the_networks_follow_up_lists_needs_in_another_state(
    client, reference_data, facilitator, maker
):
    make_need()
    unconfirmed = make_need(confirmed=False)

    assert ids(client.get(NEEDS, {"status": "unconfirmed"})) == []
    assert ids(as_user(client, maker).get(NEEDS, {"status": "unconfirmed"})) == []
    assert ids(as_user(client, facilitator).get(NEEDS, {"status": "unconfirmed"})) == [
        unconfirmed.pk
    ]


def test_a_need_shows_what_is_pledged_and_received(client, maker, relay_staff):
    validated(maker, relay_staff, 100)
    need = make_need(quantity=80)
    delivery = deliver(pledge_for(maker, need, 60), 40)
    services.delivery_confirm(
        token=services.delivery_confirm_token(delivery), confirmed_quantity=35, now=timezone.now()
    )

    body = client.get(f"{NEEDS}{need.pk}/").json()

    assert (body["quantity"], body["pledged"], body["received"]) == (80, 60, 35)
    assert body["page_url"].endswith(f"/besoins/{need.pk}/")
    assert "contact_email" not in body and "contact_name" not in body


def test_a_need_not_yet_confirmed_or_removed_is_not_found(client, facilitator):
    unconfirmed = make_need(confirmed=False)
    removed = services.need_remove(
        need=make_need(), reason="Doublon", by=facilitator, now=timezone.now()
    )

    assert client.get(f"{NEEDS}{unconfirmed.pk}/").status_code == 404
    assert client.get(f"{NEEDS}{removed.pk}/").status_code == 404
    assert as_user(client, facilitator).get(f"{NEEDS}{removed.pk}/").status_code == 200


# --- Posting a need ---------------------------------------------------------------------------


def test_anyone_posts_a_need_which_waits_for_its_contact(client, reference_data):
    response = post(client, NEEDS, a_need_form())

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "unconfirmed"
    assert body["establishment"]["name"] == "EHPAD Les Tilleuls"
    need = Need.objects.get()
    assert (need.department_id, need.quantity, need.created_by) == ("22", 120, None)
    assert need.contact_email == "cadre.sante@ehpad-tilleuls.example.org"
    assert ids(client.get(NEEDS)) == []


def test_a_signed_in_person_posting_with_their_own_address_is_published_at_once(client, maker):
    response = post(as_user(client, maker), NEEDS, a_need_form(contact_email="anne@example.org"))

    assert response.status_code == 201 and response.json()["status"] == "open"
    assert ids(client.get(NEEDS)) == [response.json()["id"]]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("needed_by", (TODAY - datetime.timedelta(days=1)).isoformat(), "La date souhaitée"),
        ("quantity", 0, "La quantité va de 1 à 100 000."),
        ("quantity", 100_001, "La quantité va de 1 à 100 000."),
        ("contact_email", "pas une adresse", None),
        ("item_type", "fusee", None),
        ("care_type", "garage", None),
        ("commune", "", None),
    ],
)
def test_a_need_with_bad_input_is_refused_naming_the_field(
    client, reference_data, field, value, message
):
    response = post(client, NEEDS, a_need_form(**{field: value}))

    assert response.status_code == 400
    assert field in response.json()
    if message:
        assert message in response.json()[field][0]
    assert not Need.objects.exists() and not Establishment.objects.exists()


def test_an_inactive_item_cannot_be_asked_for(client, reference_data):
    from makers.models import ItemType

    ItemType.objects.filter(slug="gown").update(is_active=False)

    response = post(client, NEEDS, a_need_form(item_type="gown"))

    assert response.status_code == 400 and "item_type" in response.json()


def test_posting_without_an_account_is_paced(client, reference_data):
    # THROTTLE_RATES["needs_post"]: ten an hour per account, or per address without one.
    answers = [
        post(client, NEEDS, a_need_form(contact_email=f"c{n}@example.org")).status_code
        for n in range(11)
    ]

    assert answers == [201] * 10 + [429]


# --- Moderation -------------------------------------------------------------------------------


def test_a_relay_removes_a_need_of_its_departments_with_a_reason(client, relay_staff):
    need = make_need()

    response = post(as_user(client, relay_staff), f"{NEEDS}{need.pk}/remove/", {"reason": "Spam"})

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "removed"
    assert Decision.objects.get(action="need_remove").motivation == "Spam"
    assert ids(client.get(NEEDS)) == []


def test_moderation_is_refused_to_others_and_the_need_stays(
    client, other_relay_staff, maker, facilitator
):
    need = make_need()
    url = f"{NEEDS}{need.pk}/remove/"

    assert post(client, url, {"reason": "Spam"}).status_code in (401, 403)
    assert post(as_user(client, maker), url, {"reason": "Spam"}).status_code == 403
    refused = post(as_user(client, other_relay_staff), url, {"reason": "Spam"})
    assert answered(refused, 403, "role_not_allowed")["detail"]
    assert Need.objects.get().status == Need.Status.OPEN

    as_user(client, facilitator)
    answered(post(client, url, {"reason": ""}), 400, "moderation_reason_missing", field="reason")
    assert post(client, url, {"reason": "Spam"}).status_code == 200
    again = post(client, url, {"reason": "Spam"})
    answered(again, 409, "need_already_removed")


# --- Pledges ----------------------------------------------------------------------------------


def test_a_maker_pledges_and_lists_only_their_own_pledges(client, maker):
    need = make_need(quantity=100)
    other = make_user(role=roles.MAKER, email="yann@example.org")
    make_maker(user=other, display_name="Yann Kerbrat")
    theirs = services.pledge_create(
        need=need, quantity=10, by=other, maker=other.maker, now=timezone.now()
    )
    as_user(client, maker)

    response = post(client, PLEDGES, {"need": need.pk, "quantity": 40, "message": "Jeudi"})

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["producer"] == {
        "maker": maker.maker.pk,
        "organisation": None,
        "name": "Anne Le Goff",
    }
    assert (body["quantity"], body["status"], body["need"]["id"]) == (40, "active", need.pk)
    assert ids(client.get(PLEDGES)) == [body["id"]]
    assert client.get(f"{PLEDGES}{theirs.pk}/").status_code == 404
    assert client.get(f"{NEEDS}{need.pk}/").json()["pledged"] == 50


def test_a_pledge_for_an_organisation_needs_membership_and_its_members_see_it(client, maker):
    need = make_need()
    organisation = make_organisation(name="LabFab de Rennes")
    colleague = make_user(role=roles.MAKER)
    colleague_maker = make_maker(user=colleague, display_name="Yann")
    Membership.objects.create(maker=colleague_maker, organisation=organisation)

    refused = post(
        as_user(client, maker), PLEDGES,
        {"need": need.pk, "quantity": 5, "organisation": organisation.pk},
    )  # fmt: skip
    assert refused.status_code == 403 and not Pledge.objects.exists()

    Membership.objects.create(maker=maker.maker, organisation=organisation)
    made = post(client, PLEDGES, {"need": need.pk, "quantity": 5, "organisation": organisation.pk})
    assert made.status_code == 201
    assert made.json()["producer"]["name"] == "LabFab de Rennes"
    assert ids(as_user(client, colleague).get(PLEDGES)) == [made.json()["id"]]


def test_pledging_is_refused_with_a_reason(client, maker, relay_staff):
    need = make_need()
    closed = make_need(contact_email="c@example.org", needed_by=TODAY)
    services.needs_close_due(now=timezone.now() + datetime.timedelta(days=2))
    unconfirmed = make_need(confirmed=False)

    assert post(client, PLEDGES, {"need": need.pk, "quantity": 5}).status_code in (401, 403)
    as_user(client, relay_staff)
    assert post(client, PLEDGES, {"need": need.pk, "quantity": 5}).status_code == 403
    as_user(client, maker)
    answered(
        post(client, PLEDGES, {"need": need.pk, "quantity": 0}),
        400,
        "quantity_out_of_range",
        field="quantity",
    )
    assert post(client, PLEDGES, {"need": unconfirmed.pk, "quantity": 5}).status_code == 400
    answered(post(client, PLEDGES, {"need": closed.pk, "quantity": 5}), 409, "need_not_open")
    assert post(client, PLEDGES, {"need": need.pk, "quantity": 5}).status_code == 201
    twice = post(client, PLEDGES, {"need": need.pk, "quantity": 5})
    answered(twice, 409, "already_pledged")
    assert Pledge.objects.count() == 1


def test_a_pledge_is_withdrawn_once_and_only_by_its_producer(client, maker):
    pledge = pledge_for(maker, make_need())
    stranger = make_user(role=roles.MAKER)
    make_maker(user=stranger, display_name="Inconnu")
    url = f"{PLEDGES}{pledge.pk}/withdraw/"

    assert post(as_user(client, stranger), url).status_code == 404
    as_user(client, maker)
    response = post(client, url)
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    assert post(client, url).status_code == 409


def test_a_producer_writes_to_the_establishment(client, maker):
    pledge = pledge_for(maker, make_need())
    stranger = make_user(role=roles.MAKER)
    url = f"{PLEDGES}{pledge.pk}/messages/"

    assert post(as_user(client, stranger), url, {"body": "Bonjour"}).status_code == 404
    as_user(client, maker)
    assert post(client, url, {"body": " "}).status_code == 400
    response = post(client, url, {"body": "Livraison jeudi à 14 h."})

    assert response.status_code == 201
    assert response.json()["from_establishment"] is False
    assert NeedMessage.objects.get().body == "Livraison jeudi à 14 h."


# --- Deliveries -------------------------------------------------------------------------------


def test_a_producer_records_a_delivery_within_what_they_produced(client, maker, relay_staff):
    validated(maker, relay_staff, 30)
    pledge = pledge_for(maker, make_need())
    as_user(client, maker)
    form = {"pledge": pledge.pk, "quantity": 31, "delivered_on": TODAY.isoformat()}

    beyond = post(client, DELIVERIES, form)
    answered(beyond, 409, "delivery_beyond_production")
    assert not Delivery.objects.exists()

    made = post(client, DELIVERIES, {**form, "quantity": 30})
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["quantity"], body["confirmed_quantity"], body["need"]["id"]) == (
        30, None, pledge.need_id,
    )  # fmt: skip
    assert ids(client.get(DELIVERIES)) == [body["id"]]
    assert client.get(f"{PLEDGES}{pledge.pk}/").json()["delivered"] == 30


def test_a_delivery_beyond_the_pledge_and_the_need_is_recorded_and_said(client, maker, relay_staff):
    validated(maker, relay_staff, 100)
    pledge = pledge_for(maker, make_need(quantity=50), 40)
    as_user(client, maker)
    form = {"pledge": pledge.pk, "quantity": 40, "delivered_on": TODAY.isoformat()}
    assert post(client, DELIVERIES, form).json()["beyond"] == []

    made = post(client, DELIVERIES, {**form, "quantity": 20})

    assert made.status_code == 201, made.content
    beyond = made.json()["beyond"]
    assert [(b["code"], b["delivered"], b["limit"]) for b in beyond] == [
        ("beyond_pledge", 60, 40),
        ("beyond_need", 60, 50),
    ]
    assert all(b["detail"] for b in beyond)
    assert Delivery.objects.count() == 2


def test_a_delivery_in_the_future_or_on_someone_elses_pledge_is_refused(client, maker, relay_staff):
    validated(maker, relay_staff, 30)
    pledge = pledge_for(maker, make_need())
    stranger = make_user(role=roles.MAKER)
    make_maker(user=stranger, display_name="Inconnu")
    form = {"pledge": pledge.pk, "quantity": 5, "delivered_on": TODAY.isoformat()}

    tomorrow = (TODAY + datetime.timedelta(days=1)).isoformat()
    future = post(as_user(client, maker), DELIVERIES, {**form, "delivered_on": tomorrow})
    assert future.status_code == 400 and "delivered_on" in future.json()
    foreign = post(as_user(client, stranger), DELIVERIES, form)
    assert foreign.status_code == 400 and "pledge" in foreign.json()
    assert not Delivery.objects.exists()


def test_someone_elses_delivery_is_not_found(client, maker, relay_staff):
    validated(maker, relay_staff, 30)
    delivery = deliver(pledge_for(maker, make_need()), 10)

    assert as_user(client, relay_staff).get(f"{DELIVERIES}{delivery.pk}/").status_code == 404
    assert ids(client.get(DELIVERIES)) == []


def test_the_establishment_confirms_a_delivery_with_its_token_without_an_account(
    client, maker, relay_staff
):
    report = validated(maker, relay_staff, 30)
    need = make_need(quantity=20, checked_by=relay_staff)
    delivery = deliver(pledge_for(maker, need, 20), 20)
    url = f"{DELIVERIES}{delivery.pk}/confirm/"
    token = services.delivery_confirm_token(delivery)

    response = post(client, url, {"token": token, "confirmed_quantity": 20})

    assert response.status_code == 200, response.content
    assert response.json()["confirmed_quantity"] == 20
    assert ProductionReport.objects.get(pk=report.pk).corroborated_at is not None
    assert DeliveredTotal.objects.get().quantity == 20
    assert Need.objects.get().status == Need.Status.FULFILLED

    again = post(client, url, {"token": token, "confirmed_quantity": 5})
    assert again.status_code == 200 and again.json() == response.json()
    assert (DeliveredTotal.objects.get().quantity, DeliveredTotal.objects.get().delivery_count) == (
        20, 1,
    )  # fmt: skip


def test_a_forged_or_borrowed_token_or_too_much_confirms_nothing(client, maker, relay_staff):
    validated(maker, relay_staff, 30)
    pledge = pledge_for(maker, make_need())
    delivery, other = deliver(pledge, 10), deliver(pledge, 5)
    url = f"{DELIVERIES}{delivery.pk}/confirm/"
    token = services.delivery_confirm_token(delivery)

    forged = post(client, url, {"token": token[:-3] + "abc", "confirmed_quantity": 10})
    answered(forged, 400, "link_invalid", field="token")
    borrowed = post(
        client, url, {"token": services.delivery_confirm_token(other), "confirmed_quantity": 5}
    )
    answered(borrowed, 400, "delivery_link_of_another_delivery", field="token")
    too_much = post(client, url, {"token": token, "confirmed_quantity": 11})
    body = answered(too_much, 400, "received_quantity_out_of_range", field="confirmed_quantity")
    assert "10" in body["detail"]
    assert post(client, url, {"token": token, "confirmed_quantity": -1}).status_code == 400

    assert not Delivery.objects.filter(confirmed_at__isnull=False).exists()
    assert not DeliveredTotal.objects.exists()


# --- Constant cost ----------------------------------------------------------------------------


def _network_up_to(count: int, *, maker, relay_staff) -> None:
    """Needs with pledges, deliveries (one confirmed each) and establishments of their own, so
    that a lazy relation anywhere would show up as extra queries."""
    while Pledge.objects.count() < count:
        n = Pledge.objects.count()
        validated(maker, relay_staff, 10)
        need = make_need(
            establishment=make_establishment(name=f"EHPAD {n}", department="22" if n % 2 else "35"),
            item="visor",
            contact_email=f"c{n}@example.org",
        )
        delivery = deliver(pledge_for(maker, need, 10), 10)
        services.delivery_confirm(
            token=services.delivery_confirm_token(delivery),
            confirmed_quantity=5,
            now=timezone.now(),
        )


@pytest.mark.parametrize("who", [None, "maker", "facilitator"])
def test_the_board_costs_the_same_queries_for_3_and_30_needs(
    client, request, maker, relay_staff, facilitator, who
):
    if who:
        as_user(client, request.getfixturevalue(who))
    costs = []
    for size in (3, 30):
        _network_up_to(size, maker=maker, relay_staff=relay_staff)
        costs.append(count_queries(client, NEEDS, expected=size))
    assert costs[0] == costs[1], costs


def test_ones_pledges_and_deliveries_cost_the_same_queries_for_3_and_30(client, maker, relay_staff):
    as_user(client, maker)
    costs = []
    for size in (3, 30):
        _network_up_to(size, maker=maker, relay_staff=relay_staff)
        costs.append(
            (
                count_queries(client, PLEDGES, expected=size),
                count_queries(client, DELIVERIES, expected=size),
            )
        )
    assert costs[0] == costs[1], costs
