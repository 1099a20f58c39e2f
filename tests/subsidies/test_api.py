"""The subsidy chain through the API: who sees and decides what on programmes, allocations,
redistributions and payments, what bad input and wrong states answer, and at what cost."""

import datetime

import pytest
from django.utils import timezone

from makers.models import ItemType, Maker, Membership
from subsidies import services
from subsidies.models import (
    LedgerEntry,
    Payment,
    PaymentBatch,
    Programme,
    Redistribution,
    RedistributionLine,
)
from tests import factories
from tests.conftest import as_user, count_queries, post
from tests.factories import (
    approve_all,
    client_step_up,
    make_maker,
    make_organisation,
    make_personal_token,
    make_programme,
    make_report,
    region_controller,
    totp_enrol,
)
from tests.refusals import answered
from tests.subsidies.approval import confirm_body
from tilab.models import Decision

PROGRAMMES = "/api/v1/programmes/"
ALLOCATIONS = "/api/v1/allocations/"
REDISTRIBUTIONS = "/api/v1/redistributions/"
IBAN = "FR76 3000 6000 0112 3456 7890 189"
NBSP = "\xa0"


# --- Helpers ------------------------------------------------------------------------------


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return sorted(row["id"] for row in response.json()["results"])


def counts() -> tuple[int, int, int, int]:
    """What any money write leaves behind: decisions, ledger entries, payments, programmes."""
    return (
        Decision.objects.count(),
        LedgerEntry.objects.count(),
        Payment.objects.count(),
        Programme.objects.count(),
    )


def amounts_of(programme) -> dict[int, int]:
    return dict(programme.allocations.values_list("pk", "amount_cents"))


def line_amounts(redistribution) -> dict[int, int]:
    return dict(redistribution.lines.values_list("pk", "amount_cents"))


def programme_body(relays, /, **changes) -> dict:
    return {
        "name": "Soutien aux makers 2020",
        "envelope_cents": 3_000_000,
        "period_start_on": "2020-03-16",
        "period_end_on": "2020-05-31",
        "basis": "units",
        "relays": [relay.pk for relay in relays],
        "fixed_shares": [{"relay": relay.pk, "share": 50} for relay in relays],
        **changes,
    }


@pytest.fixture
def rennes(relay_staff):
    return relay_staff.relays.get()


@pytest.fixture
def ensta(other_relay_staff):
    return other_relay_staff.relays.get()


@pytest.fixture
def programme(region_staff, rennes, ensta):
    """EUR 30,000, half to LabFab de Rennes, half to ENSTA Bretagne, not approved yet."""
    return make_programme(
        by=region_staff, relays=[rennes, ensta], fixed_shares=[(rennes, 50), (ensta, 50)]
    )


@pytest.fixture
def approved(programme, region_staff):
    return approve_all(programme, by=region_controller())


@pytest.fixture
def payees(maker, relay_staff):
    """Anne (35, 10 visors, bank details on file) and Yann (22, 30 visors), both validated."""
    anne = Maker.objects.get(user=maker)
    yann = make_maker(display_name="Yann Kerbrat", department="22")
    for person, quantity in ((anne, 10), (yann, 30)):
        make_report(maker=person, quantity=quantity, status="validated", decided_by=relay_staff)
    services.bank_account_set(
        owner=anne, holder="Anne Le Goff", iban=IBAN, by=relay_staff, now=timezone.now()
    )
    return {"anne": anne, "yann": yann}


@pytest.fixture
def redistribution(approved, rennes, relay_staff, payees):
    """Rennes's EUR 15,000: EUR 3,000 of PLA, the rest 1:3 between Anne and Yann."""
    return services.redistribution_propose(
        allocation=approved.allocations.get(relay=rennes),
        own_use=[("Achat groupé de PLA", 300_000)],
        by=relay_staff,
        now=timezone.now(),
    )


def approved_redistribution(redistribution, relay_staff):
    """Approved by a second staffer of the relay (four eyes)."""
    return services.redistribution_approve(
        redistribution=redistribution, by=factories.relay_colleague(relay_staff), now=timezone.now()
    )


# --- Programmes: who sees what ------------------------------------------------------------


def test_region_staff_and_auditors_see_every_programme_with_every_allocation(
    client, programme, region_staff, auditor
):
    for user in (region_staff, auditor):
        body = as_user(client, user).get(f"{PROGRAMMES}{programme.pk}/").json()
        assert body["envelope_cents"] == 3_000_000
        assert sorted(a["amount_cents"] for a in body["allocations"]) == [1_500_000, 1_500_000]
        assert ids(client.get(PROGRAMMES)) == [programme.pk]


def test_relay_staff_see_their_programmes_with_only_their_own_allocation(
    client, programme, region_staff, relay_staff, rennes, ensta
):
    make_programme(
        by=region_staff, relays=[ensta], name="Finistère seul", fixed_shares=[(ensta, 1)]
    )
    as_user(client, relay_staff)
    listed = client.get(PROGRAMMES).json()["results"]
    assert [p["id"] for p in listed] == [programme.pk]
    (allocation,) = listed[0]["allocations"]
    assert allocation["relay"] == {"id": rennes.pk, "name": "LabFab de Rennes"}
    assert allocation["snapshot"]["departments"].keys() == {"22", "35"}
    assert allocation["status"] == "proposed" and allocation["approved_by"] is None


