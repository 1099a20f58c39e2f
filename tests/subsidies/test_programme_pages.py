"""The programme pages: Région staff create, adjust, approve and amend programmes; relays read
their own allocation; auditors read everything; nobody else gets in."""

import datetime
from html import unescape

import pytest
from django.utils import timezone

from makers.models import ProductionReport
from subsidies import errors, services
from subsidies.models import Allocation, LedgerEntry, Programme
from tests.conftest import count_queries
from tests.factories import (
    approve_all,
    client_step_up,
    make_maker,
    make_programme,
    make_relay,
    make_report,
    make_terms,
    region_controller,
    totp_enrol,
)
from tests.subsidies.approval import confirm_form
from tilab import roles
from tilab.models import Decision, Department

NBSP, NNBSP = "\u00a0", "\u202f"


def euros(text: str) -> str:
    """ "15 000,00 €" as the pages write it: narrow no-break spaces, a no-break space before €."""
    return text.replace(" €", NBSP + "€").replace(" ", NNBSP)


def page(response) -> str:
    return unescape(response.content.decode())


@pytest.fixture
def relays(relay_staff, other_relay_staff):
    """The three relays of 2020: Rennes (35, 22), the Loch (56) and ENSTA Bretagne (29)."""
    return {
        "rennes": relay_staff.relays.get(),
        "loch": make_relay(name="La Fabrique du Loch", departments=["56"]),
        "ensta": other_relay_staff.relays.get(),
    }


@pytest.fixture
def programme_2020(region_staff, relays):
    return make_programme(
        by=region_staff,
        relays=list(relays.values()),
        fixed_shares=[(relays["rennes"], 50), (relays["loch"], 25), (relays["ensta"], 25)],
    )


