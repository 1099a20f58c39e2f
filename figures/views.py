"""Pages of the figures: the public figures, the staff dashboard, the figures at a glance."""

import datetime
import hashlib

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from fablabs.selectors import (
    departments_covered_by,
    departments_with_relay,
    relay_covering,
    relays_staffed_by,
)
from makers.models import ItemType
from tilab.i18n import units
from tilab.permissions import PUBLIC, page_permission
from tilab.public_cache import TIMEOUT, cached_for_everyone, cached_value
from tilab.templatetags.tilab_format import thousands

from . import charts, selectors
from .filters import ProductionTotalFilter
from .models import OrganisationKind

# The public answers built from the totals (this page, the open data, the API, the home page),
# kept for anonymous readers until the totals change.
cached_by_totals = cached_for_everyone(version=selectors.TOTALS_VERSION, prefix="figures")


def _units(quantity: int, item: ItemType) -> str:
    """A quantity with its unit: "25 000 visières", "1 visière", "0 visière"; "2 face shields"."""
    return units(quantity, item, thousands(quantity))


def _figures_context(
    request,
    *,
    exact: bool,
    highlighted_departments: frozenset[str] = frozenset(),
    highlighted_relays: frozenset[int] = frozenset(),
) -> dict:
    """Everything the figures component shows, read from the totals only: a fixed number of
    queries whatever the number of reports, weeks or totals rows. Public figures unless
    `exact` (the staff dashboard): see `selectors.production_totals`."""
    filterset = ProductionTotalFilter(
        request.GET, queryset=selectors.production_totals(exact=exact)
    )
    filterset.form.fields["item_type"].label_from_instance = lambda item: item.name
    totals = filterset.qs if filterset.is_valid() else filterset.queryset.none()
    chosen = filterset.form.cleaned_data if filterset.is_valid() else {}
    overall = selectors.figures_overall(totals)
    items = ItemType.objects.in_bulk()
    departments = list(departments_with_relay())

    per_item = selectors.figures_by(totals, "item_type")
    for row in per_item:
        row["units"] = _units(row["quantity"], items[row["key"]])
        row["slug"] = items[row["key"]].slug

    per_week = selectors.figures_by(totals, "week")

    by_department = {row["key"]: row for row in selectors.figures_by(totals, "department")}
    per_department = []
    for department in departments:
        figures = by_department.get(department.code, {})
        per_department.append(
            {
                "key": department.code,
                "label": str(department),
                "name": department.name,
                "relay": relay_covering(department),
                "quantity": figures.get("quantity", 0),
                "report_count": figures.get("report_count", 0),
                "material_cost_cents": figures.get("material_cost_cents", 0),
                "highlighted": department.code in highlighted_departments,
            }
        )

    per_relay = selectors.figures_by(totals, "relay")
    for row in per_relay:
        row["highlighted"] = row["key"] in highlighted_relays

    by_kind = {row["key"]: row for row in selectors.figures_by(totals, "org_kind")}
    per_kind = [
        {
            "key": kind,
            "label": label,
            "quantity": by_kind.get(kind, {}).get("quantity", 0),
            "report_count": by_kind.get(kind, {}).get("report_count", 0),
            "material_cost_cents": by_kind.get(kind, {}).get("material_cost_cents", 0),
        }
        for kind, label in OrganisationKind.choices
    ]

    # A filter that cannot be read counts as one: its error is shown, not every figure.
    filtered = not filterset.is_valid() or any(value not in (None, "") for value in chosen.values())
    # Asked whatever the figures say, so the page makes as many queries with totals published
    # as without (a page's queries do not depend on its data).
    any_total = not exact and not filtered and selectors.production_totals(exact=True).exists()
    item = chosen.get("item_type")
    scope = (
        _("Quantités validées (%(item)s).") % {"item": item.name}
        if item
        else _("Quantités validées, tous articles confondus.")
    )
    see_table = _("Les valeurs exactes sont dans le tableau qui accompagne le graphique.")
    weekly = _("Une barre par semaine ; une semaine sans barre vaut zéro.")
    darker = _("Plus la couleur est foncée, plus la quantité est grande.")
    each_item = _("Quantités validées de chaque article.")
    return {
        "filter_form": filterset.form,
        "filtered": filtered,
        "has_figures": overall["report_count"] > 0,
        # Unfiltered only: a filter that finds only withheld totals must not tell they exist.
        "withheld_only": any_total and overall["report_count"] == 0,
        "overall": overall,
        "chosen_item": item,
        "per_item": per_item,
        "per_week": per_week,
        "per_department": per_department,
        "per_relay": per_relay,
        "per_kind": per_kind,
        "week_chart": charts.bar_chart_vertical(
            chart_id="chart-week",
            title=_("Production validée par semaine"),
            desc=f"{scope} {weekly} {see_table}",
            bars=[
                charts.Bar(label=_week_label(monday, per_week), value=quantity)
                for monday, quantity in _every_week(per_week)
            ],
            value_label=_("Quantité validée"),
            category_label=_("Semaines, datées de leur lundi"),
            format_value=thousands,
        ),
        "department_map": charts.department_map(
            chart_id="chart-map",
            title=_("Carte de la production validée par département"),
            desc=f"{scope} {darker} {see_table}",
            values={row["key"]: row["quantity"] for row in per_department},
            names={row["key"]: row["name"] for row in per_department},
            highlighted=highlighted_departments,
            format_value=thousands,
            highlight_label=_("Départements de votre relais"),
        ),
        "department_chart": charts.bar_chart_horizontal(
            chart_id="chart-department",
            title=_("Production validée par département"),
            desc=f"{scope} {see_table}",
            bars=[
                charts.Bar(row["label"], row["quantity"], row["highlighted"])
                for row in per_department
            ],
            value_label=_("Quantité validée"),
            format_value=thousands,
        ),
        "relay_chart": charts.bar_chart_horizontal(
            chart_id="chart-relay",
            title=_("Production validée par relais"),
            desc=f"{scope} {see_table}",
            bars=[
                charts.Bar(row["label"], row["quantity"], row["highlighted"]) for row in per_relay
            ],
            value_label=_("Quantité validée"),
            format_value=thousands,
        ),
        "item_chart": charts.bar_chart_horizontal(
            chart_id="chart-item",
            title=_("Production validée par article"),
            desc=f"{each_item} {see_table}",
            bars=[charts.Bar(row["label"], row["quantity"]) for row in per_item],
            value_label=_("Quantité validée"),
            format_value=thousands,
        ),
        "kind_chart": charts.bar_chart_horizontal(
            chart_id="chart-kind",
            title=_("Production validée par type de producteur"),
            desc=f"{scope} {see_table}",
            bars=[charts.Bar(str(row["label"]), row["quantity"]) for row in per_kind],
            value_label=_("Quantité validée"),
            format_value=thousands,
        ),
    }


