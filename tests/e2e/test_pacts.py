"""Cooperation pacts in a real browser: the Région's agent drafts a pact with a FabLab, names
the parties and their commitments, proposes it, signs for the Région after the recap; the
FabLab's representative signs in turn; the pact then appears in the public register, with its
page. Every page visited passes the accessibility check."""

import pytest

from pacts.models import Pact
from tests.e2e.conftest import assert_accessible, log_in
from tests.factories import make_organisation

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_pact_goes_from_draft_to_the_public_register(desktop, region_staff, maker):
    from playwright.sync_api import expect

    make_organisation(name="FabLab de Lannion", department="22")

    log_in(desktop, region_staff.email)
    desktop.goto("/pactes/mes-pactes/")
    assert_accessible(desktop, "my pacts")
    desktop.get_by_role("link", name="Rédiger un pacte").click()
    desktop.wait_for_url("**/pactes/nouveau/")
    assert_accessible(desktop, "the new pact form")
    desktop.get_by_label("Titre").fill("Atelier de réparation de Lannion")
    desktop.get_by_label("Objet du pacte").fill("Un atelier ouvert deux soirs par semaine.")
    desktop.get_by_label("Communs produits").fill("Guides de réparation et plans des gabarits.")
    desktop.get_by_label("Licence ouverte").select_option("CC-BY-SA-4.0")
    desktop.locator("#id_starts_on").fill("2026-01-05")
    desktop.locator("#id_ends_on").fill("2026-12-31")
    desktop.get_by_label("Dates de revue").fill("2026-06-30")
    desktop.get_by_label("Thème").select_option("repair")
    desktop.get_by_label("Département").select_option("22")
    desktop.get_by_role("button", name="Créer le brouillon").click()
    desktop.get_by_role("status").filter(has_text="Pacte créé en brouillon").wait_for()
    assert_accessible(desktop, "the draft's workspace")

    # The parties: the Région (Hélène signs) and the FabLab (Anne signs).
    desktop.get_by_label("Type de partie").select_option("region")
    desktop.get_by_label("Nom (personne publique)").fill("Région Bretagne")
    desktop.get_by_label("Adresse e-mail de la personne qui signe").fill(region_staff.email)
    desktop.get_by_role("button", name="Ajouter la partie").click()
    desktop.wait_for_load_state()
    desktop.get_by_label("Type de partie").select_option("organisation")
    desktop.get_by_label("Organisation (FabLab, collectif)").select_option(
        label="FabLab de Lannion"
    )
    desktop.get_by_label("Adresse e-mail de la personne qui signe").fill(maker.email)
    desktop.get_by_role("button", name="Ajouter la partie").click()
    desktop.wait_for_load_state()
    desktop.locator("#id_commitment-party").select_option(label="FabLab de Lannion")
    desktop.get_by_label("Ce qu'elle apporte").select_option("place")
    desktop.get_by_label("Description").fill("Son atelier, deux soirs par semaine")
    desktop.get_by_role("button", name="Ajouter l'engagement").click()
    desktop.wait_for_load_state()
    expect(desktop.get_by_role("table")).to_contain_text("Son atelier, deux soirs par semaine")
    assert_accessible(desktop, "the draft with its parties")
    desktop.get_by_role("button", name="Proposer à la signature").click()
    desktop.get_by_role("status").filter(has_text="Texte proposé").wait_for()

    # Hélène signs for the Région, after the recap.
    desktop.get_by_role("link", name="Relire et signer au nom de Région Bretagne").click()
    assert_accessible(desktop, "the signing recap")
    desktop.get_by_label("J'ai relu ce texte").check()
    desktop.get_by_role("button", name="Signer").click()
    desktop.get_by_role("status").filter(has_text="Signature enregistrée").wait_for()
    pact = Pact.objects.get()
    assert pact.status == Pact.Status.PROPOSED

    # Anne signs for the FabLab.
    desktop.context.clear_cookies()
    log_in(desktop, maker.email)
    desktop.goto(f"/pactes/{pact.pk}/travail/")
    desktop.get_by_role("link", name="Relire et signer au nom de FabLab de Lannion").click()
    desktop.get_by_label("J'ai relu ce texte").check()
    desktop.get_by_role("button", name="Signer").click()
    desktop.get_by_role("status").filter(has_text="Signature enregistrée").wait_for()
    pact.refresh_from_db()
    assert pact.status == Pact.Status.SIGNED

    # Anyone finds it in the public register.
    desktop.context.clear_cookies()
    desktop.goto("/pactes/?party_kind=organisation")
    expect(desktop.locator("#register-results-title")).to_have_text("1 pacte signé")
    assert_accessible(desktop, "the register")
    desktop.get_by_role("link", name="Atelier de réparation de Lannion").click()
    desktop.wait_for_url(f"**/pactes/{pact.pk}/")
    expect(desktop.get_by_role("heading", level=1)).to_have_text("Atelier de réparation de Lannion")
    assert_accessible(desktop, "a signed pact's page")