def creation(relays, /, **changes) -> dict:
    data = {
        "name": "Soutien aux makers 2020",
        "envelope_cents": "30 000",
        "period_start_on": "2020-03-16",
        "period_end_on": "2020-05-31",
        "basis": "units",
        "relays": [str(relay.pk) for relay in relays.values()],
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def shares_2020(relays) -> dict:
    return {
        f"share_{relays['rennes'].pk}": "50",
        f"share_{relays['loch'].pk}": "25",
        f"share_{relays['ensta'].pk}": "25",
    }


def allocation_of(programme, relay) -> Allocation:
    return programme.allocations.get(relay=relay)


def amounts(programme) -> dict[str, int]:
    return {
        a.relay.organisation.name: a.amount_cents
        for a in programme.allocations.select_related("relay__organisation")
    }


# --- Who gets in ----------------------------------------------------------------------------------


def test_region_staff_see_every_programme_and_may_start_a_new_one(
    client, region_staff, programme_2020
):
    client.force_login(region_staff)
    html = page(client.get("/subventions/"))
    assert "Soutien aux makers 2020" in html
    assert euros("30 000,00 €") in html
    assert "Nouveau programme" in html
    assert client.get("/subventions/nouveau/").status_code == 200


def test_relay_staff_see_only_the_programmes_their_relay_takes_part_in(
    client, region_staff, relay_staff, relays, programme_2020
):
    finistere = make_programme(
        by=region_staff,
        relays=[relays["ensta"]],
        name="Finistère seul",
        fixed_shares=[(relays["ensta"], 1)],
    )
    client.force_login(relay_staff)
    html = page(client.get("/subventions/"))
    assert "Soutien aux makers 2020" in html
    assert "Finistère seul" not in html
    assert "Nouveau programme" not in html
    assert client.get(f"/subventions/{finistere.pk}/").status_code == 404


def test_relay_staff_read_their_own_allocation_and_nothing_of_the_others(
    client, relay_staff, programme_2020
):
    client.force_login(relay_staff)
    response = client.get(f"/subventions/{programme_2020.pk}/")
    html = page(response)
    assert response.status_code == 200
    assert "LabFab de Rennes" in html
    assert euros("15 000,00 €") in html
    assert "ENSTA Bretagne" not in html
    assert "La Fabrique du Loch" not in html
    assert euros("7 500,00 €") not in html
    assert "Ajuster la répartition" not in html
    assert "Approuver" not in html


def test_relay_staff_may_not_create_adjust_approve_or_amend(
    client, relay_staff, relays, programme_2020
):
    client.force_login(relay_staff)
    own = allocation_of(programme_2020, relays["rennes"])
    assert client.get("/subventions/nouveau/").status_code == 403
    assert client.post("/subventions/nouveau/", creation(relays)).status_code == 403
    adjust = {f"amount_{own.pk}": "20 000", "motivation": "Plus pour nous"}
    assert client.post(f"/subventions/{programme_2020.pk}/ajuster/", adjust).status_code == 403
    assert client.post(f"/subventions/allocations/{own.pk}/approuver/").status_code == 403
    assert client.get(f"/subventions/{programme_2020.pk}/modifier/").status_code == 403
    own.refresh_from_db()
    assert (own.amount_cents, own.status) == (1_500_000, "proposed")
    assert Programme.objects.count() == 1


def test_relay_staff_are_led_to_the_redistribution_of_an_approved_allocation(
    client, region_staff, relay_staff, relays, programme_2020
):
    approve_all(programme_2020, by=region_controller())
    own = allocation_of(programme_2020, relays["rennes"])
    client.force_login(relay_staff)
    html = page(client.get(f"/subventions/{programme_2020.pk}/"))
    assert f'href="/subventions/allocations/{own.pk}/redistribuer/"' in html
    assert "Préparer la redistribution" in html


def test_relay_staff_find_the_redistribution_they_prepared(
    client, region_staff, relay_staff, relays, programme_2020
):
    approve_all(programme_2020, by=region_controller())
    make_report(
        maker=make_maker(display_name="Anne", department="35"),
        status=ProductionReport.Status.VALIDATED,
        decided_by=relay_staff,
    )
    redistribution = services.redistribution_propose(
        allocation=allocation_of(programme_2020, relays["rennes"]),
        by=relay_staff,
        now=timezone.now(),
    )
    client.force_login(relay_staff)
    html = page(client.get(f"/subventions/{programme_2020.pk}/"))
    assert f'href="/subventions/redistributions/{redistribution.pk}/"' in html
    assert "Préparer la redistribution" not in html


def test_relay_staff_do_not_learn_the_name_of_a_programme_without_their_relay(
    client, region_staff, relay_staff, relays
):
    finistere = make_programme(
        by=region_staff,
        relays=[relays["ensta"]],
        name="Finistère seul",
        fixed_shares=[(relays["ensta"], 1)],
    )
    approve_all(finistere, by=region_controller())
    amendment = services.programme_amend(
        programme=finistere,
        terms=make_terms(
            relays=[relays["rennes"]], envelope_cents=100_000, fixed_shares=[(relays["rennes"], 1)]
        ),
        motivation="Rennes a aidé le Finistère",
        by=region_staff,
        now=timezone.now(),
    )
    client.force_login(relay_staff)
    for url in ("/subventions/", f"/subventions/{amendment.pk}/"):
        html = page(client.get(url))
        assert amendment.name in html
        assert "Finistère seul" not in html
        assert "votre relais ne participe pas" in html
        assert f'href="/subventions/{finistere.pk}/"' not in html


def test_auditors_read_everything_and_change_nothing(client, auditor, relays, programme_2020):
    client.force_login(auditor)
    listing = page(client.get("/subventions/"))
    assert "Soutien aux makers 2020" in listing
    assert "Nouveau programme" not in listing
    detail = page(client.get(f"/subventions/{programme_2020.pk}/"))
    for name in ("LabFab de Rennes", "La Fabrique du Loch", "ENSTA Bretagne"):
        assert name in detail
    assert "Ajuster la répartition" not in detail
    assert "/approuver/" not in detail
    allocation = allocation_of(programme_2020, relays["loch"])
    assert client.get("/subventions/nouveau/").status_code == 403
    assert (
        client.post(
            f"/subventions/{programme_2020.pk}/ajuster/",
            {f"amount_{allocation.pk}": "1", "motivation": "Essai"},
        ).status_code
        == 403
    )
    assert client.post(f"/subventions/allocations/{allocation.pk}/approuver/").status_code == 403
    assert client.get(f"/subventions/{programme_2020.pk}/modifier/").status_code == 403
    allocation.refresh_from_db()
    assert (allocation.amount_cents, allocation.status) == (750_000, "proposed")


@pytest.mark.parametrize("role", [roles.MAKER, roles.FACILITATOR])
def test_makers_and_facilitators_are_refused(client, role_users, role, programme_2020):
    client.force_login(role_users[role])
    for url in ("/subventions/", f"/subventions/{programme_2020.pk}/", "/subventions/nouveau/"):
        assert client.get(url).status_code == 403, url


def test_anonymous_visitors_are_sent_to_the_login_page(client, relays, programme_2020):
    allocation = programme_2020.allocations.first()
    for method, url in [
        ("get", "/subventions/"),
        ("get", f"/subventions/{programme_2020.pk}/"),
        ("get", "/subventions/nouveau/"),
        ("get", f"/subventions/{programme_2020.pk}/modifier/"),
        ("post", f"/subventions/{programme_2020.pk}/ajuster/"),
        ("post", f"/subventions/allocations/{allocation.pk}/approuver/"),
    ]:
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/"), url


def test_an_unknown_programme_answers_404(client, region_staff):
    client.force_login(region_staff)
    assert client.get("/subventions/999999/").status_code == 404
    assert client.post("/subventions/allocations/999999/approuver/").status_code == 404


# --- Creating a programme ----------------------------------------------------------------------


def test_the_2020_programme_typed_in_the_form_gives_15000_7500_7500(client, region_staff, relays):
    client.force_login(region_staff)
    data = creation(relays, envelope_cents="30 000,00 €", **shares_2020(relays))
    response = client.post("/subventions/nouveau/", data, follow=True)
    programme = Programme.objects.get()
    assert response.redirect_chain[-1][0] == f"/subventions/{programme.pk}/"
    assert amounts(programme) == {
        "LabFab de Rennes": 1_500_000,
        "La Fabrique du Loch": 750_000,
        "ENSTA Bretagne": 750_000,
    }
    assert (programme.envelope_cents, programme.uses_fixed_shares) == (3_000_000, True)
    html = page(response)
    assert "Programme « Soutien aux makers 2020 » créé" in html
    for shown in ("15 000,00 €", "7 500,00 €", "30 000,00 €"):
        assert euros(shown) in html
    assert "= l'enveloppe" in html
    decision = Decision.objects.get(action="programme_create")
    assert (decision.actor, decision.object_id) == (region_staff, str(programme.pk))


def test_the_form_proposes_every_relay_with_coverage(client, region_staff, relays):
    client.force_login(region_staff)
    form = client.get("/subventions/nouveau/").context["form"]
    assert sorted(form.initial["relays"]) == sorted(relay.pk for relay in relays.values())


def test_a_units_programme_splits_on_validated_production_to_the_cent(
    client, region_staff, relay_staff, other_relay_staff, relays
):
    spring = datetime.date(2020, 4, 2)
    for department, item, quantity, decider in [
        ("35", "visor", 10, relay_staff),
        ("22", "gown", 5, relay_staff),
        ("29", "visor", 20, other_relay_staff),
    ]:
        make_report(
            maker=make_maker(display_name=f"Maker {department}", department=department),
            item=item,
            quantity=quantity,
            produced_on=spring,
            status=ProductionReport.Status.VALIDATED,
            decided_by=decider,
        )
    from makers.models import ItemType

    gown = ItemType.objects.get(slug="gown")
    client.force_login(region_staff)
    data = creation(relays, envelope_cents="100,01", **{f"weight_{gown.pk}": "2"})
    response = client.post("/subventions/nouveau/", data, follow=True)
    programme = Programme.objects.get()
    # Rennes: 10 visors + 5 gowns × 2 = 20; ENSTA: 20 visors; the Loch: nothing validated.
    assert amounts(programme) == {
        "LabFab de Rennes": 5_001,
        "ENSTA Bretagne": 5_000,
        "La Fabrique du Loch": 0,
    }
    assert sum(amounts(programme).values()) == programme.envelope_cents
    html = page(response)
    for shown in ("50,01 €", "50,00 €", "100,01 €"):
        assert euros(shown) in html
    rennes = allocation_of(programme, relays["rennes"])
    assert rennes.snapshot["departments"]["22"]["quantity"] == 5
    assert "Côtes-d'Armor (22)" in html


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"envelope_cents": "-30 000"}, "envelope_cents", "sans nombre négatif"),
        ({"envelope_cents": "trente mille"}, "envelope_cents", "Indiquez un montant en euros"),
        ({"envelope_cents": "0"}, "envelope_cents", "montant positif"),
        ({"envelope_cents": None}, "envelope_cents", "obligatoire"),
        ({"period_end_on": "2020-03-01"}, "period_end_on", "précède son début"),
        ({"period_start_on": "2020-02-31"}, "period_start_on", "date valide"),
        ({"relays": []}, "relays", "au moins un relais"),
        ({"name": ""}, "name", "obligatoire"),
    ],
)
def test_bad_input_says_which_field_and_why_and_creates_nothing(
    client, region_staff, relays, changes, field, message
):
    client.force_login(region_staff)
    response = client.post("/subventions/nouveau/", creation(relays, **changes))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors
    assert message in " ".join(errors[field])
    assert message in page(response)
    assert not Programme.objects.exists()
    assert not Decision.objects.exists()


