"""A relay's staff register a webhook in the browser: the form, its refusal, the secret shown
once, the page accessible at each step."""

import pytest

from tests.e2e.conftest import assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_relays_staff_register_a_webhook_and_copy_its_secret(desktop, demo, settings):
    settings.TILAB_WEBHOOK_HTTP_TO_LOCALHOST = True
    desktop.goto("/accounts/login/")
    desktop.get_by_label("Courriel").fill("relais.rennes@demo.tilab.test")
    desktop.get_by_label("Mot de passe :").fill("demo-tilab-2020")
    desktop.get_by_role("button", name="Connexion").click()
    desktop.goto("/webhooks/")
    assert_accessible(desktop, "the webhooks page")

    desktop.get_by_label("Adresse qui reçoit les messages").fill("http://example.org/hook")
    desktop.get_by_label("Déclaration validée").check()
    desktop.get_by_role("button", name="Enregistrer").click()
    assert "https://" in desktop.locator(".errorlist").first.inner_text()
    assert_accessible(desktop, "the webhooks page with a refused address")

    desktop.get_by_label("Adresse qui reçoit les messages").fill("http://localhost:9000/hook")
    desktop.get_by_role("button", name="Enregistrer").click()
    secret = desktop.get_by_role("textbox", name="Secret").input_value()
    assert secret.startswith("whsec_")
    assert (
        desktop.get_by_role("table", name="Vos adresses")
        .get_by_text("http://localhost:9000/hook")
        .is_visible()
    )
    assert_accessible(desktop, "the webhooks page showing a new secret")
    desktop.goto("/webhooks/")
    assert secret not in desktop.content()
