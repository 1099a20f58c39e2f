"""Errors you can see, in a real browser (RGAA 11.10): a refused form's summary takes focus and
the title says "Erreur"; the validation queue decides nothing on Enter, refuses a row with its
reason, keeps ticked rows after an error and focus in the list after a decision; typed amounts
are not lost without a word. Phone and desktop; axe on each page visited."""

import functools

import pytest

from demo.management.commands.seed_demo import DEMO_PASSWORD
from makers.models import ProductionReport
from subsidies.models import Redistribution
from tests.e2e import conftest as e2e
from tests.e2e.conftest import assert_accessible
from tests.factories import make_programme

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
demo_log_in = functools.partial(e2e.log_in, password=DEMO_PASSWORD)
RELAY = "relais.rennes@demo.tilab.test"
REGION = "region@demo.tilab.test"


def waiting_of_anne() -> list[ProductionReport]:
    reports = ProductionReport.objects.filter(
        maker__display_name="Anne Le Goff", status="submitted"
    ).order_by("produced_on", "pk")
    assert len(reports) >= 2, "the demo leaves reports of Anne waiting for the relay"
    return list(reports)


def focused(page, script: str = "document.activeElement.id"):
    return page.evaluate(script)


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_enter_on_a_rows_box_decides_nothing(request, device, demo):
    page = request.getfixturevalue(device)
    demo_log_in(page, RELAY)
    page.goto("/validation/?maker_name=Anne")
    reports = waiting_of_anne()
    second = reports[1]
    box = page.get_by_label(f"Sélectionner la déclaration n° {second.pk}")
    box.check()
    box.press("Enter")
    page.wait_for_timeout(500)  # what a submission would have taken
    statuses = set(
        ProductionReport.objects.filter(pk__in=[r.pk for r in reports]).values_list(
            "status", flat=True
        )
    )
    assert statuses == {"submitted"}
    assert box.is_checked()
    assert_accessible(page, f"the validation queue on a {device}")


def test_enter_on_a_rows_box_decides_nothing_without_javascript_either(browser, live_server, demo):
    context = browser.new_context(
        viewport=e2e.DESKTOP, locale="fr-FR", base_url=live_server.url, java_script_enabled=False
    )
    page = context.new_page()
    demo_log_in(page, RELAY)
    page.goto("/validation/?maker_name=Anne")
    reports = waiting_of_anne()
    box = page.get_by_label(f"Sélectionner la déclaration n° {reports[1].pk}")
    box.check()
    with page.expect_navigation():
        box.press("Enter")
    statuses = set(
        ProductionReport.objects.filter(pk__in=[r.pk for r in reports]).values_list(
            "status", flat=True
        )
    )
    assert statuses == {"submitted"}
    # The queue came back with the box still ticked.
    assert page.get_by_label(f"Sélectionner la déclaration n° {reports[1].pk}").is_checked()
    context.close()


def test_a_relay_refuses_one_row_with_its_reason_and_stays_in_the_list(desktop, demo):
    demo_log_in(desktop, RELAY)
    desktop.goto("/validation/?maker_name=Anne")
    first = waiting_of_anne()[0]
    row = desktop.locator(f"#declaration-{first.pk}")
    row.get_by_text("Refuser…").click()
    row.get_by_label(f"Motif du refus de la n° {first.pk}").fill("Photo du lot manquante")
    row.get_by_role("button", name=f"Refuser la déclaration n° {first.pk}").click()
    desktop.locator("#annonce", has_text=f"n° {first.pk}").wait_for(state="attached")
    first.refresh_from_db()
    assert (first.status, first.rejection_reason) == ("rejected", "Photo du lot manquante")
    assert focused(desktop, "!!document.activeElement.closest('#queue tbody')")
    assert_accessible(desktop, "the queue after a row's refusal")


def test_a_refusal_without_reason_keeps_the_ticked_rows_and_focuses_the_summary(phone, demo):
    demo_log_in(phone, RELAY)
    phone.goto("/validation/?maker_name=Anne")
    reports = waiting_of_anne()[:2]
    for report in reports:
        phone.get_by_label(f"Sélectionner la déclaration n° {report.pk}").check()
    phone.get_by_role("button", name="Refuser la sélection").click()
    phone.locator("#resume-erreurs").wait_for()
    assert focused(phone) == "resume-erreurs"
    for report in reports:
        assert phone.get_by_label(f"Sélectionner la déclaration n° {report.pk}").is_checked()
    phone.get_by_role("link", name="Motif du refus").click()
    assert focused(phone) == "id_reason"
    assert_accessible(phone, "the queue with a refused decision, on a phone")