def test_fixed_shares_must_be_given_for_every_relay_taking_part(client, region_staff, relays):
    client.force_login(region_staff)
    shares = shares_2020(relays)
    shares[f"share_{relays['ensta'].pk}"] = ""
    response = client.post("/subventions/nouveau/", creation(relays, **shares))
    errors = response.context["form"].errors
    assert "indiquez aussi celle de ce relais" in errors[f"share_{relays['ensta'].pk}"][0]
    assert not Programme.objects.exists()


def test_a_share_for_a_relay_not_taking_part_is_refused(client, region_staff, relays):
    client.force_login(region_staff)
    data = creation(
        relays,
        relays=[str(relays["rennes"].pk)],
        **{f"share_{relays['rennes'].pk}": "50", f"share_{relays['loch'].pk}": "25"},
    )
    response = client.post("/subventions/nouveau/", data)
    assert "ne participe pas" in response.context["form"].errors[f"share_{relays['loch'].pk}"][0]
    assert not Programme.objects.exists()


def test_a_split_the_services_refuse_is_shown_above_the_form(client, region_staff, relays):
    """No validated production over the period and no fixed shares: nothing to split on."""
    client.force_login(region_staff)
    response = client.post("/subventions/nouveau/", creation(relays))
    assert (
        "Aucune production validée sur la période" in response.context["form"].non_field_errors()[0]
    )
    assert 'role="alert"' in page(response)
    assert not Programme.objects.exists()


