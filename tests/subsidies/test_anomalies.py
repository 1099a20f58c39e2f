"""Anomaly flags on the recap before an approval: each rule firing and not firing, and an
approval with flags taking their acknowledgement and a motivation, recorded with them (pages
and API)."""

import datetime

import pytest
from django.utils import timezone

from makers.models import ProductionReport
from subsidies import services
from subsidies.models import BankAccount
from tests.conftest import as_user, post, text
from tests.factories import (
    approve_all,
    make_maker,
    make_programme,
    make_report,
    make_user,
    region_controller,
)
from tests.refusals import answered
from tests.subsidies.approval import MOTIVATION, confirm_body, confirm_form, recap_of
from tilab import roles
from tilab.models import Decision

IBAN_A = "FR7630006000011234567890189"
IBAN_B = "FR7610107000000010112345697"
IBAN_RELAY = "FR1420041010050500013M02606"


@pytest.fixture
def rennes(relay_staff):
    return relay_staff.relays.get()


@pytest.fixture
def colleague(rennes):
    """A second staffer of LabFab de Rennes: the one who approves what the first proposed (what
    the first entered for a maker is decided by the Région: four eyes on reports)."""
    user = make_user(role=roles.RELAY_STAFF, email="gael@labfab.example.org", full_name="Gaël")
    rennes.staff.add(user)
    return user


def maker_with_account(name, department="35"):
    email = name.lower().replace(" ", ".") + "@example.org"
    user = make_user(role=roles.MAKER, email=email, full_name=name)
    return make_maker(user=user, display_name=name, department=department)


@pytest.fixture
def makers(reference_data):
    return {
        name: maker_with_account(name, department)
        for name, department in (("Bernard Guillou", "22"), ("Carole Le Du", "35"))
    }


def validated(maker, quantity, decided_by, **extra):
    return make_report(
        maker=maker, quantity=quantity, status="validated", decided_by=decided_by, **extra
    )


def redistribution_of(region_staff, relay_staff, rennes, envelope_cents=1_000_000):
    programme = approve_all(
        make_programme(by=region_staff, relays=[rennes], envelope_cents=envelope_cents),
        by=region_controller(),  # four eyes: not who created the programme
    )
    return services.redistribution_propose(
        allocation=programme.allocations.get(), by=relay_staff, now=timezone.now()
    )


def codes(obj) -> dict[str, set[str]]:
    """The flags of `obj`'s recap: payee name -> codes."""
    found: dict[str, set[str]] = {}
    for flag in recap_of(obj).flags:
        found.setdefault(flag.name, set()).add(flag.code)
    return found


def set_bank(owner, iban, by, *, days_ago=0):
    account = services.bank_account_set(
        owner=owner, holder=str(owner)[:70], iban=iban, by=by, now=timezone.now()
    )
    if days_ago:
        BankAccount.objects.filter(pk=account.pk).update(
            updated_at=timezone.now() - datetime.timedelta(days=days_ago)
        )
    return account


# --- A maker without an account far above the others -----------------------------------------


def test_a_maker_without_account_far_above_the_median_is_flagged(
    region_staff, relay_staff, rennes, makers, anne
):
    for maker, quantity in ((anne, 300), (makers["Bernard Guillou"], 400)):
        validated(maker, quantity, relay_staff)
    invented = make_maker(display_name="Maker Inventé", department="35")
    validated(invented, 100_000, region_staff, entered_by=relay_staff)
    redistribution = redistribution_of(region_staff, relay_staff, rennes)
    assert codes(redistribution) == {"Maker Inventé": {"production_outlier"}}


def test_the_median_is_the_other_payees_one(
    settings, region_staff, relay_staff, rennes, makers, anne
):
    settings.TILAB_ANOMALY_OUTLIER_ENVELOPE_PERCENT = 100  # the median rule alone
    validated(anne, 10, relay_staff)
    validated(makers["Bernard Guillou"], 100, relay_staff)
    invented = make_maker(display_name="Maker Inventé", department="35")
    validated(invented, 600, region_staff, entered_by=relay_staff)
    redistribution = redistribution_of(region_staff, relay_staff, rennes)
    # 600 is above 10 × 55 (the others' median), not above 10 × 100 (the median of all three).
    assert codes(redistribution) == {"Maker Inventé": {"production_outlier"}}
    settings.TILAB_ANOMALY_OUTLIER_MEDIAN_FACTOR = 11
    assert codes(redistribution) == {}


