"""The figures in a real browser: they follow a relay's validation, and every page passes axe."""

import functools
import re

import pytest
from django.db.models import Sum

from demo.management.commands.seed_demo import DEMO_PASSWORD
from figures.models import ProductionTotal
from makers.models import ProductionReport
from tests.e2e import conftest as e2e
from tests.e2e.conftest import assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
# The demo's people log in with the demo's password.
log_in = functools.partial(e2e.log_in, password=DEMO_PASSWORD)


@pytest.fixture(autouse=True)
def _drain_in_process():
    """The embedded default: tasks run in-process, so the totals drain as each decision commits.
    Forced here so the test means the same when CI configures a broker for other tests."""
    from config.celery import app

    # The app reads its settings under the CELERY_ namespace: that is the key to change.
    before = app.conf.task_always_eager
    app.conf.CELERY_TASK_ALWAYS_EAGER = True
    yield
    app.conf.CELERY_TASK_ALWAYS_EAGER = before


def figure(page, caption: str, row: str, column: int = 0) -> int:
    """A number as a reader reads it in a table ("25 000" → 25000): the cell of `row` in the
    table captioned `caption`."""
    table = page.get_by_role("table", name=caption)
    cells = table.get_by_role("row").filter(has=page.get_by_role("rowheader", name=row))
    text = cells.get_by_role("cell").nth(column).inner_text()
    return int(re.sub(r"\D", "", text))


def test_the_figures_follow_a_relays_validation_and_stay_accessible(desktop, demo):
    waiting = (
        ProductionReport.objects.filter(
            maker__display_name="Anne Le Goff", status="submitted", department_id="35"
        )
        .select_related("item_type", "department")
        .order_by("produced_on", "pk")
        .first()
    )
    assert waiting, "the demo leaves reports of Anne waiting for the relay"
    department = f"{waiting.department.name} ({waiting.department.code})"
    item = waiting.item_type.name_fr

    desktop.goto("/chiffres/")
    assert desktop.get_by_role("heading", level=1).inner_text() == "La production en chiffres"
    per_department = figure(desktop, "Production validée par département", department, 1)
    per_item = figure(desktop, "Production validée par article", item)
    assert per_department > 0, "the demo has validated production in Ille-et-Vilaine"
    # The dashboard's figures are exact: they count the totals of fewer than three makers,
    # which the public figures withhold.
    exact = ProductionTotal.objects.filter(department=waiting.department).aggregate(
        quantity=Sum("quantity")
    )["quantity"]
    assert exact >= per_department
    assert_accessible(desktop, "the public figures")

    log_in(desktop, "relais.rennes@demo.tilab.test")
    desktop.goto("/validation/?maker_name=Anne")
    desktop.get_by_role("button", name=f"Valider la déclaration n° {waiting.pk}").click()
    news = desktop.locator("#annonce", has_text="1 déclaration validée")
    news.wait_for(state="attached")

    desktop.goto("/chiffres/")
    assert figure(desktop, "Production validée par département", department, 1) == (
        per_department + waiting.quantity
    )
    assert figure(desktop, "Production validée par article", item) == per_item + waiting.quantity

    desktop.goto("/dashboard/")
    assert desktop.get_by_role("heading", level=1).inner_text() == "Tableau de bord régional"
    assert figure(desktop, "Production validée par département", department, 1) == (
        exact + waiting.quantity
    )
    # The relay's own departments stand out, and its queue is one click away.
    assert desktop.locator("table#table-departments tr.highlighted").count() == 2
    assert desktop.get_by_role("link", name="Ma file de validation").is_visible()
    assert_accessible(desktop, "the dashboard of a relay")


def test_the_figures_page_reads_well_on_a_phone(phone, demo):
    phone.goto("/")
    e2e.open_menu(phone)
    phone.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Chiffres"
    ).click()
    phone.wait_for_url("**/chiffres/")
    assert phone.locator("svg[role=img]").count() == 6
    # Nothing sticks out sideways on a phone: charts shrink, wide tables scroll in their box.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(phone, "the public figures on a phone")

    phone.get_by_role("combobox", name=re.compile("^Département")).select_option("29")
    phone.get_by_role("button", name="Filtrer").click()
    phone.wait_for_url("**/chiffres/?*department=29*")
    assert "Totaux de la sélection" in phone.get_by_role("heading", level=2).first.inner_text()
    assert_accessible(phone, "the public figures, filtered, on a phone")


def test_the_figures_work_without_javascript(browser, live_server, demo):
    context = browser.new_context(java_script_enabled=False, base_url=live_server.url)
    page = context.new_page()
    try:
        page.goto("/chiffres/?item_type=visor")
        assert page.locator("svg[role=img]").count() == 6
        assert page.get_by_role("table", name="Production validée par semaine").is_visible()
        page.get_by_role("combobox", name=re.compile("^Article")).select_option("fabric-mask")
        page.get_by_role("button", name="Filtrer").click()
        page.wait_for_url("**item_type=fabric-mask*")
        assert "masques" in page.locator(".key-figures").inner_text()
    finally:
        context.close()


def test_the_figures_print_with_their_charts_and_tables(desktop, demo):
    desktop.goto("/chiffres/")
    desktop.emulate_media(media="print")
    assert desktop.locator("svg[role=img]").first.is_visible()
    assert desktop.get_by_role("table", name="Production validée par relais").is_visible()
    assert not desktop.locator("form.figures-filters").is_visible()