# --- Adjusting and approving ---------------------------------------------------------------------


def adjustment(
    programme,
    relays,
    motivation="Le Loch a acheté la matière pour tout le Morbihan",
    **euros_by_relay,
):
    data = {"motivation": motivation}
    for key, value in euros_by_relay.items():
        data[f"amount_{allocation_of(programme, relays[key]).pk}"] = value
    return data


def test_region_staff_adjust_the_split_with_a_motivation(
    client, region_staff, relays, programme_2020
):
    client.force_login(region_staff)
    data = adjustment(programme_2020, relays, rennes="14 000", loch="8 500", ensta="7 500,00")
    response = client.post(f"/subventions/{programme_2020.pk}/ajuster/", data, follow=True)
    assert amounts(programme_2020) == {
        "LabFab de Rennes": 1_400_000,
        "La Fabrique du Loch": 850_000,
        "ENSTA Bretagne": 750_000,
    }
    html = page(response)
    assert "Répartition ajustée" in html
    assert euros("8 500,00 €") in html
    assert "Le Loch a acheté la matière pour tout le Morbihan" in html
    decisions = Decision.objects.filter(action="allocation_adjust").order_by("pk")
    assert [d.data for d in decisions] == [
        {"from_cents": 1_500_000, "to_cents": 1_400_000},
        {"from_cents": 750_000, "to_cents": 850_000},
    ]
    assert "Allocation ajustée" in html


