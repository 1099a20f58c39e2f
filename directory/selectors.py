"""Reads of the directory, shared by its pages and its API: what each viewer may see of the
organisations and of the makers who opted in (never an e-mail, never a home address)."""

import rules
from django.db.models import Prefetch, Q, QuerySet
from django.db.models.functions import Lower

from fablabs.models import Capability, Organisation
from makers.models import Maker, Membership, ProductionReport

from .models import MembershipRequest


def may_curate(user) -> bool:
    """Facilitators curate the directory (the rule "directory.curate")."""
    return rules.has_perm("directory.curate", user)


def may_merge(user) -> bool:
    """Facilitators and Région staff merge duplicates (the rule "directory.merge")."""
    return rules.has_perm("directory.merge", user)


def manages(user, organisation: Organisation) -> bool:
    """The user's maker profile holds a manager membership of this organisation."""
    if not user.is_authenticated:
        return False
    return Membership.objects.filter(
        organisation=organisation, maker__user=user, is_manager=True
    ).exists()


def may_manage(user, organisation: Organisation) -> bool:
    """Managers of the organisation, and facilitators, decide on its requests and edit it
    (the rule "directory.manage_organisation")."""
    return rules.has_perm("directory.manage_organisation", user, organisation)


def words_search(value: str, *fields: str) -> Q:
    """Every word must appear in one of the fields."""
    condition = Q()
    for word in value.split():
        either = Q()
        for field in fields:
            either |= Q(**{f"{field}__icontains": word})
        condition &= either
    return condition


def capabilities_ordered() -> QuerySet[Capability]:
    return Capability.objects.order_by("position", "slug")


def organisations_listed(
    *,
    department: str | None = None,
    kind: str | None = None,
    capability: str | None = None,
    search: str = "",
) -> QuerySet[Organisation]:
    """The public directory: public organisations that are not merged duplicates, by name,
    each with its department and capabilities (three queries for a page, whatever its size)."""
    organisations = Organisation.objects.filter(is_public=True, merged_into__isnull=True)
    if department:
        organisations = organisations.filter(department_id=department)
    if kind:
        organisations = organisations.filter(kind=kind)
    if capability:
        organisations = organisations.filter(capabilities__slug=capability)
    if search:
        organisations = organisations.filter(
            words_search(search, "name", "commune", "description", "equipment")
        )
    return (
        organisations.select_related("department")
        .prefetch_related(Prefetch("capabilities", queryset=capabilities_ordered()))
        .order_by(Lower("name"), "pk")
    )


def _listed_memberships() -> Prefetch:
    """A maker's memberships of organisations the public may see."""
    return Prefetch(
        "memberships",
        queryset=Membership.objects.filter(
            organisation__is_public=True, organisation__merged_into__isnull=True
        )
        .select_related("organisation")
        .order_by(Lower("organisation__name"), "pk"),
        to_attr="listed_memberships",
    )


def makers_public(
    *, department: str | None = None, capability: Capability | None = None, search: str = ""
) -> QuerySet[Maker]:
    """Makers who opted in to the public directory, by name, with their public organisations.
    A capability matches the skills they wrote ("Impression 3D")."""
    makers = Maker.objects.filter(is_public=True)
    if department:
        makers = makers.filter(department_id=department)
    if capability is not None:
        makers = makers.filter(
            Q(skills__icontains=capability.name_fr) | Q(skills__icontains=capability.name_en)
        )
    if search:
        makers = makers.filter(words_search(search, "display_name", "commune", "skills"))
    return (
        makers.select_related("department")
        .prefetch_related(_listed_memberships())
        .order_by(Lower("display_name"), "pk")
    )


def maker_profile_visible_to(user, pk: int) -> Maker | None:
    """An opted-in maker's public profile; a maker who did not opt in only to themself."""
    seen = Q(is_public=True)
    if user.is_authenticated:
        seen |= Q(user=user)
    return (
        Maker.objects.filter(seen, pk=pk)
        .select_related("department")
        .prefetch_related(_listed_memberships())
        .first()
    )


def organisation_by_slug(slug: str) -> Organisation | None:
    return (
        Organisation.objects.select_related("department", "merged_into")
        .prefetch_related(Prefetch("capabilities", queryset=capabilities_ordered()))
        .filter(slug=slug)
        .first()
    )


def organisation_visible(user, organisation: Organisation) -> bool:
    """Public organisations for everyone; a hidden one for its managers and facilitators."""
    return organisation.is_public or may_manage(user, organisation)


def members_visible_to(user, organisation: Organisation, *, sees_all: bool) -> list[Membership]:
    """Members as a viewer may see them: all of them for its managers and facilitators, the
    opted-in makers (and oneself) for anyone else. Managers first, then by name."""
    memberships = Membership.objects.filter(organisation=organisation).select_related("maker")
    if not sees_all:
        seen = Q(maker__is_public=True)
        if user.is_authenticated:
            seen |= Q(maker__user=user)
        memberships = memberships.filter(seen)
    return list(memberships.order_by("-is_manager", Lower("maker__display_name"), "pk"))


def requests_pending(organisation: Organisation) -> QuerySet[MembershipRequest]:
    """The requests waiting for a decision of the organisation's managers, oldest first."""
    return (
        MembershipRequest.objects.filter(
            organisation=organisation, status=MembershipRequest.Status.PENDING
        )
        .select_related("maker", "maker__department")
        .order_by("requested_at", "pk")
    )


def request_latest(maker: Maker | None, organisation: Organisation) -> MembershipRequest | None:
    """The maker's latest request to join this organisation, to tell them where it stands."""
    if maker is None:
        return None
    return (
        MembershipRequest.objects.filter(maker=maker, organisation=organisation)
        .order_by("-requested_at", "-pk")
        .first()
    )


def organisations_managed_by(user) -> QuerySet[Organisation]:
    """The organisations whose requests this user decides on (as one of their managers)."""
    if not user.is_authenticated:
        return Organisation.objects.none()
    return Organisation.objects.filter(
        memberships__maker__user=user, memberships__is_manager=True, merged_into__isnull=True
    ).order_by(Lower("name"), "pk")


def merge_targets(organisation: Organisation) -> QuerySet[Organisation]:
    """Where a duplicate may be merged: any other organisation that is not itself merged."""
    return (
        Organisation.objects.filter(merged_into__isnull=True)
        .exclude(pk=organisation.pk)
        .select_related("department")
        .order_by(Lower("name"), "pk")
    )


def merge_moves_across(duplicate: Organisation, into: Organisation) -> int:
    """How many validated reports of `duplicate` a merge into `into` would hand to another
    territory: every one of them when `into` carries a relay (a relay's own organisation has
    its reports decided by the Région), else those of another department than `into`'s (the
    relay that decided them covers that department, not necessarily `into`'s). Such a merge
    is the Région's (rule "directory.merge_across_territories")."""
    validated = ProductionReport.objects.filter(
        organisation=duplicate, status=ProductionReport.Status.VALIDATED
    )
    if hasattr(into, "relay"):
        return validated.count()
    return validated.exclude(department_id=into.department_id).count()
