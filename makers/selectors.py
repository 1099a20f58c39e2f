"""Reads about makers and production shared by pages and the API."""

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import rules
from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    Aggregate,
    CharField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact, In, IsNull
from django.utils.translation import gettext_lazy as _

from fablabs.selectors import (
    RelayTeam,
    departments_covered_by,
    relay_teams_covering,
    relays_of_staff,
    relays_staffed_by,
)
from tilab.errors import Refusal
from tilab.models import Department
from tilab.permissions import is_region_staff

from . import errors
from .models import ItemAlias, ItemType, Maker, Membership, ProductionReport


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


def _with_details(where: Q) -> QuerySet[ProductionReport]:
    """The reports matching `where`, with everything a list shows, fetched in one query
    whatever its length: with `suspected_duplicate` (a likely double count, see below) and the
    ids of the reports it doubles (`double_count_ids`)."""
    return _every_report_with_details(settings.TILAB_DOUBLE_COUNT_DAYS).filter(where)


@lru_cache(maxsize=4)
def _every_report_with_details(window_days: int) -> QuerySet[ProductionReport]:
    # Built once per process and window: resolving the double-count subqueries cost a list of
    # the API more CPU than PostgreSQL spent running them. Never evaluated itself (its result
    # cache would hold every report): callers get a filtered copy, which shares the resolved
    # annotations.
    #
    # Only the relations a list reads (the department and who entered a report are never
    # shown): PostgreSQL's planning grows steeply with each join, and with those two it spent
    # ~24 ms planning this query for under 1 ms running it (tests/bench/test_load.py).
    return with_double_counts(
        ProductionReport.objects.select_related(
            "maker", "organisation", "item_type", "decided_by", "corrects"
        )
    )


# Likely double counts ------------------------------------------------------------------------
#
# The rule, once: two reports (any source: typed by the maker, entered by a relay, imported)
# are likely double counts of each other when both still stand (submitted or validated: a
# rejected one counts no more, so a pair the relay settled is not flagged again), they are of
# the same item, produced at most TILAB_DOUBLE_COUNT_DAYS days apart, they are related (the
# same maker, the same organisation, or one's maker is a member of the other's organisation),
# and they give
#   - the same quantity, or
#   - a containing one: a report made for an organisation contains a report of one of its
#     members made for no organisation or for another one when it gives at least as many
#     (the FabLab's sheet gathers what its members counted themselves). A member's report
#     larger than the organisation's is not contained: that maker counted more than the
#     organisation gathered, so these are not the same visors;
# except a series: the same maker, for the same organisation (or none), counted by the same
# hand (same source, same person, same file) on different days is steady production, not a
# double count. The same maker, item, day and quantity is always flagged (an exact duplicate).
#
# It is written twice, side by side: as SQL (`_double_counts_sql`, for the queue and the API)
# and in Python (`is_likely_double_count`, for import lines not yet in the database); the test
# tests/makers/test_double_counts.py checks that both agree on every case it builds.


def _double_count_window() -> timedelta:
    return timedelta(days=settings.TILAB_DOUBLE_COUNT_DAYS)


def _same(field: str) -> Q:
    """The candidate's `field` equals the outer report's, None equal to None (two-valued)."""
    return Q(Exact(Coalesce(field, Value(0)), Coalesce(OuterRef(field), Value(0))))


def _member(maker, organisation) -> Exists:
    return Exists(Membership.objects.filter(maker=maker, organisation=organisation))