@pytest.mark.parametrize("who", ["maker", "facilitator"])
def test_makers_and_facilitators_see_no_programme(client, request, programme, who):
    as_user(client, request.getfixturevalue(who))
    assert ids(client.get(PROGRAMMES)) == []
    assert client.get(f"{PROGRAMMES}{programme.pk}/").status_code == 404
    assert ids(client.get(ALLOCATIONS)) == []
    allocation = programme.allocations.first()
    assert client.get(f"{ALLOCATIONS}{allocation.pk}/").status_code == 404


def test_an_anonymous_caller_is_asked_to_authenticate(client, programme):
    for url in (PROGRAMMES, f"{PROGRAMMES}{programme.pk}/", ALLOCATIONS, REDISTRIBUTIONS):
        assert client.get(url).status_code == 401
    assert post(client, PROGRAMMES, programme_body([])).status_code == 401


def test_programmes_filter_by_status_basis_and_relay(
    client, approved, region_staff, relay_staff, rennes, ensta
):
    draft = make_programme(
        by=region_staff,
        relays=[ensta],
        name="Coûts",
        basis="material_cost",
        fixed_shares=[(ensta, 1)],
    )
    as_user(client, region_staff)
    assert ids(client.get(PROGRAMMES, {"status": "approved"})) == [approved.pk]
    assert ids(client.get(PROGRAMMES, {"basis": "material_cost"})) == [draft.pk]
    assert ids(client.get(PROGRAMMES, {"relay": rennes.pk})) == [approved.pk]
    assert ids(client.get(PROGRAMMES, {"relay": ensta.pk})) == sorted([approved.pk, draft.pk])
    # Relay staff cannot learn through the filter where another relay takes part.
    assert ids(as_user(client, relay_staff).get(PROGRAMMES, {"relay": ensta.pk})) == []


# --- Programmes: creating, adjusting, amending -------------------------------------------


def test_region_staff_create_a_programme_split_by_fixed_shares(client, region_staff, rennes, ensta):
    response = post(as_user(client, region_staff), PROGRAMMES, programme_body([rennes, ensta]))
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["uses_fixed_shares"], body["amends"]) == ("draft", True, None)
    shares = {a["relay"]["id"]: (a["fixed_share"], a["amount_cents"]) for a in body["allocations"]}
    assert shares == {rennes.pk: (50, 1_500_000), ensta.pk: (50, 1_500_000)}
    assert Decision.objects.filter(action="programme_create", actor=region_staff).count() == 1


def test_a_programme_on_weighted_units_splits_on_validated_figures(
    client, region_staff, maker, relay_staff, other_relay_staff, rennes, ensta
):
    anne = Maker.objects.get(user=maker)
    gwen = make_maker(display_name="Gwen Le Bras", department="29")
    make_report(maker=anne, quantity=10, status="validated", decided_by=relay_staff)
    make_report(maker=gwen, quantity=10, status="validated", decided_by=other_relay_staff)
    make_report(
        maker=gwen,
        item="fabric-mask",
        quantity=10,
        status="validated",
        decided_by=other_relay_staff,
    )
    body = programme_body(
        [rennes, ensta],
        fixed_shares=[],
        envelope_cents=90_000,
        item_weights=[
            {"item_type": "visor", "weight": "2"},
            {"item_type": "fabric-mask", "weight": "1"},
        ],
    )
    response = post(as_user(client, region_staff), PROGRAMMES, body)
    assert response.status_code == 201, response.content
    body = response.json()
    # Rennes: 10 visors × 2 = 20; ENSTA: 10 × 2 + 10 masks × 1 = 30.
    amounts = {a["relay"]["id"]: a["proposed_cents"] for a in body["allocations"]}
    assert amounts == {rennes.pk: 36_000, ensta.pk: 54_000}
    finistere = next(a for a in body["allocations"] if a["relay"]["id"] == ensta.pk)
    assert finistere["snapshot"]["departments"]["29"]["quantity"] == 20
    weights = {w["item_type"]: w["weight"] for w in body["item_weights"]}
    assert weights == {"fabric-mask": "1.00", "visor": "2.00"}


@pytest.mark.parametrize("who", ["relay_staff", "auditor", "maker", "facilitator"])
def test_only_region_staff_create_programmes(client, request, rennes, who):
    before = counts()
    as_user(client, request.getfixturevalue(who))
    assert post(client, PROGRAMMES, programme_body([rennes])).status_code == 403
    # Refused before the body is even read.
    assert post(client, PROGRAMMES, {"envelope_cents": -1}).status_code == 403
    assert counts() == before


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"envelope_cents": -100}, "envelope_cents"),
        ({"envelope_cents": "trente mille"}, "envelope_cents"),
        ({"envelope_cents": 12.5}, "envelope_cents"),
        ({"basis": "feelings"}, "basis"),
        ({"relays": []}, "relays"),
        ({"relays": [999_999]}, "relays"),
        ({"fixed_shares": [{"relay": 999_999, "share": 1}]}, "fixed_shares"),
        ({"item_weights": [{"item_type": "visor", "weight": "-1"}]}, None),
    ],
)
def test_a_bad_programme_is_refused_naming_the_field(client, region_staff, rennes, changes, field):
    before = counts()
    response = post(as_user(client, region_staff), PROGRAMMES, programme_body([rennes], **changes))
    assert response.status_code == 400, response.content
    assert (field or "detail") in response.json()
    assert counts() == before