def _every_week(per_week: list[dict]) -> list[tuple[datetime.date, int]]:
    """The weeks from the first to the last with production, the empty ones at zero, so the
    time axis of the chart is regular."""
    if not per_week:
        return []
    quantities = {row["key"]: row["quantity"] for row in per_week}
    first, last = per_week[0]["key"], per_week[-1]["key"]
    weeks = (last - first).days // 7 + 1
    mondays = [first + datetime.timedelta(weeks=n) for n in range(weeks)]
    return [(monday, quantities.get(monday, 0)) for monday in mondays]


def _week_label(monday: datetime.date, per_week: list[dict]) -> str:
    # The year only when the figures span several.
    several_years = per_week[0]["key"].year != per_week[-1]["key"].year
    return date_format(monday, "d/m/y" if several_years else "d/m")


def figures_at_a_glance() -> dict:
    """The regional totals to date for the home page: quantity per item, validated reports.
    Public figures: small totals are left out, as on the figures page. The same for everyone,
    signed in or not: kept in the cache until the totals change."""
    version, threshold = selectors.totals_version()
    key = f"glance:{version}:{threshold}:{get_language()}"
    return cached_value(key, _glance)


def _glance() -> dict:
    totals = selectors.production_totals(exact=False)
    per_item = selectors.figures_by(totals, "item_type")
    items = ItemType.objects.in_bulk([row["key"] for row in per_item])
    for row in per_item:
        row["units"] = _units(row["quantity"], items[row["key"]])
    report_count = sum(row["report_count"] for row in per_item)
    return {"glance_per_item": per_item, "glance_report_count": report_count}


@page_permission(PUBLIC)
@cached_by_totals
@require_safe
def figures(request):
    """The public figures: totals to date, per week, department, relay, item and producer
    kind, with filters. Totals only: no name of any maker ever appears here."""
    # Public figures for whoever reads this page, staff included: the dashboard has the exact ones.
    return render(
        request,
        "figures/index.html",
        {
            **_figures_context(request, exact=False),
            "min_producers": settings.TILAB_PUBLIC_MIN_PRODUCERS,
        },
    )


def _dashboard_figures(
    request, *, departments: frozenset[str], relays: frozenset[int]
) -> tuple[str, list]:
    """The dashboard's figures and confirmed deliveries as HTML, with the filter form if it was
    refused (for the page's error summary). The same for every member of staff who has the same
    departments and relays highlighted: built once per version of the totals (bumped by the
    drain, the rebuild and each confirmed delivery), language and filters, then read from the
    cache (one query for the version)."""
    raw = repr(
        (
            selectors.totals_version(),
            get_language(),
            request.META.get("QUERY_STRING", ""),
            sorted(departments),
            sorted(relays),
        )
    )
    key = f"dashboard-figures:{hashlib.sha256(raw.encode()).hexdigest()}"
    html = cache.get(key)
    if html is not None:
        return mark_safe(html), []  # noqa: S308 -- rendered by the template below
    context = _figures_context(
        request, exact=True, highlighted_departments=departments, highlighted_relays=relays
    )
    html = render_to_string(
        "figures/_dashboard_figures.html",
        {**context, "request": request, "delivered": selectors.delivered_beside_production()},
    )
    form = context["filter_form"]
    if form.errors:
        return html, [form]  # not kept: a refused filter is rare, and its page says why
    cache.set(key, str(html), TIMEOUT)
    return html, []


@page_permission("figures.view_dashboard")
@require_safe
def dashboard(request):
    """The figures for staff, with their context: a relay sees its departments highlighted and
    its queue at hand; everyone here finds the open data and the staff exports."""
    relays = list(relays_staffed_by(request.user))
    departments = frozenset(departments_covered_by(request.user).values_list("code", flat=True))
    figures, refused = _dashboard_figures(
        request, departments=departments, relays=frozenset(relay.pk for relay in relays)
    )
    return render(
        request,
        "figures/dashboard.html",
        {
            "figures": figures,
            "refused_forms": refused,
            "relays": relays,
            # Counted over every maker: the same for all staff, kept a minute.
            "departments": cached_value(
                "departments-overview",
                selectors.departments_overview,
                timeout=60,
            ),
        },
    )