def test_the_same_production_by_a_maker_with_an_account_is_not_flagged(
    region_staff, relay_staff, rennes, makers, anne
):
    validated(anne, 100_000, relay_staff)
    validated(makers["Bernard Guillou"], 300, relay_staff)
    assert codes(redistribution_of(region_staff, relay_staff, rennes)) == {}


def test_a_maker_without_account_with_an_ordinary_share_is_not_flagged(
    region_staff, relay_staff, rennes, makers, anne
):
    for maker, quantity in ((anne, 300), (makers["Bernard Guillou"], 400)):
        validated(maker, quantity, relay_staff)
    validated(makers["Carole Le Du"], 500, relay_staff)
    quiet = make_maker(display_name="Maker Sans Compte", department="35")
    validated(quiet, 50, region_staff, entered_by=relay_staff)  # 4 % of the envelope
    assert codes(redistribution_of(region_staff, relay_staff, rennes)) == {}


def test_a_share_of_the_envelope_at_the_threshold_is_flagged_below_it_is_not(
    settings, region_staff, relay_staff, rennes, makers, anne
):
    for maker, quantity in ((anne, 100), (makers["Bernard Guillou"], 140)):
        validated(maker, quantity, relay_staff)
    quiet = make_maker(display_name="Maker Sans Compte", department="35")
    validated(quiet, 60, region_staff, entered_by=relay_staff)  # 20 % of the envelope
    redistribution = redistribution_of(region_staff, relay_staff, rennes)
    settings.TILAB_ANOMALY_OUTLIER_ENVELOPE_PERCENT = 20
    assert codes(redistribution) == {"Maker Sans Compte": {"production_outlier"}}
    settings.TILAB_ANOMALY_OUTLIER_ENVELOPE_PERCENT = 21
    assert codes(redistribution) == {}


def test_the_region_sees_the_outlier_before_approving_the_allocation(
    region_staff, relay_staff, rennes, makers, anne
):
    """The scenario of the issue: a relay staffer invents a maker and 100,000 visors."""
    for maker, quantity in ((anne, 300), (makers["Bernard Guillou"], 400)):
        validated(maker, quantity, relay_staff)
    invented = make_maker(display_name="Maker Inventé", department="35")
    validated(invented, 100_000, region_staff, entered_by=relay_staff)
    set_bank(rennes.organisation, IBAN_RELAY, relay_staff, days_ago=200)
    set_bank(invented, IBAN_RELAY, relay_staff, days_ago=200)
    programme = make_programme(by=region_staff, relays=[rennes], envelope_cents=3_000_000)
    assert codes(programme.allocations.get()) == {
        "Maker Inventé": {"production_outlier", "iban_of_relay"}
    }


# --- Bank details changed recently -------------------------------------------------------------


def test_bank_details_changed_recently_are_flagged_older_ones_are_not(
    settings, region_staff, relay_staff, rennes, makers, anne
):
    validated(anne, 30, relay_staff)
    validated(makers["Bernard Guillou"], 30, relay_staff)
    set_bank(anne, IBAN_A, relay_staff)
    set_bank(makers["Bernard Guillou"], IBAN_B, relay_staff, days_ago=31)
    redistribution = redistribution_of(region_staff, relay_staff, rennes)
    assert codes(redistribution) == {"Anne Le Goff": {"bank_account_changed"}}
    settings.TILAB_ANOMALY_BANK_CHANGE_DAYS = 40
    assert codes(redistribution) == {
        "Anne Le Goff": {"bank_account_changed"},
        "Bernard Guillou": {"bank_account_changed"},
    }


def test_the_relays_own_bank_details_changed_recently_are_flagged_on_its_allocation(
    region_staff, relay_staff, rennes, anne
):
    validated(anne, 30, relay_staff)
    programme = make_programme(by=region_staff, relays=[rennes])
    set_bank(rennes.organisation, IBAN_RELAY, relay_staff, days_ago=100)
    assert codes(programme.allocations.get()) == {}
    # Giving the same details again changes nothing; new ones do.
    set_bank(rennes.organisation, IBAN_RELAY, relay_staff)
    assert codes(programme.allocations.get()) == {}
    set_bank(rennes.organisation, IBAN_A, relay_staff)
    assert codes(programme.allocations.get()) == {"LabFab de Rennes": {"bank_account_changed"}}


