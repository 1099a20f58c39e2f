"""What makers are told of the decisions on their reports (validated, rejected with the reason,
changed or corrected by their relay), through the core's notices (tilab.notices), in the
transaction of the decision; and the refusal sent to a maker without an account, at their
relay's request, to the address the relay holds for them."""

from datetime import datetime

from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from tilab import roles
from tilab.models import NoticePreference
from tilab.notices import (
    Notice,
    NoticeKind,
    notice_deliveries,
    notice_emit,
    notice_kind_register,
    notice_send_to_address,
    site_url,
)
from tilab.templatetags.tilab_format import thousands

from .models import ProductionReport

REPORT_VALIDATED = "report_validated"
REPORT_REJECTED = "report_rejected"
REPORT_CORRECTED = "report_corrected"


def register() -> None:
    makers = frozenset({roles.MAKER})
    notice_kind_register(
        NoticeKind(
            code=REPORT_VALIDATED,
            label=gettext_lazy("Déclaration validée"),
            help_text=gettext_lazy("Votre relais a validé une de vos déclarations."),
            roles=makers,
            default=NoticePreference.Delivery.DIGEST,
        )
    )
    notice_kind_register(
        NoticeKind(
            code=REPORT_REJECTED,
            label=gettext_lazy("Déclaration refusée"),
            help_text=gettext_lazy("Votre relais a refusé une déclaration, avec son motif."),
            roles=makers,
        )
    )
    notice_kind_register(
        NoticeKind(
            code=REPORT_CORRECTED,
            label=gettext_lazy("Déclaration modifiée par le relais"),
            help_text=gettext_lazy(
                "Votre relais a modifié ou corrigé une de vos déclarations à votre place."
            ),
            roles=makers,
        )
    )


def _what(report: ProductionReport) -> str:
    """ "24 × Visière, produites le 3 avril 2020" in the active language."""
    return _("%(quantity)s × %(item)s, production du %(date)s") % {
        "quantity": thousands(report.quantity),
        "item": report.item_type.name,
        "date": formats.date_format(report.produced_on, "DATE_FORMAT"),
    }


def _my_reports_url() -> str:
    return site_url(reverse("makers:space") + "#mes-declarations")


def _decision_notice(report: ProductionReport, kind: str) -> Notice:
    what = _what(report)
    if kind == REPORT_VALIDATED:
        return Notice(
            subject=_("Déclaration n° %(id)s validée") % {"id": report.pk},
            paragraphs=[
                _(
                    "Votre déclaration n° %(id)s (%(what)s) a été validée : elle compte "
                    "désormais dans les chiffres du réseau."
                )
                % {"id": report.pk, "what": what},
            ],
            url=_my_reports_url(),
        )
    return Notice(
        subject=_("Déclaration n° %(id)s refusée") % {"id": report.pk},
        paragraphs=[
            _("Votre déclaration n° %(id)s (%(what)s) a été refusée.")
            % {"id": report.pk, "what": what},
            _("Motif : %(reason)s") % {"reason": report.rejection_reason},
            _("Vous pouvez la corriger : elle repartira vers votre relais."),
        ],
        url=_my_reports_url(),
    )


def _grouped_notice(reports: list[ProductionReport], kind: str) -> Notice:
    """Several decisions of one kind taken at once on one maker's reports (a bulk validation
    or refusal in the relay's queue): one notice listing them."""
    count = len(reports)
    lines = "\n".join(
        "- " + _("n° %(id)s : %(what)s") % {"id": report.pk, "what": _what(report)}
        for report in reports
    )
    if kind == REPORT_VALIDATED:
        return Notice(
            subject=ngettext(
                "%(count)s déclaration validée", "%(count)s déclarations validées", count
            )
            % {"count": count},
            paragraphs=[
                ngettext(
                    "Votre relais a validé %(count)s déclaration : elle compte désormais dans "
                    "les chiffres du réseau.",
                    "Votre relais a validé %(count)s déclarations : elles comptent désormais "
                    "dans les chiffres du réseau.",
                    count,
                )
                % {"count": count},
                lines,
            ],
            url=_my_reports_url(),
        )
    return Notice(
        subject=ngettext("%(count)s déclaration refusée", "%(count)s déclarations refusées", count)
        % {"count": count},
        paragraphs=[
            ngettext(
                "Votre relais a refusé %(count)s déclaration :",
                "Votre relais a refusé %(count)s déclarations :",
                count,
            )
            % {"count": count},
            lines,
            _("Motif : %(reason)s") % {"reason": reports[0].rejection_reason},
            _("Vous pouvez les corriger : elles repartiront vers votre relais."),
        ],
        url=_my_reports_url(),
    )


