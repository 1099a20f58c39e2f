"""Needs and deliveries in a real browser: an EHPAD posts a need on a phone and publishes it by
the e-mailed link, a maker pledges and records a delivery, the EHPAD confirms what it received
by its signed link, the relay checks the need, and finds the maker's report corroborated in
its queue. Every page visited passes the accessibility check."""

import datetime
import re

import pytest
from django.utils import timezone

from makers.models import ProductionReport
from makers.reference import item_catalogue_ensure
from needs.models import Delivery, Need
from tests.e2e.conftest import assert_accessible, log_in, no_sideways_scroll
from tests.factories import make_report

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
CONTACT = "cadre.sante@ehpad-tilleuls.example.org"


@pytest.fixture
def items(reference_data):
    """The item catalogue a data migration loads; an earlier browser test's flush took it."""
    item_catalogue_ensure()


def link_in(email, prefix: str) -> str:
    """The path of the link of `email` under `prefix` (the site's address stripped)."""
    match = re.search(r"https?://[^/\s]+(" + re.escape(prefix) + r"\S+/)", email.body)
    assert match, email.body
    return match.group(1)


def check(page, what: str, *, on_phone: bool = False) -> None:
    assert_accessible(page, what)
    if on_phone:
        assert no_sideways_scroll(page), f"sideways scroll on {what}"


