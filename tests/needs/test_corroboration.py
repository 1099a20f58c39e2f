"""Corroboration that nobody can make for themselves: a delivery confirmed by an establishment
marks the producer's reports "corroborée" only when a relay or a facilitator checked the need
and its contact is not the producer; otherwise the relay's queue says why not. A need taken
down by moderation takes no more deliveries or confirmations. Pages and API alike."""

import datetime

import pytest
from django.utils import timezone

from makers.models import ProductionReport
from needs import selectors, services
from needs.models import Delivery, Need, Pledge
from tests.conftest import as_user, post
from tests.factories import make_maker, make_need, make_organisation, make_report, make_user
from tests.needs.helpers import confirm, deliver, need_post_form, pledge_for, validated
from tests.refusals import answered, refused
from tilab import roles
from tilab.errors import NotAllowed, WrongState
from tilab.models import Decision

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
CHU = "CHU de Rennes – service de gériatrie"


def _report(pk) -> ProductionReport:
    return ProductionReport.objects.get(pk=pk)


def _queue_row(client, report) -> str:
    """The relay's validation queue row of `report` (validated reports shown)."""
    html = client.get("/validation/?status=validated").content.decode()
    return next(row for row in html.split("<tr") if f'<td data-label="N°">{report.pk}<' in row)


# --- The one rule ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed, mailbox",
    [
        ("Anne@Example.org", "anne@example.org"),
        ("  anne@example.org ", "anne@example.org"),
        ("anne+chu@example.org", "anne@example.org"),
        ("A.N.N.E+x@GoogleMail.com", "anne@gmail.com"),
        ("ａｎｎｅ@example.org", "anne@example.org"),  # full-width letters (NFKC)
        ("a.nne@example.org", "a.nne@example.org"),  # dots count outside Gmail
    ],
)
def test_addresses_are_compared_as_the_mailbox_they_reach(typed, mailbox):
    assert selectors.email_normalised(typed) == mailbox


def test_a_checked_need_whose_contact_is_somebody_else_corroborates(maker, relay_staff):
    report = validated(maker, relay_staff, 30)
    need = make_need(checked_by=relay_staff)

    delivery = confirm(deliver(pledge_for(maker, need, 30), 30), 30)

    assert delivery.corroboration_withheld is None
    assert _report(report.pk).corroborated_at is not None


@pytest.mark.parametrize(
    "contact_email",
    ["anne@example.org", "ANNE@example.org ", "anne+chu@example.org", "anne.pro@example.org"],
)
def test_a_need_whose_contact_is_one_of_the_pledgers_addresses_never_corroborates(
    maker, relay_staff, contact_email
):
    maker.emailaddress_set.create(email="anne.pro@example.org", verified=False)
    report = validated(maker, relay_staff, 30)
    need = make_need(contact_email=contact_email, checked_by=relay_staff)

    delivery = confirm(deliver(pledge_for(maker, need, 30), 30), 30)

    assert delivery.corroboration_withheld == "contact_is_producer"
    report = _report(report.pk)
    assert (report.corroborated_at, report.corroboration_withheld) == (None, "contact_is_producer")


def test_a_need_posted_from_the_pledgers_account_never_corroborates_whatever_its_contact(
    maker, relay_staff
):
    report = validated(maker, relay_staff, 30)
    need = make_need(by=maker, contact_email="cadre@chu-rennes.example.org")
    services.need_check(need=need, by=relay_staff, now=timezone.now())

    confirm(deliver(pledge_for(maker, need, 30), 30), 30)

    assert _report(report.pk).corroboration_withheld == "contact_is_producer"
    assert _report(report.pk).corroborated_at is None