def _double_counts_sql() -> QuerySet[ProductionReport]:
    """The reports that are likely double counts of the report `OuterRef` points at."""
    window = _double_count_window()
    same_maker = Q(maker=OuterRef("maker"))
    # The candidate's maker is a member of the outer report's organisation, and the other way.
    its_maker_in_outer_organisation = _member(OuterRef("maker"), OuterRef(OuterRef("organisation")))
    outer_maker_in_its_organisation = _member(OuterRef(OuterRef("maker")), OuterRef("organisation"))
    related = (
        same_maker
        | Q(organisation=OuterRef("organisation"))  # never true of two reports without one
        | its_maker_in_outer_organisation
        | outer_maker_in_its_organisation
    )
    it_contains_outer = (
        Q(organisation__isnull=False, quantity__gte=OuterRef("quantity"))
        & outer_maker_in_its_organisation
        & (Q(IsNull(OuterRef("organisation"), True)) | ~Q(organisation=OuterRef("organisation")))
    )
    outer_contains_it = (
        Q(IsNull(OuterRef("organisation"), False))
        & Q(quantity__lte=OuterRef("quantity"))
        & its_maker_in_outer_organisation
        & (Q(organisation__isnull=True) | ~Q(organisation=OuterRef("organisation")))
    )
    series = (
        same_maker
        & _same("organisation")
        & Q(source=OuterRef("source"))
        & _same("entered_by")
        & _same("import_batch")
    )
    exact = same_maker & Q(produced_on=OuterRef("produced_on"), quantity=OuterRef("quantity"))
    return ProductionReport.objects.filter(
        In(OuterRef("status"), LIVE_STATUSES),
        related,
        Q(quantity=OuterRef("quantity")) | it_contains_outer | outer_contains_it,
        exact | ~series,
        status__in=LIVE_STATUSES,
        item_type=OuterRef("item_type"),
        produced_on__gte=OuterRef("produced_on") - window,
        produced_on__lte=OuterRef("produced_on") + window,
    ).exclude(pk=OuterRef("pk"))


class _IdList(Aggregate):
    """Ids as one text, "3,17": GROUP_CONCAT on SQLite, STRING_AGG on PostgreSQL."""

    function = "GROUP_CONCAT"
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            function="STRING_AGG",
            template="%(function)s(CAST(%(expressions)s AS text), ',')",
            **extra_context,
        )


def with_double_counts(reports: QuerySet[ProductionReport]) -> QuerySet[ProductionReport]:
    """Annotate `suspected_duplicate` (a likely double count of another report: filterable) and
    `double_count_ids` (their ids as text; read them with `double_count_ids`): one correlated
    subquery, so a page costs one query whatever its length."""
    doubles = _double_counts_sql()
    ids = doubles.order_by().values("item_type").annotate(ids=_IdList("pk")).values("ids")
    # Selected once: `suspected_duplicate` is read from the ids (ProductionReport's property);
    # the Exists is only an alias for filters. Two such subqueries in the select list doubled
    # what PostgreSQL spent planning and running a page.
    return reports.alias(suspected_duplicate=Exists(doubles)).annotate(
        double_count_ids=Subquery(ids)
    )


def double_count_ids(report: ProductionReport) -> list[int]:
    """The ids of the reports `report` likely double counts, from `with_double_counts`."""
    text = getattr(report, "double_count_ids", None) or ""
    return sorted(int(pk) for pk in text.split(",") if pk)


def double_counts_linked(reports, user) -> None:
    """Give each report (from `with_double_counts`) `double_counts`: the reports it likely
    double counts, those `user` may see with their maker and organisation, the others as bare
    ids. One query for the whole page."""
    reports = list(reports)
    wanted = {pk for report in reports for pk in double_count_ids(report)}
    seen = {}
    if wanted:
        seen = {
            other.pk: other
            for other in ProductionReport.objects.filter(pk__in=wanted)
            .filter(pk__in=reports_visible_to(user).values("pk"))
            .select_related("maker", "organisation")
        }
    for report in reports:
        report.double_counts = [
            seen.get(pk) or ProductionReport(pk=pk) for pk in double_count_ids(report)
        ]


@dataclass(frozen=True)
class Counted:
    """What the double-count rule reads of a report or of an import line not yet written.
    `maker` and `organisation` are ids, or any key standing for one still to be created;
    `hand` says who counted it: (source, entered_by id, import batch id, or any key of a file)."""

    key: object
    maker: object
    organisation: object | None
    item_type_id: int
    produced_on: date
    quantity: int
    hand: tuple

    @classmethod
    def of_report(cls, report: ProductionReport) -> "Counted":
        return cls(
            key=report.pk,
            maker=report.maker_id,
            organisation=report.organisation_id,
            item_type_id=report.item_type_id,
            produced_on=report.produced_on,
            quantity=report.quantity,
            hand=(report.source, report.entered_by_id, report.import_batch_id),
        )