def test_an_ehpad_s_need_is_met_delivered_confirmed_and_corroborated(
    phone, desktop, items, maker, relay_staff, mailoutbox
):
    from playwright.sync_api import expect

    report = make_report(
        maker=maker.maker,
        quantity=60,
        status="validated",
        decided_by=relay_staff,
        produced_on=timezone.localdate() - datetime.timedelta(days=3),
    )

    # The EHPAD posts its need on a phone, without an account.
    phone.goto("/besoins/")
    expect(phone.locator("#board-results-title")).to_have_text("Aucun besoin ouvert")
    check(phone, "the empty board on a phone", on_phone=True)
    phone.get_by_role("link", name="Déposer un besoin pour un établissement").click()
    phone.wait_for_url("**/besoins/nouveau/")
    check(phone, "the need form on a phone", on_phone=True)
    phone.get_by_label("Nom de l'établissement").fill("EHPAD Les Tilleuls")
    phone.get_by_label("Type d'établissement").select_option("ehpad")
    phone.get_by_label("Commune").fill("Rennes")
    phone.get_by_label("Département").select_option("35")
    phone.get_by_label("Objet demandé").select_option(label="Visière de protection")
    phone.get_by_label("Quantité").fill("50")
    phone.get_by_label("Pour le").fill(
        (timezone.localdate() + datetime.timedelta(days=7)).isoformat()
    )
    phone.get_by_label("Conditions de livraison").fill("Accueil de 9 h à 17 h, entrée nord")
    phone.get_by_label("Personne à contacter").fill("Claire Morvan")
    phone.get_by_label("Adresse e-mail de contact").fill(CONTACT)
    phone.get_by_role("button", name="Déposer le besoin").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Besoin enregistré")
    assert "Vérifiez votre messagerie pour le publier" in phone.content()
    check(phone, "the need posted page on a phone", on_phone=True)
    need = Need.objects.get()
    assert need.status == "unconfirmed"

    # It publishes the need from the e-mailed link.
    (confirm_email,) = [m for m in mailoutbox if m.to == [CONTACT]]
    phone.goto(link_in(confirm_email, "/besoins/confirmer/"))
    check(phone, "the confirm page on a phone", on_phone=True)
    phone.get_by_role("button", name="Publier le besoin").click()
    phone.get_by_role("status").filter(has_text="Votre besoin est publié").wait_for()
    check(phone, "the need published page on a phone", on_phone=True)
    need.refresh_from_db()
    assert need.status == "open"

    # A maker whose production is validated finds it on the board, pledges and delivers.
    log_in(desktop, maker.email)
    desktop.goto("/besoins/")
    expect(desktop.locator("#board-results-title")).to_have_text("1 besoin ouvert")
    check(desktop, "the board")
    desktop.get_by_role("link", name="50 × Visière de protection").click()
    desktop.wait_for_url(f"**/besoins/{need.pk}/")
    assert CONTACT not in desktop.content() and "Claire Morvan" not in desktop.content()
    check(desktop, "a need's page")
    desktop.get_by_role("link", name="Je m'engage").click()
    desktop.wait_for_url(f"**/besoins/{need.pk}/promettre/")
    check(desktop, "the pledge page")
    desktop.get_by_label("Quantité promise").fill("50")
    desktop.get_by_role("button", name="Promettre").click()
    desktop.get_by_role("status").filter(has_text="Promesse enregistrée").wait_for()
    check(desktop, "my pledges")
    desktop.get_by_label("Quantité livrée").fill("40")
    desktop.get_by_label("Livrée le").fill(timezone.localdate().isoformat())
    desktop.get_by_role("button", name="Enregistrer la livraison").click()
    desktop.get_by_role("status").filter(has_text="Livraison enregistrée").wait_for()
    check(desktop, "my pledges after a delivery")
    delivery = Delivery.objects.get()
    assert (delivery.quantity, delivery.confirmed_at) == (40, None)

    # The EHPAD confirms what it received by the signed link of its e-mail.
    (request_email,) = [m for m in mailoutbox if "/besoins/livraisons/" in m.body]
    assert request_email.to == [CONTACT] and maker.email not in request_email.body
    phone.goto(link_in(request_email, "/besoins/livraisons/"))
    check(phone, "the delivery confirmation page on a phone", on_phone=True)
    phone.get_by_label("Quantité reçue").fill("40")
    phone.get_by_role("button", name="Confirmer la réception").click()
    phone.get_by_role("status").filter(has_text="la réception est enregistrée").wait_for()
    assert "réception de 40 visières" in phone.content()
    check(phone, "the delivery confirmed page on a phone", on_phone=True)
    phone.get_by_role("link", name="Suivre mon besoin").click()
    phone.wait_for_url("**/besoins/suivi/**")
    assert maker.email not in phone.content()
    check(phone, "the establishment's page on a phone", on_phone=True)
    delivery.refresh_from_db()
    assert delivery.confirmed_quantity == 40
    report.refresh_from_db()
    # Nobody checked the need yet: the confirmation proves nothing so far.
    assert (report.corroborated_at, report.corroboration_withheld) == (None, "need_unchecked")

    # The relay checks the need (a call to the EHPAD) from its follow-up page; the
    # confirmation then corroborates the report.
    desktop.context.clear_cookies()
    log_in(desktop, relay_staff.email)
    desktop.goto("/besoins/suivi-reseau/")
    unchecked = desktop.locator("section[aria-labelledby=unchecked-title]")
    unchecked.get_by_label("Comment l'avez-vous vérifié ?").fill("Appel à l'accueil de l'EHPAD")
    unchecked.get_by_role("button", name="vérifié").click()
    desktop.get_by_role("status").filter(has_text="vérifié").wait_for()
    check(desktop, "the follow-up page after a check")
    report.refresh_from_db()
    assert report.corroborated_at is not None

    # The relay sees the report corroborated in its validation queue.
    desktop.goto("/validation/?corroborated=true&status=validated")
    expect(desktop.get_by_text("corroborée par une livraison confirmée")).to_have_count(1)
    check(desktop, "the validation queue with a corroborated report")
    assert ProductionReport.objects.filter(corroborated_at__isnull=False).count() == 1


def test_facilitators_follow_unanswered_needs_on_accessible_pages(
    desktop, items, facilitator, django_capture_on_commit_callbacks
):
    from tests.factories import make_need

    unanswered = make_need(quantity=40)
    log_in(desktop, facilitator.email)
    desktop.goto("/besoins/suivi-reseau/")
    check(desktop, "the network's follow-up of needs")
    assert unanswered.establishment.name in desktop.content()
    assert CONTACT not in desktop.content()

    desktop.goto("/besoins/")
    check(desktop, "the board")
    desktop.goto(f"/besoins/{unanswered.pk}/")
    check(desktop, "a need's public page")
    assert CONTACT not in desktop.content()
