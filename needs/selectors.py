"""Reads of needs shared by the pages and the API: the public board, a need's pledges and
deliveries, the pledges a person sees, and what a producer may still deliver. Each list is
built in a fixed number of queries, whatever its length."""

import unicodedata
from collections.abc import Iterable
from typing import NamedTuple

import rules
from django.db.models import (
    Count,
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
from django.utils.translation import gettext_lazy as _

from fablabs.selectors import departments_covered_by
from makers.models import CorroborationWithheld, Membership, ProductionReport

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


def need_active_pledges(need: Need) -> QuerySet[Pledge]:
    """The pledges that still count on a need (not withdrawn): those its establishment sees
    and writes to."""
    return need.pledges.filter(status=Pledge.Status.ACTIVE)


def need_pledges_public(need: Need) -> list[Pledge]:
    """A need's active pledges with their producers, oldest first: one query."""
    return list(
        need_active_pledges(need)
        .select_related("maker", "organisation")
        .order_by("pledged_at", "pk")
    )


# A thread between an establishment and a producer reads oldest first, pages and API alike.
THREAD_ORDER = ("created_at", "pk")


def pledge_thread(pledge: Pledge) -> QuerySet[NeedMessage]:
    """The messages between a pledge's producer and the need's establishment, oldest first."""
    return NeedMessage.objects.filter(pledge=pledge).order_by(*THREAD_ORDER)


def need_pledges(need: Need) -> list[Pledge]:
    """A need's active pledges, oldest first, with their producers, deliveries and messages
    (for the establishment's own page): three queries whatever their number."""
    return list(
        need_active_pledges(need)
        .select_related("maker", "organisation")
        .prefetch_related(
            Prefetch("deliveries", queryset=Delivery.objects.order_by("delivered_on", "pk")),
            Prefetch("messages", queryset=NeedMessage.objects.order_by(*THREAD_ORDER)),
        )
        .order_by("pledged_at", "pk")
    )


def pledges_named(pledges: Iterable[Pledge]):
    """Each pledge's producer as others may see it (`public_name`), pages and API alike."""
    anonymous = _("un maker")
    for pledge in pledges:
        pledge.public_name = producer_public_name(pledge, anonymous=str(anonymous))
    return pledges


def producer_public_name(pledge: Pledge, *, anonymous: str) -> str:
    """A producer's name as others see it: an organisation by its name if it is listed in the
    public directory, a maker by theirs only if they chose a public profile; else `anonymous`.
    A hidden organisation is never named."""
    if pledge.organisation_id:
        return pledge.organisation.name if pledge.organisation.is_public else anonymous
    return pledge.maker.display_name if pledge.maker.is_public else anonymous


# Makers' pledges and the network's follow-up ---------------------------------------------------
# (one's pledges, for the pages and the API alike; what a producer may still deliver; the lists
# facilitators and relays go through to call someone)

FOLLOW_UP_SHOWN = 100


def pledges_of_user(user) -> QuerySet[Pledge]:
    """The pledges a person sees, pages and API alike: those made as oneself (a maker) or by
    one's organisations (whoever of their members pledged). Anybody else's pledge is not in
    here, so it answers 404."""
    if not user.is_authenticated:
        return Pledge.objects.none()
    organisations = Membership.objects.filter(maker__user=user).values("organisation_id")
    return Pledge.objects.filter(Q(maker__user=user) | Q(organisation_id__in=organisations))


def pledges_listed_for(user) -> QuerySet[Pledge]:
    """One's pledges for the page that lists them, newest first, with their need, producer,
    deliveries and messages: three queries whatever their number."""
    return (
        pledges_of_user(user)
        .select_related("need__establishment", "need__item_type", "maker", "organisation")
        .prefetch_related(
            Prefetch("deliveries", queryset=Delivery.objects.order_by("delivered_on", "pk")),
            Prefetch("messages", queryset=NeedMessage.objects.order_by(*THREAD_ORDER)),
        )
        .order_by("-pledged_at", "-pk")
    )


def pledges_with_delivered(pledges: QuerySet[Pledge]) -> QuerySet[Pledge]:
    """Pledges with their need, establishment, item and producer, and the `delivered` (what
    the producer's deliveries say) and `received` (what the establishment confirmed) sums:
    one query whatever their number."""
    deliveries = Delivery.objects.filter(pledge=OuterRef("pk"))
    return pledges.select_related(
        "need__establishment", "need__item_type", "maker", "organisation"
    ).annotate(
        delivered=_sum_of(deliveries, per="pledge_id", field="quantity"),
        received=_sum_of(
            deliveries.filter(confirmed_at__isnull=False),
            per="pledge_id",
            field="confirmed_quantity",
        ),
    )


# What a producer may still deliver ------------------------------------------------------------
# A producer (a maker on their own, or an organisation) never says it delivered more of an item
# than its reports say it produced. Pages show what is left; the delivery service refuses
# beyond it. Both read it here.

# Reports that count as produced: awaiting a decision or validated.
COUNTED_STATUSES = [ProductionReport.Status.SUBMITTED, ProductionReport.Status.VALIDATED]


class ProducerOutput(NamedTuple):
    """What a producer declared of an item (`produced`, its submitted and validated reports)
    and what its deliveries already say it delivered (`delivered`)."""

    produced: int
    delivered: int

    @property
    def left(self) -> int:
        """What it may still deliver (never below zero)."""
        return max(self.produced - self.delivered, 0)

    def allows(self, quantity: int) -> bool:
        """Whether a delivery of `quantity` (at least 1) stays within what it produced."""
        return quantity <= self.left


# (maker id, organisation id, item id): one of the first two is None.
ProducerKey = tuple[int | None, int | None, int]


def producer_outputs(keys: Iterable[ProducerKey]) -> dict[ProducerKey, ProducerOutput]:
    """The output of each (maker id, organisation id, item id), in two queries whatever
    their number. A maker's own output counts the reports made in no organisation's name."""
    keys = set(keys)
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
    produced: dict[ProducerKey, int] = {}
    for row in reports:
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
    return {key: ProducerOutput(produced.get(key, 0), delivered.get(key, 0)) for key in keys}


def producer_output(
    *, item_type_id: int, maker_id: int | None = None, organisation_id: int | None = None
) -> ProducerOutput:
    """One producer's output of an item: a maker's (`maker_id`) or an organisation's."""
    key = (
        (maker_id, None, item_type_id)
        if maker_id is not None
        else (None, organisation_id, item_type_id)
    )
    return producer_outputs([key])[key]


def outputs_of(pledges) -> dict[ProducerKey, ProducerOutput]:
    """The output of the producer of each pledge, per (maker id, organisation id, item id)."""
    return producer_outputs((p.maker_id, p.organisation_id, p.need.item_type_id) for p in pledges)


# Deliveries beyond a pledge or a need ----------------------------------------------------------
# Taken, not refused: a producer may really have given more than promised, or than asked. The
# producer is told, with the numbers, in case it was a slip of the keyboard.

BEYOND_MESSAGES = {
    "beyond_pledge": _("Vous avez livré %(delivered)s pour une promesse de %(limit)s."),
    "beyond_need": _(
        "Les livraisons déclarées pour ce besoin atteignent %(delivered)s pour %(limit)s demandés."
    ),
}


class DeliveredBeyond(NamedTuple):
    """What the deliveries declared on a pledge (`beyond_pledge`) or on its need
    (`beyond_need`) add up to (`delivered`), beyond what was promised or asked (`limit`)."""

    code: str
    delivered: int
    limit: int

    @property
    def message(self) -> str:
        return BEYOND_MESSAGES[self.code] % {"delivered": self.delivered, "limit": self.limit}


def delivered_beyond(pledge: Pledge) -> list[DeliveredBeyond]:
    """What the deliveries declared so far exceed: the pledge's quantity, the need's, both or
    neither. One query."""
    totals = Delivery.objects.filter(pledge__need_id=pledge.need_id).aggregate(
        on_need=Coalesce(Sum("quantity"), 0),
        on_pledge=Coalesce(Sum("quantity", filter=Q(pledge_id=pledge.pk)), 0),
    )
    limits = [
        ("beyond_pledge", totals["on_pledge"], pledge.quantity),
        ("beyond_need", totals["on_need"], pledge.need.quantity),
    ]
    return [DeliveredBeyond(*limit) for limit in limits if limit[1] > limit[2]]


def follow_up_needs_of(user) -> QuerySet[Need]:
    """The needs a facilitator (all) or relay staff (their departments) follow up."""
    if rules.has_perm("needs.follow_up_everywhere", user):
        return Need.objects.all()
    if rules.has_perm("needs.view_follow_up", user):
        return Need.objects.filter(department__in=departments_covered_by(user))
    return Need.objects.none()


def _unanswered(needs: QuerySet[Need]) -> QuerySet[Need]:
    # `needs` come `with_progress`.
    return needs.filter(status=Need.Status.OPEN, pledged=0)


def needs_unanswered_of(user) -> QuerySet[Need]:
    """The open needs nobody pledged to yet, among those the user follows up (the follow-up
    page lists the first FOLLOW_UP_SHOWN)."""
    return _unanswered(with_progress(follow_up_needs_of(user)))


def follow_up_lists(user, *, now) -> dict[str, list[Need]]:
    """What the network should act on: needs pledged beyond their quantity (tell someone to
    hold back), open needs nobody answered (soonest date first: call a maker), and needs whose
    contact never confirmed the address after a day (spam, or a lost e-mail), and published
    needs nobody checked yet (their deliveries corroborate nothing until then). At most
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
    unanswered = list(_unanswered(scope).order_by("needed_by", "pk")[:FOLLOW_UP_SHOWN])
    unconfirmed = list(
        scope.filter(
            status=Need.Status.UNCONFIRMED, created_at__lt=now - datetime.timedelta(days=1)
        ).order_by("created_at", "pk")[:FOLLOW_UP_SHOWN]
    )
    unchecked = list(
        scope.filter(status__in=PUBLIC_STATUSES, checked_at__isnull=True).order_by(
            "needed_by", "pk"
        )[:FOLLOW_UP_SHOWN]
    )
    return {
        "over": over,
        "unanswered": unanswered,
        "unconfirmed": unconfirmed,
        "unchecked": unchecked,
        "posting": posting_volumes(scope, now=now),
    }


POSTERS_SHOWN = 5


def posting_volumes(needs, *, now) -> dict:
    """How many needs were posted lately (a flood shows here before it shows anywhere else):
    in the last day and week, with those never confirmed, and the accounts that posted most
    this week (guests together). Two queries."""
    import datetime

    day, week = now - datetime.timedelta(days=1), now - datetime.timedelta(days=7)
    unconfirmed = Q(status=Need.Status.UNCONFIRMED)
    counts = needs.order_by().aggregate(
        day=Count("pk", filter=Q(created_at__gt=day)),
        day_unconfirmed=Count("pk", filter=Q(created_at__gt=day) & unconfirmed),
        week=Count("pk", filter=Q(created_at__gt=week)),
        week_unconfirmed=Count("pk", filter=Q(created_at__gt=week) & unconfirmed),
    )
    posters = list(
        needs.filter(created_at__gt=week)
        .order_by()
        .values("created_by", "created_by__full_name", "created_by__email")
        .annotate(posted=Count("pk"))
        .order_by("-posted", "created_by")[:POSTERS_SHOWN]
    )
    return {**counts, "posters": posters}


# Corroboration ---------------------------------------------------------------------------------
# A delivery confirmed by an establishment corroborates the producer's reports (the mark the
# relay sees in its validation queue) only when the establishment is somebody else: a need
# checked by a relay or a facilitator, whose contact is not one of the producer's people. The
# rule is here, once; `services.delivery_confirm` and `services.need_check` apply it and
# `makers.services.production_reports_corroborate` writes its outcome.

# Providers that deliver "a.b+c@" to "ab@": the same mailbox under another spelling.
DOTLESS_DOMAINS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


def email_normalised(address: str) -> str:
    """An address as the mailbox it reaches: Unicode folded (NFKC), spaces trimmed, lower
    case, the "+tag" of the local part dropped, and Gmail's dots ignored."""
    address = unicodedata.normalize("NFKC", address or "").strip().lower()
    local, at, domain = address.rpartition("@")
    if not at:
        return address
    local = local.split("+", 1)[0]
    domain = domain.rstrip(".")
    if domain in DOTLESS_DOMAINS:
        local, domain = local.replace(".", ""), DOTLESS_DOMAINS[domain]
    return f"{local}@{domain}"


def producer_people(pledge: Pledge, *, also=()) -> set[int]:
    """The accounts that speak for a pledge's producer: who pledged, the maker's own account
    or every member of the organisation, and any account in `also` (who recorded a delivery)."""
    people = {pledge.pledged_by_id, *(user.pk for user in also if user is not None)}
    if pledge.maker_id:
        people.add(pledge.maker.user_id)
    else:
        people.update(
            Membership.objects.filter(organisation_id=pledge.organisation_id).values_list(
                "maker__user_id", flat=True
            )
        )
    return {pk for pk in people if pk is not None}


def emails_of(user_ids: set[int]) -> set[str]:
    """Every address of these accounts (the login's and the ones added to it), normalised."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model

    logins = get_user_model().objects.filter(pk__in=user_ids).values_list("email", flat=True)
    added = EmailAddress.objects.filter(user_id__in=user_ids).values_list("email", flat=True)
    return {email_normalised(address) for address in [*logins, *added]}


def corroboration_withheld(*, need: Need, pledge: Pledge, recorded_by=None) -> str:
    """Why a delivery on `pledge` to `need` proves nothing ("" when it corroborates): the need
    was posted by the producer's people or names one of their addresses as contact
    (`contact_is_producer`), was never checked (`need_unchecked`), or was checked by the
    producer's people (`checked_by_producer`)."""
    people = producer_people(pledge, also=[recorded_by])
    if need.created_by_id in people or email_normalised(need.contact_email) in emails_of(people):
        return CorroborationWithheld.CONTACT_IS_PRODUCER
    if need.checked_at is None:
        return CorroborationWithheld.NEED_UNCHECKED
    if need.checked_by_id in people:
        return CorroborationWithheld.CHECKED_BY_PRODUCER
    return ""