def _contains(outer: Counted, inner: Counted, is_member) -> bool:
    return (
        outer.organisation is not None
        and inner.organisation != outer.organisation
        and inner.quantity <= outer.quantity
        and is_member(inner.maker, outer.organisation)
    )


def is_likely_double_count(a: Counted, b: Counted, *, is_member, days: int) -> bool:
    """The rule above in Python, for two live reports or lines; `is_member(maker,
    organisation)` says whether a maker belongs to an organisation."""
    if a.key == b.key or a.item_type_id != b.item_type_id:
        return False
    if abs((a.produced_on - b.produced_on).days) > days:
        return False
    same_maker = a.maker == b.maker
    related = (
        same_maker
        or (a.organisation is not None and a.organisation == b.organisation)
        or (b.organisation is not None and is_member(a.maker, b.organisation))
        or (a.organisation is not None and is_member(b.maker, a.organisation))
    )
    if not related:
        return False
    if not (a.quantity == b.quantity or _contains(a, b, is_member) or _contains(b, a, is_member)):
        return False
    exact = same_maker and a.produced_on == b.produced_on and a.quantity == b.quantity
    series = same_maker and a.organisation == b.organisation and a.hand == b.hand
    return exact or not series


def double_counts_of_lines(lines: list[Counted], *, members: set[tuple]) -> dict:
    """Import lines not yet written, matched against the live reports and against each other:
    line key → the reports (`ProductionReport`, maker and organisation loaded) and the other
    lines (`Counted`) it likely double counts. `members` holds the (maker, organisation) pairs
    the lines will add (a line for an organisation makes its maker a member).

    Two queries whatever the number of lines: the live reports of the file's items over its
    dates (widened by the window), and the memberships of the makers and organisations they
    and the lines name. Candidates are found through an index by maker and by organisation, so
    a line is compared only with those it is related to."""
    if not lines:
        return {}
    window = _double_count_window()
    reports = list(
        ProductionReport.objects.filter(
            status__in=LIVE_STATUSES,
            item_type__in={line.item_type_id for line in lines},
            produced_on__gte=min(line.produced_on for line in lines) - window,
            produced_on__lte=max(line.produced_on for line in lines) + window,
        )
        .select_related("maker", "organisation")
        .order_by("pk")
    )
    existing = [Counted.of_report(report) for report in reports]
    everyone = [*existing, *lines]
    maker_ids = {c.maker for c in everyone if isinstance(c.maker, int)}
    organisation_ids = {c.organisation for c in everyone if isinstance(c.organisation, int)}
    pairs = set(members)
    pairs.update(
        Membership.objects.filter(
            Q(maker_id__in=maker_ids) | Q(organisation_id__in=organisation_ids)
        ).values_list("maker_id", "organisation_id")
    )
    organisations_of_maker: dict[object, set] = {}
    for maker, organisation in pairs:
        organisations_of_maker.setdefault(maker, set()).add(organisation)

    def is_member(maker, organisation) -> bool:
        return (maker, organisation) in pairs

    # Buckets in date order, one per way two counts can meet (same maker; same organisation and
    # quantity; a member's count of the same quantity; a member's count for another
    # organisation, or none, that an organisation's may contain; an organisation's count that
    # may contain a member's): a line is compared only with the few reports and lines that
    # could match, inside the window (bisected), then the rule decides.
    buckets: dict[tuple, list[Counted]] = {}
    for c in sorted(everyone, key=lambda c: c.produced_on):
        item = c.item_type_id
        buckets.setdefault(("maker", item, c.maker), []).append(c)
        for organisation in organisations_of_maker.get(c.maker, ()):
            # A member's count: of the same quantity, or for another organisation (or none).
            key = ("member quantity", item, organisation, c.quantity)
            buckets.setdefault(key, []).append(c)
            if c.organisation != organisation:
                buckets.setdefault(("member not for", item, organisation), []).append(c)
        if c.organisation is not None:
            buckets.setdefault(("organisation", item, c.organisation), []).append(c)
            key = ("organisation quantity", item, c.organisation, c.quantity)
            buckets.setdefault(key, []).append(c)
    dates = {key: [c.produced_on for c in bucket] for key, bucket in buckets.items()}

    def within(key: tuple, day: date) -> list[Counted]:
        bucket = buckets.get(key)
        if not bucket:
            return []
        days_of = dates[key]
        return bucket[bisect_left(days_of, day - window) : bisect_right(days_of, day + window)]

    def candidates(line: Counted) -> list[Counted]:
        item, day, quantity = line.item_type_id, line.produced_on, line.quantity
        found = within(("maker", item, line.maker), day)
        for organisation in organisations_of_maker.get(line.maker, ()):
            found += within(("organisation quantity", item, organisation, quantity), day)
            if organisation != line.organisation:
                found += within(("organisation", item, organisation), day)
        if line.organisation is not None:
            found += within(("organisation quantity", item, line.organisation, quantity), day)
            found += within(("member quantity", item, line.organisation, quantity), day)
            found += within(("member not for", item, line.organisation), day)
        return found

    report_of = {report.pk: report for report in reports}
    days = settings.TILAB_DOUBLE_COUNT_DAYS
    found: dict = {}
    for line in lines:
        matched, keys = [], set()
        for other in candidates(line):
            if other.key in keys or not is_likely_double_count(
                line, other, is_member=is_member, days=days
            ):
                continue
            keys.add(other.key)
            matched.append(report_of.get(other.key, other))
        if matched:
            found[line.key] = matched
    return found


