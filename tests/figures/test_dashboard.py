"""The figures: SVG charts, the public figures page, the staff dashboard and the home page."""

import datetime
import re
from html import unescape

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from figures import charts
from figures.models import ProductionTotal
from figures.totals import production_totals_drain, totals_version_bump
from tests.conftest import count_queries, figure_captions
from tests.factories import make_maker, make_organisation, make_report, make_report_by_three

NNBSP = "\u202f"  # French thousands separator
NBSP = "\u00a0"  # before the euro sign


def drain():
    """Bring the totals up to date, as the task enqueued on commit does."""
    production_totals_drain(now=timezone.now())


# --- Charts ------------------------------------------------------------------------------------


def _numbers(svg: str, element: str, attribute: str) -> list[float]:
    return [
        float(value)
        for value in re.findall(rf'<{element} class="bar[^"]*"[^>]*? {attribute}="([\d.]+)"', svg)
    ]


def test_horizontal_bars_are_as_long_as_their_values():
    svg = charts.bar_chart_horizontal(
        chart_id="c",
        title="Par relais",
        desc="Quantités",
        bars=[charts.Bar("A", 10), charts.Bar("B", 20), charts.Bar("C", 40)],
        value_label="Quantité",
    )
    short, middle, long = _numbers(svg, "rect", "width")
    assert middle == pytest.approx(2 * short, abs=0.02)
    assert long == pytest.approx(4 * short, abs=0.02)


def test_vertical_bars_are_as_high_as_their_values_and_stand_on_the_axis():
    svg = charts.bar_chart_vertical(
        chart_id="c",
        title="Par semaine",
        desc="Quantités",
        bars=[charts.Bar("16/03", 300), charts.Bar("23/03", 0), charts.Bar("30/03", 1200)],
        value_label="Quantité",
        category_label="Semaine",
    )
    first, empty, last = _numbers(svg, "rect", "height")
    assert (empty, last) == (0, pytest.approx(4 * first, abs=0.02))
    bottoms = {
        round(float(y) + float(h), 2)
        for y, h in re.findall(
            r'<rect class="bar" x="[\d.]+" y="([\d.]+)" width="[\d.]+" '
            r'height="([\d.]+)"',
            svg,
        )
    }
    assert len(bottoms) == 1


def test_the_value_axis_goes_up_in_round_steps_to_the_largest_value():
    assert charts.axis_scale(37) == (40, [0, 10, 20, 30, 40])
    assert charts.axis_scale(25_000) == (30_000, [0, 10_000, 20_000, 30_000])
    assert charts.axis_scale(0) == (1, [0, 1])
    svg = charts.bar_chart_horizontal(
        chart_id="c", title="t", desc="d", bars=[charts.Bar("A", 25_000)], value_label="Q"
    )
    assert f">30{NNBSP}000</text>" in svg  # tick labels are formatted as numbers are


def test_labels_titles_and_summaries_are_escaped_not_interpreted():
    attack = '<script>alert("x")</script>'
    for svg in (
        charts.bar_chart_horizontal(
            chart_id="c",
            title=attack,
            desc=attack,
            bars=[charts.Bar(attack, 3)],
            value_label=attack,
        ),
        charts.bar_chart_vertical(
            chart_id="c",
            title=attack,
            desc=attack,
            bars=[charts.Bar(attack, 3)],
            value_label=attack,
            category_label=attack,
        ),
        charts.department_map(
            chart_id="c", title=attack, desc=attack, values={"35": 3}, names={"35": attack}
        ),
    ):
        assert "<script>" not in svg
        assert "&lt;script&gt;" in svg


def test_an_empty_series_renders_an_explanation_instead_of_a_chart():
    html = charts.bar_chart_horizontal(
        chart_id="c", title="t", desc="d", bars=[], value_label="Q", empty_text="Rien à montrer."
    )
    assert "<svg" not in html
    assert "Rien à montrer." in html
    default = charts.bar_chart_vertical(
        chart_id="c", title="t", desc="d", bars=[], value_label="Q", category_label="S"
    )
    assert "Aucune donnée à représenter" in default