def test_a_programme_breaking_a_rule_is_refused_with_the_reason(
    client, region_staff, rennes, ensta
):
    as_user(client, region_staff)
    before = counts()
    backwards = programme_body([rennes], period_start_on="2020-05-31", period_end_on="2020-03-16")
    response = post(client, PROGRAMMES, backwards)
    answered(response, 400, "period_ends_before_start", field="period_end_on")
    partial = programme_body([rennes, ensta], fixed_shares=[{"relay": rennes.pk, "share": 1}])
    response = post(client, PROGRAMMES, partial)
    answered(response, 400, "fixed_shares_incomplete")
    no_figures = programme_body([rennes], fixed_shares=[])
    response = post(client, PROGRAMMES, no_figures)
    answered(response, 400, "no_validated_production")
    twice = programme_body(
        [rennes],
        item_weights=[
            {"item_type": "visor", "weight": "2"},
            {"item_type": "visor", "weight": "3"},
        ],
    )
    assert post(client, PROGRAMMES, twice).status_code == 400
    assert counts() == before


def test_region_staff_adjust_the_allocations_with_a_motivation(
    client, programme, region_staff, rennes, ensta
):
    first, second = programme.allocations.order_by("relay__organisation__name")
    body = {
        "amounts": [
            {"allocation": first.pk, "amount_cents": 1_000_000},
            {"allocation": second.pk, "amount_cents": 2_000_000},
        ],
        "motivation": "ENSTA a fourni le PET de toute la Bretagne",
    }
    response = post(as_user(client, region_staff), f"{PROGRAMMES}{programme.pk}/adjust/", body)
    assert response.status_code == 200, response.content
    shown = {a["id"]: (a["amount_cents"], a["motivation"]) for a in response.json()["allocations"]}
    assert shown[first.pk] == (1_000_000, body["motivation"])
    assert amounts_of(programme) == {first.pk: 1_000_000, second.pk: 2_000_000}
    decisions = Decision.objects.filter(action="allocation_adjust")
    assert {d.motivation for d in decisions} == {body["motivation"]}


def test_an_adjustment_off_the_envelope_is_refused_with_the_gap(client, programme, region_staff):
    allocation = programme.allocations.order_by("pk").first()
    before, amounts = counts(), amounts_of(programme)
    body = {
        "amounts": [{"allocation": allocation.pk, "amount_cents": 1_400_000}],
        "motivation": "Erreur de saisie",
    }
    response = post(as_user(client, region_staff), f"{PROGRAMMES}{programme.pk}/adjust/", body)
    message = answered(response, 400, "allocations_off_envelope")["detail"]
    assert f"l'écart est de -1{NBSP}000,00{NBSP}€" in message.replace("\u202f", NBSP)
    assert (counts(), amounts_of(programme)) == (before, amounts)


@pytest.mark.parametrize(
    "body, field",
    [
        ({"amounts": []}, "motivation"),
        ({"amounts": [], "motivation": "  "}, "detail"),
        ({"amounts": [{"allocation": 0, "amount_cents": -5}], "motivation": "x"}, "amounts"),
        ({"amounts": [{"allocation": 0, "amount_cents": "mille"}], "motivation": "x"}, "amounts"),
        ({"amounts": [{"allocation": 0, "amount_cents": 10.5}], "motivation": "x"}, "amounts"),
        ({"amounts": [{"allocation": 999_999, "amount_cents": 1}], "motivation": "x"}, "detail"),
    ],
)
def test_a_bad_adjustment_changes_nothing(client, programme, region_staff, body, field):
    allocation = programme.allocations.order_by("pk").first()
    rows = [{**row, "allocation": row["allocation"] or allocation.pk} for row in body["amounts"]]
    body = {**body, "amounts": rows}
    before, amounts = counts(), amounts_of(programme)
    response = post(as_user(client, region_staff), f"{PROGRAMMES}{programme.pk}/adjust/", body)
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert (counts(), amounts_of(programme)) == (before, amounts)


def test_a_missing_motivation_is_explained(client, programme, region_staff):
    response = post(
        as_user(client, region_staff),
        f"{PROGRAMMES}{programme.pk}/adjust/",
        {"amounts": [], "motivation": ""},
    )
    answered(response, 400, "allocations_motivation_missing", field="motivation")


