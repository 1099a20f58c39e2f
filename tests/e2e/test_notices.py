"""Notices in a real browser: a maker chooses how to be told, on a phone; a relay prints or
e-mails a refusal to a maker without an account. No accessibility problem on either."""

import pytest
from django.utils import timezone

from makers import services
from makers.reference import item_catalogue_ensure
from tests.e2e import conftest as e2e
from tests.e2e.conftest import assert_accessible
from tests.factories import make_maker, make_report
from tilab.models import OutboxEmail
from tilab.notices import notice_preferences_of

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_maker_chooses_how_to_be_told_on_a_phone(phone, maker):
    e2e.log_in(phone, maker.email)
    phone.goto("/accounts/notifications/")
    assert phone.get_by_role("heading", level=1).inner_text() == "Avis par e-mail"
    assert_accessible(phone, "the notice preferences on a phone")
    assert e2e.no_sideways_scroll(phone)

    phone.get_by_role("group", name="Déclaration refusée").get_by_label("Jamais").check()
    phone.get_by_role("button", name="Enregistrer mes préférences").click()

    assert "Vos préférences d'avis sont enregistrées." in phone.content()
    assert notice_preferences_of(maker)["report_rejected"] == "none"


def test_a_relay_prints_or_e_mails_a_refusal_to_a_maker_without_an_account(
    desktop, relay_staff, region_staff
):
    item_catalogue_ensure()  # an earlier browser test's flush takes the catalogue with it
    bertrand = make_maker(display_name="Bertrand Guillou", department="22")
    report = make_report(bertrand, entered_by=relay_staff, source="relay", quantity=36)
    services.production_report_reject(
        report=report, by=region_staff, now=timezone.now(), reason="Date impossible"
    )
    e2e.log_in(desktop, relay_staff.email)
    desktop.goto("/validation/?status=rejected")
    desktop.get_by_role(
        "link", name=f"Transmettre le refus de la déclaration n° {report.pk}"
    ).click()

    assert "Date impossible" in desktop.locator(".rejection-letter").inner_text()
    assert_accessible(desktop, "the refusal to print")
    desktop.emulate_media(media="print")
    assert not desktop.get_by_role("button", name="Envoyer l'e-mail").is_visible()
    desktop.emulate_media(media="screen")

    desktop.get_by_label("Adresse e-mail du maker").fill("bertrand@example.org")
    desktop.get_by_role("button", name="Envoyer l'e-mail").click()

    assert "part par e-mail à bertrand@example.org" in desktop.content()
    assert OutboxEmail.objects.filter(to="bertrand@example.org").count() == 1
    assert_accessible(desktop, "the refusal once sent")