def reports_decided_notify(*, reports: list[ProductionReport], now: datetime) -> None:
    """Tell each maker with an account of the decisions on their reports, in the decision's
    transaction: one notice per maker and kind of decision, whether sent at once or kept for
    the digest (a bulk validation of three of their reports is one notice listing the three).
    The preferences of every maker concerned are read in one query per kind."""
    reports = [report for report in reports if report.maker.user_id]
    if not reports:
        return
    groups: dict[tuple[str, int], list[ProductionReport]] = {}
    for report in sorted(reports, key=lambda r: r.pk):
        kind = (
            REPORT_VALIDATED
            if report.status == ProductionReport.Status.VALIDATED
            else REPORT_REJECTED
        )
        groups.setdefault((kind, report.maker.user_id), []).append(report)
    deliveries = {
        kind: notice_deliveries({user_id for k, user_id in groups if k == kind}, kind)
        for kind in {kind for kind, _user_id in groups}
    }
    for (kind, user_id), decided in groups.items():
        first = decided[0]
        # A report is decided once: its first report (and their number) name the event.
        key = f"makers:{kind}:{first.pk}:{first.decided_at.isoformat()}"
        if len(decided) > 1:
            key = f"makers:{kind}:{first.pk}+{len(decided)}:{first.decided_at.isoformat()}"

        def write(language, decided=decided, kind=kind):
            if len(decided) == 1:
                return _decision_notice(decided[0], kind)
            return _grouped_notice(decided, kind)

        notice_emit(
            user=first.maker.user,
            kind=kind,
            key=key,
            write=write,
            delivery=deliveries[kind][user_id],
            now=now,
        )


def report_changed_by_relay_notify(
    *, report: ProductionReport, by, now: datetime, correction: bool
) -> None:
    """Tell the maker that someone else (their relay) changed a report waiting for a decision,
    or proposed a correction of a validated one (`correction`)."""
    user = report.maker.user
    if user is None or user.pk == by.pk:
        return

    def write(language):
        what = _what(report)
        if correction:
            text = _(
                "Votre relais a corrigé votre déclaration n° %(original)s : la correction "
                "n° %(id)s (%(what)s) remplacera l'originale une fois validée."
            ) % {"original": report.corrects_id, "id": report.pk, "what": what}
        else:
            text = _(
                "Votre relais a modifié votre déclaration n° %(id)s, qui attend toujours une "
                "décision. Elle indique désormais : %(what)s."
            ) % {"id": report.pk, "what": what}
        return Notice(
            subject=_("Déclaration n° %(id)s modifiée par votre relais") % {"id": report.pk},
            paragraphs=[text],
            url=_my_reports_url(),
        )

    notice_emit(
        user=user,
        kind=REPORT_CORRECTED,
        key=f"makers:{REPORT_CORRECTED}:{report.pk}:{now.isoformat()}",
        write=write,
        now=now,
    )


def rejection_notice(report: ProductionReport, *, relay_name: str) -> Notice:
    """The refusal as a maker without an account reads it, by e-mail or on paper."""
    return Notice(
        subject=_("Votre déclaration n° %(id)s a été refusée") % {"id": report.pk},
        paragraphs=[
            _("%(relay)s a refusé la déclaration n° %(id)s (%(what)s), enregistrée pour %(maker)s.")
            % {
                "relay": relay_name,
                "id": report.pk,
                "what": _what(report),
                "maker": report.maker.display_name,
            },
            _("Motif : %(reason)s") % {"reason": report.rejection_reason},
            _("Pour la corriger, contactez votre relais : il la modifiera pour vous."),
        ],
    )


def rejection_send(
    *, report: ProductionReport, address: str, relay_name: str, language: str, now: datetime
) -> bool:
    """Queue the refusal to `address`; False when this refusal went to it already."""
    return notice_send_to_address(
        address=address,
        key=f"makers:rejection:{report.pk}:{report.decided_at.isoformat()}",
        write=lambda lang: rejection_notice(report, relay_name=relay_name),
        language=language,
        now=now,
    )