def test_a_chart_is_a_named_picture_and_the_same_figures_draw_the_same_bytes():
    def draw():
        return charts.bar_chart_horizontal(
            chart_id="chart-kind",
            title="Par type de producteur",
            desc="Résumé",
            bars=[charts.Bar("PME", 12), charts.Bar("Collectifs", 7, highlighted=True)],
            value_label="Quantité",
        )

    svg = draw()
    assert svg == draw()
    assert 'role="img"' in svg
    assert 'aria-labelledby="chart-kind-title chart-kind-desc"' in svg
    assert '<title id="chart-kind-title">Par type de producteur</title>' in svg
    assert '<desc id="chart-kind-desc">Résumé</desc>' in svg
    assert "<script" not in svg and "href" not in svg


def test_a_long_series_of_weeks_writes_at_most_a_dozen_labels():
    bars = [charts.Bar(f"S{n}", n) for n in range(60)]
    svg = charts.bar_chart_vertical(
        chart_id="c", title="t", desc="d", bars=bars, value_label="Q", category_label="Semaine"
    )
    assert len(_numbers(svg, "rect", "height")) == 60
    written = [label for label in re.findall(r">(S\d+)</text>", svg)]
    assert 1 < len(written) <= 12


def test_the_map_draws_the_four_departments_coloured_by_quantity_with_a_legend():
    names = {"22": "Côtes-d'Armor", "29": "Finistère", "35": "Ille-et-Vilaine", "56": "Morbihan"}
    svg = charts.department_map(
        chart_id="map",
        title="Carte",
        desc="Résumé",
        values={"35": 25_000, "22": 3_000, "29": 10},
        names=names,
        highlighted={"35", "22"},
        highlight_label="Départements de votre relais",
    )
    fills = dict(re.findall(r'data-department="(\d+)" points="[^"]+" fill="(#[0-9a-f]+)"', svg))
    assert set(fills) == {"22", "29", "35", "56"}
    assert fills["35"] == charts.MAP_PALETTE[-1]  # the largest figure is the darkest
    assert fills["56"] == charts.MAP_PALETTE[0]  # nothing validated
    assert fills["29"] != fills["35"] and fills["29"] != fills["56"]
    assert "Côtes-d&#x27;Armor" in svg
    assert f">25{NNBSP}000</tspan>" in svg and ">0</tspan>" in svg
    assert "Aucune production validée" in svg
    assert f"19{NNBSP}001 à 25{NNBSP}000" in svg  # the top range of the legend
    assert "Départements de votre relais" in svg
    assert re.findall(r'class="department highlighted" data-department="(\d+)"', svg) == [
        "22",
        "35",
    ]
    # Drawn by the project: no tiles, no image, nothing fetched.
    assert "<image" not in svg and "http" not in svg.replace("http://www.w3.org/2000/svg", "")


def test_map_ranges_are_rounded_quarters_of_the_largest_figure():
    assert charts.map_classes(100) == [(1, 25), (26, 50), (51, 75), (76, 100)]
    assert charts.map_classes(25_430) == [
        (1, 6_400),
        (6_401, 13_000),
        (13_001, 20_000),
        (20_001, 26_000),
    ]
    assert charts.map_classes(2) == [(1, 1), (2, 2)]
    assert charts.map_classes(0) == []


# --- The figures pages -------------------------------------------------------------------------

KINDS = [
    "Makers indépendants",
    "FabLabs associatifs",
    "FabLabs institutionnels",
    "PME",
    "Collectifs",
]


