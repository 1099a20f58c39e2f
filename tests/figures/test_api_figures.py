"""The figures API: public weekly totals, their filters, their breakdowns, at a constant cost."""

import datetime
from urllib.parse import parse_qs, urlparse

import pytest
import yaml
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fablabs.models import Relay, RelayCoverage
from figures.models import OrganisationKind, ProductionTotal
from figures.totals import totals_version_bump
from makers.models import ItemType, Maker, Membership
from tests.factories import (
    make_maker,
    make_organisation,
    make_report,
    make_report_by_three,
    region_controller,
)

URL = "/api/v1/figures/"
THURSDAY = datetime.date(2020, 4, 2)  # ISO week 2020-W14, from Monday 30 March
TUESDAY_AFTER = datetime.date(2020, 4, 7)  # ISO week 2020-W15, from Monday 6 April


@pytest.fixture
def figures(maker, relay_staff, other_relay_staff, django_capture_on_commit_callbacks):
    """Four weekly totals from validated reports, each of three producers so that the public
    sees them; a pending one that counts nowhere."""
    anne = Maker.objects.get(user=maker)
    yann = make_maker(display_name="Yann Kerbrat", department="22")
    gwen = make_maker(display_name="Gwen Morvan", department="29")
    abers = make_organisation(name="Fablab des Abers", kind="associative_fablab", department="29")
    Membership.objects.create(maker=gwen, organisation=abers)
    with django_capture_on_commit_callbacks(execute=True):
        for quantity, cost in ((24, 1250), (10, 99)):
            make_report_by_three(
                maker=anne,
                quantity=quantity,
                produced_on=THURSDAY,
                cost_cents=cost,
                status="validated",
                decided_by=relay_staff,
            )
        make_report(maker=anne, quantity=500, produced_on=THURSDAY)  # awaiting a decision
        make_report_by_three(
            maker=anne,
            quantity=6,
            produced_on=TUESDAY_AFTER,
            cost_cents=300,
            status="validated",
            decided_by=relay_staff,
        )
        make_report_by_three(
            maker=yann,
            item="fabric-mask",
            quantity=100,
            produced_on=TUESDAY_AFTER,
            cost_cents=0,
            entered_by=relay_staff,
            status="validated",
            decided_by=region_controller(),
        )
        make_report_by_three(
            maker=gwen,
            quantity=7,
            produced_on=THURSDAY,
            cost_cents=350,
            organisation=abers,
            entered_by=other_relay_staff,
            status="validated",
            decided_by=region_controller(),
        )


def get(client, url=URL, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    return response.json()


def buckets(rows) -> list[tuple]:
    return [(r["week_start"], r["department"], r["item_type"], r["org_kind"]) for r in rows]


def fill_totals_up_to(count: int) -> None:
    """Distinct buckets straight in the table, across departments, items, kinds and weeks."""
    items = list(ItemType.objects.order_by("pk"))
    kinds = list(OrganisationKind.values)
    taken = set(
        ProductionTotal.objects.values_list(
            "department_id", "item_type_id", "org_kind", "week_start"
        )
    )
    monday = datetime.date(2021, 1, 4)
    new, n = [], 0
    while ProductionTotal.objects.count() + len(new) < count:
        # Six weeks first, so every breakdown grows with the number of buckets.
        bucket = (
            ["22", "29", "35", "56"][n // 6 % 4],
            items[n // 24 % len(items)].pk,
            kinds[n // (24 * len(items)) % len(kinds)],
            monday + datetime.timedelta(weeks=n % 6),
        )
        n += 1
        if bucket in taken:
            continue
        new.append(
            ProductionTotal(
                department_id=bucket[0],
                item_type_id=bucket[1],
                org_kind=bucket[2],
                week_start=bucket[3],
                quantity=n,
                report_count=3,
                maker_count=3,
                producer_count=3,
                material_cost_cents=n * 100,
                computed_at=timezone.now(),
            )
        )
    ProductionTotal.objects.bulk_create(new)
    totals_version_bump(now=timezone.now())  # written by hand: the cached pages must follow


# --- Rows ------------------------------------------------------------------------------------


def test_anyone_reads_the_weekly_totals_without_an_account(client, figures):
    data = get(client)
    assert data["next"] is None
    assert buckets(data["results"]) == [
        ("2020-03-30", "29", "visor", "associative_fablab"),
        ("2020-03-30", "35", "visor", "independent"),
        ("2020-04-06", "22", "fabric-mask", "independent"),
        ("2020-04-06", "35", "visor", "independent"),
    ]
    rennes = next(
        r for r in data["results"] if (r["week_start"], r["department"]) == ("2020-03-30", "35")
    )
    assert {key: rennes[key] for key in rennes if key != "computed_at"} == {
        "week_start": "2020-03-30",
        "iso_year": 2020,
        "iso_week": 14,
        "department": "35",
        "department_name": "Ille-et-Vilaine",
        "relay": "LabFab de Rennes",
        "item_type": "visor",
        "org_kind": "independent",
        "quantity": 34,  # 24 + 10; the 500 awaiting a decision do not count
        "report_count": 6,
        "maker_count": 3,
        "producer_count": 3,
        "material_cost_cents": 1349,
    }


def test_the_rows_come_oldest_week_first(client, figures):
    weeks = [row["week_start"] for row in get(client)["results"]]
    assert weeks == sorted(weeks)
    assert weeks[0] == "2020-03-30" and weeks[-1] == "2020-04-06"


def test_no_name_or_email_is_ever_in_the_figures(client, figures):
    for query in ["", "?group_by=relay", "?group_by=department", "?group_by=org_kind"]:
        text = client.get(URL + query).content.decode()
        for personal in ["Anne", "Yann", "Gwen", "@", "Abers", "CHU Rennes"]:
            assert personal not in text, (query, personal)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"department": "35"}, {("2020-03-30", "35"), ("2020-04-06", "35")}),
        ({"item_type": "fabric-mask"}, {("2020-04-06", "22")}),
        ({"org_kind": "associative_fablab"}, {("2020-03-30", "29")}),
        ({"period_start": "2020-04-06"}, {("2020-04-06", "22"), ("2020-04-06", "35")}),
        # A week counts when it overlaps the period: Sunday 5 April ends week 14.
        (
            {"period_start": "2020-04-05", "period_end": "2020-04-05"},
            {("2020-03-30", "29"), ("2020-03-30", "35")},
        ),
        ({"department": "35", "period_end": "2020-04-01"}, {("2020-03-30", "35")}),
        ({"department": "56"}, set()),
    ],
)
def test_the_rows_filter_by_period_department_item_and_producer_kind(
    client, figures, params, expected
):
    rows = get(client, **params)["results"]
    assert {(row["week_start"], row["department"]) for row in rows} == expected


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"department": "75"}, "department"),
        ({"item_type": "rocket"}, "item_type"),
        ({"org_kind": "ngo"}, "org_kind"),
        ({"period_start": "le 1er avril"}, "period_start"),
        ({"department": "75", "group_by": "week"}, "department"),
    ],
)
def test_a_bad_filter_answers_400_naming_it(client, figures, params, field):
    response = client.get(URL, params)
    assert response.status_code == 400
    assert field in response.json()


