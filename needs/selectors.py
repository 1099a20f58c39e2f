"""Reads of needs shared by the pages and the API: the public board, a need's pledges and
deliveries. Each list is built in a fixed number of queries, whatever its length."""

import rules
from django.db.models import (
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from fablabs.selectors import departments_covered_by

from .models import Delivery, Need, NeedMessage, Pledge

PUBLIC_STATUSES = [Need.Status.OPEN, Need.Status.FULFILLED, Need.Status.EXPIRED]


def _sum_of(queryset: QuerySet, *, per: str, field: str) -> Coalesce:
    """A correlated subquery summing `field` per need (0 when there is nothing)."""
    total = queryset.order_by().values(per).annotate(total=Sum(field)).values("total")
    return Coalesce(Subquery(total, output_field=IntegerField()), Value(0))


def with_progress(needs: QuerySet[Need]) -> QuerySet[Need]:
    """Annotate `pledged` (active pledges) and `received` (confirmed deliveries) on each need,
    as subqueries: no join multiplies the rows, and the query count stays one."""
    pledged = Pledge.objects.filter(need=OuterRef("pk"), status=Pledge.Status.ACTIVE)
    received = Delivery.objects.filter(pledge__need=OuterRef("pk"), confirmed_at__isnull=False)
    return needs.annotate(
        pledged=_sum_of(pledged, per="need", field="quantity"),
        received=_sum_of(received, per="pledge__need", field="confirmed_quantity"),
    )


def needs_open() -> QuerySet[Need]:
    """The board: open needs, soonest date first, with what is pledged and received."""
    return with_progress(
        Need.objects.filter(status=Need.Status.OPEN)
        .select_related("establishment", "item_type", "department")
        .order_by("needed_by", "pk")
    )


def need_public(pk: int) -> Need | None:
    """A need as the public sees it: published (open or closed by its date or its
    fulfilment); unconfirmed, withdrawn and removed needs are nobody's business."""
    return with_progress(
        Need.objects.filter(pk=pk, status__in=PUBLIC_STATUSES).select_related(
            "establishment", "item_type", "department"
        )
    ).first()


def need_pledges_public(need: Need) -> list[Pledge]:
    """A need's active pledges with their producers, oldest first: one query."""
    return list(
        need.pledges.filter(status=Pledge.Status.ACTIVE)
        .select_related("maker", "organisation")
        .order_by("pledged_at", "pk")
    )


def need_pledges(need: Need) -> list[Pledge]:
    """A need's active pledges, oldest first, with their producers, deliveries and messages
    (for the establishment's own page): three queries whatever their number."""
    return list(
        need.pledges.filter(status=Pledge.Status.ACTIVE)
        .select_related("maker", "organisation")
        .prefetch_related(
            Prefetch("deliveries", queryset=Delivery.objects.order_by("delivered_on", "pk")),
            Prefetch("messages", queryset=NeedMessage.objects.order_by("created_at", "pk")),
        )
        .order_by("pledged_at", "pk")
    )


def producer_public_name(pledge: Pledge, *, anonymous: str) -> str:
    """A producer's name as others see it: an organisation by its name, a maker by theirs only
    if they chose a public profile."""
    if pledge.organisation_id:
        return pledge.organisation.name
    return pledge.maker.display_name if pledge.maker.is_public else anonymous


# Makers' pledges and the network's follow-up ---------------------------------------------------
# (reads of needs/maker_views.py: one's pledges, what a producer may still deliver, the lists
# facilitators and relays go through to call someone)

FOLLOW_UP_SHOWN = 100


def pledges_of_user(user) -> QuerySet[Pledge]:
    """The pledges one made as oneself or that one's organisations made (whoever of their
    members pledged): anybody else's pledge is not in here, so it answers 404."""
    from makers.models import Membership

    if not user.is_authenticated:
        return Pledge.objects.none()
    organisations = Membership.objects.filter(maker__user=user).values("organisation_id")
    return Pledge.objects.filter(Q(maker__user=user) | Q(organisation_id__in=organisations))


def pledges_listed_for(user) -> QuerySet[Pledge]:
    """One's pledges for the page that lists them, newest first, with their need, producer,
    deliveries and messages: three queries whatever their number."""
    from .models import NeedMessage

    return (
        pledges_of_user(user)
        .select_related("need__establishment", "need__item_type", "maker", "organisation")
        .prefetch_related(
            Prefetch("deliveries", queryset=Delivery.objects.order_by("delivered_on", "pk")),
            Prefetch("messages", queryset=NeedMessage.objects.order_by("created_at", "pk")),
        )
        .order_by("-pledged_at", "-pk")
    )


def outputs_of(pledges) -> dict[tuple, tuple[int, int]]:
    """(produced, delivered) per (maker id, organisation id, item id) for the producers of
    these pledges, as `services.producer_output` counts them, in two queries."""
    from makers.models import ProductionReport

    from .services import COUNTED_STATUSES

    keys = {(p.maker_id, p.organisation_id, p.need.item_type_id) for p in pledges}
    if not keys:
        return {}
    makers = {maker for maker, _org, _item in keys if maker}
    organisations = {org for _maker, org, _item in keys if org}
    items = {item for _maker, _org, item in keys}
    reports = (
        ProductionReport.objects.filter(item_type_id__in=items, status__in=COUNTED_STATUSES)
        .filter(
            Q(maker_id__in=makers, organisation__isnull=True) | Q(organisation_id__in=organisations)
        )
        .order_by()
        .values("maker_id", "organisation_id", "item_type_id")
        .annotate(total=Sum("quantity"))
    )
    deliveries = (
        Delivery.objects.filter(pledge__need__item_type_id__in=items)
        .filter(Q(pledge__maker_id__in=makers) | Q(pledge__organisation_id__in=organisations))
        .order_by()
        .values("pledge__maker_id", "pledge__organisation_id", "pledge__need__item_type_id")
        .annotate(total=Sum("quantity"))
    )
    produced: dict[tuple, int] = {}
    for row in reports:
        # A maker's own output counts the reports made in no organisation's name.
        key = (
            (None, row["organisation_id"], row["item_type_id"])
            if row["organisation_id"]
            else (row["maker_id"], None, row["item_type_id"])
        )
        produced[key] = produced.get(key, 0) + row["total"]
    delivered = {
        (
            row["pledge__maker_id"],
            row["pledge__organisation_id"],
            row["pledge__need__item_type_id"],
        ): row["total"]
        for row in deliveries
    }
    return {key: (produced.get(key, 0), delivered.get(key, 0)) for key in keys}


def follow_up_needs_of(user) -> QuerySet[Need]:
    """The needs a facilitator (all) or relay staff (their departments) follow up."""
    if rules.has_perm("needs.follow_up_everywhere", user):
        return Need.objects.all()
    if rules.has_perm("needs.view_follow_up", user):
        return Need.objects.filter(department__in=departments_covered_by(user))
    return Need.objects.none()


def follow_up_lists(user, *, now) -> dict[str, list[Need]]:
    """What the network should act on: needs pledged beyond their quantity (tell someone to
    hold back), open needs nobody answered (soonest date first: call a maker), and needs whose
    contact never confirmed the address after a day (spam, or a lost e-mail). At most
    FOLLOW_UP_SHOWN of each, in a fixed number of queries."""
    import datetime

    scope = with_progress(
        follow_up_needs_of(user).select_related("establishment", "item_type", "department")
    )
    over = list(
        scope.filter(status=Need.Status.OPEN, pledged__gt=F("quantity"))
        .prefetch_related(
            Prefetch(
                "pledges",
                queryset=Pledge.objects.filter(status=Pledge.Status.ACTIVE)
                .select_related("maker", "organisation")
                .order_by("pledged_at", "pk"),
                to_attr="active_pledges",
            )
        )
        .order_by("needed_by", "pk")[:FOLLOW_UP_SHOWN]
    )
    unanswered = list(
        scope.filter(status=Need.Status.OPEN, pledged=0).order_by("needed_by", "pk")[
            :FOLLOW_UP_SHOWN
        ]
    )
    unconfirmed = list(
        scope.filter(
            status=Need.Status.UNCONFIRMED, created_at__lt=now - datetime.timedelta(days=1)
        ).order_by("created_at", "pk")[:FOLLOW_UP_SHOWN]
    )
    return {"over": over, "unanswered": unanswered, "unconfirmed": unconfirmed}
