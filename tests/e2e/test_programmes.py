"""Programmes in a real browser: Région staff create the 2020 programme and approve it."""

import functools
import html
import re

import pytest

from demo.management.commands.seed_demo import DEMO_PASSWORD
from fablabs.models import Relay
from subsidies.models import Programme
from tests.e2e import conftest as e2e
from tests.e2e.conftest import assert_accessible
from tests.factories import make_programme
from tilab.models import User

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
# The demo's people log in with the demo's password.
log_in = functools.partial(e2e.log_in, password=DEMO_PASSWORD)
REGION = "region@demo.tilab.test"
# Four eyes: the Région's second agent approves what the first proposed.
CONTROLLER = "region.controle@demo.tilab.test"
SHARES_2020 = {"LabFab de Rennes": "50", "La Fabrique du Loch": "25", "ENSTA Bretagne": "25"}


def plain(text: str) -> str:
    """Page text with the no-break spaces of French amounts read as plain spaces."""
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def allocation_row(page, relay: str):
    return page.locator("#allocations table").first.locator("tbody tr", has_text=relay)


def test_region_staff_create_the_2020_programme_and_approve_it(desktop, demo):
    log_in(desktop, REGION)
    # The navigation's link (the home page offers one too, in its to-do card).
    nav = desktop.get_by_role("navigation", name="Navigation principale")
    nav.get_by_role("link", name="Subventions").click()
    desktop.wait_for_url("**/subventions/")
    assert_accessible(desktop, "the programme list")

    desktop.get_by_role("link", name="Nouveau programme").click()
    desktop.wait_for_url("**/subventions/nouveau/")
    assert_accessible(desktop, "the programme form")
    desktop.get_by_label("Nom du programme").fill("Soutien aux makers 2020")
    desktop.get_by_label("Enveloppe (€)").fill("30 000")
    desktop.get_by_label("Production prise en compte du").fill("2020-03-16")
    desktop.get_by_label("Production prise en compte jusqu'au").fill("2020-05-31")
    desktop.get_by_label("unités validées").check()
    for relay, share in SHARES_2020.items():
        # "de LabFab de Rennes", "d'ENSTA Bretagne": French elides before a vowel.
        desktop.get_by_label(re.compile(rf"^Part fixe d(e |'){re.escape(relay)}")).fill(share)
    desktop.get_by_role("button", name="Créer le programme").click()

    desktop.wait_for_url(re.compile(r"/subventions/\d+/$"))
    assert (
        "Programme « Soutien aux makers 2020 » créé" in desktop.get_by_role("status").inner_text()
    )
    expected = {
        "LabFab de Rennes": "15 000,00 €",
        "La Fabrique du Loch": "7 500,00 €",
        "ENSTA Bretagne": "7 500,00 €",
    }
    for relay, amount in expected.items():
        assert amount in plain(allocation_row(desktop, relay).inner_text()), relay
    assert "30 000,00 €" in plain(desktop.locator("#allocations tfoot").inner_text())
    assert_accessible(desktop, "the programme's detail with its proposed allocations")

    # Whoever created the programme proposed its allocations: no button, but who approves.
    assert not desktop.get_by_role("button", name=re.compile("Approuver l'allocation")).count()
    for relay in expected:
        assert "un autre agent de la Région" in allocation_row(desktop, relay).inner_text()
    programme_url = desktop.url
    desktop.context.clear_cookies()  # Hélène leaves; Erwan signs in
    log_in(desktop, CONTROLLER)
    desktop.goto(programme_url)
    for relay in expected:
        # "de LabFab de Rennes", "d'ENSTA Bretagne": French elides before a vowel.
        of = f"d'{relay}" if relay[0] in "AEIOUÉ" else f"de {relay}"
        desktop.get_by_role(
            "link", name=re.compile(f"Vérifier puis approuver l'allocation {re.escape(of)}")
        ).click()
        desktop.wait_for_load_state()
        assert f"Approuver l'allocation {of}" in html.unescape(desktop.content())
        if relay == "LabFab de Rennes":
            assert_accessible(desktop, "the recap before approving an allocation")
        for flag in desktop.get_by_role("checkbox").all():
            flag.check()
        motivation = desktop.get_by_label("Pourquoi vous approuvez malgré les signalements")
        if motivation.count():
            motivation.fill("Vérifié avec le relais.")
        desktop.get_by_role("button", name="Confirmer l'approbation").click()
        desktop.wait_for_load_state()
        assert "approuvée" in desktop.get_by_role("status").inner_text()
    assert "le programme est approuvé" in desktop.get_by_role("status").inner_text()
    for relay in expected:
        assert "approuvée" in allocation_row(desktop, relay).inner_text()
    assert desktop.get_by_role("link", name="Modifier par un avenant").is_visible()
    assert_accessible(desktop, "the approved programme")

    programme = Programme.objects.get(name="Soutien aux makers 2020")
    assert programme.status == "approved"
    assert {
        a.relay.organisation.name: (a.amount_cents, a.status, a.approved_by.email)
        for a in programme.allocations.select_related("relay__organisation", "approved_by")
    } == {
        "LabFab de Rennes": (1_500_000, "approved", CONTROLLER),
        "La Fabrique du Loch": (750_000, "approved", CONTROLLER),
        "ENSTA Bretagne": (750_000, "approved", CONTROLLER),
    }


def test_the_programme_pages_fit_a_phone(phone, demo):
    relays = {
        relay.organisation.name: relay for relay in Relay.objects.select_related("organisation")
    }
    programme = make_programme(
        by=User.objects.get(email=REGION),
        relays=list(relays.values()),
        fixed_shares=[(relays[name], int(share)) for name, share in SHARES_2020.items()],
    )
    log_in(phone, REGION)
    for url, what in [
        ("/subventions/", "the programme list"),
        ("/subventions/nouveau/", "the programme form"),
        (f"/subventions/{programme.pk}/", "the programme's detail"),
    ]:
        phone.goto(url)
        assert_accessible(phone, f"{what} on a phone")
        # Nothing sticks out sideways: tables read as cards on a phone.
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390, what
    assert "15 000,00 €" in plain(allocation_row(phone, "LabFab de Rennes").inner_text())
