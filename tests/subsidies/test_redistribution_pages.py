"""The relay's redistribution pages (propose, adjust, approve; payment batches have their own
tests), payees'
bank details, and the money a maker received: what each role may see and do."""

import datetime
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from makers.models import Membership
from subsidies import selectors, services
from subsidies.models import (
    BankAccount,
    LedgerEntry,
    Redistribution,
    RedistributionLine,
)
from tests.conftest import text
from tests.factories import (
    approve_all,
    client_step_up,
    make_maker,
    make_organisation,
    make_programme,
    make_report,
    make_user,
    region_controller,
    relay_colleague,
    totp_enrol,
)
from tests.subsidies.approval import confirm_form
from tilab import roles
from tilab.models import Decision

GOOD_IBAN = "FR76 3000 6000 0112 3456 7890 189"
GOOD_IBAN_COMPACT = "FR7630006000011234567890189"
BAD_IBAN = "FR76 3000 6000 0112 3456 7890 188"  # one digit changed: the checksum fails
RELAY_IBAN = "FR14 2004 1010 0505 0001 3M02 606"


def now():
    return timezone.now()


def validated(maker, *, quantity, relay_staff, organisation=None):
    return make_report(
        maker=maker,
        quantity=quantity,
        status="validated",
        decided_by=relay_staff,
        organisation=organisation,
    )


def propose(allocation, relay_staff, own_use=(("Achat groupé de PLA", 300_000),)):
    return services.redistribution_propose(
        allocation=allocation, own_use=list(own_use), by=relay_staff, now=now()
    )


@pytest.fixture
def redistribution(allocation, relay_staff):
    return propose(allocation, relay_staff)


@pytest.fixture
def approved(redistribution, relay_staff):
    services.redistribution_approve(
        redistribution=redistribution, by=relay_colleague(relay_staff), now=now()
    )
    redistribution.refresh_from_db()
    return redistribution


def page(pk):
    return f"/subventions/redistributions/{pk}/"


def own_use_rows(*rows, prefix="own"):
    data = {f"{prefix}-TOTAL_FORMS": "3", f"{prefix}-INITIAL_FORMS": "0"}
    for i in range(3):
        purpose, amount = rows[i] if i < len(rows) else ("", "")
        data[f"{prefix}-{i}-purpose"] = purpose
        data[f"{prefix}-{i}-amount_cents"] = amount
    return data


def line_of(redistribution, **payee):
    return redistribution.lines.get(**payee)


def amounts(redistribution):
    return {line.payee_name: line.amount_cents for line in redistribution.lines.all()}


def adjust_data(redistribution, changes=None, motivation="Bertrand a fourni la matière.", **rows):
    data = {f"line_{line.pk}": str(line.amount_cents / 100) for line in redistribution.lines.all()}
    for name, euros in (changes or {}).items():
        data[f"line_{redistribution.lines.get(maker__display_name=name).pk}"] = euros
    return {**data, "motivation": motivation, **own_use_rows(*rows.get("own", ()))}


# --- Proposing ----------------------------------------------------------------------------


def test_relay_staff_propose_with_own_use_lines_and_the_lines_make_the_allocation(
    client, relay_staff, allocation
):
    client.force_login(relay_staff)
    url = f"/subventions/allocations/{allocation.pk}/redistribuer/"
    assert "Proposer la redistribution" in text(client.get(url))
    response = client.post(
        url,
        own_use_rows(("Achat groupé de PLA", "2 000"), ("Plaques PET", "1 000,40")),
        follow=True,
    )
    redistribution = Redistribution.objects.get(allocation=allocation)
    assert response.redirect_chain[-1][0] == page(redistribution.pk)
    assert amounts(redistribution) == {
        "Achat groupé de PLA": 200_000,
        "Plaques PET": 100_040,
        "Anne Le Goff": 299_990,
        "Bertrand Guillou": 899_970,
    }
    assert sum(amounts(redistribution).values()) == allocation.amount_cents
    html = text(response)
    assert "Redistribution proposée : 4 lignes pour 15\u202f000,00\u00a0€" in html
    assert "Achat groupé de PLA" in html
    assert "4 lignes : 15\u202f000,00\u00a0€ répartis sur une allocation de 15\u202f000,00" in html


def test_proposing_without_own_use_shares_everything_among_the_payees(
    client, relay_staff, allocation
):
    client.force_login(relay_staff)
    client.post(f"/subventions/allocations/{allocation.pk}/redistribuer/", own_use_rows())
    redistribution = Redistribution.objects.get(allocation=allocation)
    assert amounts(redistribution) == {"Anne Le Goff": 375_000, "Bertrand Guillou": 1_125_000}


