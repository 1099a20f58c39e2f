"""The recap before approving an allocation or a redistribution: what it shows, the figures
that went stale since the proposal and their recomputation, and the confirmation an approval
carries (pages and API)."""

import pytest
from django.utils import timezone

from subsidies import errors, services
from subsidies.models import Allocation, Redistribution
from tests.conftest import as_user, post, text
from tests.factories import approve_all, make_maker, make_programme, make_report, make_user
from tests.refusals import answered
from tests.subsidies.approval import confirm_body, confirm_form, recap_of
from tilab import roles
from tilab.models import Decision

ALLOCATIONS = "/api/v1/allocations/"
REDISTRIBUTIONS = "/api/v1/redistributions/"


@pytest.fixture
def rennes(relay_staff):
    return relay_staff.relays.get()


@pytest.fixture
def bernard(reference_data):
    user = make_user(role=roles.MAKER, email="bernard@example.org", full_name="Bernard Guillou")
    return make_maker(user=user, display_name="Bernard Guillou", department="22")


@pytest.fixture
def production(anne, bernard, relay_staff):
    """Validated production of two makers with an account: 40 and 60 visors."""
    for maker, quantity in ((anne, 40), (bernard, 60)):
        make_report(maker=maker, quantity=quantity, status="validated", decided_by=relay_staff)


@pytest.fixture
def programme(region_staff, rennes, production):
    """EUR 10,000 for LabFab de Rennes alone, on validated units, not approved yet."""
    return make_programme(by=region_staff, relays=[rennes], envelope_cents=1_000_000)


@pytest.fixture
def redistribution(programme, other_region_staff, relay_staff):
    """Camille's proposal: her colleague Morgane (`relay_colleague`) approves it (four eyes)."""
    approve_all(programme, by=other_region_staff)
    return services.redistribution_propose(
        allocation=programme.allocations.get(),
        own_use=[("Achat groupé de PLA", 100_000)],
        by=relay_staff,
        now=timezone.now(),
    )


def recap_page(redistribution) -> str:
    return f"/subventions/redistributions/{redistribution.pk}/approuver/"


def later_validation(anne, relay_staff, quantity=20):
    """A report validated after the proposal: the figures it rests on are stale."""
    make_report(maker=anne, quantity=quantity, status="validated", decided_by=relay_staff)


# --- What the recap shows -------------------------------------------------------------------


def test_the_redistribution_recap_shows_payees_amounts_the_figures_date_and_what_follows(
    client, relay_colleague, redistribution
):
    response = as_user(client, relay_colleague).get(recap_page(redistribution))
    assert response.status_code == 200
    recap = response.context["recap"]
    assert not recap.stale and not recap.flags
    assert [(p["name"], p["amount_cents"]) for p in recap.payees] == [
        ("Bernard Guillou", 540_000),
        ("Anne Le Goff", 360_000),
        ("Achat groupé de PLA", 100_000),
    ]
    html = text(response).replace("\u202f", " ")
    for shown in ("Bernard Guillou", "5 400,00", "Achat groupé de PLA", "irréversible"):
        assert shown in html
    assert timezone.localtime(redistribution.computed_at).strftime("%d/%m/%Y %H:%M") in html
    assert "Confirmer l'approbation" in html


def test_the_allocation_recap_shows_the_amount_the_figures_by_department_and_their_date(
    client, other_region_staff, programme
):
    allocation = programme.allocations.get()
    response = as_user(client, other_region_staff).get(
        f"/subventions/allocations/{allocation.pk}/approuver/"
    )
    assert response.status_code == 200
    recap = response.context["recap"]
    assert recap.amount_cents == 1_000_000
    assert {row["label"]: row["quantity"] for row in recap.figures} == {
        "Ille-et-Vilaine (35)": 40,
        "Côtes-d'Armor (22)": 60,
    }
    html = text(response)
    assert "10 000,00" in html.replace("\u202f", " ")
    assert timezone.localtime(allocation.computed_at).strftime("%d/%m/%Y %H:%M") in html


def test_the_api_recap_gives_what_the_approval_confirms(client, relay_colleague, redistribution):
    as_user(client, relay_colleague)
    body = client.get(f"{REDISTRIBUTIONS}{redistribution.pk}/recap/").json()
    assert body["fingerprint"] == recap_of(redistribution).fingerprint
    assert body["stale"] is False and body["flags"] == [] and body["changes"] == []
    assert sum(p["amount_cents"] for p in body["payees"]) == 1_000_000


