"""What the subsidy chain tells people, through the core's notices (tilab.notices), in the
transaction of the event: a maker that a payment to them was recorded, and the managers of an
organisation that a payment to it was; Région staff that a programme's allocations wait for
their approval (at once, if they chose so; otherwise their daily digest counts what waits,
accounts.notices); the staff of a relay and the Région's that allocations were adjusted or
recomputed, old and new amounts side by side."""

from datetime import datetime

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from fablabs.models import Relay
from makers.models import Membership
from tilab import roles
from tilab.models import NoticePreference
from tilab.money import format_euros
from tilab.notices import (
    Notice,
    NoticeKind,
    notice_deliveries,
    notice_emit,
    notice_kind_register,
    site_url,
)

from .models import Payment, Programme

PAYMENT_RECORDED = "payment_recorded"
ORGANISATION_PAYMENT_RECORDED = "organisation_payment_recorded"
ALLOCATIONS_TO_APPROVE = "allocations_to_approve"
ALLOCATION_CHANGED = "allocation_changed"
Delivery = NoticePreference.Delivery


def register() -> None:
    notice_kind_register(
        NoticeKind(
            code=PAYMENT_RECORDED,
            label=gettext_lazy("Paiement reçu"),
            help_text=gettext_lazy(
                "Votre relais a enregistré un virement à votre nom (redistribution d'une "
                "subvention)."
            ),
            roles=frozenset({roles.MAKER}),
        )
    )
    notice_kind_register(
        NoticeKind(
            code=ORGANISATION_PAYMENT_RECORDED,
            label=gettext_lazy("Paiement reçu par une organisation que vous gérez"),
            help_text=gettext_lazy(
                "Un relais a enregistré un virement à une organisation dont vous êtes gestionnaire."
            ),
            roles=frozenset({roles.MAKER}),
        )
    )
    notice_kind_register(
        NoticeKind(
            code=ALLOCATIONS_TO_APPROVE,
            label=gettext_lazy("Allocations à approuver"),
            help_text=gettext_lazy(
                "Un programme propose des allocations aux relais : tout de suite à chaque "
                "programme, ou leur nombre dans le résumé quotidien."
            ),
            roles=frozenset({roles.REGION_STAFF}),
            default=Delivery.DIGEST,
        )
    )
    notice_kind_register(
        NoticeKind(
            code=ALLOCATION_CHANGED,
            label=gettext_lazy("Allocation ajustée ou recalculée"),
            help_text=gettext_lazy(
                "Le montant d'une allocation a changé avant son approbation : ajusté par la "
                "Région, ou recalculé à partir des chiffres validés."
            ),
            roles=frozenset({roles.RELAY_STAFF, roles.REGION_STAFF}),
        )
    )


def _euros(cents: int) -> str:
    return format_euros(cents, language=translation.get_language() or "fr")


def payments_notify(*, payments: list[Payment], now: datetime) -> None:
    """Tell each maker with an account of the payment recorded to them, and the managers of
    an organisation of the payment recorded to it; a fixed number of queries plus one outbox
    row per person told."""
    if not payments:
        return
    _makers_paid_notify(payments, now=now)
    _organisations_paid_notify(payments, now=now)


def _makers_paid_notify(payments: list[Payment], *, now: datetime) -> None:
    rows = list(
        Payment.objects.filter(pk__in=[p.pk for p in payments], line__maker__user__isnull=False)
        .select_related("line__maker__user", "line__redistribution__allocation__programme")
        .order_by("pk")
    )
    if not rows:
        return
    deliveries = notice_deliveries({p.line.maker.user_id for p in rows}, PAYMENT_RECORDED)
    for payment in rows:
        user = payment.line.maker.user

        def write(language, payment=payment):
            programme = payment.line.redistribution.allocation.programme
            return Notice(
                subject=_("Paiement de %(amount)s enregistré")
                % {"amount": _euros(payment.amount_cents)},
                paragraphs=[
                    _(
                        "Votre relais a enregistré un virement de %(amount)s à votre nom le "
                        "%(date)s, au titre du programme « %(programme)s »."
                    )
                    % {
                        "amount": _euros(payment.amount_cents),
                        "date": formats.date_format(payment.paid_on, "DATE_FORMAT"),
                        "programme": programme.name,
                    },
                    _("Référence du virement : %(reference)s") % {"reference": payment.reference},
                ],
                url=site_url(reverse("makers:space")),
            )

        notice_emit(
            user=user,
            kind=PAYMENT_RECORDED,
            key=f"subsidies:{PAYMENT_RECORDED}:{payment.pk}",
            write=write,
            delivery=deliveries[user.pk],
            now=now,
        )


