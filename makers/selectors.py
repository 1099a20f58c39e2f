"""Reads about makers and production shared by pages and the API."""

from dataclasses import dataclass

import rules
from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from fablabs.selectors import RelayTeam, departments_covered_by, relay_teams_covering
from tilab.errors import Refusal
from tilab.models import Department
from tilab.permissions import is_region_staff

from . import errors
from .models import ItemAlias, ItemType, Maker, ProductionReport


def item_types_active() -> QuerySet[ItemType]:
    return ItemType.objects.filter(is_active=True).order_by("position", "slug")


def item_aliases_listed() -> QuerySet[ItemAlias]:
    """Every alias of the network (the same for everyone who may see them), by item, then name."""
    return ItemAlias.objects.select_related("item_type", "created_by", "updated_by").order_by(
        "item_type__position", "item_type__slug", "key"
    )


def maker_of(user) -> Maker | None:
    if not user.is_authenticated:
        return None
    return Maker.objects.select_related("department").filter(user=user).first()


def departments_decided_by(user) -> QuerySet[Department]:
    """The departments whose reports this user sees in the validation queue.

    Relay staff see the departments their relays cover (`fablabs.selectors`); auditors and
    Région staff (who decide the relays' own reports) see every department.
    """
    if rules.has_perm("makers.view_every_queue", user):
        return Department.objects.order_by("code")
    return departments_covered_by(user)


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
    if rules.has_perm("makers.view_all", user):
        visible = ProductionReport.objects.all()
    else:
        seen = Q(maker__user=user)
        if rules.has_perm("makers.view_covered_departments", user):
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
    if rules.has_perm("makers.view_all", user):
        return Maker.objects.all()
    seen = Q(is_public=True)
    if user.is_authenticated:
        seen |= Q(user=user)
    if rules.has_perm("makers.view_covered_departments", user):
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


# Four eyes: who decides a report ----------------------------------------------------------

REGION, RELAY = "region", "relay"

# Why a report goes to the Région (the end of "La déclaration n° 12 … : elle est décidée par
# la Région.").
WHY_OWN_ORGANISATION = _("est faite pour l'organisation du relais lui-même")
WHY_MADE_BY_STAFF = _("est la production d'un membre de l'équipe du relais")
WHY_ENTERED_BY_STAFF = _("a été saisie ou importée par un membre de l'équipe du relais")
WHY_NOBODY_ELSE = _("n'a plus personne d'autre dans l'équipe du relais pour la décider")

INSTEAD = {
    REGION: _("la Région"),
    RELAY: _("un autre membre de l'équipe du relais"),
}


@dataclass(frozen=True)
class DecisionRoute:
    """Who decides a submitted report: the Région or the covering relay's team (`by`, None
    when no relay covers its department), never the people in `involved` (its maker's account,
    who entered or imported it, who last changed it); `why` says why the Région decides."""

    report_id: int
    by: str | None
    involved: frozenset[int]
    maker_user_id: int | None
    team: RelayTeam | None
    why: str = ""

    def refusal(self, user) -> Refusal | None:
        """The refusal `user` gets deciding on this report, None when they may."""
        region = is_region_staff(user)
        in_team = self.team is not None and user.pk in self.team.acting
        if not (region or in_team):
            return errors.REPORT_OUTSIDE_RELAY(id=self.report_id)
        if user.pk == self.maker_user_id:
            return errors.OWN_REPORT(id=self.report_id, instead=INSTEAD[self.by or RELAY])
        if user.pk in self.involved:
            return errors.OWN_ENTRY(id=self.report_id, instead=INSTEAD[self.by or RELAY])
        if self.by == REGION:
            if region:
                return None
            return errors.REPORT_FOR_THE_REGION(id=self.report_id, why=self.why)
        if in_team:
            return None
        return errors.REPORT_FOR_THE_RELAY(id=self.report_id)

    def allows(self, user) -> bool:
        return self.refusal(user) is None

    def label_for(self, user):
        """What the queue shows `user`, who may not decide, instead of the buttons."""
        if self.by == REGION:
            return _("À décider par la Région")
        if self.by == RELAY and self.team is not None and user.pk in self.team.members:
            return _("À décider par un autre membre de l'équipe du relais")
        if self.by == RELAY:
            return _("À décider par l'équipe du relais")
        return _("Aucun relais ne couvre ce département")


def decision_route(report: ProductionReport, team: RelayTeam | None) -> DecisionRoute:
    """Who decides `report` (its maker loaded), given the team of the relay covering its
    department (`fablabs.selectors.relay_teams_covering`). The settings
    TILAB_FOUR_EYES_OWN_ORGANISATION and TILAB_FOUR_EYES_STAFF_ENTRIES say whether the relay's
    own reports go to the Région ("region", the default) or to another member of its team
    ("relay"); a team with nobody else left to decide sends the report to the Région."""
    maker_user_id = report.maker.user_id
    involved = frozenset(
        pk for pk in (maker_user_id, report.entered_by_id, report.updated_by_id) if pk
    )
    route = {"report_id": report.pk, "involved": involved, "maker_user_id": maker_user_id}
    if team is None:
        return DecisionRoute(by=None, team=None, **route)
    why = ""
    if report.organisation_id == team.organisation_id:
        why = WHY_OWN_ORGANISATION if settings.TILAB_FOUR_EYES_OWN_ORGANISATION == REGION else ""
    elif maker_user_id in team.members:
        why = WHY_MADE_BY_STAFF if settings.TILAB_FOUR_EYES_OWN_ORGANISATION == REGION else ""
    if not why and report.entered_by_id in team.members and report.entered_by_id != maker_user_id:
        why = WHY_ENTERED_BY_STAFF if settings.TILAB_FOUR_EYES_STAFF_ENTRIES == REGION else ""
    if not why and not team.acting - involved:
        why = WHY_NOBODY_ELSE
    return DecisionRoute(by=REGION if why else RELAY, team=team, why=why, **route)


def decision_routes(reports) -> dict[int, DecisionRoute]:
    """Report id → its `decision_route`, for reports with their maker loaded; two queries."""
    reports = list(reports)
    teams = relay_teams_covering({report.department_id for report in reports})
    return {
        report.pk: decision_route(report, teams.get(report.department_id)) for report in reports
    }
