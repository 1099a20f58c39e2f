"""Small-count suppression: a weekly total made by fewer producers than the threshold (3 by
default; an organisation counts once whatever its members, a maker on their own once) is in no
public figure (the figures page, the home page, the API for the public, every
open data file), nor in any public sum; staff keep the exact figures."""

import csv
import datetime
import io

import pytest
from django.utils import timezone

from figures.models import ProductionTotal
from makers.models import Maker, Membership, ProductionReport
from tests.factories import make_maker, make_organisation, make_report, region_controller

API = "/api/v1/figures/"
CSV_URL = "/open-data/production.csv"
HXL_URL = "/open-data/production-hxl.csv"
XLSX_URL = "/open-data/production.xlsx"
SCHEMA_URL = "/open-data/production.schema.json"
OPEN_DATA = "/open-data/"
THURSDAY = datetime.date(2020, 4, 2)  # ISO week 2020-W14, from Monday 30 March
MONDAY = "2020-03-30"

# The three totals of the week: (department, item, organisation kind).
ALONE = (MONDAY, "22", "visor", "independent")  # one maker: 7 visors, 3.50 €
PAIR = (MONDAY, "35", "fabric-mask", "independent")  # two makers: 13 + 17 masks, 2.00 €
TRIO = (MONDAY, "35", "visor", "independent")  # three makers: 100 + 200 + 300 visors, 30.00 €
PUBLIC = {"quantity": 600, "report_count": 3, "material_cost_cents": 3000}
EXACT = {"quantity": 637, "report_count": 6, "material_cost_cents": 3550}
DIMENSIONS = ["week", "department", "relay", "item_type", "org_kind"]


@pytest.fixture
def week(maker, relay_staff, django_capture_on_commit_callbacks):
    """One week of validated visors and masks in Côtes-d'Armor and Ille-et-Vilaine: a total of
    one maker, one of two, one of three, drained on commit as after each decision."""
    anne = Maker.objects.get(user=maker)
    with django_capture_on_commit_callbacks(execute=True):
        lonely = make_maker(display_name="Yann Kerbrat", department="22")
        make_report(
            maker=lonely,
            quantity=7,
            produced_on=THURSDAY,
            cost_cents=350,
            status="validated",
            decided_by=relay_staff,
        )
        for n, quantity in enumerate((13, 17)):
            make_report(
                maker=make_maker(display_name=f"Couturière {n}", department="35"),
                item="fabric-mask",
                quantity=quantity,
                produced_on=THURSDAY,
                cost_cents=100,
                status="validated",
                decided_by=relay_staff,
            )
        for who, quantity in ((anne, 100), (None, 200), (None, 300)):
            make_report(
                maker=who or make_maker(display_name=f"Maker {quantity}", department="35"),
                quantity=quantity,
                produced_on=THURSDAY,
                cost_cents=1000,
                status="validated",
                decided_by=relay_staff,
            )
    counts = {
        (str(t.week_start), t.department_id, t.item_type.slug, t.org_kind): t.maker_count
        for t in ProductionTotal.objects.select_related("item_type")
    }
    assert counts == {ALONE: 1, PAIR: 2, TRIO: 3}
    return lonely


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def csv_buckets(content: bytes, *, skip: int = 1) -> list[tuple]:
    rows = list(csv.reader(io.StringIO(content.decode())))[skip:]
    return sorted((row[0], row[3], row[6], row[9]) for row in rows)


def api_buckets(client, **params) -> list[tuple]:
    data = client.get(API, params).json()
    return sorted(
        (r["week_start"], r["department"], r["item_type"], r["org_kind"]) for r in data["results"]
    )


def sums(rows: list[dict]) -> dict:
    return {key: sum(row[key] for row in rows) for key in PUBLIC}


# --- The public figures --------------------------------------------------------------------


def test_the_figures_page_counts_only_totals_of_three_makers_or_more(client, week):
    context = client.get("/chiffres/").context
    assert context["overall"] == PUBLIC
    assert [row["slug"] for row in context["per_item"]] == ["visor"]
    departments = {row["key"]: row["quantity"] for row in context["per_department"]}
    assert departments == {"22": 0, "29": 0, "35": 600, "56": 0}