def _organisations_paid_notify(payments: list[Payment], *, now: datetime) -> None:
    """The managers of each organisation paid (their maker profile's memberships): one
    notice per payment and manager."""
    rows = list(
        Payment.objects.filter(
            pk__in=[p.pk for p in payments], line__organisation__isnull=False, own_use=False
        )
        .select_related(
            "line__organisation",
            "line__redistribution__allocation__programme",
            "line__redistribution__allocation__relay__organisation",
        )
        .order_by("pk")
    )
    if not rows:
        return
    managers: dict[int, list] = {}
    for membership in (
        Membership.objects.filter(
            organisation_id__in={p.line.organisation_id for p in rows},
            is_manager=True,
            maker__user__is_active=True,
        )
        .exclude(maker__user__email="")
        .select_related("maker__user")
        .order_by("pk")
    ):
        managers.setdefault(membership.organisation_id, []).append(membership.maker.user)
    deliveries = notice_deliveries(
        {user.pk for users in managers.values() for user in users}, ORGANISATION_PAYMENT_RECORDED
    )
    for payment in rows:

        def write(language, payment=payment):
            allocation = payment.line.redistribution.allocation
            values = {
                "amount": _euros(payment.amount_cents),
                "organisation": payment.line.organisation.name,
                "relay": allocation.relay.organisation.name,
                "date": formats.date_format(payment.paid_on, "DATE_FORMAT"),
                "programme": allocation.programme.name,
            }
            return Notice(
                subject=_("Paiement de %(amount)s enregistré pour %(organisation)s") % values,
                paragraphs=[
                    _(
                        "%(relay)s a enregistré le %(date)s un virement de %(amount)s pour "
                        "%(organisation)s, que vous gérez, au titre du programme "
                        "« %(programme)s »."
                    )
                    % values,
                    _("Référence du virement : %(reference)s") % {"reference": payment.reference},
                ],
                url=site_url(reverse("subsidies:money_received")),
            )

        for user in managers.get(payment.line.organisation_id, []):
            notice_emit(
                user=user,
                kind=ORGANISATION_PAYMENT_RECORDED,
                key=f"subsidies:{ORGANISATION_PAYMENT_RECORDED}:{payment.pk}",
                write=write,
                delivery=deliveries[user.pk],
                now=now,
            )


def allocations_proposed_notify(*, programme: Programme, by, now: datetime) -> None:
    """Tell the Région staff who chose "at once" (all but whoever proposed, who may not
    approve) that the programme's allocations wait for approval. Those who chose the digest
    find their count in it (accounts.notices), not one line per programme."""
    staff = list(
        get_user_model()
        .objects.filter(groups__name=roles.REGION_STAFF, is_active=True)
        .exclude(pk=by.pk)
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )
    if not staff:
        return
    deliveries = notice_deliveries({user.pk for user in staff}, ALLOCATIONS_TO_APPROVE)
    allocations = list(programme.allocations.select_related("relay__organisation").order_by("pk"))

    def write(language):
        lines = [
            "- "
            + _("%(relay)s : %(amount)s")
            % {"relay": a.relay.organisation.name, "amount": _euros(a.amount_cents)}
            for a in allocations
        ]
        return Notice(
            subject=ngettext(
                "%(count)s allocation à approuver : %(programme)s",
                "%(count)s allocations à approuver : %(programme)s",
                len(allocations),
            )
            % {"count": len(allocations), "programme": programme.name},
            paragraphs=[
                _(
                    "Le programme « %(programme)s » (enveloppe : %(envelope)s) propose ces "
                    "allocations aux relais, qui attendent votre approbation :"
                )
                % {"programme": programme.name, "envelope": _euros(programme.envelope_cents)},
                "\n".join(lines),
            ],
            url=site_url(reverse("subsidies:programme_detail", args=[programme.pk])),
        )

    for user in staff:
        notice_emit(
            user=user,
            kind=ALLOCATIONS_TO_APPROVE,
            key=f"subsidies:{ALLOCATIONS_TO_APPROVE}:{programme.pk}:{now.isoformat()}",
            write=write,
            delivery=deliveries[user.pk],
            to_digest=False,
            now=now,
        )