def test_an_own_use_line_without_an_amount_is_explained_and_nothing_is_proposed(
    client, relay_staff, allocation
):
    client.force_login(relay_staff)
    response = client.post(
        f"/subventions/allocations/{allocation.pk}/redistribuer/",
        own_use_rows(("Prototypes", "")),
    )
    assert "Indiquez le montant de cette ligne." in text(response)
    assert not Redistribution.objects.exists()


def test_own_use_beyond_the_allocation_is_refused_with_the_amounts(client, relay_staff, allocation):
    client.force_login(relay_staff)
    response = client.post(
        f"/subventions/allocations/{allocation.pk}/redistribuer/",
        own_use_rows(("Achat groupé de PLA", "20 000")),
    )
    html = text(response)
    assert "dépassent l'allocation" in html
    assert "20\u202f000,00\u00a0€" in html
    assert not Redistribution.objects.exists()


def test_an_allocation_not_approved_yet_cannot_be_redistributed(
    client, region_staff, relay_staff, anne
):
    validated(anne, quantity=10, relay_staff=relay_staff)
    programme = make_programme(by=region_staff, relays=[relay_staff.relays.get()])
    allocation = programme.allocations.get()
    client.force_login(relay_staff)
    url = f"/subventions/allocations/{allocation.pk}/redistribuer/"
    html = text(client.get(url))
    assert "attend l'approbation de la Région" in html
    assert '<form method="post" novalidate>' not in html
    response = client.post(url, own_use_rows(), follow=True)
    assert "pas encore approuvée par la Région" in text(response)
    assert not Redistribution.objects.exists()


def test_proposing_again_recomputes_the_proposal_and_says_so(
    client, relay_staff, allocation, redistribution
):
    client.force_login(relay_staff)
    url = f"/subventions/allocations/{allocation.pk}/redistribuer/"
    assert "La proposer à nouveau la recalcule" in text(client.get(url))
    client.post(url, own_use_rows(("Prototypes", "1 500")))
    redistribution.refresh_from_db()
    assert amounts(redistribution) == {
        "Prototypes": 150_000,
        "Anne Le Goff": 337_500,
        "Bertrand Guillou": 1_012_500,
    }


def test_an_approved_redistribution_is_not_proposed_again(client, relay_staff, approved):
    client.force_login(relay_staff)
    before = amounts(approved)
    response = client.post(
        f"/subventions/allocations/{approved.allocation_id}/redistribuer/",
        own_use_rows(("Prototypes", "1 500")),
        follow=True,
    )
    assert response.redirect_chain[-1][0] == page(approved.pk)
    assert "elle ne change plus" in text(response)
    assert amounts(approved) == before


# --- Who sees what ------------------------------------------------------------------------


def test_relay_staff_see_their_redistribution_with_figures_and_totals(
    client, relay_staff, redistribution
):
    client.force_login(relay_staff)
    response = client.get(page(redistribution.pk))
    html = text(response)
    assert "Soutien aux makers 2020" in html
    assert "proposée" in html
    assert "Bertrand Guillou" in html
    assert "72" in html  # Bertrand's validated quantity
    assert "Enregistrer l'ajustement" in html
    # Four eyes: who proposed it is told who approves instead (one staffer: the Région).
    assert "Vérifier puis approuver" not in html
    assert "la Région l'approuve" in html
    assert "IBAN manquant" in html


@pytest.mark.parametrize("role", ["region_staff", "auditor"])
def test_region_and_auditors_read_the_page_but_change_nothing(
    client, request, role, relay_staff, redistribution, relay_colleague
):
    relay_colleague  # a relay of two: the Région is not the second person
    user = request.getfixturevalue(role)
    client.force_login(user)
    html = text(client.get(page(redistribution.pk)))
    assert "Bertrand Guillou" in html
    assert "Enregistrer l'ajustement" not in html
    assert "Vérifier puis approuver" not in html
    before = amounts(redistribution)
    pk = redistribution.pk
    for url, data in [
        (f"{page(pk)}ajuster/", adjust_data(redistribution, {"Anne Le Goff": "0"})),
        (f"{page(pk)}approuver/", {}),
        (f"{page(pk)}nouveau-lot/", {"format": "csv"}),
        (f"{page(pk)}depense-propre/", {}),
        (f"/subventions/allocations/{redistribution.allocation_id}/redistribuer/", {}),
    ]:
        assert client.post(url, data).status_code == 403, url
    redistribution.refresh_from_db()
    assert redistribution.status == "proposed"
    assert amounts(redistribution) == before


