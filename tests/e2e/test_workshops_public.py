"""The participants' side of the workshops in a real browser: a guest registers on a phone, a
registered person cancels through the e-mail's signed link and the first person waiting gets
the seat, and every public page passes the accessibility check."""

import re
from urllib.parse import urlparse

import pytest
from django.urls import reverse

from tests.e2e.conftest import assert_accessible, log_in, no_sideways_scroll
from tests.factories import confirm_link, make_workshop, register_guest
from workshops import services
from workshops.models import Registration

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
TITLE = "Makers et hôpitaux : ce que 2020 nous a appris"


def test_a_guest_registers_on_a_phone_from_the_agenda(phone, themes, facilitator):
    from playwright.sync_api import expect

    workshop = make_workshop(by=facilitator, capacity=2)
    register_guest(workshop, 1)
    make_workshop(by=facilitator, title="À Brest", commune="Brest", department_id="29")

    phone.goto("/workshops/")
    results_title = phone.locator("#agenda-results-title")
    expect(results_title).to_have_text("2 ateliers à venir")
    assert_accessible(phone, "the agenda on a phone")
    assert no_sideways_scroll(phone)
    phone.get_by_label("Département").select_option("35")
    phone.get_by_role("button", name="Filtrer").click()
    expect(results_title).to_have_text("1 atelier à venir")
    expect(results_title).to_be_focused()
    assert "department=35" in phone.url
    assert "À Brest" not in phone.content()

    phone.get_by_role("link", name=TITLE).click()
    phone.wait_for_url(f"**/workshops/{workshop.pk}/")
    expect(phone.locator("#workshop-seats")).to_contain_text("places disponibles")
    assert_accessible(phone, "the workshop page on a phone")
    assert no_sideways_scroll(phone)
    phone.get_by_label("Votre nom").fill("Maëlle Riou")
    phone.get_by_label("Votre adresse e-mail").fill("maelle@example.org")
    phone.get_by_role("button", name="M'inscrire").click()

    # A guest reads what anyone typing that address would: the e-mail holds the link that
    # makes the registration; until it is followed, nothing is taken.
    outcome = phone.get_by_role("status").filter(has_text="un e-mail part")
    outcome.wait_for()
    assert "maelle@example.org" in outcome.inner_text()
    expect(phone.locator(".register-outcome")).to_be_focused()
    expect(phone.locator("#workshop-seats")).to_contain_text("places disponibles")
    assert not Registration.objects.filter(email="maelle@example.org").exists()
    assert no_sideways_scroll(phone)
    assert_accessible(phone, "the registration outcome on a phone")

    # She opens the link of the e-mail on her phone and confirms: the last seat is hers.
    phone.goto(urlparse(confirm_link(workshop, "maelle@example.org")).path)
    assert_accessible(phone, "the confirmation page of a registration")
    phone.get_by_role("button", name="Confirmer mon inscription").click()
    expect(phone.get_by_role("status")).to_contain_text("vous avez une place à cet atelier")
    registration = Registration.objects.get(email="maelle@example.org")
    assert (registration.name, registration.status) == ("Maëlle Riou", "confirmed")
    assert no_sideways_scroll(phone)
    phone.get_by_role("link", name=TITLE).click()
    expect(phone.locator("#workshop-seats")).to_contain_text("complet")


def test_the_registration_outcome_page_without_javascript_says_where_the_e_mail_went(
    desktop, themes, facilitator
):
    workshop = make_workshop(by=facilitator, capacity=1)
    register_guest(workshop, 1)

    desktop.goto(f"/workshops/{workshop.pk}/")
    desktop.get_by_label("Votre nom").fill("Erwan Le Du")
    desktop.get_by_label("Votre adresse e-mail").fill("erwan@example.org")
    # form.submit() skips htmx: the page a browser without JavaScript gets.
    with desktop.expect_navigation():
        desktop.evaluate("document.querySelector('.register-form').submit()")

    assert desktop.get_by_role("heading", level=1).inner_text() == "Inscription enregistrée"
    assert "un e-mail part à l'adresse erwan@example.org" in desktop.content()
    assert_accessible(desktop, "the registration outcome page")
    desktop.goto(urlparse(confirm_link(workshop, "erwan@example.org")).path)
    with desktop.expect_navigation():
        desktop.get_by_role("button", name="Confirmer mon inscription").click()
    assert "vous êtes sur la liste d'attente, en position 1" in desktop.content()
    assert Registration.objects.get(email="erwan@example.org").status == "waitlisted"