def allocations_changed_notify(
    *,
    programme: Programme,
    changes: dict[int, tuple[int, int]],
    by,
    now: datetime,
    motivation: str = "",
) -> None:
    """Tell the staff of each relay whose allocation changed (`changes`: relay id → (old, new)
    amounts in cents), and the Région staff, but not whoever changed it: an adjustment with its
    motivation, or, without one, a recomputation from the validated figures. Relay staff read
    their relay's line, Région staff every line. A fixed number of queries plus one outbox row
    (or digest line) per person told."""
    changes = {relay: (old, new) for relay, (old, new) in changes.items() if old != new}
    if not changes:
        return
    users = get_user_model().objects.filter(is_active=True).exclude(email="").exclude(pk=by.pk)
    region = set(users.filter(groups__name=roles.REGION_STAFF).values_list("pk", flat=True))
    staffing: dict[int, set[int]] = {}
    staff = Relay.staff.through.objects.filter(relay_id__in=changes, user__in=users)
    for user_id, relay_id in staff.values_list("user_id", "relay_id"):
        staffing.setdefault(user_id, set()).add(relay_id)
    told = users.in_bulk(region | set(staffing))
    if not told:
        return
    names = dict(Relay.objects.filter(pk__in=changes).values_list("pk", "organisation__name"))
    deliveries = notice_deliveries(told, ALLOCATION_CHANGED)
    motivation = motivation.strip()

    for pk in sorted(told):
        relays = sorted(changes if pk in region else staffing[pk], key=lambda r: names[r])

        def write(language, relays=relays):
            count = len(relays)
            values = {"count": count, "programme": programme.name}
            lines = "\n".join(
                "- "
                + _("%(relay)s : %(new)s au lieu de %(old)s")
                % {
                    "relay": names[relay_id],
                    "new": _euros(changes[relay_id][1]),
                    "old": _euros(changes[relay_id][0]),
                }
                for relay_id in relays
            )
            if motivation:
                subject = ngettext(
                    "%(count)s allocation ajustée : %(programme)s",
                    "%(count)s allocations ajustées : %(programme)s",
                    count,
                )
                paragraphs = [
                    ngettext(
                        "La Région a ajusté %(count)s allocation du programme « %(programme)s » :",
                        "La Région a ajusté %(count)s allocations du programme « %(programme)s » :",
                        count,
                    )
                    % values,
                    lines,
                    _("Motif : %(reason)s") % {"reason": motivation},
                ]
            else:
                subject = ngettext(
                    "%(count)s allocation recalculée : %(programme)s",
                    "%(count)s allocations recalculées : %(programme)s",
                    count,
                )
                paragraphs = [
                    ngettext(
                        "Le programme « %(programme)s » a été recalculé à partir des chiffres "
                        "validés à ce jour ; %(count)s allocation change :",
                        "Le programme « %(programme)s » a été recalculé à partir des chiffres "
                        "validés à ce jour ; %(count)s allocations changent :",
                        count,
                    )
                    % values,
                    lines,
                ]
            return Notice(
                subject=subject % values,
                paragraphs=paragraphs,
                url=site_url(reverse("subsidies:programme_detail", args=[programme.pk])),
            )

        notice_emit(
            user=told[pk],
            kind=ALLOCATION_CHANGED,
            key=f"subsidies:{ALLOCATION_CHANGED}:{programme.pk}:{now.isoformat()}",
            write=write,
            delivery=deliveries[pk],
            now=now,
        )