def test_an_adjustment_that_misses_the_envelope_shows_the_gap_and_changes_nothing(
    client, region_staff, relays, programme_2020
):
    client.force_login(region_staff)
    data = adjustment(programme_2020, relays, rennes="15 100", loch="7 500", ensta="7 500")
    response = client.post(f"/subventions/{programme_2020.pk}/ajuster/", data)
    html = page(response)
    assert response.status_code == 200
    assert "l'écart est de " + euros("100,00 €") in html
    assert amounts(programme_2020)["LabFab de Rennes"] == 1_500_000
    assert not Decision.objects.filter(action="allocation_adjust").exists()


def test_an_adjustment_without_motivation_is_refused(client, region_staff, relays, programme_2020):
    client.force_login(region_staff)
    data = adjustment(
        programme_2020, relays, motivation="  ", rennes="14 000", loch="8 500", ensta="7 500"
    )
    response = client.post(f"/subventions/{programme_2020.pk}/ajuster/", data)
    assert "motivation" in response.context["adjust_form"].errors
    assert amounts(programme_2020)["LabFab de Rennes"] == 1_500_000


def test_a_negative_adjustment_is_refused_next_to_its_field(
    client, region_staff, relays, programme_2020
):
    client.force_login(region_staff)
    data = adjustment(programme_2020, relays, rennes="-1", loch="7 500", ensta="7 500")
    response = client.post(f"/subventions/{programme_2020.pk}/ajuster/", data)
    rennes = allocation_of(programme_2020, relays["rennes"])
    assert f"amount_{rennes.pk}" in response.context["adjust_form"].errors
    assert amounts(programme_2020)["LabFab de Rennes"] == 1_500_000


def test_region_staff_approve_an_allocation_once_and_for_all(
    client, region_staff, relays, programme_2020, other_region_staff
):
    rennes = allocation_of(programme_2020, relays["rennes"])
    client.force_login(other_region_staff)
    url = f"/subventions/allocations/{rennes.pk}/approuver/"
    confirmed = confirm_form(rennes)
    response = client.post(url, confirmed, follow=True)
    rennes.refresh_from_db()
    assert (rennes.status, rennes.approved_by) == ("approved", other_region_staff)
    html = page(response)
    assert "approuvée : elle ne changera plus" in html
    assert f"par {other_region_staff}" in html
    assert LedgerEntry.objects.filter(allocation=rennes, amount_cents=1_500_000).count() == 1

    again = page(client.post(url, confirmed, follow=True))
    assert "Cette allocation est déjà approuvée." in again
    assert Decision.objects.filter(action="allocation_approve").count() == 1
    assert LedgerEntry.objects.count() == 1


def test_an_allocation_adjusted_since_the_page_was_shown_is_not_approved(
    client, region_staff, relays, programme_2020, other_region_staff
):
    loch = allocation_of(programme_2020, relays["loch"])
    seen = confirm_form(loch)  # the recap the second agent reads
    client.force_login(region_staff)
    client.post(
        f"/subventions/{programme_2020.pk}/ajuster/",
        adjustment(programme_2020, relays, rennes="14 000", loch="8 500", ensta="7 500"),
    )
    client.force_login(other_region_staff)  # four eyes: not who adjusted it
    response = client.post(f"/subventions/allocations/{loch.pk}/approuver/", seen, follow=True)
    loch.refresh_from_db()
    assert loch.status == "proposed"
    shown = [m.message for m in response.context["messages"]]
    assert str(errors.APPROVAL_RECAP_CHANGED().message) in shown
    assert "8 500,00" in page(response).replace("\u202f", " ")  # the recap shows the new amount


def test_approving_the_last_allocation_approves_the_programme_and_offers_an_amendment(
    client, region_staff, relays, programme_2020, other_region_staff
):
    client.force_login(other_region_staff)
    for allocation in programme_2020.allocations.order_by("pk"):
        response = client.post(
            f"/subventions/allocations/{allocation.pk}/approuver/",
            confirm_form(allocation),
            follow=True,
        )
    programme_2020.refresh_from_db()
    assert programme_2020.status == "approved"
    html = page(response)
    assert "le programme est approuvé" in html
    assert "Modifier par un avenant" in html
    assert "Ajuster la répartition" not in html
    assert "Programme approuvé" in html  # in the decision history
    adjust = client.post(
        f"/subventions/{programme_2020.pk}/ajuster/",
        adjustment(programme_2020, relays, rennes="1"),
        follow=True,
    )
    assert "modifiez le programme par un avenant" in page(adjust)