def test_an_approved_allocation_is_not_adjusted(client, approved, region_staff):
    first, second = approved.allocations.order_by("pk")
    before, amounts = counts(), amounts_of(approved)
    body = {
        "amounts": [
            {"allocation": first.pk, "amount_cents": 1_000_000},
            {"allocation": second.pk, "amount_cents": 2_000_000},
        ],
        "motivation": "Trop tard",
    }
    response = post(as_user(client, region_staff), f"{PROGRAMMES}{approved.pk}/adjust/", body)
    answered(response, 409, "allocation_approved")
    assert (counts(), amounts_of(approved)) == (before, amounts)


@pytest.mark.parametrize("who", ["relay_staff", "auditor"])
def test_relay_staff_and_auditors_neither_adjust_nor_amend(client, request, approved, who):
    before, amounts = counts(), amounts_of(approved)
    as_user(client, request.getfixturevalue(who))
    for verb in ("adjust", "amend"):
        response = post(client, f"{PROGRAMMES}{approved.pk}/{verb}/", {"motivation": "x"})
        assert response.status_code == 403, verb
    assert (counts(), amounts_of(approved)) == (before, amounts)


def test_an_approved_programme_is_amended_by_a_linked_programme(
    client, approved, region_staff, rennes
):
    body = programme_body(
        [rennes],
        name="Complément 2020",
        envelope_cents=500_000,
        motivation="Les blouses de mai n'étaient pas comptées",
    )
    as_user(client, region_staff)
    response = post(client, f"{PROGRAMMES}{approved.pk}/amend/", body)
    assert response.status_code == 201, response.content
    amendment = response.json()
    assert (amendment["amends"], amendment["envelope_cents"]) == (approved.pk, 500_000)
    assert amendment["motivation"] == body["motivation"]
    assert client.get(f"{PROGRAMMES}{approved.pk}/").json()["amendments"] == [amendment["id"]]


def test_a_draft_programme_is_adjusted_not_amended(client, programme, region_staff, rennes):
    before = counts()
    body = programme_body([rennes], motivation="Complément")
    response = post(as_user(client, region_staff), f"{PROGRAMMES}{programme.pk}/amend/", body)
    assert response.status_code == 409
    assert counts() == before


def test_an_amendment_needs_a_motivation(client, approved, region_staff, rennes):
    before = counts()
    as_user(client, region_staff)
    response = post(client, f"{PROGRAMMES}{approved.pk}/amend/", programme_body([rennes]))
    assert response.status_code == 400 and "motivation" in response.json()
    body = programme_body([rennes], motivation=" ")
    response = post(client, f"{PROGRAMMES}{approved.pk}/amend/", body)
    answered(response, 400, "amendment_motivation_missing", field="motivation")
    assert counts() == before


# --- Allocations ---------------------------------------------------------------------------


def test_relay_staff_see_their_allocation_only(client, programme, relay_staff, rennes, ensta):
    mine = programme.allocations.get(relay=rennes)
    theirs = programme.allocations.get(relay=ensta)
    as_user(client, relay_staff)
    assert ids(client.get(ALLOCATIONS)) == [mine.pk]
    assert client.get(f"{ALLOCATIONS}{mine.pk}/").json()["programme"] == {
        "id": programme.pk,
        "name": "Soutien aux makers 2020",
    }
    assert client.get(f"{ALLOCATIONS}{theirs.pk}/").status_code == 404


def test_allocations_filter_by_programme_relay_and_status(
    client, programme, region_staff, rennes, ensta
):
    other = make_programme(
        by=region_staff, relays=[rennes], name="Autre", fixed_shares=[(rennes, 1)]
    )
    approved_one = programme.allocations.get(relay=ensta)
    services.allocation_approve(allocation=approved_one, by=region_controller(), now=timezone.now())
    as_user(client, region_staff)
    assert ids(client.get(ALLOCATIONS, {"programme": other.pk})) == [other.allocations.get().pk]
    assert len(ids(client.get(ALLOCATIONS, {"relay": rennes.pk}))) == 2
    assert ids(client.get(ALLOCATIONS, {"status": "approved"})) == [approved_one.pk]


def test_region_staff_approve_an_allocation_once(
    client, programme, region_staff, rennes, other_region_staff
):
    allocation = programme.allocations.get(relay=rennes)
    other_region_staff.full_name = "Erwan Le Meur"
    other_region_staff.save(update_fields=["full_name"])
    as_user(client, other_region_staff)
    before = counts()
    confirmed = confirm_body(allocation)
    response = post(client, f"{ALLOCATIONS}{allocation.pk}/approve/", confirmed)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "approved" and body["approved_at"]
    assert body["approved_by"] == {"id": other_region_staff.pk, "name": "Erwan Le Meur"}
    after = counts()
    assert after[:2] == (before[0] + 1, before[1] + 1)  # a decision, a ledger entry

    again = post(client, f"{ALLOCATIONS}{allocation.pk}/approve/", confirmed)
    answered(again, 409, "allocation_already_approved")
    assert counts() == after


def test_approving_the_last_allocation_approves_the_programme(
    client, programme, region_staff, other_region_staff
):
    as_user(client, other_region_staff)
    for allocation in programme.allocations.order_by("pk"):
        url = f"{ALLOCATIONS}{allocation.pk}/approve/"
        assert post(client, url, confirm_body(allocation)).status_code == 200
    assert client.get(f"{PROGRAMMES}{programme.pk}/").json()["status"] == "approved"