@pytest.fixture
def production(maker, relay_staff, other_relay_staff):
    """Validated production in Ille-et-Vilaine (35) and Finistère (29), plus reports that must
    not count: one waiting, one refused."""
    anne = maker.maker
    brest = make_maker(display_name="Gwen Kerhervé", department="29")
    sme = make_organisation(name="Plasturgie Armor", kind="sme", department="35")
    anne.memberships.create(organisation=sme)
    make_report_by_three(
        maker=anne,
        quantity=25_000,
        cost_cents=123_450,
        produced_on=datetime.date(2020, 4, 2),
        status="validated",
        decided_by=relay_staff,
    )
    make_report_by_three(
        maker=anne,
        item="fabric-mask",
        quantity=300,
        cost_cents=5_000,
        produced_on=datetime.date(2020, 4, 9),
        organisation=sme,
        status="validated",
        decided_by=relay_staff,
    )
    make_report_by_three(
        maker=brest,
        quantity=1_200,
        cost_cents=10_000,
        produced_on=datetime.date(2020, 3, 20),
        status="validated",
        decided_by=other_relay_staff,
    )
    make_report(maker=anne, quantity=7_777)  # waiting for the relay
    make_report(maker=anne, quantity=8_888, status="rejected", decided_by=relay_staff)
    drain()
    return {"anne": anne, "brest": brest}