def test_a_cancellation_through_the_signed_link_gives_the_seat_to_the_first_waiting(
    phone, desktop, themes, facilitator
):
    workshop = make_workshop(by=facilitator, capacity=1)
    seated = register_guest(workshop, 1)
    first_waiting = register_guest(workshop, 2)
    second_waiting = register_guest(workshop, 3)

    link = reverse(
        "workshops:registration_manage",
        kwargs={"token": services.registration_cancel_token(seated)},
    )
    phone.goto(link)
    assert "Invité 1, vous avez une place à cet atelier." in phone.content()
    assert_accessible(phone, "the cancel page of a registration")
    assert no_sideways_scroll(phone)
    phone.get_by_role("button", name="Annuler mon inscription").click()

    status = phone.get_by_role("status")
    status.wait_for()
    assert "Votre inscription est annulée" in status.inner_text()
    assert "Cette inscription est annulée." in phone.content()
    assert phone.get_by_role("button", name="Annuler mon inscription").count() == 0
    assert_accessible(phone, "the cancel page once cancelled")
    for registration in (seated, first_waiting, second_waiting):
        registration.refresh_from_db()
    assert seated.status == "cancelled"
    assert first_waiting.status == "confirmed"
    assert second_waiting.status == "waitlisted"

    desktop.goto(
        reverse(
            "workshops:registration_manage",
            kwargs={"token": services.registration_cancel_token(first_waiting)},
        )
    )
    assert "Invité 2, vous avez une place à cet atelier." in desktop.content()
    desktop.goto(f"/workshops/{workshop.pk}/")
    assert "complet – liste d'attente" in desktop.content()
    # How many wait is not shown: a count would tell who registered an address that was new.
    assert "personne en liste d'attente" not in desktop.content()

    tampered = link[:-4] + ("xxxx/" if not link.endswith("xxxx/") else "yyyy/")
    response = desktop.goto(tampered)
    assert response.status == 400
    assert desktop.get_by_role("heading", level=1).inner_text() == "Lien invalide"


def test_a_maker_registers_in_one_click_and_finds_it_in_my_workshops(
    desktop, themes, facilitator, maker
):
    workshop = make_workshop(by=facilitator)
    log_in(desktop, maker.email)

    desktop.goto(f"/workshops/{workshop.pk}/")
    desktop.get_by_role("button", name="M'inscrire").click()
    desktop.get_by_role("status").filter(has_text="vous avez une place").wait_for()
    desktop.get_by_role("link", name="Mes ateliers : annuler, agenda personnel").click()
    desktop.wait_for_url("**/workshops/mon-agenda/")
    assert desktop.get_by_role("row", name=re.compile(TITLE)).count() == 1
    feed_address = desktop.get_by_label("Adresse de mon agenda").input_value()
    assert re.search(r"/workshops/agenda/[\w-]{43}\.ics$", feed_address)
    assert_accessible(desktop, "my workshops")

    desktop.get_by_role("button", name="Remplacer l'adresse de mon agenda").click()
    desktop.get_by_role("status").filter(has_text="L'ancienne ne fonctionne plus").wait_for()
    assert desktop.get_by_label("Adresse de mon agenda").input_value() != feed_address

    desktop.get_by_role("button", name=re.compile("Annuler mon inscription")).click()
    desktop.get_by_role("status").filter(has_text="est annulée").wait_for()
    assert Registration.objects.get(user=maker).status == "cancelled"


def test_the_syntheses_pages_are_accessible(desktop, themes, facilitator):
    workshop = make_workshop(by=facilitator)
    register_guest(workshop, 1)
    synthesis = services.synthesis_save(
        workshop=workshop,
        body="## Ce que nous retenons\n\n- documenter\n- partager\n\n| qui | quoi |\n|---|---|\n"
        "| makers | visières |",
        by=facilitator,
        now=workshop.starts_at,
    )
    services.synthesis_publish(
        synthesis=synthesis, by=facilitator, now=synthesis.workshop.starts_at
    )

    desktop.goto("/workshops/syntheses/")
    assert_accessible(desktop, "the syntheses list")
    desktop.get_by_role("link", name=TITLE).click()
    desktop.wait_for_url(f"**/workshops/syntheses/{workshop.pk}/")
    assert desktop.get_by_role("heading", name="Ce que nous retenons").count() == 1
    assert_accessible(desktop, "a synthesis")