def double_counts_of_written(reports: list[ProductionReport]) -> None:
    """Give reports just written by a service their `double_count_ids`, as `with_double_counts`
    would have annotated them: the rule in Python (`is_likely_double_count`) against the live
    reports related to them. For a write's answer (a report or a bulk decision): two small
    queries (the memberships of their makers and organisations, then the live reports of those
    makers and organisations near their dates), instead of reading them again through the
    list's correlated subquery, which cost an API write more than the write itself."""
    if not reports:
        return
    window = _double_count_window()
    makers = {report.maker_id for report in reports}
    organisations = {report.organisation_id for report in reports} - {None}
    pairs = set(
        Membership.objects.filter(
            Q(maker_id__in=makers) | Q(organisation_id__in=organisations)
        ).values_list("maker_id", "organisation_id")
    )
    # Related: the same maker or organisation, a member of its organisation, or an
    # organisation its maker is a member of.
    related_makers = makers | {
        maker for maker, organisation in pairs if organisation in organisations
    }
    related_organisations = organisations | {
        organisation for maker, organisation in pairs if maker in makers
    }
    fields = [
        "pk", "maker_id", "organisation_id", "item_type_id", "produced_on", "quantity",
        "source", "entered_by_id", "import_batch_id",
    ]  # fmt: skip
    candidates = [
        Counted(
            key=pk,
            maker=maker,
            organisation=organisation,
            item_type_id=item,
            produced_on=day,
            quantity=quantity,
            hand=(source, entered_by, batch),
        )
        for pk, maker, organisation, item, day, quantity, source, entered_by, batch in (
            ProductionReport.objects.filter(
                Q(maker_id__in=related_makers) | Q(organisation_id__in=related_organisations),
                status__in=LIVE_STATUSES,
                item_type_id__in={report.item_type_id for report in reports},
                produced_on__gte=min(report.produced_on for report in reports) - window,
                produced_on__lte=max(report.produced_on for report in reports) + window,
            ).values_list(*fields)
        )
    ]
    days = settings.TILAB_DOUBLE_COUNT_DAYS

    def is_member(maker, organisation) -> bool:
        return (maker, organisation) in pairs

    for report in reports:
        found = []
        if report.status in LIVE_STATUSES:
            counted = Counted.of_report(report)
            found = [
                other.key
                for other in candidates
                if is_likely_double_count(counted, other, is_member=is_member, days=days)
            ]
        report.double_count_ids = ",".join(str(pk) for pk in sorted(found))