@pytest.mark.parametrize("who, code", [("relay_staff", 403), ("auditor", 403), ("maker", 404)])
def test_no_one_else_approves_an_allocation(client, request, programme, rennes, who, code):
    allocation = programme.allocations.get(relay=rennes)
    before = counts()
    response = post(
        as_user(client, request.getfixturevalue(who)), f"{ALLOCATIONS}{allocation.pk}/approve/"
    )
    assert response.status_code == code
    allocation.refresh_from_db()
    assert (allocation.status, counts()) == ("proposed", before)


def test_approving_money_takes_two_factor_when_required(
    client, settings, programme, region_staff, rennes, other_region_staff
):
    settings.TILAB_MFA_REQUIRED_FOR_MONEY = True
    allocation = programme.allocations.get(relay=rennes)
    as_user(client, other_region_staff)
    response = post(client, f"{ALLOCATIONS}{allocation.pk}/approve/")
    body = answered(response, 403, "two_factor_required")
    assert "/accounts/2fa/totp/activate/" in body["detail"]
    allocation.refresh_from_db()
    assert allocation.status == "proposed"

    # The account's authenticator app is not enough: this session presents its code.
    totp_enrol(other_region_staff)
    url = f"{ALLOCATIONS}{allocation.pk}/approve/"
    body = answered(post(client, url, confirm_body(allocation)), 403, "two_factor_required")
    assert "/accounts/2fa/reauthenticate/" in body["detail"]
    client_step_up(client, other_region_staff)
    assert post(client, url, confirm_body(allocation)).status_code == 200


# --- Redistributions: proposing and reading ----------------------------------------------


def test_relay_staff_propose_the_redistribution_of_their_allocation(
    client, approved, relay_staff, rennes, payees
):
    allocation = approved.allocations.get(relay=rennes)
    body = {"allocation": allocation.pk, "own_use": [{"purpose": "PLA", "amount_cents": 300_000}]}
    response = post(as_user(client, relay_staff), REDISTRIBUTIONS, body)
    assert response.status_code == 201, response.content
    shown = response.json()
    assert (shown["status"], shown["amount_cents"], shown["line_count"]) == (
        "proposed",
        1_500_000,
        3,
    )
    lines = {line["payee_name"]: line for line in shown["lines"]}
    assert {name: line["amount_cents"] for name, line in lines.items()} == {
        "PLA": 300_000,
        "Anne Le Goff": 300_000,
        "Yann Kerbrat": 900_000,
    }
    anne = lines["Anne Le Goff"]
    assert (anne["kind"], anne["maker"], anne["figures"]["quantity"]) == (
        "maker",
        payees["anne"].pk,
        10,
    )
    assert (anne["iban_known"], lines["Yann Kerbrat"]["iban_known"]) == (True, False)
    assert anne["payment"] is None
    content = response.content.decode()
    assert "FR76" not in content and "1234567890" not in content  # never the bank details

    # Proposing again while not approved recomputes.
    response = post(client, REDISTRIBUTIONS, {"allocation": allocation.pk})
    assert response.status_code == 200
    assert {line["payee_name"] for line in response.json()["lines"]} == {
        "Anne Le Goff",
        "Yann Kerbrat",
    }


def test_a_redistribution_waits_for_the_region_to_approve_the_allocation(
    client, programme, relay_staff, rennes, payees
):
    allocation = programme.allocations.get(relay=rennes)
    before = counts()
    response = post(as_user(client, relay_staff), REDISTRIBUTIONS, {"allocation": allocation.pk})
    answered(response, 409, "allocation_not_approved")
    assert counts() == before and not Redistribution.objects.exists()


def test_another_relays_allocation_is_not_found(client, approved, other_relay_staff, rennes):
    allocation = approved.allocations.get(relay=rennes)
    response = post(
        as_user(client, other_relay_staff), REDISTRIBUTIONS, {"allocation": allocation.pk}
    )
    body = answered(response, 404, "allocation_not_found", field="allocation")
    assert f"n° {allocation.pk}" in body["detail"]
    assert not Redistribution.objects.exists()


@pytest.mark.parametrize("who", ["region_staff", "auditor", "maker"])
def test_only_relay_staff_propose_redistributions(client, request, approved, rennes, who):
    allocation = approved.allocations.get(relay=rennes)
    response = post(
        as_user(client, request.getfixturevalue(who)),
        REDISTRIBUTIONS,
        {"allocation": allocation.pk},
    )
    assert response.status_code == 403
    assert not Redistribution.objects.exists()


def test_own_use_beyond_the_allocation_is_refused(client, approved, relay_staff, rennes, payees):
    allocation = approved.allocations.get(relay=rennes)
    as_user(client, relay_staff)
    too_much = {
        "allocation": allocation.pk,
        "own_use": [{"purpose": "PLA", "amount_cents": 2_000_000}],
    }
    response = post(client, REDISTRIBUTIONS, too_much)
    answered(response, 400, "own_use_exceeds_allocation")
    negative = {"allocation": allocation.pk, "own_use": [{"purpose": "PLA", "amount_cents": -1}]}
    response = post(client, REDISTRIBUTIONS, negative)
    assert response.status_code == 400 and "own_use" in response.json()
    assert not Redistribution.objects.exists()


