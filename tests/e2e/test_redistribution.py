"""Redistribution in a real browser: a relay staffer proposes, a colleague approves (four eyes)
and pays; the maker then sees on a phone what they received."""

import pytest

from subsidies.models import BankAccount, Payment, Redistribution
from tests.e2e.conftest import assert_accessible, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_relay_pays_a_maker_who_then_sees_it_on_a_phone(
    desktop, phone, allocation, relay_staff, relay_colleague, maker
):
    log_in(desktop, relay_staff.email)
    desktop.goto(f"/subventions/allocations/{allocation.pk}/redistribuer/")
    first_row = desktop.locator("fieldset", has_text="Ligne pour le relais n° 1")
    first_row.get_by_label("Objet").fill("Achat groupé de PLA")
    first_row.get_by_label("Montant (€)").fill("3 000")
    desktop.get_by_role("button", name="Proposer la redistribution").click()

    assert "Redistribution proposée : 3 lignes" in desktop.get_by_role("status").inner_text()
    redistribution = Redistribution.objects.get(allocation=allocation)
    assert sum(line.amount_cents for line in redistribution.lines.all()) == 1_500_000
    assert_accessible(desktop, "the proposed redistribution with its adjustment form")

    assert not desktop.get_by_role("button", name="Approuver", exact=True).count()
    assert "un autre membre de l'équipe du relais l'approuve" in desktop.content()
    page_url = desktop.url
    desktop.context.clear_cookies()  # Camille leaves; Morgane signs in
    log_in(desktop, relay_colleague.email)
    desktop.goto(page_url)
    desktop.get_by_role("button", name="Approuver", exact=True).click()
    assert "Redistribution approuvée" in desktop.get_by_role("status").inner_text()
    redistribution.refresh_from_db()
    assert redistribution.status == "approved"
    assert_accessible(desktop, "the approved redistribution with the payment form")

    desktop.get_by_label("Cocher la ligne : Anne Le Goff").check()
    desktop.get_by_label("Date du virement").fill("2020-06-01")
    desktop.get_by_label("Référence du virement").fill("VIR-2020-06-01")
    desktop.get_by_role("button", name="Enregistrer les paiements").click()
    assert "1 ligne enregistrée comme payée" in desktop.get_by_role("status").inner_text()
    payment = Payment.objects.get()
    assert (payment.line.maker.user, payment.amount_cents) == (maker, 300_000)

    log_in(phone, maker.email)
    phone.goto("/maker/")
    phone.get_by_role("link", name="Mes versements").click()
    phone.wait_for_url("**/subventions/mes-versements/")
    row = phone.locator("tbody tr", has_text="Soutien aux makers 2020")
    assert "3 000,00" in row.inner_text().replace("\u202f", " ").replace("\u00a0", " ")
    assert "VIR-2020-06-01" in row.inner_text()
    assert "Bertrand Guillou" not in phone.content()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(phone, "the money received on a phone")

    phone.get_by_role("link", name="Saisir mes coordonnées bancaires").click()
    assert_accessible(phone, "the bank details form on a phone")
    phone.get_by_label("IBAN").fill("FR76 3000 6000 0112 3456 7890 188")
    phone.get_by_role("button", name="Enregistrer les coordonnées bancaires").click()
    phone.locator("#id_iban_error", has_text="IBAN invalide").wait_for()
    assert_accessible(phone, "the bank details form with an error")
    phone.get_by_label("IBAN").fill("FR76 3000 6000 0112 3456 7890 189")
    phone.get_by_role("button", name="Enregistrer les coordonnées bancaires").click()
    assert "IBAN se terminant par 0189" in phone.get_by_role("status").inner_text()
    assert BankAccount.objects.get().iban == "FR7630006000011234567890189"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