def _visible_where(user) -> Q | None:
    """Which reports `user` may see (None: none)."""
    if not user.is_authenticated:
        return None
    if rules.has_perm("makers.view_all", user):
        return Q()
    seen = Q(maker__user=user)
    if rules.has_perm("makers.view_covered_departments", user):
        seen |= Q(department__in=departments_covered_by(user))
    return seen


def reports_visible_to(user) -> QuerySet[ProductionReport]:
    """The reports a user may see: their own as a maker, their relay's departments as relay
    staff, every report for Région staff and auditors. Anything else answers 404."""
    where = _visible_where(user)
    return ProductionReport.objects.none() if where is None else _with_details(where)


def reports_to_act_on(user) -> QuerySet[ProductionReport]:
    """`reports_visible_to` without what a list shows (the likely double counts): to find the
    report a write acts on, which its answer reads again with its details."""
    where = _visible_where(user)
    if where is None:
        return ProductionReport.objects.none()
    return ProductionReport.objects.filter(where).select_related("maker", "organisation")


def reports_of_maker(maker: Maker, *, status: str = "") -> QuerySet[ProductionReport]:
    """A maker's reports, newest first; only those in `status` when it names one."""
    mine = Q(maker=maker)
    if status in ProductionReport.Status.values:
        mine &= Q(status=status)
    return _with_details(mine).order_by("-produced_on", "-pk")


def reports_rejected_of(user) -> QuerySet[ProductionReport]:
    """The reports of one's maker profile that were rejected: to correct and resubmit."""
    return ProductionReport.objects.filter(
        maker__user=user, status=ProductionReport.Status.REJECTED
    )


def validation_queue_of(user) -> QuerySet[ProductionReport]:
    """The queue: reports of the departments the user decides on (all of them for auditors)."""
    return _with_details(Q(department__in=departments_decided_by(user))).order_by(
        "produced_on", "pk"
    )


def reports_decidable_by(user) -> list[int]:
    """The ids of the reports waiting in the user's queue that this very person may decide
    (four eyes: `decision_route`), oldest first: a relay's reports for its staff, those the
    rules send to the Région for Région staff. Three queries whatever their number."""
    return list(reports_decidable_query(user).values_list("pk", flat=True))


def reports_decidable_query(user) -> QuerySet[ProductionReport]:
    """`reports_decidable_by` as one query for the database to count or filter by: the rules of
    `decision_route`, written per covering team, so that a queue of thousands costs the page
    that counts it (the to-do of the home page and the dashboard) no row in Python. Two
    queries to write it (the user's permission, the teams), whatever the size of the queue."""
    if not rules.has_perm("makers.decide_reports", user):
        return ProductionReport.objects.none()
    every_queue = rules.has_perm("makers.view_every_queue", user)
    # A copy: the kept query is never evaluated, so never holds rows.
    decidable = _decidable_query(**_decidable_inputs(user)).all()
    if every_queue:
        return decidable  # every department: no subquery to add
    return decidable.filter(department__in=departments_decided_by(user))


def reports_decidable_count(user) -> int:
    """How many reports `user` may decide (`reports_decidable_query`), for a to-do: three
    queries (the user's permission, the teams, the count), and the count's SQL compiled once
    per process for the same inputs, as its query is built."""
    if not rules.has_perm("makers.decide_reports", user):
        return 0
    compiled = _decidable_count_sql(**_decidable_inputs(user))
    if compiled is None:
        return 0
    sql, params = compiled
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def _decidable_inputs(user) -> dict:
    region = is_region_staff(user)
    teams = tuple(sorted(relay_teams_covering().items()))
    staff_makers = ()
    if region:
        everyone = set().union(*(team.members for _department, team in teams))
        staff_makers = tuple(
            Maker.objects.filter(user_id__in=everyone).order_by("pk").values_list("pk", flat=True)
        )
    return {
        "user_id": user.pk,
        "region": region,
        "teams": teams,
        "staff_makers": staff_makers,
        "four_eyes": (
            settings.TILAB_FOUR_EYES_OWN_ORGANISATION,
            settings.TILAB_FOUR_EYES_STAFF_ENTRIES,
        ),
    }