def test_who_reads_which_redistribution(
    client,
    redistribution,
    region_staff,
    auditor,
    relay_staff,
    other_relay_staff,
    maker,
    facilitator,
):
    url = f"{REDISTRIBUTIONS}{redistribution.pk}/"
    for reader in (region_staff, auditor, relay_staff):
        as_user(client, reader)
        assert ids(client.get(REDISTRIBUTIONS)) == [redistribution.pk]
        assert len(client.get(url).json()["lines"]) == 3
    for stranger in (other_relay_staff, maker, facilitator):
        as_user(client, stranger)
        assert ids(client.get(REDISTRIBUTIONS)) == []
        assert client.get(url).status_code == 404


def test_redistributions_filter_by_programme_relay_and_status(
    client, redistribution, region_staff, rennes, ensta
):
    programme = redistribution.allocation.programme
    as_user(client, region_staff)
    assert ids(client.get(REDISTRIBUTIONS, {"programme": programme.pk})) == [redistribution.pk]
    assert ids(client.get(REDISTRIBUTIONS, {"programme": programme.pk + 1})) == []
    assert ids(client.get(REDISTRIBUTIONS, {"relay": rennes.pk})) == [redistribution.pk]
    assert ids(client.get(REDISTRIBUTIONS, {"relay": ensta.pk})) == []
    assert ids(client.get(REDISTRIBUTIONS, {"status": "proposed"})) == [redistribution.pk]
    assert ids(client.get(REDISTRIBUTIONS, {"status": "approved"})) == []


# --- Redistributions: adjusting, approving, paying ----------------------------------------


def _line(redistribution, name) -> RedistributionLine:
    return next(line for line in redistribution.lines.all() if line.payee_name == name)


def test_relay_staff_adjust_their_redistribution(client, redistribution, relay_staff):
    anne = _line(redistribution, "Anne Le Goff")
    yann = _line(redistribution, "Yann Kerbrat")
    body = {
        "amounts": [
            {"line": anne.pk, "amount_cents": 250_000},
            {"line": yann.pk, "amount_cents": 850_000},
        ],
        "add_own_use": [{"purpose": "Prototypes", "amount_cents": 100_000}],
        "motivation": "Prototypes de visières pliables",
    }
    url = f"{REDISTRIBUTIONS}{redistribution.pk}/adjust/"
    response = post(as_user(client, relay_staff), url, body)
    assert response.status_code == 200, response.content
    shown = {line["payee_name"]: line["amount_cents"] for line in response.json()["lines"]}
    assert shown == {
        "Achat groupé de PLA": 300_000,
        "Prototypes": 100_000,
        "Anne Le Goff": 250_000,
        "Yann Kerbrat": 850_000,
    }
    assert response.json()["motivation"] == body["motivation"]


ONE_EURO_SHORT = "one euro short"
NO_MOTIVATION = object()


@pytest.mark.parametrize(
    "line, cents, motivation, answer",
    [
        ("anne", ONE_EURO_SHORT, "Erreur", "l'écart est de -1,00"),
        ("anne", ONE_EURO_SHORT, NO_MOTIVATION, "motivation"),
        ("anne", ONE_EURO_SHORT, "", "Expliquez pourquoi"),
        ("anne", -1, "x", "amounts"),
        ("anne", "abc", "x", "amounts"),
        ("anne", 12.5, "x", "amounts"),
        ("nobody's", ONE_EURO_SHORT, "x", "n'appartient pas"),
    ],
)
def test_a_bad_redistribution_adjustment_changes_nothing(
    client, redistribution, relay_staff, line, cents, motivation, answer
):
    anne = _line(redistribution, "Anne Le Goff")
    row = {
        "line": anne.pk if line == "anne" else anne.pk + 1000,
        "amount_cents": anne.amount_cents - 100 if cents == ONE_EURO_SHORT else cents,
    }
    body = {"amounts": [row]}
    if motivation is not NO_MOTIVATION:
        body["motivation"] = motivation
    before, amounts = counts(), line_amounts(redistribution)
    url = f"{REDISTRIBUTIONS}{redistribution.pk}/adjust/"
    response = post(as_user(client, relay_staff), url, body)
    assert response.status_code == 400, response.content
    assert answer in response.content.decode().replace(NBSP, " ")
    assert (counts(), line_amounts(redistribution)) == (before, amounts)


def test_relay_staff_approve_then_record_payments(
    client, redistribution, relay_staff, relay_colleague
):
    as_user(client, relay_colleague)  # four eyes: not who proposed it
    before = counts()
    confirmed = confirm_body(redistribution)
    response = post(client, f"{REDISTRIBUTIONS}{redistribution.pk}/approve/", confirmed)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"
    assert counts()[1] == before[1] + 3  # one ledger entry per line

    again = post(client, f"{REDISTRIBUTIONS}{redistribution.pk}/approve/", confirmed)
    assert again.status_code == 409

    # Payments go through payment batches (tests/subsidies/test_payment_batches.py): the
    # redistribution itself records none.
    body = {"lines": [], "paid_on": "2020-06-15", "reference": "VIR-2020-06"}
    assert post(client, f"{REDISTRIBUTIONS}{redistribution.pk}/payments/", body).status_code == 404