@pytest.mark.parametrize("role", ["region_staff", "auditor"])
def test_region_and_auditors_never_get_transfer_files_nor_bank_details(
    client, request, role, relay_staff, approved, anne
):
    services.bank_account_set(
        owner=anne, holder="Anne Le Goff", iban=GOOD_IBAN, by=relay_staff, now=now()
    )
    client.force_login(request.getfixturevalue(role))
    html = text(client.get(page(approved.pk)))
    assert "IBAN connu" in html  # whether it is known, yes; which it is, no
    assert "0189" not in html and "FR76" not in html
    assert "Préparer un lot de virements" not in html
    assert client.get(f"{page(approved.pk)}nouveau-lot/").status_code == 403
    assert client.get(f"/subventions/coordonnees-bancaires/maker/{anne.pk}/").status_code == 404


def test_another_relays_staff_get_404_everywhere(client, other_relay_staff, approved, anne):
    client.force_login(other_relay_staff)
    pk = approved.pk
    for url in [
        page(pk),
        f"{page(pk)}virements.csv",
        f"{page(pk)}virements-sepa.xml",
        f"/subventions/allocations/{approved.allocation_id}/redistribuer/",
        f"/subventions/coordonnees-bancaires/maker/{anne.pk}/",
    ]:
        assert client.get(url).status_code == 404, url
    for suffix in ["ajuster/", "approuver/", "paiements/"]:
        assert client.post(f"{page(pk)}{suffix}", {}).status_code == 404, suffix


def test_a_maker_gets_404_on_the_relays_pages(client, maker, redistribution):
    client.force_login(maker)
    assert client.get(page(redistribution.pk)).status_code == 404
    url = f"/subventions/allocations/{redistribution.allocation_id}/redistribuer/"
    assert client.get(url).status_code == 404
    assert client.post(f"{page(redistribution.pk)}approuver/").status_code == 404


def test_someone_not_logged_in_is_sent_to_log_in(client, redistribution):
    response = client.get(page(redistribution.pk))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


# --- Adjusting ----------------------------------------------------------------------------


def test_relay_staff_adjust_amounts_and_add_an_own_use_line_with_a_motivation(
    client, relay_staff, redistribution
):
    client.force_login(relay_staff)
    data = adjust_data(
        redistribution,
        {"Anne Le Goff": "2 000", "Bertrand Guillou": "8 000"},
        motivation="Prototypes payés par le relais.",
        own=[("Prototypes", "2 000")],
    )
    response = client.post(f"{page(redistribution.pk)}ajuster/", data, follow=True)
    assert "Ajustement enregistré" in text(response)
    assert amounts(redistribution) == {
        "Achat groupé de PLA": 300_000,
        "Prototypes": 200_000,
        "Anne Le Goff": 200_000,
        "Bertrand Guillou": 800_000,
    }
    redistribution.refresh_from_db()
    assert redistribution.motivation == "Prototypes payés par le relais."
    decision = Decision.objects.get(action="redistribution_adjust")
    assert decision.motivation == "Prototypes payés par le relais."


def test_lines_that_miss_the_allocation_show_the_gap_and_change_nothing(
    client, relay_staff, redistribution
):
    client.force_login(relay_staff)
    before = amounts(redistribution)
    data = adjust_data(redistribution, {"Anne Le Goff": "4 000"})
    response = client.post(f"{page(redistribution.pk)}ajuster/", data)
    html = text(response)
    assert "l'écart est de 1\u202f000,00\u00a0€" in html
    assert 'value="4 000"' in html  # what was typed comes back to be corrected
    assert amounts(redistribution) == before
    assert not Decision.objects.filter(action="redistribution_adjust").exists()


def test_an_adjustment_needs_a_motivation(client, relay_staff, redistribution):
    client.force_login(relay_staff)
    before = amounts(redistribution)
    data = adjust_data(
        redistribution, {"Anne Le Goff": "2 000", "Bertrand Guillou": "10 000"}, motivation=""
    )
    response = client.post(f"{page(redistribution.pk)}ajuster/", data)
    assert "Ce champ est obligatoire." in text(response)
    assert amounts(redistribution) == before


