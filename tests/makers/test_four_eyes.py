"""Four eyes on production reports: nobody decides on a report they made, entered, imported or
last changed; the relay's own reports (its organisation's, its staff's, those its staff
entered) go to the Région, or to another staffer when the settings say so; each refusal says
who decides instead, and the queue shows it instead of buttons that would refuse."""

import pytest
from django.utils import timezone

from makers import services
from makers.models import ProductionReport
from tests.conftest import as_user, post, text
from tests.factories import make_maker, make_report
from tests.refusals import answered, refused
from tilab.errors import NotAllowed

URL = "/api/v1/production-reports/"


def validate(report, by):
    return services.production_report_validate(report=report, by=by, now=timezone.now())


def status_of(report) -> str:
    report.refresh_from_db()
    return report.status


@pytest.fixture
def entered(relay_staff):
    """A report Camille entered for a maker without an account, in Ille-et-Vilaine."""
    mona = make_maker(display_name="Mona Guillou", department="35")
    return make_report(maker=mona, entered_by=relay_staff, source=ProductionReport.Source.RELAY)


def test_whoever_entered_a_report_does_not_validate_it_and_is_told_the_region_does(
    client, relay_staff, entered
):
    with refused("own_entry", kind=NotAllowed, instead="la Région"):
        validate(entered, relay_staff)
    response = post(as_user(client, relay_staff), f"{URL}{entered.pk}/validate/")
    assert "la Région" in answered(response, 403, "own_entry")["detail"]
    response = client.post("/validation/decider/", {"validate_one": entered.pk}, follow=True)
    assert "la Région la décide" in text(response)
    assert status_of(entered) == "submitted"


def test_a_report_a_staffer_entered_is_decided_by_the_region_not_by_a_colleague(
    client, relay_staff, relay_colleague, region_staff, entered
):
    with refused("report_for_the_region", kind=NotAllowed):
        validate(entered, relay_colleague)
    response = post(as_user(client, relay_colleague), f"{URL}{entered.pk}/validate/")
    answered(response, 403, "report_for_the_region")
    response = post(as_user(client, region_staff), f"{URL}{entered.pk}/validate/")
    assert response.status_code == 200, response.content
    assert response.json()["decided_by"] and status_of(entered) == "validated"


def test_when_the_network_says_so_a_colleague_decides_what_a_staffer_entered(
    client, settings, relay_staff, relay_colleague, region_staff, entered
):
    settings.TILAB_FOUR_EYES_STAFF_ENTRIES = "relay"
    answered(post(as_user(client, region_staff), f"{URL}{entered.pk}/reject/", {"reason": "Non"}),
             403, "report_for_the_relay")  # fmt: skip
    with refused("own_entry", kind=NotAllowed, instead="un autre membre de l'équipe du relais"):
        validate(entered, relay_staff)
    response = post(as_user(client, relay_colleague), f"{URL}{entered.pk}/validate/")
    assert response.status_code == 200, response.content


def test_a_relay_of_one_staffer_leaves_to_the_region_what_nobody_else_may_decide(
    settings, relay_staff, region_staff, entered
):
    settings.TILAB_FOUR_EYES_STAFF_ENTRIES = "relay"
    with refused("own_entry", kind=NotAllowed, instead="la Région"):
        validate(entered, relay_staff)
    assert validate(entered, region_staff).status == "validated"


def test_whoever_last_changed_a_report_does_not_decide_on_it(
    client, maker, relay_staff, relay_colleague
):
    report = make_report(maker=maker.maker, quantity=24)
    services.production_report_update(
        report=report, by=relay_staff, now=timezone.now(), quantity=2400
    )
    report.refresh_from_db()
    assert report.updated_by == relay_staff
    response = post(as_user(client, relay_staff), f"{URL}{report.pk}/reject/", {"reason": "Non"})
    answered(response, 403, "own_entry")
    assert validate(report, relay_colleague).status == "validated"


def test_an_imported_report_is_not_decided_by_whoever_imported_it(relay_staff, region_staff):
    mona = make_maker(display_name="Mona Guillou", department="35")
    imported = make_report(maker=mona, entered_by=relay_staff, source="import")
    with refused("own_entry", kind=NotAllowed):
        validate(imported, relay_staff)
    assert validate(imported, region_staff).status == "validated"


def test_the_relays_own_organisation_and_its_staffs_production_go_to_the_region(
    relay_staff, relay_colleague, region_staff
):
    relay = relay_staff.relays.get()
    mona = make_maker(display_name="Mona Guillou", department="35")
    mona.organisations.add(relay.organisation)
    for_the_relay = make_report(maker=mona, organisation=relay.organisation)
    colleague_profile = make_maker(user=relay_colleague, display_name="Morgane", department="35")
    by_a_staffer = make_report(maker=colleague_profile)
    for report in (for_the_relay, by_a_staffer):
        with refused("report_for_the_region", kind=NotAllowed):
            validate(report, relay_staff)
        assert validate(report, region_staff).status == "validated"


