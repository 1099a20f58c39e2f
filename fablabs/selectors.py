"""Reads of the territory: which relay covers a department, and which departments a relay's
staff answer for. The production rule "only the relay covering a department decides" is read
here and nowhere else; production, needs and subsidies ask these functions.

A relay's powers follow both the relay-staff role and the place in the relay's team: a person
who lost either covers nothing, at once (no cache outlives the request)."""

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import QuerySet

from tilab import roles
from tilab.models import Department
from tilab.permissions import is_relay_staff

from .models import Relay, RelayCoverage


def relay_path(department: str = "") -> str:
    """The ORM path to the relay covering a department, for lookups, `values()` and
    `select_related()` that must stay inside one query: from a `Department` itself (no
    argument), or from a row through its department field (`relay_path("department")`)."""
    return f"{department}__coverage__relay" if department else "coverage__relay"


def departments_with_relay() -> QuerySet[Department]:
    """Every department with the relay that covers it, in one query (see `relay_covering`)."""
    return Department.objects.select_related(f"{relay_path()}__organisation").order_by("code")


def relay_covering(department: Department) -> Relay | None:
    """The relay covering this department, None when nobody does. Costs no query on a
    department read by `departments_with_relay`."""
    # A department nobody covers has no coverage row: reading it raises, hence the default.
    coverage = getattr(department, "coverage", None)
    return coverage.relay if coverage else None


def _acts_as_relay_staff(user) -> bool:
    """Holds the relay-staff role today (the place in a team is read by each query)."""
    return user.is_authenticated and is_relay_staff(user)


def departments_covered_by(user) -> QuerySet[Department]:
    """The departments whose reports this user decides on: those their relays cover, for a
    person holding the relay-staff role."""
    if not _acts_as_relay_staff(user):
        return Department.objects.none()
    return Department.objects.filter(coverage__relay__staff=user).distinct().order_by("code")


def covers_department(user, department_id: str) -> bool:
    """Whether this user, holding the relay-staff role, is on the team of the relay covering
    the department, in one query."""
    if not _acts_as_relay_staff(user):
        return False
    return RelayCoverage.objects.filter(department_id=department_id, relay__staff=user).exists()


def relays_staffed_by(user) -> QuerySet[Relay]:
    """The relays this user works for (empty for anyone without the relay-staff role)."""
    if not _acts_as_relay_staff(user):
        return Relay.objects.none()
    return user.relays.select_related("organisation").order_by("pk")


def relays_with_coverage() -> QuerySet[Relay]:
    """The relays that cover at least one department, by name, their coverage prefetched."""
    return (
        Relay.objects.select_related("organisation")
        .prefetch_related("coverage")
        .filter(coverage__isnull=False)
        .distinct()
        .order_by("organisation__name")
    )


def relays_of_staff(users) -> dict[int, dict[str, set[str | None]]]:
    """For each of these users (ids or users) who is relay staff, the names of their relays and
    the departments each one covers today (None for a relay that covers none), in one query."""
    relays_of: dict[int, dict[str, set[str | None]]] = defaultdict(dict)
    for staff, name, department in Relay.objects.filter(staff__in=users).values_list(
        "staff", "organisation__name", "coverage__department"
    ):
        relays_of[staff].setdefault(name, set()).add(department)
    return dict(relays_of)


def relay_names_covering(departments) -> dict[str, str]:
    """Department code → name of the relay covering it, for the given departments; those
    nobody covers are left out. One query."""
    return dict(
        RelayCoverage.objects.filter(department__in=departments).values_list(
            "department", "relay__organisation__name"
        )
    )


@dataclass(frozen=True)
class RelayTeam:
    """A relay as the four-eyes rules read it: its organisation, everyone listed on its team
    (`members`), and those of them who hold the relay-staff role today (`acting`)."""

    relay_id: int
    organisation_id: int
    members: frozenset[int]
    acting: frozenset[int]


def relay_teams_covering(departments=None) -> dict[str, RelayTeam]:
    """Department code → the team of the relay covering it, for the given departments (every
    department when None; those nobody covers are left out). One query whatever their number:
    the coverage with each staff member and role (a handful of rows per department)."""
    coverage = RelayCoverage.objects.all()
    if departments is not None:
        coverage = coverage.filter(department__in=list(departments))
    relay_of: dict[str, tuple[int, int]] = {}
    members: dict[int, set[int]] = defaultdict(set)
    acting: dict[int, set[int]] = defaultdict(set)
    for department, relay, organisation, user, active, role in coverage.values_list(
        "department",
        "relay",
        "relay__organisation",
        "relay__staff",
        "relay__staff__is_active",
        "relay__staff__groups__name",
    ):
        relay_of[department] = (relay, organisation)
        if user is None:  # a relay with nobody on its team
            continue
        members[relay].add(user)
        if active and role == roles.RELAY_STAFF:
            acting[relay].add(user)
    return {
        department: RelayTeam(
            relay_id=relay,
            organisation_id=organisation,
            members=frozenset(members[relay]),
            acting=frozenset(acting[relay]),
        )
        for department, (relay, organisation) in relay_of.items()
    }


def relay_team(relay: Relay) -> RelayTeam:
    """One relay's team (see `relay_teams_covering`), in one query."""
    members, acting = set(), set()
    for user, active, role in Relay.staff.through.objects.filter(relay=relay).values_list(
        "user", "user__is_active", "user__groups__name"
    ):
        members.add(user)
        if active and role == roles.RELAY_STAFF:
            acting.add(user)
    return RelayTeam(relay.pk, relay.organisation_id, frozenset(members), frozenset(acting))