# --- IBANs shared, or the relay's own ------------------------------------------------------------


def test_an_iban_shared_by_two_payees_is_flagged_on_both(
    region_staff, relay_staff, rennes, makers, anne
):
    validated(anne, 30, relay_staff)
    validated(makers["Bernard Guillou"], 30, relay_staff)
    set_bank(anne, IBAN_A, relay_staff, days_ago=100)
    set_bank(makers["Bernard Guillou"], IBAN_A, relay_staff, days_ago=100)
    assert codes(redistribution_of(region_staff, relay_staff, rennes)) == {
        "Anne Le Goff": {"iban_shared"},
        "Bernard Guillou": {"iban_shared"},
    }


def test_different_ibans_are_not_flagged(region_staff, relay_staff, rennes, makers, anne):
    validated(anne, 30, relay_staff)
    validated(makers["Bernard Guillou"], 30, relay_staff)
    set_bank(anne, IBAN_A, relay_staff, days_ago=100)
    set_bank(makers["Bernard Guillou"], IBAN_B, relay_staff, days_ago=100)
    set_bank(rennes.organisation, IBAN_RELAY, relay_staff, days_ago=100)
    assert codes(redistribution_of(region_staff, relay_staff, rennes)) == {}


def test_a_payee_paid_on_the_relays_own_iban_is_flagged(
    region_staff, relay_staff, rennes, makers, anne
):
    validated(anne, 30, relay_staff)
    validated(makers["Bernard Guillou"], 30, relay_staff)
    set_bank(rennes.organisation, IBAN_RELAY, relay_staff, days_ago=100)
    set_bank(makers["Bernard Guillou"], IBAN_RELAY, relay_staff, days_ago=100)
    assert codes(redistribution_of(region_staff, relay_staff, rennes)) == {
        "Bernard Guillou": {"iban_of_relay"}
    }


# --- Entered and validated by the same person ----------------------------------------------------


def test_a_report_entered_and_validated_by_the_same_person_flags_its_payee(
    region_staff, relay_staff, rennes, makers, anne
):
    validated(anne, 30, relay_staff)
    report = validated(makers["Bernard Guillou"], 30, region_staff, entered_by=relay_staff)
    redistribution = redistribution_of(region_staff, relay_staff, rennes)
    assert codes(redistribution) == {}
    # As it could be before the four-eyes rule: the person who entered it validated it.
    ProductionReport.objects.filter(pk=report.pk).update(decided_by=relay_staff)
    assert codes(redistribution) == {"Bernard Guillou": {"self_validated"}}


# --- Approving with flags: acknowledged, motivated, recorded ------------------------------------


@pytest.fixture
def flagged(region_staff, relay_staff, rennes, makers, anne):
    """A redistribution whose two payees share an IBAN."""
    validated(anne, 30, relay_staff)
    validated(makers["Bernard Guillou"], 30, relay_staff)
    set_bank(anne, IBAN_A, relay_staff, days_ago=100)
    set_bank(makers["Bernard Guillou"], IBAN_A, relay_staff, days_ago=100)
    return redistribution_of(region_staff, relay_staff, rennes)


def test_the_recap_page_shows_the_flags_and_asks_to_acknowledge_them(client, colleague, flagged):
    response = as_user(client, colleague).get(
        f"/subventions/redistributions/{flagged.pk}/approuver/"
    )
    html = text(response)
    assert "IBAN partagé avec un autre bénéficiaire" in html
    assert 'name="acknowledged" value="iban_shared"' in html
    assert 'name="motivation"' in html


def test_the_region_sees_the_flags_of_a_proposed_redistribution_without_bank_details(
    client, region_staff, relay_staff, flagged
):
    page = f"/subventions/redistributions/{flagged.pk}/"
    html = text(as_user(client, region_staff).get(page))
    assert "IBAN partagé avec un autre bénéficiaire" in html
    assert IBAN_A[-4:] not in html
    assert IBAN_A[-4:] in text(as_user(client, relay_staff).get(page))


