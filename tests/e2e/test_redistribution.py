"""Redistribution in a real browser: a relay staffer proposes, a colleague approves (four eyes)
after reading the recap, and pays through a payment batch; the maker then sees on a phone what
they received."""

import datetime

import pytest
from django.utils import timezone

from subsidies import services
from subsidies.models import BankAccount, Payment, PaymentBatch, Redistribution
from tests.e2e.conftest import assert_accessible, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_relay_pays_a_maker_who_then_sees_it_on_a_phone(
    desktop, phone, allocation, relay_staff, relay_colleague, maker
):
    # Anne gave her bank details long enough ago for them to go into a transfer file.
    services.bank_account_set(
        owner=maker.maker, holder="Anne Le Goff", iban="FR76 3000 6000 0112 3456 7890 189",
        by=maker, now=timezone.now() - datetime.timedelta(days=10),
    )  # fmt: skip
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

    assert not desktop.get_by_role("link", name="Vérifier puis approuver").count()
    assert "un autre membre de l'équipe du relais l'approuve" in desktop.content()
    page_url = desktop.url
    desktop.context.clear_cookies()  # Camille leaves; Morgane signs in
    log_in(desktop, relay_colleague.email)
    desktop.goto(page_url)
    desktop.get_by_role("link", name="Vérifier puis approuver").click()
    # The recap: Bertrand, without an account, takes most of the money: a flag to acknowledge.
    assert "Production hors norme d'un maker sans compte" in desktop.content()
    assert_accessible(desktop, "the recap before approving, with its flags")
    # Anne's bank details are ten days old: flagged too. Each flag is acknowledged.
    assert "Coordonnées bancaires modifiées récemment" in desktop.content()
    for flag in desktop.get_by_role("checkbox").all():
        flag.check()
    desktop.get_by_label("Pourquoi vous approuvez malgré les signalements").fill(
        "Bertrand a imprimé pour tout le CHU de Saint-Brieuc : vérifié."
    )
    desktop.get_by_role("button", name="Confirmer l'approbation").click()
    assert "Redistribution approuvée" in desktop.get_by_role("status").inner_text()
    redistribution.refresh_from_db()
    assert redistribution.status == "approved"
    assert_accessible(desktop, "the approved redistribution with its transfers")

    desktop.get_by_role("link", name="Préparer un lot de virements").click()
    assert_accessible(desktop, "the recap before a payment batch")
    desktop.get_by_label("CSV, pour un tableur").check()
    desktop.get_by_role("button", name="Confirmer et créer le lot").click()
    batch = PaymentBatch.objects.get()
    assert batch.message_id in desktop.get_by_role("status").inner_text()
    assert_accessible(desktop, "a payment batch")
    desktop.get_by_role("link", name="Enregistrer les paiements").click()
    assert_accessible(desktop, "the recap before recording a batch's payments")
    desktop.get_by_label("Date du virement").fill("2020-06-01")
    desktop.get_by_label("Référence du virement (facultatif)").fill("VIR-2020-06-01")
    desktop.get_by_role("button", name="Confirmer les paiements").click()
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

    phone.get_by_role("link", name="Modifier mes coordonnées bancaires").click()
    assert_accessible(phone, "the bank details form on a phone")
    phone.get_by_label("IBAN").fill("FR76 3000 6000 0112 3456 7890 188")
    phone.get_by_role("button", name="Enregistrer les coordonnées bancaires").click()
    phone.locator("#id_iban_error", has_text="IBAN invalide").wait_for()
    assert_accessible(phone, "the bank details form with an error")
    phone.get_by_label("IBAN").fill("DE89 3704 0044 0532 0130 00")
    phone.get_by_role("button", name="Enregistrer les coordonnées bancaires").click()
    assert "IBAN se terminant par 3000" in phone.get_by_role("status").inner_text()
    assert BankAccount.objects.get().iban == "DE89370400440532013000"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