def test_after_a_validation_focus_and_scroll_stay_in_the_list(desktop, demo):
    demo_log_in(desktop, RELAY)
    desktop.goto("/validation/")
    reports = waiting_of_anne()
    desktop.goto("/validation/?maker_name=Anne")
    desktop.get_by_role("button", name=f"Valider la déclaration n° {reports[0].pk}").click()
    desktop.locator("#annonce", has_text="validée").wait_for(state="attached")
    # The row that took the validated one's place has focus, on screen.
    assert focused(desktop, "document.activeElement.closest('tr').id") == (
        f"declaration-{reports[1].pk}"
    )
    assert focused(desktop, "document.activeElement.getBoundingClientRect().top") > 0


def test_filtering_leaves_focus_on_the_filter_and_announces_the_count(desktop, demo):
    demo_log_in(desktop, RELAY)
    desktop.goto("/validation/")
    desktop.get_by_role("button", name="Filtrer").click()
    desktop.locator("#annonce", has_text="déclaration").wait_for(state="attached")
    assert focused(desktop, "document.activeElement.textContent.trim()") == "Filtrer"


def test_tick_all_is_visible_or_out_of_reach_on_a_phone(phone, demo):
    demo_log_in(phone, RELAY)
    phone.goto("/validation/")
    header_box = phone.locator("thead [data-check-all]")
    phone_box = phone.get_by_label("Tout cocher sur cette page").and_(
        phone.locator(".check-all-phone input")
    )
    assert not header_box.is_visible()
    assert phone_box.is_visible()
    # Tabbing never lands on an invisible box.
    for _ in range(40):
        phone.keyboard.press("Tab")
        assert not focused(phone, "!!document.activeElement.closest('thead')")


def test_an_adjustment_without_motivation_is_summarised_at_the_top(
    phone, region_staff, relay_staff
):
    relay = relay_staff.relays.get()
    programme = make_programme(by=region_staff, relays=[relay], fixed_shares=[(relay, 100)])
    e2e.log_in(phone, region_staff.email)
    phone.goto(f"/subventions/{programme.pk}/")
    phone.locator("#ajuster").get_by_role("button", name="Enregistrer l'ajustement").click()
    phone.locator("#resume-erreurs").wait_for()
    assert focused(phone) == "resume-erreurs"
    assert phone.title().startswith("Erreur : ")
    # The summary is on screen, not several screens away.
    assert 0 <= focused(phone, "document.activeElement.getBoundingClientRect().top") < 844
    phone.get_by_role("link", name="Motivation de l'ajustement").click()
    assert focused(phone) == "id_motivation"
    assert_accessible(phone, "a refused adjustment on a phone")


def test_unsaved_amounts_are_not_dropped_by_approve_without_a_word(
    desktop, allocation, relay_staff, relay_colleague
):
    e2e.log_in(desktop, relay_staff.email)
    desktop.goto(f"/subventions/allocations/{allocation.pk}/redistribuer/")
    first_row = desktop.locator("fieldset", has_text="Ligne pour le relais n° 1")
    first_row.get_by_label("Objet").fill("Achat groupé de PLA")
    first_row.get_by_label("Montant (€)").fill("3 000")
    desktop.get_by_role("button", name="Proposer la redistribution").click()
    redistribution = Redistribution.objects.get(allocation=allocation)
    page_url = desktop.url
    desktop.context.clear_cookies()
    e2e.log_in(desktop, relay_colleague.email)
    desktop.goto(page_url)
    amount = desktop.locator('#lignes input[name^="line_"]').first
    amount.fill("1 234")

    asked = []
    desktop.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    desktop.get_by_role("link", name="Vérifier puis approuver").click()
    assert asked and "pas enregistrées" in asked[0]
    assert desktop.url == page_url  # still here, the amount as typed
    assert amount.input_value() == "1 234"
    assert_accessible(desktop, "a redistribution with unsaved amounts")

    desktop.once("dialog", lambda dialog: dialog.accept())
    desktop.get_by_role("link", name="Vérifier puis approuver").click()
    desktop.wait_for_url(lambda url: url != page_url)
    redistribution.refresh_from_db()
    assert redistribution.status == "proposed"