def test_an_approved_redistribution_is_not_adjusted(client, redistribution, relay_staff):
    approved_redistribution(redistribution, relay_staff)
    before, amounts = counts(), line_amounts(redistribution)
    body = {"amounts": [], "motivation": "Trop tard"}
    response = post(
        as_user(client, relay_staff), f"{REDISTRIBUTIONS}{redistribution.pk}/adjust/", body
    )
    assert response.status_code == 409
    assert (counts(), line_amounts(redistribution)) == (before, amounts)


def test_an_unapproved_redistribution_makes_no_payment_batch(client, redistribution, relay_staff):
    before = counts()
    body = {"redistribution": redistribution.pk, "format": "csv"}
    response = post(as_user(client, relay_staff), "/api/v1/payment-batches/", body)
    answered(response, 400, "transfers_not_approved")
    assert counts() == before


@pytest.mark.parametrize(
    "who, code",
    [("auditor", 403), ("region_staff", 403), ("other_relay_staff", 404), ("maker", 404)],
)
def test_no_one_but_the_relay_writes_its_redistribution(
    client, request, redistribution, relay_staff, who, code
):
    factories.relay_colleague(relay_staff)  # a relay of two: the Région is not the second person
    url = f"{REDISTRIBUTIONS}{redistribution.pk}"
    as_user(client, request.getfixturevalue(who))
    before, amounts = counts(), line_amounts(redistribution)
    adjust = {"amounts": [], "motivation": "x"}
    assert post(client, f"{url}/adjust/", adjust).status_code == code
    assert post(client, f"{url}/approve/").status_code == code
    redistribution.refresh_from_db()
    assert (redistribution.status, redistribution.motivation, counts()) == ("proposed", "", before)
    approved_redistribution(redistribution, relay_staff)
    before = counts()
    batch = {"redistribution": redistribution.pk, "format": "csv"}
    # A maker may make no batch at all (403); another relay's staff do not see this one (404).
    assert post(client, "/api/v1/payment-batches/", batch).status_code == (
        403 if who == "maker" else code
    )
    assert post(client, f"{url}/settle-own-use/").status_code == code
    assert (counts(), line_amounts(redistribution)) == (before, amounts)
    assert not PaymentBatch.objects.exists()


@pytest.mark.parametrize("step", ["approve", "settle-own-use"])
def test_relay_money_decisions_take_two_factor_when_required(
    client, settings, redistribution, relay_staff, step, relay_colleague
):
    if step == "settle-own-use":
        approved_redistribution(redistribution, relay_staff)
    settings.TILAB_MFA_REQUIRED_FOR_MONEY = True
    anne = _line(redistribution, "Anne Le Goff")
    body = {"lines": [anne.pk], "paid_on": "2020-06-15", "reference": "VIR-1"}
    if step == "approve":
        body = confirm_body(redistribution)
    url = f"{REDISTRIBUTIONS}{redistribution.pk}/{step}/"
    as_user(client, relay_colleague)
    before = counts()
    response = post(client, url, body)
    assert (
        "/accounts/2fa/totp/activate/" in answered(response, 403, "two_factor_required")["detail"]
    )
    assert counts() == before

    totp_enrol(relay_colleague)
    answered(post(client, url, body), 403, "two_factor_required")
    assert counts() == before
    client_step_up(client, relay_colleague)
    assert post(client, url, body).status_code in {200, 201}


# --- Programs with personal tokens ---------------------------------------------------------


def test_programs_run_the_chain_with_personal_tokens(
    client, region_staff, relay_staff, rennes, payees, other_region_staff, relay_colleague
):
    region_token = make_personal_token(region_staff)
    relay_token = make_personal_token(relay_staff)
    as_region = {"HTTP_AUTHORIZATION": f"Token {region_token}"}
    as_relay = {"HTTP_AUTHORIZATION": f"Token {relay_token}"}
    # Four eyes: a second agent of the Région, a second staffer of the relay.
    as_controller = {"HTTP_AUTHORIZATION": f"Token {make_personal_token(other_region_staff)}"}
    as_colleague = {"HTTP_AUTHORIZATION": f"Token {make_personal_token(relay_colleague)}"}

    body = programme_body([rennes], fixed_shares=[], envelope_cents=100_000)
    response = post(client, PROGRAMMES, body, **as_region)
    assert response.status_code == 201, response.content
    (allocation,) = response.json()["allocations"]
    # A program reads the recap, then approves what it read.
    recap = client.get(f"{ALLOCATIONS}{allocation['id']}/recap/", **as_region).json()
    seen = {"computed_at": recap["computed_at"], "fingerprint": recap["fingerprint"]}
    if recap["flags"]:
        seen.update(
            acknowledged_flags=[flag["code"] for flag in recap["flags"]],
            motivation="Production attestée",
        )
    url = f"{ALLOCATIONS}{allocation['id']}/approve/"
    assert post(client, url, seen, **as_controller).status_code == 200, seen

    response = post(client, REDISTRIBUTIONS, {"allocation": allocation["id"]}, **as_relay)
    assert response.status_code == 201, response.content
    redistribution = response.json()["id"]
    recap = client.get(f"{REDISTRIBUTIONS}{redistribution}/recap/", **as_colleague).json()
    seen = {"computed_at": recap["computed_at"], "fingerprint": recap["fingerprint"]}
    if recap["flags"]:
        seen.update(
            acknowledged_flags=[flag["code"] for flag in recap["flags"]],
            motivation="Production attestée",
        )
    response = post(client, f"{REDISTRIBUTIONS}{redistribution}/approve/", seen, **as_colleague)
    assert response.status_code == 200, response.content
    listed = client.get(REDISTRIBUTIONS, **as_relay).json()["results"]
    assert [r["id"] for r in listed] == [redistribution]