@lru_cache(maxsize=512)
def _decidable_count_sql(**inputs) -> tuple[str, tuple] | None:
    """None when nothing can match (no team to decide for): no query at all."""
    # Without the queue's department filter: the rules already keep to the departments of the
    # person's own teams (relay staff) or to every department (the Région).
    try:
        sql, params = _decidable_query(**inputs).order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:
        return None
    return f"SELECT COUNT(*) FROM ({sql}) AS decidable", tuple(params)  # noqa: S608 -- the ORM's


@lru_cache(maxsize=512)
def _decidable_query(
    *,
    user_id: int,
    region: bool,
    teams: tuple[tuple[str, RelayTeam], ...],
    staff_makers: tuple[int, ...],
    four_eyes: tuple,
) -> QuerySet[ProductionReport]:
    """The decidable reports for these inputs (everything the query depends on: the person,
    the Région role, the teams as read now and the four-eyes settings). Building its dozen
    conditions per department cost more than the database spends counting them, on every page
    showing a to-do: built once per process for the same inputs. `four_eyes` only keys the cache
    (`_routed_to_region` reads the settings)."""
    allowed = Q(pk__in=[])
    for department, team in teams:
        in_team = user_id in team.acting
        if not (region or in_team):
            continue
        for_region = _routed_to_region(team)
        allowed |= Q(department_id=department) & (
            (for_region if region else Q(pk__in=[])) | (~for_region if in_team else Q(pk__in=[]))
        )
    involved = Q(maker__user_id=user_id) | Q(entered_by_id=user_id) | Q(updated_by_id=user_id)
    decidable = ProductionReport.objects.all()
    if region and all(team.acting and user_id not in team.acting for _d, team in teams):
        # What the Région decides always involves a relay: its organisation, or someone of its
        # team as the maker (`staff_makers`: their maker profiles), who entered or last changed
        # it. Said once more in columns the database finds through their indexes, so that it
        # counts those few reports instead of reading the whole queue.
        decidable = decidable.filter(
            Q(organisation_id__in={team.organisation_id for _d, team in teams})
            | Q(maker_id__in=staff_makers)
            | Q(entered_by_id__in=set().union(*(team.members for _d, team in teams)))
            | Q(updated_by_id__in=set().union(*(team.members for _d, team in teams)))
        )
    return (
        decidable.filter(allowed, status=ProductionReport.Status.SUBMITTED)
        .exclude(involved)
        .order_by("produced_on", "pk")
    )


def _routed_to_region(team: RelayTeam) -> Q:
    """The reports of `team`'s departments that `decision_route` sends to the Région."""
    nobody = Q(pk__in=[])
    to_region = nobody
    if settings.TILAB_FOUR_EYES_OWN_ORGANISATION == REGION:
        to_region |= Q(organisation_id=team.organisation_id)
        to_region |= Q(maker__user_id__in=team.members)
    if settings.TILAB_FOUR_EYES_STAFF_ENTRIES == REGION:
        to_region |= Q(entered_by_id__in=team.members) & (
            Q(maker__user_id__isnull=True) | ~Q(entered_by_id=F("maker__user_id"))
        )
    # Nobody else in the team: every acting member is involved in the report (three at most).
    if not team.acting:
        return Q(pk__isnull=False)
    if len(team.acting) <= 3:
        everyone_involved = Q()
        for member in team.acting:
            everyone_involved &= (
                Q(maker__user_id=member) | Q(entered_by_id=member) | Q(updated_by_id=member)
            )
        to_region |= everyone_involved
    return to_region


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