def test_a_fellow_member_as_contact_makes_an_organisations_delivery_prove_nothing(
    maker, relay_staff
):
    lab = make_organisation(name="FabLab de Bréquigny", department="35")
    maker.maker.memberships.create(organisation=lab)
    colleague = make_user(role=roles.MAKER, email="colleague@example.org")
    make_maker(user=colleague, display_name="Gaëlle", department="35")
    colleague.maker.memberships.create(organisation=lab)
    report = validated(maker, relay_staff, 30, organisation=lab)
    need = make_need(contact_email="Colleague@example.org", checked_by=relay_staff)
    pledge = services.pledge_create(
        need=need, quantity=30, by=maker, organisation=lab, now=timezone.now()
    )

    confirm(deliver(pledge, 30), 30)

    assert _report(report.pk).corroboration_withheld == "contact_is_producer"


def test_a_delivery_to_an_unchecked_need_is_recorded_but_corroborates_only_once_checked(
    maker, relay_staff
):
    report = validated(maker, relay_staff, 30)
    need = make_need()

    delivery = confirm(deliver(pledge_for(maker, need, 30), 30), 30)

    assert (delivery.confirmed_quantity, delivery.corroboration_withheld) == (30, "need_unchecked")
    assert _report(report.pk).corroborated_at is None
    assert _report(report.pk).corroboration_withheld == "need_unchecked"

    services.need_check(need=need, by=relay_staff, now=timezone.now(), note="Appel à l'accueil")

    report = _report(report.pk)
    assert report.corroborated_at is not None and report.corroboration_withheld is None
    assert Delivery.objects.get(pk=delivery.pk).corroboration_withheld is None
    decision = Decision.objects.get(action="need_check")
    assert (decision.actor, decision.motivation) == (relay_staff, "Appel à l'accueil")


def test_checking_a_need_the_producer_posted_still_corroborates_nothing(maker, relay_staff):
    report = validated(maker, relay_staff, 30)
    need = make_need(by=maker, contact_email="anne@example.org")
    confirm(deliver(pledge_for(maker, need, 30), 30), 30)

    services.need_check(need=need, by=relay_staff, now=timezone.now())

    report = _report(report.pk)
    assert (report.corroborated_at, report.corroboration_withheld) == (None, "contact_is_producer")


def test_a_need_checked_by_the_pledger_corroborates_nothing(maker, relay_staff):
    """A relay staffer who also makes: their own check proves nothing for their deliveries."""
    make_maker(user=relay_staff, display_name="Camille", department="35")
    relay_staff.groups.add(*maker.groups.all())
    report = make_report(maker=relay_staff.maker, quantity=30)  # awaiting a decision
    need = make_need(checked_by=relay_staff)

    confirm(deliver(pledge_for(relay_staff, need, 30), 30), 30)

    assert _report(report.pk).corroboration_withheld == "checked_by_producer"


# --- Checking a need: who, when, once ----------------------------------------------------------


def test_nobody_checks_a_need_they_posted_or_whose_contact_they_are(relay_staff, facilitator):
    posted = make_need(by=relay_staff, contact_email="relais@example.org")
    theirs = make_need(contact_email=facilitator.email.upper())

    with refused("need_check_by_its_author", kind=NotAllowed):
        services.need_check(need=posted, by=relay_staff, now=timezone.now())
    with refused("need_check_by_its_author", kind=NotAllowed):
        services.need_check(need=theirs, by=facilitator, now=timezone.now())
    assert not Need.objects.filter(checked_at__isnull=False).exists()


def test_a_need_is_checked_once_and_only_while_published(relay_staff, facilitator):
    need = make_need(checked_by=relay_staff)
    unconfirmed = make_need(confirmed=False, contact_email="u@example.org")
    removed = make_need(contact_email="r@example.org")
    services.need_remove(need=removed, reason="Faux", by=facilitator, now=timezone.now())

    with refused("need_already_checked", kind=WrongState):
        services.need_check(need=need, by=facilitator, now=timezone.now())
    with refused("need_not_published", kind=WrongState):
        services.need_check(need=unconfirmed, by=facilitator, now=timezone.now())
    with refused("need_removed", kind=WrongState):
        services.need_check(need=removed, by=facilitator, now=timezone.now())