@pytest.mark.django_db
def test_a_forged_token_is_refused(client):
    response = client.get(PROGRAMMES, HTTP_AUTHORIZATION="Token " + "b" * 64)
    assert response.status_code == 401


# --- Constant cost ------------------------------------------------------------------------


def _chain_up_to(count: int, *, region_staff, relay_staff, relays) -> None:
    """Approved programmes with an amendment, weights, and a redistribution approved and
    partly paid, so that a lazy relation anywhere would show up as extra queries."""
    while Programme.objects.filter(amends=None).count() < count:
        programme = make_programme(
            by=region_staff,
            relays=relays,
            fixed_shares=[(relay, 1) for relay in relays],
            item_weights=[(ItemType.objects.get(slug="visor"), 2)],
        )
        approve_all(programme, by=region_controller())
        allocation = programme.allocations.get(relay__staff=relay_staff)
        redistribution = services.redistribution_propose(
            allocation=allocation, own_use=[("PLA", 1000)], by=relay_staff, now=timezone.now()
        )
        approved_redistribution(redistribution, relay_staff)
        line = redistribution.lines.filter(kind="maker").order_by("pk").first()
        services.payments_record(
            lines=[line],
            paid_on=datetime.date(2020, 6, 1),
            reference="VIR",
            by=relay_staff,
            now=timezone.now(),
        )
        services.programme_amend(
            programme=programme,
            terms=services.ProgrammeTerms(
                name="Complément",
                envelope_cents=1000,
                period_start_on=programme.period_start_on,
                period_end_on=programme.period_end_on,
                basis="units",
                relays=tuple(relays),
                fixed_shares=tuple((relay, 1) for relay in relays),
            ),
            motivation="Complément",
            by=region_staff,
            now=timezone.now(),
        )


@pytest.mark.parametrize("who", ["region_staff", "auditor", "relay_staff"])
def test_the_lists_cost_the_same_queries_for_2_and_20_programmes(
    client, request, region_staff, relay_staff, rennes, ensta, payees, who
):
    as_user(client, request.getfixturevalue(who))
    costs = []
    for size in (2, 20):
        _chain_up_to(
            size, region_staff=region_staff, relay_staff=relay_staff, relays=[rennes, ensta]
        )
        costs.append(
            (
                count_queries(client, PROGRAMMES, expected=2 * size),
                count_queries(
                    client, f"{PROGRAMMES}?status=approved&relay={rennes.pk}", expected=size
                ),
                count_queries(client, ALLOCATIONS),
                count_queries(client, f"{ALLOCATIONS}?relay={rennes.pk}&status=approved"),
                count_queries(client, REDISTRIBUTIONS, expected=size),
                count_queries(client, f"{REDISTRIBUTIONS}?status=approved&relay={rennes.pk}"),
            )
        )
    assert costs[0] == costs[1], costs


def test_a_redistribution_costs_the_same_queries_for_2_and_20_lines(
    client, approved, relay_staff, rennes
):
    allocation = approved.allocations.get(relay=rennes)
    organisation = make_organisation(name="Fab Lab Lannion", department="22")
    costs = []
    for size in (2, 20):
        while Maker.objects.count() < size:
            n = Maker.objects.count()
            person = make_maker(display_name=f"Maker {n}", department="35")
            kwargs = {}
            if n % 4 == 3:
                Membership.objects.create(maker=person, organisation=organisation)
                kwargs = {"organisation": organisation}
            make_report(maker=person, status="validated", decided_by=relay_staff, **kwargs)
            if n % 2:
                services.bank_account_set(
                    owner=person, holder=f"Maker {n}", iban=IBAN, by=relay_staff, now=timezone.now()
                )
        redistribution = services.redistribution_propose(
            allocation=allocation, own_use=[("PLA", 1000)], by=relay_staff, now=timezone.now()
        )
        lines = redistribution.lines.count()
        url = f"{REDISTRIBUTIONS}{redistribution.pk}/"
        costs.append(count_queries(as_user(client, relay_staff), url, expected=lines))
    assert costs[0] == costs[1], costs