# --- A confirmation of what was seen --------------------------------------------------------


def test_an_api_approval_without_its_confirmation_is_refused(
    client, region_staff, relay_colleague, programme, redistribution
):
    as_user(client, relay_colleague)
    answered(
        post(client, f"{REDISTRIBUTIONS}{redistribution.pk}/approve/"),
        400,
        "approval_confirmation_missing",
    )
    redistribution.refresh_from_db()
    assert redistribution.status == "proposed"


def test_a_page_approval_without_what_the_recap_showed_is_not_approved(
    client, relay_colleague, redistribution
):
    response = as_user(client, relay_colleague).post(recap_page(redistribution), {})
    assert response.status_code == 200
    form = response.context["form"]
    assert form.has_error("computed_at") and form.has_error("fingerprint")
    assert "Ce que vous confirmez manque" in text(response)
    redistribution.refresh_from_db()
    assert redistribution.status == "proposed"


def test_amounts_adjusted_after_the_recap_are_not_approved(
    client, relay_staff, relay_colleague, redistribution
):
    seen = confirm_body(redistribution)  # what Morgane read, before Camille adjusted
    lines = {line.payee_name: line for line in redistribution.lines.all()}
    services.redistribution_adjust(
        redistribution=redistribution,
        amounts={
            lines["Anne Le Goff"].pk: 400_000,
            lines["Bernard Guillou"].pk: 500_000,
        },
        motivation="Anne a fourni la matière",
        by=relay_staff,
        now=timezone.now(),
    )
    response = post(
        as_user(client, relay_colleague), f"{REDISTRIBUTIONS}{redistribution.pk}/approve/", seen
    )
    answered(response, 409, "approval_recap_changed", field="fingerprint")
    redistribution.refresh_from_db()
    assert redistribution.status == "proposed"


# --- Stale figures: redistributions ---------------------------------------------------------


def test_stale_figures_are_shown_refused_then_recomputed_and_approved_on_the_pages(
    client, relay_staff, relay_colleague, redistribution, anne
):
    later_validation(anne, relay_staff)
    # The second person reads the recap, recomputes (mechanical: Camille stays the proposer,
    # her own-use line kept) and approves.
    as_user(client, relay_colleague)
    response = client.get(recap_page(redistribution))
    recap = response.context["recap"]
    assert recap.stale and recap.may_recompute
    assert [(c.label, c.before["quantity"], c.after["quantity"]) for c in recap.changes] == [
        ("Anne Le Goff", 40, 60)
    ]
    html = text(response)
    assert "Les chiffres validés ont changé depuis le calcul" in html
    assert f"/subventions/redistributions/{redistribution.pk}/recalculer/" in html
    assert "Confirmer l'approbation" not in html

    response = client.post(recap_page(redistribution), confirm_form(redistribution), follow=True)
    assert str(errors.APPROVAL_FIGURES_STALE(count=1).message) in [
        m.message for m in response.context["messages"]
    ]
    redistribution.refresh_from_db()
    assert redistribution.status == "proposed"

    response = client.post(
        f"/subventions/redistributions/{redistribution.pk}/recalculer/", follow=True
    )
    assert response.redirect_chain[-1][0] == recap_page(redistribution)
    assert not response.context["recap"].stale
    lines = {line.payee_name: line.amount_cents for line in redistribution.lines.all()}
    assert lines == {
        "Achat groupé de PLA": 100_000,  # the relay's own use is kept
        "Anne Le Goff": 450_000,  # 60 of 120 visors now
        "Bernard Guillou": 450_000,
    }
    client.post(recap_page(redistribution), confirm_form(redistribution))
    redistribution.refresh_from_db()
    assert redistribution.status == "approved"
    decision = Decision.objects.get(action="redistribution_approve")
    assert decision.data["recap"]["fingerprint"] == recap_of(redistribution).fingerprint