def test_an_approved_redistribution_is_not_adjusted(client, relay_staff, approved):
    client.force_login(relay_staff)
    before = amounts(approved)
    data = adjust_data(approved, {"Anne Le Goff": "2 000", "Bertrand Guillou": "10 000"})
    response = client.post(f"{page(approved.pk)}ajuster/", data, follow=True)
    assert "elle ne change plus" in text(response)
    assert amounts(approved) == before


# --- Approving ----------------------------------------------------------------------------


def test_relay_staff_approve_once_and_a_second_time_is_refused(
    client, relay_staff, redistribution, relay_colleague
):
    client.force_login(relay_colleague)  # four eyes: not who proposed it
    confirmed = confirm_form(redistribution)
    response = client.post(f"{page(redistribution.pk)}approuver/", confirmed, follow=True)
    assert "Redistribution approuvée" in text(response)
    redistribution.refresh_from_db()
    assert redistribution.status == "approved"
    approved_at = redistribution.approved_at
    entries = LedgerEntry.objects.count()

    response = client.post(f"{page(redistribution.pk)}approuver/", confirmed, follow=True)
    assert "Cette redistribution est déjà approuvée." in text(response)
    redistribution.refresh_from_db()
    assert redistribution.approved_at == approved_at
    assert LedgerEntry.objects.count() == entries


def test_without_two_factor_relay_staff_are_told_how_to_approve(
    client, settings, relay_staff, redistribution, relay_colleague
):
    settings.TILAB_MFA_REQUIRED_FOR_MONEY = True
    client.force_login(relay_colleague)
    html = text(client.get(page(redistribution.pk)))
    assert "Vérifier puis approuver" not in html
    assert "activez d'abord la double authentification" in html
    assert 'href="/accounts/2fa/totp/activate/"' in html
    response = client.post(f"{page(redistribution.pk)}approuver/")
    assert (response.status_code, response["Location"]) == (302, "/accounts/2fa/totp/activate/")
    redistribution.refresh_from_db()
    assert redistribution.status == "proposed"


def test_with_two_factor_on_the_account_relay_staff_type_their_code_then_approve(
    client, settings, relay_staff, redistribution, relay_colleague
):
    settings.TILAB_MFA_REQUIRED_FOR_MONEY = True
    totp_enrol(relay_colleague)
    client.force_login(relay_colleague)
    detail = page(redistribution.pk)
    # The recap is offered; going to it asks for the code and comes back to it.
    assert "Vérifier puis approuver" in text(client.get(detail))
    recap = f"{detail}approuver/"
    response = client.get(recap)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/2fa/reauthenticate/?next={quote(recap, safe='')}"
    redistribution.refresh_from_db()
    assert redistribution.status == "proposed"

    client_step_up(client, relay_colleague)
    client.post(recap, confirm_form(redistribution))
    redistribution.refresh_from_db()
    assert redistribution.status == "approved"


def test_the_page_lists_payees_without_bank_details(client, relay_staff, approved, anne):
    services.bank_account_set(
        owner=anne, holder="Anne Le Goff", iban=GOOD_IBAN, by=relay_staff, now=now()
    )
    client.force_login(relay_staff)
    html = text(client.get(page(approved.pk)))
    section = html[html.index("Bénéficiaires sans coordonnées bancaires") :]
    assert "Bertrand Guillou" in section
    assert "Anne Le Goff" not in section
    bertrand = line_of(approved, maker__display_name="Bertrand Guillou").maker
    assert f"/subventions/coordonnees-bancaires/maker/{bertrand.pk}/?next=" in section


# --- Bank details -------------------------------------------------------------------------


def bank_url(owner, kind="maker"):
    return f"/subventions/coordonnees-bancaires/{kind}/{owner.pk}/"


def test_a_bad_iban_is_explained_on_its_field_and_nothing_is_stored(client, maker, anne):
    client.force_login(maker)
    response = client.post(bank_url(anne), {"holder": "Anne Le Goff", "iban": BAD_IBAN})
    form = response.context["form"]
    assert form.errors["iban"] == [f"IBAN invalide : {BAD_IBAN} (vérifiez chaque caractère)."]
    assert "IBAN invalide" in text(response)
    assert not BankAccount.objects.exists()


def test_a_maker_sets_their_iban_and_it_is_stored_compact(client, maker, anne):
    client.force_login(maker)
    response = client.post(
        bank_url(anne), {"holder": "Anne Le Goff", "iban": GOOD_IBAN.lower()}, follow=True
    )
    account = BankAccount.objects.get(maker=anne)
    assert (account.holder, account.iban) == ("Anne Le Goff", GOOD_IBAN_COMPACT)
    assert "IBAN se terminant par 0189" in text(response)
    # The page shows the details in full to the payee.
    assert GOOD_IBAN in text(client.get(bank_url(anne)))


