"""Reads about makers shared by pages and the API."""

from django.db.models import Count, Q, QuerySet

from tilab import roles
from tilab.models import Department
from tilab.selectors import departments_with_relay

from .models import ItemType, Maker


def item_types_active() -> QuerySet[ItemType]:
    return ItemType.objects.filter(is_active=True).order_by("position", "slug")


def maker_of(user) -> Maker | None:
    return Maker.objects.select_related("department").filter(user=user).first()


def departments_decided_by(user) -> QuerySet[Department]:
    """The departments whose reports this user sees in the validation queue.

    Relay staff see the departments their relays cover; auditors see every department.
    """
    if roles.AUDITOR in roles.roles_of(user):
        return Department.objects.order_by("code")
    return Department.objects.filter(coverage__relay__staff=user).distinct().order_by("code")


def departments_overview() -> QuerySet[Department]:
    """Each department with its relay and how many makers and organisations it has."""
    return departments_with_relay().annotate(
        maker_count=Count("makers", distinct=True),
        public_organisation_count=Count(
            "organisations", filter=Q(organisations__is_public=True), distinct=True
        ),
    )


def relays_staffed_by(user):
    """The relays this user works for (empty for anyone who is not relay staff)."""
    return user.relays.select_related("organisation").order_by("pk")