def organisations_matchable_by(user, departments) -> QuerySet:
    """The organisations of these departments an importer may see, hence the only ones a
    spreadsheet's organisation name may match: those of the public directory (public, not
    merged into another), those the importer manages, and those named on reports the importer
    entered (an organisation an earlier import of theirs created, not public and without a
    manager yet). A hidden organisation is none of these: it is never matched, so no preview
    or message ever names it. Merged duplicates are never matched.

    It mirrors, as a query, `directory.selectors.organisation_visible` (public, or managed),
    which sits above makers; the directory's curation power (facilitators see every entry) is
    deliberately not part of it: an import is not curation."""
    from fablabs.models import Organisation

    seen = Q(is_public=True)
    if user.is_authenticated:
        seen |= Q(memberships__maker__user=user, memberships__is_manager=True)
        seen |= Q(
            Exists(ProductionReport.objects.filter(organisation=OuterRef("pk"), entered_by=user))
        )
    return (
        Organisation.objects.filter(seen, department__in=list(departments), merged_into=None)
        .distinct()
        .order_by("pk")
    )


def organisations_in(departments: QuerySet[Department]):
    from fablabs.models import Organisation

    return Organisation.objects.filter(department__in=departments).order_by("name")


def imports_of(user, limit: int = 10):
    """The spreadsheets this user uploaded, newest first (their content is not loaded)."""
    from .models import ProductionImport

    return ProductionImport.objects.filter(created_by=user).defer("content").order_by("-pk")[:limit]


def _initialled(full_name: str, fallback: str) -> str:
    """ "Camille Riou" → "Camille R.": enough for a colleague to know who, no more."""
    words = full_name.split()
    if len(words) >= 2:
        return f"{words[0]} {words[-1][0]}."
    return words[0] if words else fallback


def import_sources_of(reports) -> dict[int, dict]:
    """For the imported reports among `reports`: the file they came from and who imported it,
    as {"filename", "by"} by report id ("by": "LabFab de Rennes / Camille R.", the Région's or
    Ti Lab's name for their staff). What a relay reads on a line another importer handed to
    it. Three queries, none for reports that were not imported."""
    from tilab import roles
    from tilab.models import User

    from .models import ProductionImport

    imported = [report for report in reports if report.import_batch_id]
    if not imported:
        return {}
    batches = dict(
        ProductionImport.objects.filter(
            pk__in={report.import_batch_id for report in imported}
        ).values_list("pk", "filename")
    )
    importers = {report.entered_by_id for report in imported if report.entered_by_id}
    relays = relays_of_staff(importers)
    people: dict[int, tuple[str, set[str]]] = {}
    for pk, full_name, email, group in User.objects.filter(pk__in=importers).values_list(
        "pk", "full_name", "email", "groups__name"
    ):
        name, held = people.setdefault(pk, (_initialled(full_name, email.split("@")[0]), set()))
        held.add(group)
    sources = {}
    for report in imported:
        name, held = people.get(report.entered_by_id, ("—", set()))
        if relays.get(report.entered_by_id):
            where = ", ".join(sorted(relays[report.entered_by_id]))
        elif roles.REGION_STAFF in held:
            where = str(_("Région"))
        elif roles.FACILITATOR in held:
            where = "Ti Lab"
        else:
            where = ""
        sources[report.pk] = {
            "filename": batches.get(report.import_batch_id, ""),
            "by": f"{where} / {name}" if where else name,
        }
    return sources


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


def rejections_to_tell_of(user) -> QuerySet[ProductionReport]:
    """Rejected reports of makers without an account, in the departments the user's relays
    cover: those whose refusal the relay sends or prints for the maker. Anybody else's answer
    404."""
    return ProductionReport.objects.filter(
        department__in=departments_covered_by(user),
        status=ProductionReport.Status.REJECTED,
        maker__user=None,
    ).select_related("maker", "item_type", "organisation", "department", "decided_by")


def relay_name_for(user, report: ProductionReport) -> str:
    """The name of the user's relay covering the report's department (who speaks in the
    refusal)."""
    relay = relays_staffed_by(user).filter(departments=report.department_id).first()
    return relay.organisation.name if relay else ""