def _html(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def _text(html: str) -> str:
    """What a reader reads: no tags, single spaces."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _table(html: str, caption: str) -> str:
    match = re.search(rf"<caption>{re.escape(caption)}</caption>(.*?)</table>", html, re.S)
    assert match, f"no table captioned {caption!r}"
    return match.group(1)


def _row(table: str, header: str) -> list[str]:
    """The cells of the row whose header starts with `header`, as text."""
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S):
        th = re.search(r'<th scope="row">(.*?)</th>', row, re.S)
        if th and re.sub(r"<[^>]+>", "", th.group(1)).strip().startswith(header):
            return [
                re.sub(r"<[^>]+>", "", cell).strip()
                for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
            ]
    raise AssertionError(f"no row {header!r}")


def test_anyone_reads_the_validated_totals_to_date_in_french(client, production):
    html = _html(client, "/chiffres/")
    assert "<h1>La production en chiffres</h1>" in html
    assert f"26{NNBSP}200 visières" in html  # 25 000 in 35 and 1 200 in 29
    assert "300 masques" in html
    assert "9 déclarations validées" in _text(html)  # three producers each
    assert f"1{NNBSP}384,50{NBSP}€" in html  # 1 234,50 + 50 + 100
    # Waiting and refused reports are not counted.
    assert "7" + NNBSP + "777" not in html and "8" + NNBSP + "888" not in html


def test_each_breakdown_has_its_chart_and_its_table(client, production):
    html = _html(client, "/chiffres/")
    assert html.count('role="img"') == 6  # item, week, map, department, relay, producer kind
    assert len(figure_captions(html)) == 6
    departments = _table(html, "Production validée par département")
    assert _row(departments, "Ille-et-Vilaine (35)") == [
        "LabFab de Rennes",
        f"25{NNBSP}300",
        "6",
        f"1{NNBSP}284,50{NBSP}€",
    ]
    assert _row(departments, "Finistère (29)")[1:3] == [f"1{NNBSP}200", "3"]
    assert _row(departments, "Morbihan (56)")[1:3] == ["0", "0"]
    relays = _table(html, "Production validée par relais")
    assert _row(relays, "LabFab de Rennes")[0] == f"25{NNBSP}300"
    assert _row(relays, "ENSTA Bretagne")[0] == f"1{NNBSP}200"
    items = _table(html, "Production validée par article")
    assert _row(items, "Visière de protection")[0] == f"26{NNBSP}200"
    assert _row(items, "Masque en tissu")[0] == "300"
    weeks = _table(html, "Production validée par semaine")
    assert _row(weeks, "16/03/2020")[0] == f"1{NNBSP}200"
    assert _row(weeks, "30/03/2020")[0] == f"25{NNBSP}000"
    assert _row(weeks, "06/04/2020")[0] == "300"
    kinds = _table(html, "Production validée par type de producteur")
    for kind in KINDS:
        _row(kinds, kind)
    assert _row(kinds, "Makers indépendants")[0] == f"26{NNBSP}200"
    assert _row(kinds, "PME")[0] == "300"
    assert _row(kinds, "Collectifs")[0] == "0"
    # The map names each department with its figure.
    assert f'<tspan x="318" dy="16">25{NNBSP}300</tspan>' in html


@pytest.mark.parametrize("user", [None, "region_staff"])
def test_every_chart_is_a_figure_named_by_its_caption_beside_its_table(
    client, request, production, user
):
    """RGAA 1.9: a chart is a figure with a caption saying what it shows, on the public page
    and on the dashboard alike, and its data table stays beside it."""
    if user:
        client.force_login(request.getfixturevalue(user))
    html = _html(client, "/dashboard/" if user else "/chiffres/")
    captions = figure_captions(html)
    assert "Quantité validée de chaque article." in captions
    assert "Quantité validée par département." in captions
    assert len(captions) == 6
    # The chart, its caption, then the table of the same figures in the same pair.
    assert re.search(
        r'aria-labelledby="caption-items">.*?</figure>\s*<table[^>]*>\s*<caption>'
        r"Production validée par article",
        html,
        re.S,
    )


def test_tables_have_captions_and_headers_with_scope(client, production):
    html = _html(client, "/chiffres/")
    tables = re.findall(r"<table.*?</table>", html, re.S)
    assert len(tables) == 5
    for table in tables:
        assert "<caption>" in table
        assert '<th scope="col">' in table and '<th scope="row">' in table
    assert html.count("<h1>") == 1


def test_the_figures_come_from_the_totals_never_from_the_reports(client, production):
    with CaptureQueriesContext(connection) as captured:
        _html(client, "/chiffres/")
    assert not [q["sql"] for q in captured if "makers_productionreport" in q["sql"]]
    # What the page shows is what the totals say, even before a drain catches up.
    total = ProductionTotal.objects.get(department_id="29")
    total.quantity = 4_321
    total.save(update_fields=["quantity"])
    totals_version_bump(now=timezone.now())  # a fix by hand says so, as the drain does
    assert (
        _row(
            _table(_html(client, "/chiffres/"), "Production validée par département"),
            "Finistère (29)",
        )[1]
        == f"4{NNBSP}321"
    )


@pytest.mark.parametrize(
    ("query", "visors", "masks"),
    [
        ("department=29", f"1{NNBSP}200 visières", None),
        ("department=35&item_type=fabric-mask", None, "300 masques"),
        ("period_start=2020-03-30&period_end=2020-04-05", f"25{NNBSP}000 visières", None),
        ("period_start=2020-04-08", None, "300 masques"),
        ("org_kind=sme", None, "300 masques"),
    ],
)
def test_filters_narrow_every_figure(client, production, query, visors, masks):
    html = _html(client, f"/chiffres/?{query}")
    assert "Totaux de la sélection" in html
    overall = html.split('<ul class="key-figures">')[1].split("</ul>")[0]
    assert (visors in overall) if visors else "visière" not in overall
    assert (masks in overall) if masks else "masque" not in overall


def test_filters_are_a_plain_form_that_keeps_its_values(client, production):
    html = _html(client, "/chiffres/?department=29&item_type=visor&period_start=2020-03-01")
    assert '<form method="get" action="/chiffres/"' in html
    assert '<option value="29" selected>' in html
    assert '<option value="visor" selected>Visière de protection</option>' in html
    assert 'value="2020-03-01"' in html
    for label in ("Du", "Au", "Département", "Article", "Producteurs"):
        assert re.search(rf'<label for="id_\w+">{label}\W*</label>', html), label


def test_a_filter_that_cannot_be_read_is_explained(client, production):
    html = _html(client, "/chiffres/?period_start=le-printemps")
    assert "errorlist" in html
    assert "Aucune production validée ne correspond à ces filtres." in html


def test_no_validated_production_yet_says_so(client, maker, relay_staff):
    make_report(maker=maker.maker, quantity=40)  # submitted only
    drain()
    html = _html(client, "/chiffres/")
    assert "Aucune production n'a encore été validée" in _text(html)
    assert 'role="img"' not in html
    home = _html(client, "/")
    assert "Aucune production n'a encore été validée." in _text(home)


def test_no_maker_name_appears_on_any_figures_page(client, production, region_staff, relay_staff):
    names = ("Anne Le Goff", "Gwen Kerhervé", "Kerherv")
    for url in ("/chiffres/", "/", "/chiffres/?department=29"):
        html = _html(client, url)
        assert not [name for name in names if name in html], url
    for user in (region_staff, relay_staff):
        client.force_login(user)
        html = _html(client, "/dashboard/")
        assert not [name for name in names if name in html]


def test_the_figures_page_is_in_everyones_navigation(client, maker):
    assert 'href="/chiffres/">Chiffres</a>' in _html(client, "/")
    client.force_login(maker)
    assert 'href="/chiffres/" aria-current="page">Chiffres</a>' in _html(client, "/chiffres/")


def test_the_home_page_gives_the_regional_figures_at_a_glance(client, production):
    html = _html(client, "/")
    assert "La production régionale en bref" in html
    assert f"26{NNBSP}200 visières" in html
    assert "300 masques" in html
    assert "9 déclarations validées" in _text(html)  # three producers each
    assert 'href="/chiffres/"' in html
    assert "Les relais par département" in html  # what was already there stays


def test_english_readers_get_english_units_and_separators(client, production):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = _html(client, "/chiffres/")
    assert "26,200 face shields" in html
    assert "€1,384.50" in html


# --- The dashboard -----------------------------------------------------------------------------


def test_relay_staff_see_their_departments_highlighted_and_their_queue(
    client, production, relay_staff
):
    client.force_login(relay_staff)
    html = _html(client, "/dashboard/")
    assert "<h1>Tableau de bord régional</h1>" in html
    assert 'href="/validation/"' in html
    assert re.findall(r'class="department highlighted" data-department="(\d+)"', html) == [
        "22",
        "35",
    ]
    departments = _table(html, "Production validée par département")
    highlighted = re.findall(
        r'<tr class="highlighted">\s*<th scope="row">([^<]+)<span', departments
    )
    assert [name.strip() for name in highlighted] == [
        "Côtes-d&#x27;Armor (22)",
        "Ille-et-Vilaine (35)",
    ]
    assert "Départements de votre relais" in html
    # The same figures as the public page: one component, one code path.
    assert _row(departments, "Ille-et-Vilaine (35)")[1] == f"25{NNBSP}300"


def test_region_staff_and_auditors_see_every_department_alike(
    client, production, region_staff, auditor
):
    for user in (region_staff, auditor):
        client.force_login(user)
        html = _html(client, "/dashboard/")
        assert 'class="department highlighted"' not in html
        assert "Votre relais" not in html
        assert f"26{NNBSP}200 visières" in html


@pytest.mark.parametrize("user", ["region_staff", "relay_staff", "auditor"])
def test_the_dashboard_links_the_open_data_and_the_staff_exports(client, request, user, production):
    client.force_login(request.getfixturevalue(user))
    html = _html(client, "/dashboard/")
    for path in (
        "/open-data/production.csv",
        "/open-data/production.xlsx",
        "/open-data/production.schema.json",
        "/open-data/production-hxl.csv",
        "/exports/",
    ):
        assert f'href="{path}"' in html, path


def test_the_dashboard_filters_like_the_public_page(client, production, region_staff):
    client.force_login(region_staff)
    html = _html(client, "/dashboard/?department=29")
    assert '<form method="get" action="/dashboard/"' in html
    assert f"1{NNBSP}200 visières" in html
    assert f"26{NNBSP}200" not in html


def test_the_dashboard_shows_new_production_and_deliveries_at_once_though_kept(
    client, production, maker, relay_staff, region_staff
):
    # The figures are kept in the cache under the version of the totals: a drain and a
    # confirmed delivery each make a new version, so the next page shows them.
    client.force_login(region_staff)
    departments = _table(_html(client, "/dashboard/"), "Production validée par département")
    assert _row(departments, "Ille-et-Vilaine (35)")[1] == f"25{NNBSP}300"
    make_report(maker=maker.maker, quantity=700, status="validated", decided_by=relay_staff)
    drain()
    html = _html(client, "/dashboard/")
    departments = _table(html, "Production validée par département")
    assert _row(departments, "Ille-et-Vilaine (35)")[1] == f"26{NNBSP}000"
    assert "Aucune livraison n'a encore été confirmée par un établissement." in html
    _deliver(maker, quantity=40, confirmed=40, name="EHPAD Ty Glaz")
    delivered = _table(_html(client, "/dashboard/"), "Livré et produit par département")
    assert _row(delivered, "Ille-et-Vilaine (35)") == ["40", "1", f"26{NNBSP}000"]


def test_each_relay_gets_its_own_highlights_from_the_kept_figures(
    client, production, relay_staff, region_staff
):
    client.force_login(relay_staff)
    assert 'class="department highlighted"' in _html(client, "/dashboard/")
    client.force_login(region_staff)
    assert 'class="department highlighted"' not in _html(client, "/dashboard/")


def test_a_dashboard_filter_that_cannot_be_read_is_explained_in_the_title_and_summary(
    client, production, region_staff
):
    client.force_login(region_staff)
    for _ in range(2):  # a refused filter is never served from the cache
        response = client.get("/dashboard/?period_start=2020-05-01&period_end=2020-04-01")
        html = response.content.decode()
        assert "<title>Erreur : " in html
        assert 'class="errorlist' in html
        assert response.context["refused_forms"][0].errors["period_end"]


@pytest.mark.parametrize("role", ["maker", "facilitator"])
def test_other_roles_are_refused_the_dashboard_but_read_the_public_figures(
    client, request, role, production
):
    client.force_login(request.getfixturevalue(role))
    assert client.get("/dashboard/").status_code == 403
    assert client.get("/chiffres/").status_code == 200


# --- Constant queries --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "who"),
    [
        ("/chiffres/", None),
        ("/chiffres/?department=35&period_start=2020-01-01", None),
        ("/", None),
        ("/dashboard/", "relay_staff"),
        ("/dashboard/", "region_staff"),
    ],
)
def test_pages_use_the_same_number_of_queries_for_1_10_and_50_weeks(
    client, request, maker, relay_staff, other_relay_staff, region_staff, url, who
):
    if who:
        client.force_login(request.getfixturevalue(who))
    brest = make_maker(display_name="Gwen Kerhervé", department="29")
    lab = make_organisation(name="FabLab Lannion", kind="associative_fablab", department="35")
    maker.maker.memberships.create(organisation=lab)
    first_monday = datetime.date(2020, 3, 16)
    counts, made = [], 0
    for weeks in (1, 10, 50):
        while made < weeks:
            day = first_monday + datetime.timedelta(weeks=made)
            make_report(
                maker=maker.maker,
                produced_on=day,
                quantity=made + 1,
                organisation=lab if made % 2 else None,
                item="visor" if made % 3 else "gown",
                status="validated",
                decided_by=relay_staff,
            )
            make_report(
                maker=brest,
                produced_on=day,
                quantity=2 * made + 1,
                status="validated",
                decided_by=other_relay_staff,
            )
            made += 1
        drain()
        cache.clear()  # what a page costs when it builds everything
        ContentType.objects.clear_cache()  # as the process's first page (alone, or after others)
        counts.append(count_queries(client, url))
    assert ProductionTotal.objects.count() > 50
    assert counts[0] == counts[1] == counts[2], counts


# --- Delivered totals (needs) -------------------------------------------------------------------


def _deliver(user, *, quantity, confirmed=None, department="35", item="visor", name="EHPAD"):
    """A delivery to an establishment, confirmed for `confirmed` units (None: not yet)."""
    from needs import services as needs
    from tests.factories import make_establishment, make_need

    now = timezone.now()
    establishment = make_establishment(name=name, department=department, commune="Quimper")
    need = make_need(establishment=establishment, item=item, quantity=quantity)
    pledge = needs.pledge_create(need=need, quantity=quantity, by=user, maker=user.maker, now=now)
    delivery = needs.delivery_record(
        pledge=pledge, quantity=quantity, delivered_on=timezone.localdate(), by=user, now=now
    )
    if confirmed is not None:
        needs.delivery_confirm(
            token=needs.delivery_confirm_token(delivery), confirmed_quantity=confirmed, now=now
        )


def test_the_dashboard_shows_confirmed_deliveries_beside_production(
    client, production, maker, region_staff
):
    _deliver(maker, quantity=1_000, confirmed=900, name="EHPAD Ty Glaz")
    _deliver(maker, quantity=500, confirmed=500, department="29", name="CHU Cornouaille")
    _deliver(maker, quantity=2_000, name="Pharmacie du Port")  # not confirmed yet
    _deliver(maker, quantity=100, confirmed=0, name="Cabinet Ar Mor")  # nothing received
    client.force_login(region_staff)
    html = _html(client, "/dashboard/")
    departments = _table(html, "Livré et produit par département")
    assert _row(departments, "Ille-et-Vilaine (35)") == ["900", "1", f"25{NNBSP}300"]
    assert _row(departments, "Finistère (29)") == ["500", "1", f"1{NNBSP}200"]
    items = _table(html, "Livré et produit par article")
    assert _row(items, "Visière") == [f"1{NNBSP}400", "2", f"26{NNBSP}200"]
    assert f"2{NNBSP}000" not in departments + items  # the delivery not confirmed yet


def test_the_dashboard_says_when_no_delivery_was_confirmed(client, production, region_staff):
    client.force_login(region_staff)
    html = _html(client, "/dashboard/")
    assert "Aucune livraison n'a encore été confirmée par un établissement." in html


def test_the_dashboard_reads_delivered_totals_in_constant_queries(
    client, maker, relay_staff, region_staff
):
    make_report(maker=maker.maker, quantity=90_000, status="validated", decided_by=relay_staff)
    make_report(
        maker=maker.maker, item="gown", quantity=90_000, status="validated", decided_by=relay_staff
    )
    drain()
    client.force_login(region_staff)
    counts = []
    for n, (department, item) in enumerate([("35", "visor"), ("29", "gown"), ("22", "visor")]):
        _deliver(maker, quantity=10, confirmed=10, department=department, item=item, name=f"E{n}")
        cache.clear()
        ContentType.objects.clear_cache()
        counts.append(count_queries(client, "/dashboard/"))
    assert counts[0] == counts[1] == counts[2], counts


@pytest.mark.parametrize(
    "query, field, code",
    [
        ("period_start=2020-05-01&period_end=2020-04-01", "period_end", "period_reversed"),
        ("period_start=0001-01-01", "period_start", "day_out_of_range"),
    ],
)
def test_a_period_the_figures_cannot_show_says_why_on_its_field(client, db, query, field, code):
    response = client.get(f"/chiffres/?{query}")
    assert response.status_code == 200
    errors = response.context["filter_form"].errors.as_data()
    assert [error.code for error in errors[field]] == [code]
    assert 'class="errorlist' in response.content.decode()
