"""Reads about makers and production shared by pages and the API."""

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import get_language, gettext

from tilab import roles
from tilab.models import Department
from tilab.selectors import departments_with_relay

from .models import ItemType, Maker, ProductionReport


def item_types_active() -> QuerySet[ItemType]:
    return ItemType.objects.filter(is_active=True).order_by("position", "slug")


def maker_of(user) -> Maker | None:
    if not user.is_authenticated:
        return None
    return Maker.objects.select_related("department").filter(user=user).first()


def departments_covered_by(user) -> QuerySet[Department]:
    """The departments whose reports this user decides on: those their relays cover."""
    if not user.is_authenticated:
        return Department.objects.none()
    return Department.objects.filter(coverage__relay__staff=user).distinct().order_by("code")


def departments_decided_by(user) -> QuerySet[Department]:
    """The departments whose reports this user sees in the validation queue.

    Relay staff see the departments their relays cover; auditors see every department.
    """
    if roles.AUDITOR in roles.roles_of(user):
        return Department.objects.order_by("code")
    return departments_covered_by(user)


def departments_overview() -> QuerySet[Department]:
    """Each department with its relay and how many makers and organisations it has."""
    from fablabs.models import Organisation

    # Subqueries rather than two joins counted DISTINCT: with 200,000 makers the joins
    # multiplied each other's rows and took seconds.
    makers = (
        Maker.objects.filter(department=OuterRef("pk"))
        .order_by()
        .values("department")
        .annotate(count=Count("pk"))
        .values("count")
    )
    organisations = (
        Organisation.objects.filter(department=OuterRef("pk"), is_public=True)
        .order_by()
        .values("department")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return departments_with_relay().annotate(
        maker_count=Coalesce(Subquery(makers), 0),
        public_organisation_count=Coalesce(Subquery(organisations), 0),
    )


def relays_staffed_by(user):
    """The relays this user works for (empty for anyone who is not relay staff)."""
    return user.relays.select_related("organisation").order_by("pk")


# Reports that still stand: a twin among them is a possible double count.
LIVE_STATUSES = [ProductionReport.Status.SUBMITTED, ProductionReport.Status.VALIDATED]


def _with_details(reports: QuerySet[ProductionReport]) -> QuerySet[ProductionReport]:
    """Everything a list shows, fetched in one query whatever its length."""
    twins = ProductionReport.objects.filter(
        maker=OuterRef("maker"),
        item_type=OuterRef("item_type"),
        produced_on=OuterRef("produced_on"),
        quantity=OuterRef("quantity"),
        status__in=LIVE_STATUSES,
    ).exclude(pk=OuterRef("pk"))
    # Only the relations a list reads (the department and who entered a report are never
    # shown): PostgreSQL's planning grows steeply with each join, and with those two it spent
    # ~24 ms planning this query for under 1 ms running it (tests/bench/test_load.py).
    return reports.select_related(
        "maker", "organisation", "item_type", "decided_by", "corrects"
    ).annotate(suspected_duplicate=Exists(twins))


def reports_visible_to(user) -> QuerySet[ProductionReport]:
    """The reports a user may see: their own as a maker, their relay's departments as relay
    staff, every report for Région staff and auditors. Anything else answers 404."""
    if not user.is_authenticated:
        return ProductionReport.objects.none()
    user_roles = roles.roles_of(user)
    if user_roles & {roles.REGION_STAFF, roles.AUDITOR}:
        visible = ProductionReport.objects.all()
    else:
        seen = Q(maker__user=user)
        if roles.RELAY_STAFF in user_roles:
            seen |= Q(department__in=departments_covered_by(user))
        visible = ProductionReport.objects.filter(seen)
    return _with_details(visible)


def reports_of_maker(maker: Maker) -> QuerySet[ProductionReport]:
    return _with_details(ProductionReport.objects.filter(maker=maker)).order_by(
        "-produced_on", "-pk"
    )


def validation_queue_of(user) -> QuerySet[ProductionReport]:
    """The queue: reports of the departments the user decides on (all of them for auditors)."""
    return _with_details(
        ProductionReport.objects.filter(department__in=departments_decided_by(user))
    ).order_by("produced_on", "pk")


def totals_per_item_of(maker: Maker) -> list[dict]:
    """A maker's own totals per item: validated and awaiting a decision."""
    rows = (
        ProductionReport.objects.filter(maker=maker, status__in=LIVE_STATUSES)
        .values("item_type")
        .annotate(
            validated=Sum("quantity", filter=Q(status=ProductionReport.Status.VALIDATED)),
            submitted=Sum("quantity", filter=Q(status=ProductionReport.Status.SUBMITTED)),
            cost_cents=Sum(
                "material_cost_cents", filter=Q(status=ProductionReport.Status.VALIDATED)
            ),
        )
        .order_by("item_type")
    )
    items = {item.pk: item for item in ItemType.objects.all()}
    return [
        {
            "item_type": items[row["item_type"]],
            "validated": row["validated"] or 0,
            "submitted": row["submitted"] or 0,
            "cost_cents": row["cost_cents"] or 0,
        }
        for row in sorted(rows, key=lambda r: (items[r["item_type"]].position, r["item_type"]))
    ]


def organisations_of(maker: Maker | None):
    from fablabs.models import Organisation

    if maker is None:
        return Organisation.objects.none()
    return Organisation.objects.filter(memberships__maker=maker).order_by("name")


def makers_visible_to(user) -> QuerySet[Maker]:
    """Public makers for everyone; one's own profile; every maker of the departments one's
    relay covers; all of them for Région staff and auditors. Anything else answers 404."""
    user_roles = roles.roles_of(user)
    if user_roles & {roles.REGION_STAFF, roles.AUDITOR}:
        return Maker.objects.all()
    seen = Q(is_public=True)
    if user.is_authenticated:
        seen |= Q(user=user)
    if roles.RELAY_STAFF in user_roles:
        seen |= Q(department__in=departments_covered_by(user))
    return Maker.objects.filter(seen)


def makers_decided_by(user) -> QuerySet[Maker]:
    """Makers of the departments a relay covers, for entering reports on their behalf."""
    return (
        Maker.objects.filter(department__in=departments_covered_by(user))
        .select_related("department")
        .order_by("display_name", "pk")
    )


def recipients_of(maker: Maker, limit: int = 20) -> list[str]:
    """The recipients a maker already delivered to, to suggest them again."""
    return list(
        ProductionReport.objects.filter(maker=maker)
        .exclude(recipient="")
        .values_list("recipient", flat=True)
        .order_by("recipient")
        .distinct()[:limit]
    )


def organisations_in(departments: QuerySet[Department]):
    from fablabs.models import Organisation

    return Organisation.objects.filter(department__in=departments).order_by("name")


def imports_of(user, limit: int = 10):
    """The spreadsheets this user uploaded, newest first (their content is not loaded)."""
    from .models import ProductionImport

    return ProductionImport.objects.filter(created_by=user).defer("content").order_by("-pk")[:limit]


# --- Figures: read from the totals, never from raw reports ---------------------------------------

FIGURE_DIMENSIONS = ("week", "department", "relay", "item_type", "org_kind")


def production_totals() -> QuerySet:
    """Every total row with what a page or a file shows of it, in a stable order."""
    from .models import ProductionTotal

    return ProductionTotal.objects.select_related("department", "item_type").order_by(
        "week_start", "department_id", "item_type__position", "item_type_id", "org_kind"
    )


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
    from .models import OrganisationKind

    group = {
        "week": ("week_start",),
        "department": ("department_id", "department__name"),
        "relay": (
            "department__coverage__relay_id",
            "department__coverage__relay__organisation__name",
        ),
        "item_type": (
            "item_type_id",
            "item_type__position",
            "item_type__name_fr",
            "item_type__name_en",
        ),
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
    english = (get_language() or "fr").startswith("en")
    result = []
    for row in rows:
        if dimension == "week":
            key = row["week_start"]
            label, order = key, key
        elif dimension == "department":
            key = row["department_id"]
            label, order = f"{row['department__name']} ({key})", key
        elif dimension == "relay":
            key = row["department__coverage__relay_id"]
            label = row["department__coverage__relay__organisation__name"] or gettext("Sans relais")
            order = (key is None, label)
        elif dimension == "item_type":
            key = row["item_type_id"]
            label = row["item_type__name_en"] if english else row["item_type__name_fr"]
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
    validated production to date: three queries, read from the totals tables only."""
    from .models import DeliveredTotal

    english = (get_language() or "fr").startswith("en")
    delivered = DeliveredTotal.objects.select_related("department", "item_type").order_by(
        "department_id", "item_type__position", "item_type_id"
    )
    totals = production_totals()
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
                item.name_en if english else item.name_fr,
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