def test_relay_staff_check_only_the_needs_of_their_departments(relay_staff, maker):
    brest = make_need(establishment=_establishment_in("29"))

    with refused("role_not_allowed", kind=NotAllowed):
        services.need_check(need=brest, by=relay_staff, now=timezone.now())
    with refused("role_not_allowed", kind=NotAllowed):
        services.need_check(need=brest, by=maker, now=timezone.now())


def _establishment_in(department):
    from tests.factories import make_establishment

    return make_establishment(name="CHU Brest", department=department, commune="Brest")


def test_the_follow_up_page_lists_unchecked_needs_and_checks_them(client, relay_staff):
    need = make_need()
    client.force_login(relay_staff)

    page = client.get("/besoins/suivi-reseau/").content.decode()
    section = page.split('id="unchecked-title"', 1)[1].split("</section>", 1)[0]
    assert f'action="/besoins/{need.pk}/verifier/"' in section

    response = client.post(f"/besoins/{need.pk}/verifier/", {"note": "Appel au cadre de santé"})

    assert response.status_code == 302
    need.refresh_from_db()
    assert need.checked_by == relay_staff and need.checked_at is not None
    page = client.get("/besoins/suivi-reseau/").content.decode()
    assert f'action="/besoins/{need.pk}/verifier/"' not in page


def test_the_check_page_says_why_it_refuses_its_own_author(client, relay_staff):
    need = make_need(by=relay_staff, contact_email="relais@example.org")
    client.force_login(relay_staff)

    response = client.post(f"/besoins/{need.pk}/verifier/", {"note": ""}, follow=True)

    assert [m.extra_tags or m.level_tag for m in response.context["messages"]] == ["error"]
    assert Need.objects.get(pk=need.pk).checked_at is None