def test_the_rows_come_in_cursor_pages_losing_and_repeating_none(client, figures):
    fill_totals_up_to(130)
    seen, url, pages = [], URL + "?page_size=50", 0
    while url:
        data = get(client, url)
        seen += buckets(data["results"])
        url, pages = data["next"], pages + 1
        if url:
            assert "cursor" in parse_qs(urlparse(url).query)
    assert pages == 3
    assert len(seen) == len(set(seen)) == 130
    assert [bucket[0] for bucket in seen] == sorted(bucket[0] for bucket in seen)


def test_the_figures_come_from_the_totals_not_from_the_reports(client, figures):
    # Whatever the totals say is what the API answers: it never sums reports per request.
    ProductionTotal.objects.filter(department_id="22").update(quantity=999)
    totals_version_bump(now=timezone.now())
    with CaptureQueriesContext(connection) as queries:
        rows = get(client, department="22")["results"]
        grouped = get(client, group_by="department")
    assert [row["quantity"] for row in rows] == [999]
    assert {group["key"]: group["quantity"] for group in grouped["results"]}["22"] == 999
    assert not [q for q in queries.captured_queries if "productionreport" in q["sql"].lower()]


def test_the_figures_follow_a_validation_right_away(
    client, figures, maker, relay_staff, django_capture_on_commit_callbacks
):
    before = get(client, group_by="department")["overall"]
    with django_capture_on_commit_callbacks(execute=True):
        make_report(
            maker=Maker.objects.get(user=maker),
            quantity=50,
            produced_on=THURSDAY,
            cost_cents=1000,
            status="validated",
            decided_by=relay_staff,
        )
    after = get(client, group_by="department")["overall"]
    assert after["quantity"] == before["quantity"] + 50
    assert after["report_count"] == before["report_count"] + 1
    assert after["material_cost_cents"] == before["material_cost_cents"] + 1000


# --- Breakdowns ------------------------------------------------------------------------------


def test_group_by_department_sums_the_rows_and_gives_the_overall_totals(client, figures):
    data = get(client, group_by="department")
    assert set(data) == {"group_by", "overall", "results"}
    assert data["group_by"] == "department"
    assert data["overall"] == {"quantity": 147, "report_count": 15, "material_cost_cents": 1999}
    assert data["results"] == [
        {
            "key": "22",
            "label": "Côtes-d'Armor (22)",
            "quantity": 100,
            "report_count": 3,
            "material_cost_cents": 0,
        },
        {
            "key": "29",
            "label": "Finistère (29)",
            "quantity": 7,
            "report_count": 3,
            "material_cost_cents": 350,
        },
        {
            "key": "35",
            "label": "Ille-et-Vilaine (35)",
            "quantity": 40,
            "report_count": 9,
            "material_cost_cents": 1649,
        },
    ]