def test_relay_staff_fill_in_a_payees_bank_details_and_go_back(client, relay_staff, approved, anne):
    client.force_login(relay_staff)
    back = page(approved.pk)
    response = client.post(
        f"{bank_url(anne)}?next={back}",
        {"holder": "Anne Le Goff", "iban": GOOD_IBAN, "next": back},
    )
    assert response["Location"] == back
    html = text(client.get(back))
    assert "FR76 **** **** 0189" in html  # masked on the redistribution page
    assert GOOD_IBAN not in html


def test_next_never_leads_to_another_site(client, maker, anne):
    client.force_login(maker)
    response = client.post(
        bank_url(anne),
        {"holder": "Anne Le Goff", "iban": GOOD_IBAN, "next": "https://evil.example.org/"},
    )
    assert response["Location"] == bank_url(anne)


@pytest.mark.parametrize("role", ["region_staff", "auditor", "other_relay_staff", "facilitator"])
def test_bank_details_are_never_shown_to_anyone_else(client, request, role, relay_staff, anne):
    services.bank_account_set(
        owner=anne, holder="Anne Le Goff", iban=GOOD_IBAN, by=relay_staff, now=now()
    )
    client.force_login(request.getfixturevalue(role))
    assert client.get(bank_url(anne)).status_code == 404
    assert client.post(bank_url(anne), {"holder": "X", "iban": GOOD_IBAN}).status_code == 404
    assert BankAccount.objects.get().holder == "Anne Le Goff"


def test_another_maker_cannot_see_nor_change_annes_bank_details(client, relay_staff, anne):
    services.bank_account_set(
        owner=anne, holder="Anne Le Goff", iban=GOOD_IBAN, by=relay_staff, now=now()
    )
    other = make_user(role=roles.MAKER)
    make_maker(user=other, display_name="Loïc Tanguy", department="35")
    client.force_login(other)
    assert client.get(bank_url(anne)).status_code == 404
    assert client.get("/subventions/coordonnees-bancaires/robot/1/").status_code == 404


def test_an_organisation_manager_sets_the_organisations_bank_details(client, maker, anne):
    fablab = make_organisation(name="FabLab de Saint-Malo")
    Membership.objects.create(maker=anne, organisation=fablab, is_manager=True)
    client.force_login(maker)
    client.post(bank_url(fablab, "organisation"), {"holder": "FabLab", "iban": GOOD_IBAN})
    assert BankAccount.objects.get(organisation=fablab).iban == GOOD_IBAN_COMPACT


def test_a_simple_member_cannot_set_the_organisations_bank_details(client, maker, anne):
    fablab = make_organisation(name="FabLab de Saint-Malo", department="56")
    Membership.objects.create(maker=anne, organisation=fablab, is_manager=False)
    client.force_login(maker)
    assert client.get(bank_url(fablab, "organisation")).status_code == 404


@pytest.mark.parametrize(
    "role", ["relay_staff", "other_relay_staff", "region_staff", "auditor", "maker"]
)
def test_the_page_shows_bank_details_to_exactly_whom_the_selectors_allow(
    request, role, approved, anne, relay_staff
):
    fablab = make_organisation(name="FabLab de Saint-Malo")
    for owner in (anne, fablab):
        services.bank_account_set(
            owner=owner, holder="Titulaire", iban=GOOD_IBAN, by=relay_staff, now=now()
        )
    user = request.getfixturevalue(role)
    access = selectors.PayeeAccess.of(user)
    for account in BankAccount.objects.select_related("maker", "organisation"):
        line = RedistributionLine(maker=account.maker, organisation=account.organisation)
        assert access.covers(line) == selectors.bank_account_visible_to(user, account), account


# --- Money received -----------------------------------------------------------------------


def test_a_maker_sees_what_they_received_and_the_figures_behind_it(
    client, maker, relay_staff, approved, anne
):
    line = line_of(approved, maker=anne)
    services.payments_record(
        lines=[line],
        paid_on=datetime.date(2020, 6, 1),
        reference="VIR-1",
        by=relay_staff,
        now=now(),
    )
    client.force_login(maker)
    assert "/subventions/mes-versements/" in text(client.get("/maker/"))
    html = text(client.get("/subventions/mes-versements/"))
    assert "Soutien aux makers 2020" in html
    assert "LabFab de Rennes" in html
    assert "3\u202f000,00\u00a0€" in html
    assert "le 01/06/2020, réf. VIR-1" in html
    assert ">24</td>" in html  # the validated visors it rests on
    assert "Bertrand Guillou" not in html
    assert "9\u202f000,00" not in html  # Bertrand's amount
    assert f"/subventions/coordonnees-bancaires/maker/{anne.pk}/" in html