def test_the_api_checks_a_need_and_refuses_its_author_and_a_second_check(
    client, relay_staff, facilitator, maker
):
    need = make_need()
    mine = make_need(by=relay_staff, contact_email="relais@example.org")

    answered(
        post(as_user(client, maker), f"/api/v1/needs/{need.pk}/check/"), 403, "role_not_allowed"
    )
    response = post(
        as_user(client, relay_staff), f"/api/v1/needs/{need.pk}/check/", {"note": "Appel"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["checked_at"] is not None
    answered(
        post(as_user(client, facilitator), f"/api/v1/needs/{need.pk}/check/"),
        409,
        "need_already_checked",
    )
    answered(
        post(as_user(client, relay_staff), f"/api/v1/needs/{mine.pk}/check/"),
        403,
        "need_check_by_its_author",
    )


# --- The scenario: a maker posts a need under a hospital's name with their own address -------


def test_a_maker_who_posts_pledges_delivers_and_confirms_to_themselves_corroborates_nothing_page(
    client, maker, relay_staff, facilitator
):
    report = validated(maker, relay_staff, 60, produced_on=TODAY - datetime.timedelta(days=3))
    client.force_login(maker)
    # The maker posts a need under the CHU's name, with her own address (another spelling).
    form = need_post_form(
        establishment_name=CHU,
        care_type="hospital",
        quantity="50",
        contact_email="Anne@Example.org",
    )
    assert client.post("/besoins/nouveau/", form).status_code == 200
    need = Need.objects.get(establishment__name=CHU)
    assert need.status == Need.Status.OPEN  # her own verified address: published at once
    # Even once checked by someone else (fooled on the phone), it proves nothing.
    services.need_check(need=need, by=facilitator, now=timezone.now())
    # She pledges and delivers.
    response = client.post(
        f"/besoins/{need.pk}/promettre/", {"producer": "maker", "quantity": "50", "message": ""}
    )
    assert response.status_code == 302, response.content
    pledge = Pledge.objects.get(need=need)
    response = client.post(
        f"/besoins/promesses/{pledge.pk}/livraison/",
        {f"p{pledge.pk}-quantity": "50", f"p{pledge.pk}-delivered_on": TODAY.isoformat()},
    )
    assert response.status_code == 302, response.content
    delivery = Delivery.objects.get(pledge=pledge)
    # She confirms from the link sent to "the CHU", that is to herself.
    client.logout()
    token = services.delivery_confirm_token(delivery)
    assert client.post(f"/besoins/livraisons/{token}/", {"received": "50"}).status_code == 302

    delivery.refresh_from_db()
    assert delivery.confirmed_quantity == 50  # recorded as a delivery...
    report = _report(report.pk)
    assert report.corroborated_at is None  # ... that corroborates nothing
    assert report.corroboration_withheld == "contact_is_producer"
    # The relay's queue shows no "corroborée", and says why not.
    client.force_login(relay_staff)
    row = _queue_row(client, report)
    assert 'class="corroborated"' not in row
    assert "corroboration-withheld" in row
    assert str(report.get_corroboration_withheld_display()) in row
    corroborated = client.get("/validation/?status=validated&corroborated=true")
    assert report.pk not in {r.pk for r in corroborated.context["page"]}
    # And the maker's pledge page says it too.
    client.force_login(maker)
    assert "corroboration-withheld" in client.get("/besoins/promesses/").content.decode()


def test_a_maker_who_posts_pledges_delivers_and_confirms_to_themselves_corroborates_nothing_api(
    client, maker, relay_staff, facilitator
):
    report = validated(maker, relay_staff, 60, produced_on=TODAY - datetime.timedelta(days=3))
    as_user(client, maker)
    form = {
        "establishment_name": CHU,
        "care_type": "hospital",
        "department": "35",
        "commune": "Rennes",
        "item_type": "visor",
        "quantity": 50,
        "needed_by": (TODAY + datetime.timedelta(days=10)).isoformat(),
        "contact_name": "Soizic Le Bihan",
        "contact_email": "anne+chu@example.org",
    }
    need = post(client, "/api/v1/needs/", form).json()
    assert need["status"] == "unconfirmed"  # not her verified address as typed: the link
    need = Need.objects.get(pk=need["id"])
    services.need_confirm(token=services.need_confirm_token(need), now=timezone.now())
    post(as_user(client, facilitator), f"/api/v1/needs/{need.pk}/check/")
    pledge = post(as_user(client, maker), "/api/v1/pledges/", {"need": need.pk, "quantity": 50})
    assert pledge.status_code == 201, pledge.content
    delivery = post(
        client,
        "/api/v1/deliveries/",
        {"pledge": pledge.json()["id"], "quantity": 50, "delivered_on": TODAY.isoformat()},
    )
    assert delivery.status_code == 201, delivery.content
    delivery_id = delivery.json()["id"]
    token = services.delivery_confirm_token(Delivery.objects.get(pk=delivery_id))
    client.logout()
    confirmed = post(
        client,
        f"/api/v1/deliveries/{delivery_id}/confirm/",
        {"token": token, "confirmed_quantity": 50},
    )
    assert confirmed.status_code == 200, confirmed.content

    mine = as_user(client, maker).get(f"/api/v1/deliveries/{delivery_id}/").json()
    assert (mine["confirmed_quantity"], mine["corroborates"]) == (50, False)
    assert mine["corroboration_withheld"] == "contact_is_producer"
    seen = as_user(client, relay_staff).get(f"/api/v1/production-reports/{report.pk}/").json()
    assert (seen["corroborated_at"], seen["corroboration_withheld"]) == (
        None,
        "contact_is_producer",
    )


def test_the_api_says_a_delivery_to_an_unchecked_need_corroborates_nothing_until_checked(
    client, maker, relay_staff
):
    report = validated(maker, relay_staff, 30)
    need = make_need()
    delivery = confirm(deliver(pledge_for(maker, need, 30), 30), 30)
    url = f"/api/v1/deliveries/{delivery.pk}/"

    body = as_user(client, maker).get(url).json()
    assert (body["corroborates"], body["corroboration_withheld"]) == (False, "need_unchecked")
    seen = as_user(client, relay_staff).get(f"/api/v1/production-reports/{report.pk}/").json()
    assert seen["corroboration_withheld"] == "need_unchecked"

    assert post(client, f"/api/v1/needs/{need.pk}/check/").status_code == 200

    body = as_user(client, maker).get(url).json()
    assert (body["corroborates"], body["corroboration_withheld"]) == (True, None)
    seen = as_user(client, relay_staff).get(f"/api/v1/production-reports/{report.pk}/").json()
    assert seen["corroborated_at"] is not None


def test_the_queue_says_why_a_delivery_to_an_unchecked_need_does_not_corroborate(
    client, maker, relay_staff
):
    report = validated(maker, relay_staff, 30)
    confirm(deliver(pledge_for(maker, make_need(), 30), 30), 30)
    client.force_login(relay_staff)

    row = _queue_row(client, report)

    assert 'class="corroborated"' not in row and "corroboration-withheld" in row


# --- A removed need ----------------------------------------------------------------------------


@pytest.fixture
def removed_after_a_pledge(maker, relay_staff, facilitator):
    """Anne pledged and delivered to a need the moderation then took down (one delivery waits
    for its confirmation)."""
    validated(maker, relay_staff, 60)
    need = make_need(checked_by=relay_staff)
    pledge = pledge_for(maker, need, 50)
    waiting = deliver(pledge, 20)
    services.need_remove(
        need=need, reason="Établissement inventé", by=facilitator, now=timezone.now()
    )
    return pledge, waiting


def test_a_removed_need_takes_no_more_deliveries_or_confirmations(removed_after_a_pledge):
    pledge, waiting = removed_after_a_pledge

    with refused("need_removed", kind=WrongState):
        deliver(pledge, 10)
    with refused("need_removed", kind=WrongState):
        confirm(waiting, 20)
    assert Delivery.objects.filter(pledge=pledge).count() == 1
    assert Delivery.objects.get(pk=waiting.pk).confirmed_at is None
    assert not ProductionReport.objects.filter(corroborated_at__isnull=False).exists()


def test_the_pages_refuse_deliveries_and_confirmations_to_a_removed_need(
    client, maker, removed_after_a_pledge
):
    pledge, waiting = removed_after_a_pledge
    client.force_login(maker)

    response = client.post(
        f"/besoins/promesses/{pledge.pk}/livraison/",
        {f"p{pledge.pk}-quantity": "10", f"p{pledge.pk}-delivered_on": TODAY.isoformat()},
    )
    assert response.status_code == 400
    bound = next(p for p in response.context["active"] if p.pk == pledge.pk)
    assert [e.code for e in bound.delivery_form.errors.as_data()["__all__"]] == ["need_removed"]
    client.logout()
    url = f"/besoins/livraisons/{services.delivery_confirm_token(waiting)}/"
    assert 'name="received"' not in client.get(url).content.decode()
    response = client.post(url, {"received": "20"})
    assert response.status_code == 400
    assert [e.code for e in response.context["form"].errors.as_data()["__all__"]] == [
        "need_removed"
    ]
    assert Delivery.objects.get(pk=waiting.pk).confirmed_at is None


def test_the_api_refuses_deliveries_and_confirmations_to_a_removed_need(
    client, maker, removed_after_a_pledge
):
    pledge, waiting = removed_after_a_pledge

    response = post(
        as_user(client, maker),
        "/api/v1/deliveries/",
        {"pledge": pledge.pk, "quantity": 10, "delivered_on": TODAY.isoformat()},
    )
    answered(response, 409, "need_removed")
    client.logout()
    response = post(
        client,
        f"/api/v1/deliveries/{waiting.pk}/confirm/",
        {"token": services.delivery_confirm_token(waiting), "confirmed_quantity": 20},
    )
    answered(response, 409, "need_removed")
    assert Delivery.objects.get(pk=waiting.pk).confirmed_at is None
