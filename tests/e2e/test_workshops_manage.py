"""Workshops in a real browser: a facilitator schedules one, finds it in their list and on the
public agenda, then checks people in on a phone."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tests.e2e.conftest import assert_accessible, log_in
from tests.factories import register_guest
from workshops.models import Registration, Workshop

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PARIS = ZoneInfo("Europe/Paris")
TITLE = "Coopérer entre FabLabs et hôpitaux"


def test_a_facilitator_schedules_a_workshop_and_checks_people_in_on_a_phone(
    desktop, phone, themes, facilitator
):
    log_in(desktop, facilitator.email)
    desktop.get_by_role("link", name="Gérer les ateliers").first.click()
    desktop.wait_for_url("**/workshops/manage/")
    assert_accessible(desktop, "the facilitator's workshops, none yet")

    desktop.get_by_role("link", name="Nouvel atelier").click()
    desktop.wait_for_url("**/workshops/manage/nouveau/")
    assert_accessible(desktop, "the workshop form")
    day = timezone.now().astimezone(PARIS).date() + datetime.timedelta(days=31)
    desktop.get_by_label("Titre").fill(TITLE)
    desktop.get_by_label("Thème").select_option(label="Gouvernance du réseau")
    desktop.get_by_label(re.compile(r"^Date")).fill(day.isoformat())
    desktop.get_by_label("Heure de début").fill("18:30")
    desktop.get_by_label("Nombre de places").fill("3")
    desktop.get_by_label("Commune").fill("Rennes")
    desktop.get_by_label("Département").select_option("35")
    desktop.get_by_role("button", name="Programmer l'atelier").click()

    desktop.wait_for_url(re.compile(r"/workshops/manage/\d+/$"))
    assert f"Atelier « {TITLE} » programmé" in desktop.get_by_role("status").inner_text()
    workshop = Workshop.objects.get(title=TITLE)
    assert workshop.starts_at == datetime.datetime.combine(day, datetime.time(18, 30), tzinfo=PARIS)
    assert (workshop.capacity, workshop.commune, workshop.department_id) == (3, "Rennes", "35")
    assert workshop.theme.slug == "governance"
    assert_accessible(desktop, "the workshop's management page")

    desktop.get_by_role("link", name="Gérer les ateliers").first.click()
    row = desktop.locator("tbody tr", has_text=TITLE)
    assert "Rennes (35)" in row.inner_text() and "0 / 3" in row.inner_text()

    desktop.goto("/workshops/")
    assert TITLE in desktop.locator("main").inner_text()

    for n in range(4):  # three seats, one person waiting
        register_guest(workshop, n)
    # The day has come (check-in opens on the workshop's day): it starts now.
    started = timezone.now()
    Workshop.objects.filter(pk=workshop.pk).update(starts_at=started, registration_deadline=started)
    log_in(phone, facilitator.email)
    phone.goto(f"/workshops/manage/{workshop.pk}/pointage/")
    count = phone.locator("#checkin-count")
    assert "0 sur 3" in count.inner_text()
    assert "Invité 3" not in phone.locator("main").inner_text()
    assert_accessible(phone, "the check-in list on a phone")

    box = phone.get_by_label("Invité 1")
    box.check()  # saved at once by htmx; the line comes back with the box focused
    # A locator, not wait_for_function: its string is run by eval, which the CSP refuses.
    phone.locator("#checkin-count", has_text="1 sur 3").wait_for()
    assert phone.evaluate("document.activeElement.id") == box.get_attribute("id")
    assert Registration.objects.get(name="Invité 1").attended is True
    assert Registration.objects.get(name="Invité 0").attended is None
    assert_accessible(phone, "the check-in list after a toggle")

    phone.get_by_label("Invité 2").check()
    phone.get_by_role("button", name="Enregistrer").click()
    phone.wait_for_load_state()
    assert "Présences enregistrées" in phone.get_by_role("status").first.inner_text()
    assert {r.name: r.attended for r in workshop.registrations.filter(status="confirmed")} == {
        "Invité 0": False,
        "Invité 1": True,
        "Invité 2": True,
    }
