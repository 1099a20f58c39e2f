"""Which service records a new report is chosen in one place
(`makers.services.production_report_submit`): one's own report as a maker, or a relay's entry
for a maker of its departments. The pages and the API choose the same way."""

import datetime

import pytest
from django.utils import timezone

from makers import services
from makers.models import ItemType, ProductionReport
from tests.factories import make_maker
from tests.refusals import refused
from tilab.errors import BadInput

APRIL = datetime.date(2020, 4, 2)


def report(**changes) -> dict:
    return {
        "item_type": ItemType.objects.get(slug="visor"),
        "quantity": 24,
        "produced_on": APRIL,
        "material_cost_cents": 1250,
        "recipient": "CHU Rennes",
        **changes,
    }


def submit(by, **changes) -> ProductionReport:
    return services.production_report_submit(by=by, now=timezone.now(), **report(**changes))


@pytest.fixture
def own_maker(relay_staff):
    """Relay staff who also make visors themselves, in a department their relay covers."""
    return make_maker(user=relay_staff, display_name="Camille Riou", department="35")


def test_ones_own_report_is_a_makers_report_whoever_enters_it(maker, relay_staff, own_maker):
    assert submit(maker, maker=maker.maker).source == ProductionReport.Source.MAKER
    assert submit(relay_staff, maker=own_maker).source == ProductionReport.Source.MAKER


def test_a_report_for_someone_else_is_a_relays_entry(maker, relay_staff):
    entered = submit(relay_staff, maker=maker.maker)
    assert (entered.source, entered.entered_by) == (ProductionReport.Source.RELAY, relay_staff)

    new = submit(
        relay_staff,
        maker=None,
        new_maker_name="Yann Kerbrat",
        new_maker_department=maker.maker.department,
        new_maker_commune="Lannion",
    )
    assert (new.source, new.maker.display_name, new.maker.user) == ("relay", "Yann Kerbrat", None)


def test_a_maker_cannot_enter_a_report_for_another_maker(maker, reference_data):
    stranger = make_maker(display_name="Yann Kerbrat", department="35")
    with refused("maker_outside_relay", kind=BadInput):
        submit(maker, maker=stranger)
    assert not ProductionReport.objects.exists()


@pytest.mark.parametrize("whose", ["own", "anne"])
def test_the_page_and_the_api_record_the_same_kind_of_report(
    client, maker, relay_staff, own_maker, whose
):
    chosen = own_maker if whose == "own" else maker.maker
    expected = "maker" if whose == "own" else "relay"
    client.force_login(relay_staff)
    visor = ItemType.objects.get(slug="visor")

    page = client.post(
        "/validation/saisie/",
        {
            "maker": str(chosen.pk),
            "item_type": str(visor.pk),
            "quantity": "24",
            "produced_on": APRIL.isoformat(),
            "material_cost_cents": "12,50",
            "recipient": "CHU Rennes",
            "organisation": "",
        },
    )
    api = client.post(
        "/api/v1/production-reports/",
        {
            "maker": chosen.pk,
            "item_type": "visor",
            "quantity": 24,
            "produced_on": APRIL.isoformat(),
            "material_cost_cents": 1250,
        },
        content_type="application/json",
    )

    assert page.status_code == 302 and api.status_code == 201, api.content
    sources = list(
        ProductionReport.objects.filter(maker=chosen)
        .order_by("pk")
        .values_list("source", flat=True)
    )
    assert sources == [expected, expected]
