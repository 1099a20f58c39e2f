"""Reads of the figures shared by the pages, the API and the open data: from the totals tables,
never from raw reports (the dashboard's department overview aside, which counts people)."""

from django.conf import settings
from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext

from fablabs.models import Organisation
from fablabs.selectors import departments_with_relay, relay_path
from makers.models import Maker
from tilab.i18n import catalogue_field, localised
from tilab.models import Department
from tilab.public_cache import PublicVersion

from .models import DeliveredTotal, OrganisationKind, ProductionTotal

FIGURE_DIMENSIONS = ("week", "department", "relay", "item_type", "org_kind")


def public_buckets() -> Q:
    """The totals the public may see: those made by at least `TILAB_PUBLIC_MIN_PRODUCERS`
    distinct producers, each organisation (whatever its members) and each maker producing on
    their own counting once. Fewer would show one producer's weekly output and declared costs:
    three members of one FabLab are still that FabLab's output."""
    return Q(producer_count__gte=settings.TILAB_PUBLIC_MIN_PRODUCERS)


def _stored_totals_version() -> int:
    # Plain SQL: building the ORM query cost more than running it.
    with connection.cursor() as cursor:
        cursor.execute(_VERSION_SQL)
        row = cursor.fetchone()
    return row[0] if row else 0


_VERSION_SQL = "SELECT version FROM figures_totalsversion WHERE id = 1"

# What every public figure depends on: the version of the totals (bumped by the drain and the
# rebuild in the transaction that changes them, figures.totals.totals_version_bump) and the
# publication threshold. The public pages are cached under it (figures.views.cached_by_totals).
TOTALS_VERSION = PublicVersion(
    key="figures:totals-version",
    read=_stored_totals_version,
    also=lambda: (settings.TILAB_PUBLIC_MIN_PRODUCERS,),
)


def totals_version() -> tuple[int, int]:
    """(version of the totals, publication threshold): see TOTALS_VERSION."""
    return TOTALS_VERSION.current()


def figures_exact_for(user) -> bool:
    """Whether `user` reads the exact figures, small totals included: the staff who see the
    dashboard. Everybody else, signed in or not, reads the public figures."""
    return user.has_perm("figures.view_dashboard")


def production_totals(*, exact: bool) -> QuerySet:
    """The total rows with what a page or a file shows of them, in a stable order.

    Public figures (`exact=False`) hold only the `public_buckets`, and every public sum (overall,
    per week, department, relay, item or producer kind) is made from these rows alone: a
    withheld total is in no published number, so no subtraction of two of them reveals it.
    Staff pages ask for `exact=True` and read every row.
    """
    totals = ProductionTotal.objects.select_related("department", "item_type").order_by(
        "week_start", "department_id", "item_type__position", "item_type_id", "org_kind"
    )
    return totals if exact else totals.filter(public_buckets())


def figures_overall(totals: QuerySet) -> dict:
    """Totals to date over the given rows: quantity, reports, material cost."""
    figures = totals.order_by().aggregate(
        quantity=Sum("quantity"),
        report_count=Sum("report_count"),
        material_cost_cents=Sum("material_cost_cents"),
    )
    return {key: value or 0 for key, value in figures.items()}


def figures_by(totals: QuerySet, dimension: str) -> list[dict]:
    """The given rows summed per week, department, relay, item type or organisation kind.

    Each row: {"key", "label", "quantity", "report_count", "material_cost_cents"}, in the
    natural order of the dimension (weeks in time, departments by code, items as catalogued).
    Distinct makers cannot be summed across buckets, so they are only given per bucket.
    """
    relay = relay_path("department")
    item_name = f"item_type__{catalogue_field('name')}"
    group = {
        "week": ("week_start",),
        "department": ("department_id", "department__name"),
        "relay": (f"{relay}_id", f"{relay}__organisation__name"),
        "item_type": ("item_type_id", "item_type__position", item_name),
        "org_kind": ("org_kind",),
    }[dimension]
    rows = (
        totals.order_by()
        .values(*group)
        .annotate(
            quantity_sum=Sum("quantity"),
            report_count_sum=Sum("report_count"),
            material_cost_cents_sum=Sum("material_cost_cents"),
        )
    )
    kind_labels = dict(OrganisationKind.choices)
    kind_order = list(kind_labels)
    result = []
    for row in rows:
        if dimension == "week":
            key = row["week_start"]
            label, order = key, key
        elif dimension == "department":
            key = row["department_id"]
            label, order = f"{row['department__name']} ({key})", key
        elif dimension == "relay":
            key = row[f"{relay}_id"]
            label = row[f"{relay}__organisation__name"] or gettext("Sans relais")
            order = (key is None, label)
        elif dimension == "item_type":
            key = row["item_type_id"]
            label = row[item_name]
            order = (row["item_type__position"], key)
        else:
            key = row["org_kind"]
            label = str(kind_labels.get(key, key))
            order = kind_order.index(key) if key in kind_order else len(kind_order)
        result.append(
            {
                "key": key,
                "label": label,
                "order": order,
                "quantity": row["quantity_sum"] or 0,
                "report_count": row["report_count_sum"] or 0,
                "material_cost_cents": row["material_cost_cents_sum"] or 0,
            }
        )
    result.sort(key=lambda row: row["order"])
    for row in result:
        del row["order"]
    return result


def delivered_beside_production() -> dict[str, list[dict]]:
    """What establishments confirmed they received, per department and per item, beside the
    validated production to date: three queries, read from the totals tables only. For staff:
    the exact production."""
    delivered = DeliveredTotal.objects.select_related("department", "item_type").order_by(
        "department_id", "item_type__position", "item_type_id"
    )
    totals = production_totals(exact=True)
    produced = {
        "department": {row["key"]: row for row in figures_by(totals, "department")},
        "item_type": {row["key"]: row for row in figures_by(totals, "item_type")},
    }
    rows: dict[str, dict] = {"department": {}, "item_type": {}}
    for total in delivered:
        item = total.item_type
        for dimension, key, label, order in (
            (
                "department",
                total.department_id,
                f"{total.department.name} ({total.department_id})",
                total.department_id,
            ),
            (
                "item_type",
                total.item_type_id,
                localised(item, "name"),
                (item.position, item.pk),
            ),
        ):
            row = rows[dimension].setdefault(
                key,
                {
                    "key": key,
                    "label": label,
                    "order": order,
                    "delivered": 0,
                    "delivery_count": 0,
                    "produced": produced[dimension].get(key, {}).get("quantity", 0),
                },
            )
            row["delivered"] += total.quantity
            row["delivery_count"] += total.delivery_count
    result = {}
    for dimension, name in (("department", "per_department"), ("item_type", "per_item")):
        listed = sorted(rows[dimension].values(), key=lambda row: row["order"])
        for row in listed:
            del row["order"]
        result[name] = listed
    return result


def departments_overview() -> list[Department]:
    """Each department with its relay and how many makers and organisations it has."""
    # One GROUP BY per table rather than a subquery per department: with 200,000 makers the
    # subqueries' estimate set PostgreSQL compiling them (JIT), 0.7 s of a 0.9 s query.
    makers = dict(Maker.objects.order_by().values_list("department").annotate(count=Count("pk")))
    organisations = dict(
        Organisation.objects.filter(is_public=True)
        .order_by()
        .values_list("department")
        .annotate(count=Count("pk"))
    )
    departments = list(departments_with_relay())
    for department in departments:
        department.maker_count = makers.get(department.code, 0)
        department.public_organisation_count = organisations.get(department.code, 0)
    return departments