@pytest.mark.parametrize(
    ("dimension", "keys", "quantities"),
    [
        ("week", ["2020-03-30", "2020-04-06"], [41, 106]),
        ("item_type", ["visor", "fabric-mask"], [47, 100]),
        ("org_kind", ["independent", "associative_fablab"], [140, 7]),
    ],
)
def test_group_by_each_dimension_in_its_natural_order(client, figures, dimension, keys, quantities):
    data = get(client, group_by=dimension)
    assert [group["key"] for group in data["results"]] == keys
    assert [group["quantity"] for group in data["results"]] == quantities
    assert sum(quantities) == data["overall"]["quantity"]


def test_group_by_relay_names_each_relay_and_those_without_one(client, figures):
    RelayCoverage.objects.filter(department_id="22").delete()
    rennes = Relay.objects.get(organisation__name="LabFab de Rennes")
    ensta = Relay.objects.get(organisation__name="ENSTA Bretagne")
    groups = get(client, group_by="relay")["results"]
    assert [(g["key"], g["label"], g["quantity"]) for g in groups] == [
        (str(ensta.pk), "ENSTA Bretagne", 7),
        (str(rennes.pk), "LabFab de Rennes", 40),
        (None, "Sans relais", 100),
    ]


@pytest.mark.parametrize("dimension", ["week", "department", "item_type", "org_kind"])
def test_a_group_key_works_as_the_filter_of_the_same_name(client, figures, dimension):
    parameter = {"week": "period_start", "department": "department"}.get(dimension, dimension)
    for group in get(client, group_by=dimension)["results"]:
        params = {parameter: group["key"], "group_by": dimension}
        if dimension == "week":
            params["period_end"] = group["key"]
        narrowed = get(client, **params)
        assert narrowed["overall"]["quantity"] == group["quantity"], group


def test_filters_apply_to_the_breakdowns(client, figures):
    data = get(client, group_by="item_type", department="35", period_end="2020-04-01")
    assert data["overall"] == {"quantity": 34, "report_count": 6, "material_cost_cents": 1349}
    assert [(g["key"], g["quantity"]) for g in data["results"]] == [("visor", 34)]


def test_a_breakdown_of_nothing_is_empty_with_zero_totals(client, reference_data):
    data = get(client, group_by="week")
    assert data == {
        "group_by": "week",
        "overall": {"quantity": 0, "report_count": 0, "material_cost_cents": 0},
        "results": [],
    }


def test_an_unknown_group_by_answers_400_naming_the_parameter_and_the_choices(client, figures):
    response = client.get(URL, {"group_by": "maker"})
    assert response.status_code == 400
    [message] = response.json()["group_by"]
    assert "maker" in message
    for dimension in ["week", "department", "relay", "item_type", "org_kind"]:
        assert dimension in message


# --- Cost, discovery, documentation --------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?page_size=500",
        "?department=35&item_type=visor&period_start=2020-01-01",
        "?group_by=week",
        "?group_by=relay",
        "?group_by=item_type",
        "?group_by=org_kind&department=35",
    ],
)
def test_the_figures_cost_the_same_queries_for_1_10_and_50_buckets(client, reference_data, query):
    from tests.factories import make_relay

    make_relay(name="LabFab de Rennes", departments=["35", "22"])
    counts, sizes = [], []
    for size in (1, 10, 50):
        fill_totals_up_to(size)
        with CaptureQueriesContext(connection) as queries:
            data = get(client, URL + query)
        counts.append(len(queries.captured_queries))
        sizes.append(len(data["results"]))
    assert sizes[0] <= sizes[1] <= sizes[2] and sizes[0] < sizes[2], sizes
    assert len(set(counts)) == 1, counts


def test_the_api_root_lists_the_figures(client, reference_data):
    assert get(client, "/api/v1/")["figures"].endswith(URL)


def test_the_openapi_schema_documents_the_filters_and_group_by(client, reference_data):
    schema = yaml.safe_load(client.get("/api/schema/").content)
    operation = schema["paths"][URL]["get"]
    parameters = {parameter["name"]: parameter for parameter in operation["parameters"]}
    assert {"period_start", "period_end", "department", "item_type", "org_kind"} <= set(parameters)
    assert {"group_by", "cursor", "page_size"} <= set(parameters)
    # Choices are a named enum component (an ASCII name for client generators).
    group_by = parameters["group_by"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert set(schema["components"]["schemas"][group_by]["enum"]) == {
        "week",
        "department",
        "relay",
        "item_type",
        "org_kind",
    }
    answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer == {"$ref": "#/components/schemas/Figures"}
    assert "400" in operation["responses"]


def test_a_program_with_a_token_reads_the_figures_too(client, figures, relay_staff):
    from knox.models import AuthToken

    _token, key = AuthToken.objects.create(user=relay_staff)
    response = client.get(URL, headers={"authorization": f"Token {key}"})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 4


def test_the_figures_are_read_only(client, relay_staff, figures):
    client.force_login(relay_staff)
    assert client.post(URL, {}, content_type="application/json").status_code == 405