def test_the_history_lists_the_decisions_in_order_with_who_and_why(
    client, region_staff, relays, programme_2020, other_region_staff
):
    client.force_login(region_staff)
    client.post(
        f"/subventions/{programme_2020.pk}/ajuster/",
        adjustment(programme_2020, relays, rennes="14 000", loch="8 500", ensta="7 500"),
    )
    loch = allocation_of(programme_2020, relays["loch"])
    client.force_login(other_region_staff)  # four eyes: not who adjusted it
    client.post(f"/subventions/allocations/{loch.pk}/approuver/", confirm_form(loch))
    history = client.get(f"/subventions/{programme_2020.pk}/").context["history"]
    assert [(entry["decision"].action, str(entry["relay"] or "")) for entry in history] == [
        ("programme_create", ""),
        ("allocation_adjust", "LabFab de Rennes"),
        ("allocation_adjust", "La Fabrique du Loch"),
        ("allocation_approve", "La Fabrique du Loch"),
    ]
    assert {entry["decision"].actor for entry in history} == {region_staff, other_region_staff}


# --- Two-factor gate ----------------------------------------------------------------------------


def test_without_two_factor_there_is_no_approve_button_but_a_way_to_activate_it(
    client, mfa_required, region_staff, relays, programme_2020
):
    client.force_login(region_staff)
    html = page(client.get(f"/subventions/{programme_2020.pk}/"))
    assert "/approuver/" not in html
    assert 'href="/accounts/2fa/totp/activate/"' in html
    assert "la double authentification est obligatoire" in html
    rennes = allocation_of(programme_2020, relays["rennes"])
    response = client.post(f"/subventions/allocations/{rennes.pk}/approuver/")
    assert (response.status_code, response["Location"]) == (302, "/accounts/2fa/totp/activate/")
    rennes.refresh_from_db()
    assert rennes.status == "proposed"


def test_with_two_factor_activated_region_staff_type_their_code_and_approve(
    client, mfa_required, region_staff, relays, programme_2020, other_region_staff
):
    totp_enrol(other_region_staff)
    client.force_login(other_region_staff)
    rennes = allocation_of(programme_2020, relays["rennes"])
    html = page(client.get(f"/subventions/{programme_2020.pk}/"))
    assert f"/subventions/allocations/{rennes.pk}/approuver/" in html
    response = client.post(f"/subventions/allocations/{rennes.pk}/approuver/", confirm_form(rennes))
    assert response["Location"].startswith("/accounts/2fa/reauthenticate/")
    rennes.refresh_from_db()
    assert rennes.status == "proposed"
    client_step_up(client, other_region_staff)
    client.post(f"/subventions/allocations/{rennes.pk}/approuver/", confirm_form(rennes))
    rennes.refresh_from_db()
    assert rennes.status == "approved"


# --- Amendments ---------------------------------------------------------------------------------


def test_an_approved_programme_is_amended_by_a_linked_programme(
    client, region_staff, relays, programme_2020
):
    approve_all(programme_2020, by=region_controller())
    client.force_login(region_staff)
    url = f"/subventions/{programme_2020.pk}/modifier/"
    form = client.get(url).context["form"]
    assert form.initial["period_start_on"] == datetime.date(2020, 3, 16)
    assert form.initial["basis"] == "units"
    assert sorted(form.initial["relays"]) == sorted(r.pk for r in relays.values())
    data = creation(
        relays,
        name="Avenant 2020 : Morbihan",
        envelope_cents="3 000",
        relays=[str(relays["loch"].pk)],
        motivation="Des factures de PET du Morbihan arrivées après coup",
        **{f"share_{relays['loch'].pk}": "1"},
    )
    response = client.post(url, data, follow=True)
    amendment = Programme.objects.get(amends=programme_2020)
    assert amounts(amendment) == {"La Fabrique du Loch": 300_000}
    assert amendment.motivation == "Des factures de PET du Morbihan arrivées après coup"
    html = page(response)
    assert response.redirect_chain[-1][0] == f"/subventions/{amendment.pk}/"
    assert f'href="/subventions/{programme_2020.pk}/"' in html  # links back
    original = page(client.get(f"/subventions/{programme_2020.pk}/"))
    assert f'href="/subventions/{amendment.pk}/"' in original
    assert "Avenant 2020 : Morbihan" in original
    decision = Decision.objects.get(action="programme_amend")
    assert (decision.object_id, decision.motivation) == (
        str(programme_2020.pk),
        "Des factures de PET du Morbihan arrivées après coup",
    )
    listing = page(client.get("/subventions/"))
    assert "Modifié par" in listing