@pytest.mark.parametrize("breakdown", ["per_item", "per_week", "per_department", "per_relay"])
def test_every_breakdown_of_the_figures_page_adds_up_to_its_public_totals(client, week, breakdown):
    # Were a withheld total in a sum, subtracting the published rows would reveal it.
    context = client.get("/chiffres/").context
    assert sums(context[breakdown]) == context["overall"] == PUBLIC


def test_a_filter_on_a_withheld_total_finds_nothing_public(client, week):
    context = client.get("/chiffres/", {"department": "22"}).context
    assert context["overall"] == {"quantity": 0, "report_count": 0, "material_cost_cents": 0}
    assert not context["has_figures"]


def test_the_figures_page_says_when_every_total_is_withheld(client, week, settings):
    settings.TILAB_PUBLIC_MIN_PRODUCERS = 4
    context = client.get("/chiffres/").context
    assert context["overall"]["quantity"] == 0
    assert context["withheld_only"]
    # Filtered, it says only that nothing public matches: not that small totals exist there.
    assert not client.get("/chiffres/", {"department": "35"}).context["withheld_only"]


def test_the_figures_page_states_the_rule(client, week):
    page = client.get("/chiffres/").content.decode()
    assert "moins de 3 producteurs" in page


def test_staff_looking_at_the_public_page_see_the_public_figures(client, week, region_staff):
    client.force_login(region_staff)
    assert client.get("/chiffres/").context["overall"] == PUBLIC


def test_the_home_page_counts_only_totals_of_three_makers_or_more(client, week):
    context = client.get("/").context
    assert [row["quantity"] for row in context["glance_per_item"]] == [600]
    assert context["glance_report_count"] == 3


# --- The API ---------------------------------------------------------------------------------


@pytest.fixture(params=["anonymous", "maker"])
def public_caller(request, client):
    """Whoever is not staff: nobody signed in, or a maker."""
    if request.param == "maker":
        client.force_login(request.getfixturevalue("maker"))
    return client


def test_the_api_gives_the_public_only_totals_of_three_makers_or_more(public_caller, week):
    assert api_buckets(public_caller) == [TRIO]
    assert [row["maker_count"] for row in public_caller.get(API).json()["results"]] == [3]


@pytest.mark.parametrize("dimension", DIMENSIONS)
def test_every_api_breakdown_for_the_public_adds_up_to_its_public_totals(
    public_caller, week, dimension
):
    data = public_caller.get(API, {"group_by": dimension}).json()
    assert data["overall"] == PUBLIC
    assert sums(data["results"]) == PUBLIC


@pytest.mark.parametrize("staff", ["relay_staff", "region_staff", "auditor"])
def test_staff_get_the_exact_figures_from_the_api(client, week, request, staff):
    client.force_login(request.getfixturevalue(staff))
    assert api_buckets(client) == sorted([ALONE, PAIR, TRIO])
    data = client.get(API, {"group_by": "department"}).json()
    assert data["overall"] == sums(data["results"]) == EXACT


def test_the_exact_figures_of_staff_are_kept_by_no_cache(client, week, region_staff):
    client.force_login(region_staff)
    assert "no-store" in client.get(API)["Cache-Control"]


def test_the_api_schema_says_who_gets_which_figures(client, reference_data):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    description = schema["paths"][API]["get"]["description"]
    assert "TILAB_PUBLIC_MIN_PRODUCERS" in description


# --- The staff dashboard ---------------------------------------------------------------------


@pytest.mark.parametrize("staff", ["relay_staff", "region_staff", "auditor"])
def test_the_dashboard_keeps_the_exact_figures(client, week, request, staff):
    client.force_login(request.getfixturevalue(staff))
    context = client.get("/dashboard/").context
    assert context["overall"] == EXACT
    departments = {row["key"]: row["quantity"] for row in context["per_department"]}
    assert departments["22"] == 7


# --- The open data ---------------------------------------------------------------------------


def test_the_csv_and_its_hxl_variant_hold_only_totals_of_three_makers_or_more(client, week):
    assert csv_buckets(body(client.get(CSV_URL))) == [TRIO]
    assert csv_buckets(body(client.get(HXL_URL)), skip=2) == [TRIO]


def test_the_spreadsheet_holds_only_totals_of_three_makers_or_more(client, week):
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(body(client.get(XLSX_URL))))
    rows = list(workbook["Production"].iter_rows(min_row=2, values_only=True))
    assert [(row[0].date().isoformat(), row[3], row[6], row[9]) for row in rows] == [TRIO]
    readme = " ".join(
        str(value) for row in workbook["Lisez-moi"].iter_rows(values_only=True) for value in row
    )
    assert "moins de 3 producteurs" in readme