def test_a_page_approval_with_flags_needs_their_acknowledgement_and_a_motivation(
    client, colleague, flagged
):
    url = f"/subventions/redistributions/{flagged.pk}/approuver/"
    as_user(client, colleague)  # four eyes: not who proposed it
    form = client.post(url, confirm_form(flagged, acknowledge=False)).context["form"]
    assert form.has_error("acknowledged", "anomalies_not_acknowledged")
    form = client.post(url, confirm_form(flagged, motivation="  ")).context["form"]
    assert form.has_error("motivation", "anomalies_motivation_missing")
    flagged.refresh_from_db()
    assert flagged.status == "proposed"

    client.post(url, confirm_form(flagged))
    flagged.refresh_from_db()
    assert flagged.status == "approved"
    data = Decision.objects.get(action="redistribution_approve").data
    assert data["anomalies"]["motivation"] == MOTIVATION
    assert {(f["code"], f["name"]) for f in data["anomalies"]["flags"]} == {
        ("iban_shared", "Anne Le Goff"),
        ("iban_shared", "Bernard Guillou"),
    }


def test_an_api_approval_with_flags_needs_their_acknowledgement_and_a_motivation(
    client, colleague, flagged
):
    url = f"/api/v1/redistributions/{flagged.pk}/approve/"
    as_user(client, colleague)  # four eyes: not who proposed it
    recap = client.get(f"/api/v1/redistributions/{flagged.pk}/recap/").json()
    assert {flag["code"] for flag in recap["flags"]} == {"iban_shared"}
    answered(
        post(client, url, confirm_body(flagged, acknowledge=False)),
        400,
        "anomalies_not_acknowledged",
        field="acknowledged_flags",
    )
    answered(
        post(client, url, confirm_body(flagged, motivation="")),
        400,
        "anomalies_motivation_missing",
        field="motivation",
    )
    assert post(client, url, confirm_body(flagged)).status_code == 200
    data = Decision.objects.get(action="redistribution_approve").data
    assert {f["code"] for f in data["anomalies"]["flags"]} == {"iban_shared"}
    assert data["anomalies"]["motivation"] == MOTIVATION


def test_the_region_acknowledges_the_flags_of_an_allocation_page_and_api(
    client, region_staff, other_region_staff, relay_staff, rennes, anne
):
    validated(anne, 30, relay_staff)
    set_bank(rennes.organisation, IBAN_RELAY, relay_staff)
    programme = make_programme(by=region_staff, relays=[rennes])
    allocation = programme.allocations.get()
    as_user(client, other_region_staff)  # four eyes: not who created the programme
    page = f"/subventions/allocations/{allocation.pk}/approuver/"
    assert "Coordonnées bancaires modifiées récemment" in text(client.get(page))
    form = client.post(page, confirm_form(allocation, acknowledge=False)).context["form"]
    assert form.has_error("acknowledged", "anomalies_not_acknowledged")
    answered(
        post(
            client,
            f"/api/v1/allocations/{allocation.pk}/approve/",
            confirm_body(allocation, acknowledge=False),
        ),
        400,
        "anomalies_not_acknowledged",
    )
    client.post(page, confirm_form(allocation))
    allocation.refresh_from_db()
    assert allocation.status == "approved"
    data = Decision.objects.get(action="allocation_approve").data
    assert [f["code"] for f in data["anomalies"]["flags"]] == ["bank_account_changed"]


def test_a_flag_raised_after_the_recap_was_read_refuses_the_approval(
    client, region_staff, relay_staff, colleague, rennes, makers, anne
):
    validated(anne, 30, relay_staff)
    validated(makers["Bernard Guillou"], 30, relay_staff)
    set_bank(anne, IBAN_A, relay_staff, days_ago=100)
    redistribution = redistribution_of(region_staff, relay_staff, rennes)
    seen = confirm_body(redistribution)
    assert "motivation" not in seen  # nothing to acknowledge when it was read
    set_bank(makers["Bernard Guillou"], IBAN_A, relay_staff, days_ago=100)
    url = f"/api/v1/redistributions/{redistribution.pk}/approve/"
    answered(post(as_user(client, colleague), url, seen), 409, "approval_recap_changed")
    redistribution.refresh_from_db()
    assert redistribution.status == "proposed"