def test_an_amendment_needs_a_motivation(client, region_staff, relays, programme_2020):
    approve_all(programme_2020, by=region_controller())
    client.force_login(region_staff)
    data = creation(relays, envelope_cents="3 000", **shares_2020(relays))
    response = client.post(f"/subventions/{programme_2020.pk}/modifier/", data)
    assert "motivation" in response.context["form"].errors
    assert Programme.objects.count() == 1


def test_a_programme_still_in_preparation_is_adjusted_not_amended(
    client, region_staff, programme_2020
):
    client.force_login(region_staff)
    response = client.get(f"/subventions/{programme_2020.pk}/modifier/", follow=True)
    assert "pas encore approuvé : ajustez-le directement" in page(response)
    assert Programme.objects.count() == 1


# --- Queries ------------------------------------------------------------------------------------


def grow(region_staff, relays, extra_departments):
    """More relays, each with its own department, and more programmes among them all."""
    for code in extra_departments:
        Department.objects.create(
            code=code, name=f"Département {code}", region_code="52", region_name="Ailleurs"
        )
        relays[code] = make_relay(name=f"Relais {code}", departments=[code])
    for n in range(3):
        programme = make_programme(
            by=region_staff,
            relays=list(relays.values()),
            name=f"Programme {n}",
            fixed_shares=[(relay, 1) for relay in relays.values()],
        )
        if n == 0:
            approve_all(programme, by=region_controller())


@pytest.mark.parametrize("who", ["region_staff", "auditor"])
def test_the_list_and_the_detail_keep_a_fixed_number_of_queries(
    client, request, region_staff, relays, programme_2020, who
):
    approve_all(programme_2020, by=region_controller())
    # One programme still waiting for approval from the start, so that both sizes have
    # allocations of each state (an empty list of ids to check costs no query at all).
    make_programme(
        by=region_staff,
        relays=list(relays.values()),
        name="En attente",
        fixed_shares=[(relay, 1) for relay in relays.values()],
    )
    client.force_login(request.getfixturevalue(who))
    url = f"/subventions/{programme_2020.pk}/"
    small = (count_queries(client, "/subventions/"), count_queries(client, url))
    grow(region_staff, relays, ["44", "50", "53"])
    # The detail of a bigger programme, and the list of more programmes.
    bigger = Programme.objects.filter(allocations__relay__organisation__name="Relais 44").first()
    large = (
        count_queries(client, "/subventions/"),
        count_queries(client, f"/subventions/{bigger.pk}/"),
    )
    assert large == small


def test_relay_staff_pages_keep_a_fixed_number_of_queries(
    client, region_staff, relay_staff, relays, programme_2020
):
    client.force_login(relay_staff)
    small = count_queries(client, "/subventions/")
    grow(region_staff, relays, ["44", "50"])
    assert count_queries(client, "/subventions/") == small


def test_the_new_programme_page_keeps_a_fixed_number_of_queries(client, region_staff, relays):
    client.force_login(region_staff)
    small = count_queries(client, "/subventions/nouveau/")
    for code in ("44", "50", "53"):
        Department.objects.create(code=code, name=f"Dép. {code}", region_code="52", region_name="X")
        make_relay(name=f"Relais {code}", departments=[code])
    assert count_queries(client, "/subventions/nouveau/") == small
