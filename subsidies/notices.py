"""What the subsidy chain tells people, through the core's notices (tilab.notices), in the
transaction of the event: a maker that a payment to them was recorded; Région staff that a
programme's allocations wait for their approval (at once, if they chose so; otherwise their
daily digest counts what waits, accounts.notices)."""

from datetime import datetime

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

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
ALLOCATIONS_TO_APPROVE = "allocations_to_approve"
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


def _euros(cents: int) -> str:
    return format_euros(cents, language=translation.get_language() or "fr")


def payments_notify(*, payments: list[Payment], now: datetime) -> None:
    """Tell each maker with an account of the payment recorded to them; a fixed number of
    queries plus one outbox row per maker told."""
    if not payments:
        return
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
