"""The rules of needs and deliveries, as the services hold them: each refusal leaves nothing
changed, confirmations are idempotent, and nothing delivered goes beyond what was produced."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from figures.models import DeliveredTotal
from makers.models import ItemType, Membership, ProductionReport
from makers.services import production_report_withdraw
from needs import selectors, services
from needs.models import Delivery, Establishment, Need, NeedMessage, Pledge
from tests.factories import (
    make_establishment,
    make_maker,
    make_need,
    make_organisation,
    make_report,
    make_user,
)
from tests.needs.helpers import confirm, deliver, pledge_for, validated
from tests.refusals import refused
from tilab import roles
from tilab.errors import BadInput, WrongState
from tilab.models import Decision

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
IN_TWO_WEEKS = TODAY + datetime.timedelta(days=14)


def now():
    return timezone.now()


def post(**overrides):
    values = {
        "establishment": make_establishment(),
        "item_type": ItemType.objects.get(slug="visor"),
        "quantity": 100,
        "needed_by": IN_TWO_WEEKS,
        "contact_name": "Claire Morvan",
        "contact_email": "cadre.sante@ehpad-tilleuls.example.org",
        "now": now(),
    }
    return services.need_post(**{**values, **overrides})


# --- Posting a need -------------------------------------------------------------------------


def test_a_need_posted_without_an_account_waits_for_its_contact_before_the_board_shows_it(
    reference_data,
):
    need = post()

    assert need.status == Need.Status.UNCONFIRMED and need.confirmed_at is None
    assert list(selectors.needs_open()) == []

    services.need_confirm(token=services.need_confirm_token(need), now=now())

    assert [n.pk for n in selectors.needs_open()] == [need.pk]


def test_a_need_posted_by_a_person_with_their_own_verified_address_is_open_at_once(maker):
    need = post(by=maker, contact_email="Anne@Example.org")

    assert need.status == Need.Status.OPEN
    assert need.created_by == maker and need.confirmed_at is not None


def test_a_need_posted_with_someone_elses_address_still_waits_for_that_address(maker):
    need = post(by=maker, contact_email="direction@ehpad.example.org")

    assert need.status == Need.Status.UNCONFIRMED


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"needed_by": TODAY - datetime.timedelta(days=1)}, "needed_by_past", "needed_by"),
        ({"quantity": 0}, "quantity_out_of_range", "quantity"),
        ({"quantity": 100_001}, "quantity_out_of_range", "quantity"),
        ({"quantity": "12"}, "quantity_out_of_range", "quantity"),
        ({"contact_name": "  "}, "contact_name_missing", "contact_name"),
        ({"contact_email": "claire.morvan"}, "email_invalid", "contact_email"),
    ],
)
def test_a_need_with_bad_input_is_refused_and_nothing_is_posted(
    reference_data, overrides, code, field
):
    with refused(code, kind=BadInput, field=field):
        post(**overrides)

    assert not Need.objects.exists()


def test_a_need_for_an_item_no_longer_offered_is_refused(reference_data):
    ItemType.objects.filter(slug="gown").update(is_active=False)

    with refused("item_type_not_offered", kind=BadInput, field="item_type"):
        post(item_type=ItemType.objects.get(slug="gown"))

    assert not Need.objects.exists()


def test_an_establishment_is_found_again_by_its_name_commune_and_department(reference_data):
    first = make_establishment(name="EHPAD Les Tilleuls", commune="Rennes")
    again = make_establishment(name="  EHPAD Les Tilleuls ", commune="Rennes")
    elsewhere = make_establishment(name="EHPAD Les Tilleuls", commune="Lannion", department="22")

    assert again.pk == first.pk and elsewhere.pk != first.pk
    assert Establishment.objects.count() == 2


def test_an_establishment_without_a_name_or_a_known_type_is_refused(reference_data):
    with refused("establishment_incomplete", kind=BadInput, field="establishment_name"):
        make_establishment(name=" ")
    with refused("care_type_unknown", kind=BadInput, field="care_type"):
        make_establishment(care_type="garage")

    assert not Establishment.objects.exists()


# --- Confirming, links ----------------------------------------------------------------------


def test_confirming_a_need_twice_changes_nothing(reference_data):
    need = post()
    token = services.need_confirm_token(need)
    first = services.need_confirm(token=token, now=now())

    again = services.need_confirm(token=token, now=now() + datetime.timedelta(hours=2))

    assert again.status == Need.Status.OPEN
    assert again.confirmed_at == first.confirmed_at


def test_a_forged_or_borrowed_link_confirms_nothing(reference_data):
    need = post()
    token = services.need_confirm_token(need)

    for forged in (token[:-2] + "xx", "n'importe quoi", services.need_manage_token(need)):
        with refused("link_invalid", kind=BadInput):
            services.need_confirm(token=forged, now=now())

    assert Need.objects.get().status == Need.Status.UNCONFIRMED


def test_a_link_stops_working_once_the_contact_address_changes(reference_data):
    need = post()
    token = services.need_manage_token(need)
    assert services.need_from_manage_token(token).pk == need.pk

    Need.objects.filter(pk=need.pk).update(contact_email="autre@example.org")

    with refused("link_invalid", kind=BadInput):
        services.need_from_manage_token(token)


def test_a_forged_delivery_link_finds_no_delivery(reference_data):
    with refused("link_invalid", kind=BadInput):
        services.delivery_from_token("1:forged:token")


# --- Withdrawing, moderating, closing -------------------------------------------------------


def test_the_establishment_withdraws_its_need_once(reference_data):
    need = make_need()

    withdrawn = services.need_withdraw(need=need, now=now())

    assert withdrawn.status == Need.Status.WITHDRAWN and withdrawn.closed_at is not None
    with refused("need_already_closed", kind=WrongState):
        services.need_withdraw(need=need, now=now())
    assert list(selectors.needs_open()) == []


def test_a_facilitator_removes_a_need_and_the_decision_is_recorded(facilitator):
    need = make_need()

    removed = services.need_remove(
        need=need, reason="Pas un établissement de soins", by=facilitator, now=now()
    )

    assert removed.status == Need.Status.REMOVED
    decision = Decision.objects.get(action="need_remove")
    assert (decision.actor, decision.object_id) == (facilitator, str(need.pk))
    assert (decision.from_state, decision.to_state) == ("open", "removed")
    assert decision.motivation == "Pas un établissement de soins"


def test_the_relay_covering_the_department_may_remove_a_need(relay_staff):
    need = make_need(establishment=make_establishment(department="22", commune="Lannion"))

    services.need_remove(need=need, reason="Doublon", by=relay_staff, now=now())

    assert Need.objects.get().status == Need.Status.REMOVED


@pytest.mark.parametrize("who", ["other_relay_staff", "maker", "region_staff"])
def test_nobody_else_removes_a_need_and_it_stays_open(request, who):
    person = request.getfixturevalue(who)
    need = make_need()  # in Ille-et-Vilaine (35)

    with pytest.raises(PermissionDenied):
        services.need_remove(need=need, reason="Doublon", by=person, now=now())

    assert Need.objects.get().status == Need.Status.OPEN
    assert not Decision.objects.filter(action="need_remove").exists()


def test_a_removal_needs_a_reason_and_happens_once(facilitator):
    need = make_need()

    with refused("moderation_reason_missing", kind=BadInput):
        services.need_remove(need=need, reason="  ", by=facilitator, now=now())
    assert Need.objects.get().status == Need.Status.OPEN

    services.need_remove(need=need, reason="Doublon", by=facilitator, now=now())
    with refused("need_already_removed", kind=WrongState):
        services.need_remove(need=need, reason="Doublon", by=facilitator, now=now())
    assert Decision.objects.filter(action="need_remove").count() == 1


def test_the_beat_closes_only_the_open_needs_whose_date_has_passed(reference_data):
    soon = make_need(needed_by=TODAY + datetime.timedelta(days=1))
    later = make_need(needed_by=TODAY + datetime.timedelta(days=10), contact_email="b@example.org")
    unconfirmed = make_need(needed_by=TODAY + datetime.timedelta(days=1), confirmed=False)
    withdrawn = services.need_withdraw(
        need=make_need(needed_by=TODAY + datetime.timedelta(days=1)), now=now()
    )
    three_days_on = now() + datetime.timedelta(days=3)

    assert services.needs_close_due(now=three_days_on) == 1
    assert services.needs_close_due(now=three_days_on) == 0

    statuses = dict(Need.objects.values_list("pk", "status"))
    assert statuses == {
        soon.pk: Need.Status.EXPIRED,
        later.pk: Need.Status.OPEN,
        unconfirmed.pk: Need.Status.UNCONFIRMED,
        withdrawn.pk: Need.Status.WITHDRAWN,
    }


# --- Pledges --------------------------------------------------------------------------------


def test_a_maker_pledges_part_of_an_open_need_and_the_board_shows_it(maker):
    need = make_need(quantity=100)

    pledge = pledge_for(maker, need, 40)

    assert (pledge.maker, pledge.status, pledge.quantity) == (maker.maker, "active", 40)
    assert selectors.needs_open().get().pledged == 40


@pytest.mark.parametrize("state", ["unconfirmed", "withdrawn", "expired"])
def test_nobody_pledges_for_a_need_that_is_not_open(maker, state):
    need = make_need(confirmed=state != "unconfirmed")
    if state != "unconfirmed":
        Need.objects.filter(pk=need.pk).update(status=state)

    with refused("need_not_open", kind=WrongState):
        pledge_for(maker, need)

    assert not Pledge.objects.exists()


def test_a_producer_pledges_once_per_need_until_it_withdraws(maker):
    need = make_need()
    first = pledge_for(maker, need)

    with refused("already_pledged", kind=WrongState):
        pledge_for(maker, need, 10)
    assert Pledge.objects.count() == 1

    services.pledge_withdraw(pledge=first, by=maker, now=now())
    second = pledge_for(maker, need, 10)
    assert second.status == Pledge.Status.ACTIVE
    assert selectors.needs_open().get().pledged == 10


def test_only_makers_pledge_and_only_for_themselves(maker, relay_staff):
    need = make_need()
    other = make_maker(
        user=make_user(role=roles.MAKER, email="yann@example.org"), display_name="Yann"
    )

    with pytest.raises(PermissionDenied):
        services.pledge_create(need=need, quantity=5, by=relay_staff, maker=other, now=now())
    with pytest.raises(PermissionDenied):
        services.pledge_create(need=need, quantity=5, by=maker, maker=other, now=now())

    assert not Pledge.objects.exists()


def test_a_maker_pledges_for_an_organisation_only_if_a_member(maker):
    need = make_need()
    theirs, stranger = make_organisation(name="LabFab"), make_organisation(name="Autre FabLab")
    Membership.objects.create(maker=maker.maker, organisation=theirs)

    with pytest.raises(PermissionDenied):
        services.pledge_create(need=need, quantity=5, by=maker, organisation=stranger, now=now())
    pledge = services.pledge_create(need=need, quantity=5, by=maker, organisation=theirs, now=now())

    assert pledge.producer_name == "LabFab"
    assert list(Pledge.objects.values_list("organisation", flat=True)) == [theirs.pk]


def test_a_pledge_names_exactly_one_producer_and_a_bounded_quantity(maker):
    need = make_need()
    organisation = make_organisation()
    Membership.objects.create(maker=maker.maker, organisation=organisation)

    with refused("producer_ambiguous", kind=BadInput):
        services.pledge_create(
            need=need, quantity=5, by=maker, maker=maker.maker, organisation=organisation,
            now=now(),
        )  # fmt: skip
    with refused("quantity_out_of_range", kind=BadInput):
        pledge_for(maker, need, 0)

    assert not Pledge.objects.exists()


def test_a_pledge_is_withdrawn_by_its_producer_once_and_never_after_a_delivery(maker, relay_staff):
    validated(maker, relay_staff, quantity=30)
    stranger = make_user(role=roles.MAKER)
    make_maker(user=stranger, display_name="Inconnu")
    delivered = pledge_for(maker, make_need())
    deliver(delivered, 10)
    empty = pledge_for(maker, make_need(contact_email="autre@example.org"))

    with pytest.raises(PermissionDenied):
        services.pledge_withdraw(pledge=empty, by=stranger, now=now())
    with refused("pledge_has_delivery", kind=WrongState):
        services.pledge_withdraw(pledge=delivered, by=maker, now=now())
    services.pledge_withdraw(pledge=empty, by=maker, now=now())
    with refused("pledge_already_withdrawn", kind=WrongState):
        services.pledge_withdraw(pledge=empty, by=maker, now=now())

    assert dict(Pledge.objects.values_list("pk", "status")) == {
        delivered.pk: Pledge.Status.ACTIVE,
        empty.pk: Pledge.Status.WITHDRAWN,
    }


# --- Deliveries: never above what was produced ----------------------------------------------


def test_only_submitted_and_validated_reports_count_towards_what_may_be_delivered(
    maker, relay_staff
):
    make_report(maker=maker.maker, quantity=10)  # submitted
    validated(maker, relay_staff, quantity=20)
    make_report(maker=maker.maker, quantity=50, status="rejected", decided_by=relay_staff)
    production_report_withdraw(
        report=make_report(maker=maker.maker, quantity=40), by=maker, now=now()
    )
    make_report(maker=maker.maker, item="fabric-mask", quantity=500)
    pledge = pledge_for(maker, make_need(quantity=100), 100)

    assert selectors.producer_output(
        maker_id=maker.maker.pk, item_type_id=pledge.need.item_type_id
    ) == (30, 0)
    with refused("delivery_beyond_production", kind=WrongState, produced=30, delivered=0):
        deliver(pledge, 31)
    assert not Delivery.objects.exists()

    deliver(pledge, 30)
    assert selectors.producer_output(
        maker_id=maker.maker.pk, item_type_id=pledge.need.item_type_id
    ) == (30, 30)


def test_what_was_delivered_to_other_needs_counts_too(maker, relay_staff):
    validated(maker, relay_staff, quantity=50)
    first = pledge_for(maker, make_need())
    second = pledge_for(maker, make_need(contact_email="autre@example.org"))
    deliver(first, 40)

    with refused("delivery_beyond_production", kind=WrongState, delivered=40):
        deliver(second, 11)

    deliver(second, 10)
    assert Delivery.objects.count() == 2


def test_an_organisations_deliveries_count_its_reports_not_its_members_own(maker, relay_staff):
    organisation = make_organisation(name="LabFab", department="35")
    Membership.objects.create(maker=maker.maker, organisation=organisation)
    validated(maker, relay_staff, quantity=25, organisation=organisation)
    validated(maker, relay_staff, quantity=70)  # in Anne's own name
    need = make_need()
    pledge = services.pledge_create(
        need=need, quantity=50, by=maker, organisation=organisation, now=now()
    )

    with refused("delivery_beyond_production", kind=WrongState, produced=25):
        deliver(pledge, 26, by=maker)
    deliver(pledge, 25, by=maker)

    # And Anne's own deliveries do not count the organisation's reports.
    own = pledge_for(maker, make_need(contact_email="autre@example.org"), 100)
    with refused("delivery_beyond_production", kind=WrongState, produced=70):
        deliver(own, 71)


def test_a_delivery_in_the_future_or_on_a_withdrawn_pledge_or_by_someone_else_is_refused(
    maker, relay_staff
):
    validated(maker, relay_staff, quantity=50)
    pledge = pledge_for(maker, make_need())
    stranger = make_user(role=roles.MAKER)

    with refused("delivered_on_in_future", kind=BadInput):
        deliver(pledge, 5, on=TODAY + datetime.timedelta(days=1))
    with pytest.raises(PermissionDenied):
        deliver(pledge, 5, by=stranger)
    services.pledge_withdraw(pledge=pledge, by=maker, now=now())
    with refused("pledge_withdrawn", kind=WrongState):
        deliver(pledge, 5)

    assert not Delivery.objects.exists()


def test_a_delivery_beyond_the_pledge_is_taken_and_says_so_with_the_numbers(maker, relay_staff):
    validated(maker, relay_staff, quantity=100)
    pledge = pledge_for(maker, make_need(quantity=100), 40)

    assert deliver(pledge, 30).beyond == []
    beyond = deliver(pledge, 30).beyond

    assert [(b.code, b.delivered, b.limit) for b in beyond] == [("beyond_pledge", 60, 40)]
    assert str(beyond[0].message) == "Vous avez livré 60 pour une promesse de 40."
    assert Delivery.objects.count() == 2


def test_deliveries_beyond_the_need_are_taken_and_say_so(maker, relay_staff):
    yann = make_user(role=roles.MAKER)
    make_maker(user=yann, display_name="Yann Guéguen")
    validated(maker, relay_staff, quantity=100)
    validated(yann, relay_staff, quantity=100)
    need = make_need(quantity=50)
    deliver(pledge_for(maker, need, 40), 40)

    beyond = deliver(pledge_for(yann, need, 20), 20).beyond

    assert [(b.code, b.delivered, b.limit) for b in beyond] == [("beyond_need", 60, 50)]
    assert Delivery.objects.count() == 2


# --- Confirming a delivery ------------------------------------------------------------------


def test_the_establishment_confirms_at_most_what_was_delivered(maker, relay_staff):
    report = validated(maker, relay_staff, quantity=30)
    delivery = deliver(pledge_for(maker, make_need()), 20)

    for wrong in (21, -1, "20"):
        with refused("received_quantity_out_of_range", kind=BadInput, max=20):
            confirm(delivery, wrong)

    delivery.refresh_from_db()
    assert delivery.confirmed_at is None and delivery.confirmed_quantity is None
    assert not DeliveredTotal.objects.exists()
    report.refresh_from_db()
    assert report.corroborated_at is None


def test_a_confirmation_corroborates_the_oldest_matching_reports_up_to_the_quantity(
    maker, relay_staff
):
    def on(day):
        return datetime.date(2020, 4, day)

    oldest = validated(maker, relay_staff, quantity=10, produced_on=on(1))
    second = make_report(maker=maker.maker, quantity=10, produced_on=on(3))  # submitted
    third = validated(maker, relay_staff, quantity=10, produced_on=on(5))
    after_delivery = validated(maker, relay_staff, quantity=10, produced_on=on(20))
    other_item = make_report(maker=maker.maker, item="fabric-mask", quantity=50, produced_on=on(1))
    rejected = make_report(
        maker=maker.maker, quantity=10, produced_on=on(1), status="rejected", decided_by=relay_staff
    )
    yann = make_maker(user=make_user(role=roles.MAKER), display_name="Yann Kerbrat")
    someone_elses = make_report(maker=yann, quantity=10, produced_on=on(1))
    delivery = deliver(pledge_for(maker, make_need(checked_by=relay_staff)), 30, on=on(10))

    confirm(delivery, 15)

    corroborated = set(
        ProductionReport.objects.filter(corroborated_at__isnull=False).values_list("pk", flat=True)
    )
    assert corroborated == {oldest.pk, second.pk}
    untouched = {third, after_delivery, other_item, rejected, someone_elses}
    assert not corroborated & {report.pk for report in untouched}


def test_a_confirmation_adds_to_the_delivered_totals_of_the_needs_department_once(
    maker, relay_staff
):
    validated(maker, relay_staff, quantity=60)
    need = make_need(establishment=make_establishment(department="22", commune="Lannion"))
    delivery = deliver(pledge_for(maker, need), 25)

    first = confirm(delivery, 20)
    again = confirm(delivery, 25)

    assert (again.confirmed_quantity, again.confirmed_at) == (20, first.confirmed_at)
    total = DeliveredTotal.objects.get()
    assert (total.department_id, total.item_type.slug) == ("22", "visor")
    assert (total.quantity, total.delivery_count) == (20, 1)


def test_a_need_is_fulfilled_once_it_received_its_quantity(maker, relay_staff):
    validated(maker, relay_staff, quantity=100)
    need = make_need(quantity=50)
    pledge = pledge_for(maker, need, 50)
    first, second = deliver(pledge, 30), deliver(pledge, 20)

    confirm(first, 30)
    assert Need.objects.get().status == Need.Status.OPEN

    confirm(second, 20)
    need.refresh_from_db()
    assert need.status == Need.Status.FULFILLED and need.closed_at is not None
    assert list(selectors.needs_open()) == []


def test_a_delivery_confirmed_short_does_not_fulfil_the_need(maker, relay_staff):
    validated(maker, relay_staff, quantity=100)
    need = make_need(quantity=50)
    delivery = deliver(pledge_for(maker, need, 50), 50)

    confirm(delivery, 45)

    assert Need.objects.get().status == Need.Status.OPEN
    assert DeliveredTotal.objects.get().quantity == 45


def test_nothing_received_confirms_the_delivery_without_counting_anything(maker, relay_staff):
    report = validated(maker, relay_staff, quantity=30)
    delivery = deliver(pledge_for(maker, make_need()), 20)

    confirmed = confirm(delivery, 0)

    assert confirmed.confirmed_quantity == 0 and confirmed.confirmed_at is not None
    assert not DeliveredTotal.objects.exists()
    report.refresh_from_db()
    assert report.corroborated_at is None


def test_a_forged_confirmation_link_confirms_nothing(maker, relay_staff):
    validated(maker, relay_staff, quantity=30)
    delivery = deliver(pledge_for(maker, make_need()), 20)
    token = services.delivery_confirm_token(delivery)

    with refused("link_invalid", kind=BadInput):
        services.delivery_confirm(token=token + "x", confirmed_quantity=20, now=now())

    assert Delivery.objects.get().confirmed_at is None
    assert not DeliveredTotal.objects.exists()


# --- Messages -------------------------------------------------------------------------------


def test_messages_pass_between_the_establishment_and_the_producer_only(maker):
    pledge = pledge_for(maker, make_need())
    stranger = make_user(role=roles.MAKER)

    services.need_message_send(
        pledge=pledge, body="Livraison jeudi ?", from_establishment=True, now=now()
    )
    services.need_message_send(
        pledge=pledge, body="Oui, à 14 h.", from_establishment=False, by=maker, now=now()
    )
    with pytest.raises(PermissionDenied):
        services.need_message_send(
            pledge=pledge, body="Bonjour", from_establishment=False, by=stranger, now=now()
        )
    with refused("message_empty", kind=BadInput):
        services.need_message_send(
            pledge=pledge, body="  ", from_establishment=False, by=maker, now=now()
        )

    assert list(NeedMessage.objects.order_by("pk").values_list("from_establishment", "body")) == [
        (True, "Livraison jeudi ?"),
        (False, "Oui, à 14 h."),
    ]