def test_an_organisation_manager_sees_the_organisations_money_too(
    client, maker, anne, region_staff, relay_staff
):
    fablab = make_organisation(name="FabLab de Saint-Malo")
    Membership.objects.create(maker=anne, organisation=fablab, is_manager=True)
    validated(anne, quantity=30, relay_staff=relay_staff, organisation=fablab)
    programme = make_programme(
        by=region_staff, relays=[relay_staff.relays.get()], envelope_cents=100_000
    )
    approve_all(programme, by=region_controller())
    redistribution = propose(programme.allocations.get(), relay_staff, own_use=())
    services.redistribution_approve(
        redistribution=redistribution, by=relay_colleague(relay_staff), now=now()
    )
    client.force_login(maker)
    html = text(client.get("/subventions/mes-versements/"))
    assert "FabLab de Saint-Malo" in html
    assert "1 000,00 €" in html
    assert f"/subventions/coordonnees-bancaires/organisation/{fablab.pk}/" in html


def test_a_pending_line_says_so(client, maker, approved):
    client.force_login(maker)
    html = text(client.get("/subventions/mes-versements/"))
    assert "en attente de virement" in html


def test_a_proposal_is_not_money_received_yet(client, maker, redistribution):
    client.force_login(maker)
    html = text(client.get("/subventions/mes-versements/"))
    assert "Aucun versement pour l'instant" in html
    assert "3\u202f000,00" not in html


def test_another_maker_sees_none_of_annes_money(client, approved):
    other = make_user(role=roles.MAKER)
    make_maker(user=other, display_name="Loïc Tanguy", department="35")
    client.force_login(other)
    html = text(client.get("/subventions/mes-versements/"))
    assert "Aucun versement pour l'instant" in html
    assert "Anne Le Goff" not in html
    assert "3\u202f000,00" not in html


def test_a_person_without_a_maker_profile_is_told_why_nothing_shows(client, relay_staff, approved):
    client.force_login(relay_staff)
    html = text(client.get("/subventions/mes-versements/"))
    assert "votre compte n'a pas de profil maker" in html


# --- Cost -----------------------------------------------------------------------------------


def make_payees(count, *, relay_staff, start):
    for n in range(start, start + count):
        payee = make_maker(display_name=f"Maker {n:03d}", department="35" if n % 2 else "22")
        validated(payee, quantity=1 + n % 7, relay_staff=relay_staff)
        if n % 3 == 0:
            services.bank_account_set(
                owner=payee, holder=f"Maker {n}", iban=GOOD_IBAN, by=relay_staff, now=now()
            )


def approved_redistribution(*, region_staff, relay_staff, name):
    programme = make_programme(
        by=region_staff, relays=[relay_staff.relays.get()], envelope_cents=1_000_000, name=name
    )
    approve_all(programme, by=region_controller())
    redistribution = propose(programme.allocations.get(), relay_staff)
    services.redistribution_approve(
        redistribution=redistribution, by=relay_colleague(relay_staff), now=now()
    )
    first = redistribution.lines.filter(kind="maker").order_by("pk").first()
    services.payments_record(
        lines=[first], paid_on=datetime.date(2020, 6, 1), reference="V", by=relay_staff, now=now()
    )
    return redistribution


@pytest.mark.parametrize("role", ["relay_staff", "auditor"])
def test_the_page_costs_the_same_for_5_or_50_payees(client, request, role, region_staff):
    relay_staff = request.getfixturevalue("relay_staff")
    client.force_login(request.getfixturevalue(role))
    make_payees(5, relay_staff=relay_staff, start=0)
    small = approved_redistribution(region_staff=region_staff, relay_staff=relay_staff, name="A")
    make_payees(45, relay_staff=relay_staff, start=5)
    large = approved_redistribution(region_staff=region_staff, relay_staff=relay_staff, name="B")
    assert small.lines.count() == 6 and large.lines.count() == 51
    client.get(page(small.pk))  # sessions and caches warmed up alike
    with CaptureQueriesContext(connection) as few:
        assert client.get(page(small.pk)).status_code == 200
    with CaptureQueriesContext(connection) as many:
        assert client.get(page(large.pk)).status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