def test_stale_figures_are_refused_then_recomputed_and_approved_through_the_api(
    client, relay_staff, relay_colleague, redistribution, anne
):
    later_validation(anne, relay_staff)
    as_user(client, relay_colleague)
    url = f"{REDISTRIBUTIONS}{redistribution.pk}"
    recap = client.get(f"{url}/recap/").json()
    assert recap["stale"] and recap["may_recompute"]
    assert recap["changes"][0]["label"] == "Anne Le Goff"
    assert (
        recap["changes"][0]["before"]["quantity"],
        recap["changes"][0]["after"]["quantity"],
    ) == (
        40,
        60,
    )
    seen = {"computed_at": recap["computed_at"], "fingerprint": recap["fingerprint"]}
    answered(post(client, f"{url}/approve/", seen), 409, "approval_figures_stale")

    fresh = post(client, f"{url}/recompute/")
    assert fresh.status_code == 200, fresh.content
    assert fresh.json()["stale"] is False
    # The old figures were never seen recomputed: a program cannot approve what it did not read.
    answered(post(client, f"{url}/approve/", seen), 409, "approval_figures_not_seen")
    new = {"computed_at": fresh.json()["computed_at"], "fingerprint": fresh.json()["fingerprint"]}
    assert post(client, f"{url}/approve/", new).status_code == 200
    assert Redistribution.objects.get(pk=redistribution.pk).status == "approved"


def test_the_service_refuses_stale_figures_confirmed_as_seen(
    relay_staff, relay_colleague, redistribution, anne
):
    seen = recap_of(redistribution)
    later_validation(anne, relay_staff)
    from subsidies.recap import Confirmation
    from tests.refusals import refused

    with refused("approval_figures_stale"):
        services.redistribution_approve(
            redistribution=redistribution,
            by=relay_colleague,
            now=timezone.now(),
            confirmation=Confirmation(seen.computed_at, seen.fingerprint),
        )


# --- Stale figures: allocations -------------------------------------------------------------


def test_a_stale_allocation_is_recomputed_before_approval_page_and_api(
    client, other_region_staff, relay_staff, programme, anne
):
    allocation = programme.allocations.get()
    later_validation(anne, relay_staff)
    as_user(client, other_region_staff)  # four eyes: Hélène created the programme
    url = f"/subventions/allocations/{allocation.pk}/approuver/"
    recap = client.get(url).context["recap"]
    assert recap.stale and recap.may_recompute
    assert [c.label for c in recap.changes] == ["Ille-et-Vilaine (35)"]
    client.post(url, confirm_form(allocation))
    allocation.refresh_from_db()
    assert allocation.status == "proposed"
    answered(
        post(client, f"{ALLOCATIONS}{allocation.pk}/approve/", confirm_body(allocation)),
        409,
        "approval_figures_stale",
    )

    response = client.post(f"/subventions/allocations/{allocation.pk}/recalculer/", follow=True)
    assert not response.context["recap"].stale
    allocation.refresh_from_db()
    assert allocation.snapshot["departments"]["35"]["quantity"] == 60
    assert Decision.objects.filter(action="allocations_recompute").count() == 1
    assert (
        post(client, f"{ALLOCATIONS}{allocation.pk}/approve/", confirm_body(allocation)).status_code
        == 200
    )


def test_a_stale_allocation_whose_programme_is_partly_approved_needs_a_motivated_approval(
    client, region_staff, other_region_staff, relay_staff, other_relay_staff, anne
):
    rennes, ensta = relay_staff.relays.get(), other_relay_staff.relays.get()
    make_report(maker=anne, quantity=40, status="validated", decided_by=relay_staff)
    yann = make_maker(display_name="Yann Kerouac", department="29")
    make_report(maker=yann, quantity=40, status="validated", decided_by=other_relay_staff)
    programme = make_programme(by=region_staff, relays=[rennes, ensta], envelope_cents=1_000_000)
    first = programme.allocations.get(relay=ensta)
    services.allocation_approve(allocation=first, by=other_region_staff, now=timezone.now())
    later_validation(anne, relay_staff)
    allocation = programme.allocations.get(relay=rennes)
    recap = recap_of(allocation)
    assert recap.stale and not recap.may_recompute
    assert recap.flag_codes == ["figures_changed"]

    as_user(client, other_region_staff)
    answered(
        post(client, f"{ALLOCATIONS}{allocation.pk}/recompute/"),
        409,
        "allocations_not_recomputable",
    )
    url = f"{ALLOCATIONS}{allocation.pk}/approve/"
    answered(
        post(client, url, confirm_body(allocation, acknowledge=False)),
        400,
        "anomalies_not_acknowledged",
    )
    assert post(client, url, confirm_body(allocation)).status_code == 200
    data = Decision.objects.get(action="allocation_approve", object_id=str(allocation.pk)).data
    assert [flag["code"] for flag in data["anomalies"]["flags"]] == ["figures_changed"]
    assert Allocation.objects.get(pk=allocation.pk).status == "approved"