def test_the_schema_states_the_rule_and_holds_the_files_to_it(client, week):
    from tests.figures.test_open_data import frictionless_report

    schema = client.get(SCHEMA_URL).json()
    assert "moins de 3 producteurs" in schema["description"]
    fields = {field["name"]: field for field in schema["fields"]}
    assert fields["producer_count"]["constraints"]["minimum"] == 3
    report = frictionless_report(body(client.get(CSV_URL)), schema)
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    # A row of two producers slipped into the file breaks the schema.
    leaked = body(client.get(CSV_URL)) + b"2020-03-30,2020,14,35,Ille-et-Vilaine,,fabric-mask,"
    leaked += b"Masque en tissu,masque,independent,30,2,2,2,2.00\r\n"
    report = frictionless_report(leaked, schema)
    assert ["constraint-error", "producer_count"] in report.flatten(["type", "fieldName"])


def test_the_hxl_file_passes_hxlvalidate(client, week, tmp_path):
    from tests.figures.test_open_data import hxlvalidate

    path = tmp_path / "production-hxl.csv"
    path.write_bytes(body(client.get(HXL_URL)))
    result = hxlvalidate(path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_open_data_page_states_the_rule_and_how_many_totals_are_withheld(client, week):
    response = client.get(OPEN_DATA)
    assert response.context["edition"].row_count == 1
    assert response.context["edition"].withheld_count == 2
    page = response.content.decode()
    assert "moins de 3 producteurs distincts" in page
    assert "2 lignes sont retenues" in page


def test_a_change_to_a_withheld_total_changes_no_public_file(
    client, week, relay_staff, django_capture_on_commit_callbacks
):
    before = client.get(CSV_URL)
    with django_capture_on_commit_callbacks(execute=True):
        make_report(
            maker=week,
            quantity=5,
            produced_on=THURSDAY,
            status="validated",
            decided_by=relay_staff,
        )
    assert ProductionTotal.objects.get(department_id="22").quantity == 12
    after = client.get(CSV_URL, headers={"if-none-match": before["ETag"]})
    assert after.status_code == 304
    assert after["Last-Modified"] == before["Last-Modified"]


def test_a_third_maker_publishes_a_total(
    client, week, relay_staff, django_capture_on_commit_callbacks
):
    etag = client.get(CSV_URL)["ETag"]
    with django_capture_on_commit_callbacks(execute=True):
        make_report(
            maker=make_maker(display_name="Couturière 3", department="35"),
            item="fabric-mask",
            quantity=20,
            produced_on=THURSDAY,
            cost_cents=100,
            status="validated",
            decided_by=relay_staff,
        )
    response = client.get(CSV_URL, headers={"if-none-match": etag})
    assert response.status_code == 200
    assert csv_buckets(body(response)) == [PAIR, TRIO]
    assert api_buckets(client) == [PAIR, TRIO]


# --- Producers, not makers ------------------------------------------------------------------

LAB_WEEK = ("2020-03-30", "29", "gown", "associative_fablab")


def _members_of_labs(labs: int, members: int, relay_staff) -> list:
    """Gowns of the week made for `labs` FabLabs of Finistère, by `members` makers each."""
    organisations = [
        make_organisation(name=f"FabLab {n}", kind="associative_fablab", department="29")
        for n in range(labs)
    ]
    for lab in organisations:
        for n in range(members):
            member = make_maker(display_name=f"Membre {n} de {lab.name}", department="29")
            Membership.objects.create(maker=member, organisation=lab)
            make_report(
                maker=member,
                item="gown",
                quantity=10,
                produced_on=THURSDAY,
                organisation=lab,
                entered_by=relay_staff,
                status="validated",
                decided_by=region_controller(),
            )
    return organisations


def test_three_members_of_one_fablab_are_one_producer_whose_total_is_withheld(
    client, relay_staff, other_relay_staff, region_staff, django_capture_on_commit_callbacks
):
    # A FabLab's week made by three of its members is still that FabLab's output alone.
    with django_capture_on_commit_callbacks(execute=True):
        _members_of_labs(1, 3, other_relay_staff)
    total = ProductionTotal.objects.get()
    assert (total.maker_count, total.producer_count) == (3, 1)
    assert api_buckets(client) == []
    assert csv_buckets(body(client.get(CSV_URL))) == []
    assert csv_buckets(body(client.get(HXL_URL)), skip=2) == []
    assert client.get("/chiffres/").context["overall"]["quantity"] == 0
    assert client.get(OPEN_DATA).context["edition"].withheld_count == 1
    client.force_login(region_staff)
    assert api_buckets(client) == [LAB_WEEK]


def test_three_fablabs_make_a_public_total_whatever_their_members(
    client, relay_staff, other_relay_staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _members_of_labs(3, 1, other_relay_staff)
    assert api_buckets(client) == [LAB_WEEK]
    assert csv_buckets(body(client.get(CSV_URL))) == [LAB_WEEK]
    row = client.get(API).json()["results"][0]
    assert (row["maker_count"], row["producer_count"]) == (3, 3)


def test_one_maker_for_three_fablabs_makes_three_producers(
    client, other_relay_staff, django_capture_on_commit_callbacks
):
    # The same person producing for three FabLabs: three organisations' output, one maker.
    lone = make_maker(display_name="Gaëlle Tanguy", department="29")
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            lab = make_organisation(name=f"FabLab {n}", kind="associative_fablab", department="29")
            Membership.objects.create(maker=lone, organisation=lab)
            make_report(
                maker=lone,
                item="gown",
                quantity=10,
                produced_on=THURSDAY,
                organisation=lab,
                entered_by=other_relay_staff,
                status="validated",
                decided_by=region_controller(),
            )
    total = ProductionTotal.objects.get()
    assert (total.maker_count, total.producer_count) == (1, 3)
    assert api_buckets(client) == [LAB_WEEK]


def test_a_fablab_leaves_the_count_of_a_week_when_its_last_report_there_leaves(
    client, relay_staff, other_relay_staff, django_capture_on_commit_callbacks
):
    from makers import services as makers_services

    with django_capture_on_commit_callbacks(execute=True):
        labs = _members_of_labs(3, 2, other_relay_staff)
    assert api_buckets(client) == [LAB_WEEK]
    moved = list(ProductionReport.objects.filter(organisation=labs[2]).order_by("pk"))
    for n, report in enumerate(moved):
        with django_capture_on_commit_callbacks(execute=True):
            correction = makers_services.production_report_correct(
                report=report,
                by=other_relay_staff,
                now=timezone.now(),
                source="relay",
                produced_on=THURSDAY + datetime.timedelta(weeks=1),
            )
            makers_services.production_report_validate(
                report=correction, by=region_controller(), now=timezone.now()
            )
        week = ProductionTotal.objects.get(week_start=MONDAY)
        # Its first member's report moved, the FabLab still counts through the second one's.
        assert (week.maker_count, week.producer_count) == (6 - n - 1, 3 - n)
    assert api_buckets(client) == []


def test_the_upgrade_counts_the_producers_of_existing_totals(
    relay_staff, other_relay_staff, django_capture_on_commit_callbacks
):
    import importlib

    from django.apps import apps

    with django_capture_on_commit_callbacks(execute=True):
        _members_of_labs(2, 2, other_relay_staff)
    ProductionTotal.objects.update(producer_count=0)
    migration = importlib.import_module("figures.migrations.0002_production_total_producer_count")
    migration.count_producers(apps, None)
    total = ProductionTotal.objects.get()
    assert (total.maker_count, total.producer_count) == (4, 2)


# --- The threshold ---------------------------------------------------------------------------


def test_the_threshold_is_a_setting_that_every_public_figure_follows(client, week, settings):
    etag = client.get(CSV_URL)["ETag"]
    settings.TILAB_PUBLIC_MIN_PRODUCERS = 2
    assert api_buckets(client) == [PAIR, TRIO]
    response = client.get(CSV_URL, headers={"if-none-match": etag})
    assert response.status_code == 200  # the threshold is in the ETag
    assert csv_buckets(body(response)) == [PAIR, TRIO]
    assert client.get("/chiffres/").context["overall"] == {
        "quantity": 630,
        "report_count": 5,
        "material_cost_cents": 3200,
    }
    assert client.get(SCHEMA_URL).json()["fields"][13]["constraints"]["minimum"] == 2


def test_by_default_the_threshold_is_three():
    from django.conf import settings

    assert settings.TILAB_PUBLIC_MIN_PRODUCERS == 3