def test_the_region_decides_nothing_the_relay_decides(client, maker, relay_staff, region_staff):
    report = make_report(maker=maker.maker)
    with refused("report_for_the_relay", kind=NotAllowed):
        validate(report, region_staff)
    assert validate(report, relay_staff).status == "validated"


def test_the_queue_says_who_decides_instead_of_offering_buttons(
    client, maker, relay_staff, region_staff, entered
):
    theirs = make_report(maker=maker.maker)
    as_user(client, relay_staff)
    page = text(client.get("/validation/"))
    assert f'value="{theirs.pk}"' in page and f'value="{entered.pk}"' not in page
    assert "À décider par la Région" in page
    listed = {row["id"]: row for row in client.get(URL).json()["results"]}
    assert (listed[entered.pk]["to_be_decided_by"], listed[entered.pk]["you_may_decide"]) == (
        "region",
        False,
    )
    assert (listed[theirs.pk]["to_be_decided_by"], listed[theirs.pk]["you_may_decide"]) == (
        "relay",
        True,
    )

    as_user(client, region_staff)
    page = text(client.get("/validation/"))
    assert f'value="{entered.pk}"' in page and f'value="{theirs.pk}"' not in page
    assert "À décider par l'équipe du relais" in page
    listed = {row["id"]: row for row in client.get(URL).json()["results"]}
    assert listed[entered.pk]["you_may_decide"] and not listed[theirs.pk]["you_may_decide"]
    response = client.post("/validation/decider/", {"ids": [entered.pk], "action": "validate"})
    assert response.status_code == 302 and status_of(entered) == "validated"


# --- Scenario 3 of issue 16, the reports' part: one staffer alone -----------------------------


def test_one_staffer_alone_cannot_validate_the_100000_visors_they_entered_for_an_invented_maker(
    client, relay_staff, region_staff
):
    as_user(client, relay_staff)
    response = post(
        client, "/api/v1/makers/", {"display_name": "Maker Fantôme", "department": "35"}
    )
    assert response.status_code == 201, response.content
    body = {"maker": response.json()["id"], "item_type": "visor", "quantity": 100_000,
            "produced_on": "2020-04-20", "material_cost_cents": 0}  # fmt: skip
    response = post(client, URL, body)
    assert response.status_code == 201, response.content
    report = ProductionReport.objects.get(pk=response.json()["id"])

    answered(post(client, f"{URL}{report.pk}/validate/"), 403, "own_entry")
    answered(post(client, f"{URL}validate/", {"ids": [report.pk]}), 403, "own_entry")
    page = text(client.post("/validation/decider/", {"validate_one": report.pk}, follow=True))
    assert "la Région la décide" in page
    assert status_of(report) == "submitted"

    response = post(as_user(client, region_staff), f"{URL}{report.pk}/validate/")
    assert response.status_code == 200 and status_of(report) == "validated"


@pytest.mark.parametrize("own_organisation", ["region", "relay"])
@pytest.mark.parametrize("staff_entries", ["region", "relay"])
def test_the_count_of_reports_one_may_decide_follows_the_decision_routes(
    settings,
    maker,
    relay_staff,
    relay_colleague,
    other_relay_staff,
    loch_staff,
    region_staff,
    own_organisation,
    staff_entries,
):
    """The to-do counts in the database what `decision_route` decides report by report."""
    from fablabs.models import Relay
    from makers.selectors import decision_routes, reports_decidable_by

    settings.TILAB_FOUR_EYES_OWN_ORGANISATION = own_organisation
    settings.TILAB_FOUR_EYES_STAFF_ENTRIES = staff_entries
    labfab = Relay.objects.get(staff=relay_staff).organisation
    staffer_as_maker = make_maker(user=relay_staff, display_name="Camille", department="35")
    mona = make_maker(display_name="Mona Guillou", department="35")
    brest = make_maker(display_name="Gwen", department="29")
    vannes = make_maker(display_name="Maël", department="56")
    for department, someone in (("35", mona), ("22", mona), ("29", brest), ("56", vannes)):
        someone.department_id = department
        make_report(maker=someone)
        make_report(maker=someone, entered_by=relay_staff, source=ProductionReport.Source.RELAY)
        make_report(maker=someone, entered_by=loch_staff, source=ProductionReport.Source.RELAY)
    mona.memberships.create(organisation=labfab)
    make_report(maker=mona, organisation=labfab)
    make_report(maker=staffer_as_maker)
    make_report(maker=maker.maker, entered_by=relay_colleague, source=ProductionReport.Source.RELAY)
    changed = make_report(maker=maker.maker)
    ProductionReport.objects.filter(pk=changed.pk).update(updated_by=relay_colleague)
    make_report(maker=vannes, entered_by=loch_staff, source=ProductionReport.Source.RELAY)

    waiting = ProductionReport.objects.filter(status="submitted").select_related("maker")
    routes = decision_routes(waiting.order_by("produced_on", "pk"))
    for user in (relay_staff, relay_colleague, other_relay_staff, loch_staff, region_staff):
        expected = [pk for pk, route in routes.items() if route.allows(user)]
        assert reports_decidable_by(user) == expected, user
