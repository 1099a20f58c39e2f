"""Each person's to-do: per role they hold, what waits for them, counted, each count leading to
the page that lists exactly those objects. It reads from makers, subsidies, workshops and needs,
so it lives above them (DESIGN.md §3); the home page and the dashboard show it."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from makers.models import ProductionReport
from makers.selectors import reports_decidable_count, reports_rejected_of, validation_queue_of
from needs.selectors import needs_unanswered_of
from subsidies.models import Allocation, PaymentBatch
from subsidies.selectors import (
    allocations_approvable_by,
    allocations_visible_to,
    bank_changes_to_confirm_by,
    lines_without_bank_account,
    payment_batches_visible_to,
    redistributions_approvable_by,
)
from tilab.permissions import (
    is_auditor,
    is_facilitator,
    is_maker,
    is_region_staff,
    is_relay_staff,
)
from workshops.selectors import (
    registrations_this_week,
    workshops_awaiting_synthesis,
    workshops_managed_by,
    workshops_this_week,
)


@dataclass(frozen=True)
class ToDo:
    """One line of a to-do: `code` names it for programs and tests, `label` says it with its
    count ("14 déclarations à décider"), `url` lists the very objects counted."""

    code: str
    count: int
    label: str
    url: str


@dataclass(frozen=True)
class ToDoSection:
    """What one role has waiting; `read_only` for the auditor, who acts on nothing. Only the
    counts above zero are kept: an empty section reads "rien à faire"."""

    role: str
    heading: str
    read_only: bool = False
    items: list[ToDo] = field(default_factory=list)


def _item(code: str, count: int, label: str, url: str, **names) -> ToDo:
    """`label` is the ngettext of the sentence for `count`, written where it is called so that
    the catalogue finds it."""
    return ToDo(code=code, count=count, label=label % {"count": count, **names}, url=url)


def _keep(items: list[ToDo]) -> list[ToDo]:
    return [item for item in items if item.count]


def _one_or_list(urls: set[str], *, otherwise: str) -> str:
    # Objects that all sit on one page lead there; otherwise to the list holding them.
    return next(iter(urls)) if len(urls) == 1 else otherwise


def todo_of(user, *, now: datetime) -> list[ToDoSection]:
    """The to-do of each role `user` holds, in a fixed number of queries whatever the data
    (a handful per role: two for a maker, about seven for relay staff)."""
    if not user.is_authenticated:
        return []
    sections = []
    if is_maker(user):
        sections.append(ToDoSection("maker", _("Comme maker"), items=_maker(user, now=now)))
    if is_relay_staff(user):
        sections.append(
            ToDoSection("relay_staff", _("Pour le relais"), items=_relay(user, now=now))
        )
    if is_region_staff(user):
        sections.append(ToDoSection("region_staff", _("Pour la Région"), items=_region(user)))
    if is_facilitator(user):
        sections.append(
            ToDoSection("facilitator", _("Pour l'animation"), items=_facilitator(user, now=now))
        )
    if is_auditor(user):
        sections.append(
            ToDoSection(
                "auditor",
                _("En attente dans le réseau (lecture seule)"),
                read_only=True,
                items=_auditor(user),
            )
        )
    return sections


def _maker(user, *, now) -> list[ToDo]:
    rejected = reports_rejected_of(user).count()
    this_week = registrations_this_week(user, now=now).count()
    return _keep(
        [
            _item(
                "reports_rejected",
                rejected,
                ngettext(
                    "%(count)s déclaration refusée à corriger",
                    "%(count)s déclarations refusées à corriger",
                    rejected,
                ),
                reverse("makers:space") + "?statut=rejected#mes-declarations",
            ),
            _item(
                "registrations_this_week",
                this_week,
                ngettext(
                    "%(count)s inscription à un atelier cette semaine",
                    "%(count)s inscriptions à des ateliers cette semaine",
                    this_week,
                ),
                reverse("workshops:my_workshops") + "?seulement=semaine",
            ),
        ]
    )


def _to_decide_url() -> str:
    return reverse("makers:validation_queue") + "?pour_moi=1"


def _bank_changes(user, *, now) -> list[ToDo]:
    # One line per payee: the page of their bank details shows the button that confirms.
    held = (
        bank_changes_to_confirm_by(user, now=now)
        .values(
            "account__maker",
            "account__maker__display_name",
            "account__organisation",
            "account__organisation__name",
        )
        .annotate(changes=Count("pk"))
        .order_by("account")
    )
    items = []
    for row in held:
        kind = "maker" if row["account__maker"] else "organisation"
        items.append(
            _item(
                "bank_changes_to_confirm",
                row["changes"],
                ngettext(
                    "%(count)s changement d'IBAN à confirmer : %(payee)s",
                    "%(count)s changements d'IBAN à confirmer : %(payee)s",
                    row["changes"],
                ),
                reverse(
                    "subsidies:bank_account_edit",
                    args=[kind, row["account__maker"] or row["account__organisation"]],
                ),
                payee=row["account__maker__display_name"] or row["account__organisation__name"],
            )
        )
    return items


def _relay(user, *, now) -> list[ToDo]:
    to_decide = reports_decidable_count(user)
    items = [
        _item(
            "reports_to_decide",
            to_decide,
            ngettext(
                "%(count)s déclaration à décider", "%(count)s déclarations à décider", to_decide
            ),
            _to_decide_url(),
        )
    ]
    # One line per redistribution: its page lists the payees whose IBAN is missing.
    missing = (
        lines_without_bank_account(user)
        .values("redistribution", "redistribution__allocation__programme__name")
        .annotate(payees=Count("pk"))
        .order_by("redistribution")
    )
    for row in missing:
        items.append(
            _item(
                "ibans_missing",
                row["payees"],
                ngettext(
                    "%(count)s bénéficiaire sans IBAN : %(programme)s",
                    "%(count)s bénéficiaires sans IBAN : %(programme)s",
                    row["payees"],
                ),
                reverse("subsidies:redistribution_detail", args=[row["redistribution"]])
                + "#lignes",
                programme=row["redistribution__allocation__programme__name"],
            )
        )
    items += _bank_changes(user, now=now)
    redistributions = redistributions_approvable_by(user)
    items.append(
        _item(
            "redistributions_to_approve",
            len(redistributions),
            ngettext(
                "%(count)s redistribution à approuver",
                "%(count)s redistributions à approuver",
                len(redistributions),
            ),
            _one_or_list(
                {reverse("subsidies:redistribution_detail", args=[r.pk]) for r in redistributions},
                otherwise=reverse("subsidies:programme_list") + "?a_approuver=1",
            ),
        )
    )
    items.append(_open_batches(user, "batches_to_reconcile"))
    return _keep(items)


def _open_batches(user, code: str) -> ToDo:
    count = payment_batches_visible_to(user).filter(status=PaymentBatch.Status.OPEN).count()
    return _item(
        code,
        count,
        ngettext(
            "%(count)s lot de virements en attente de la banque : paiements à enregistrer",
            "%(count)s lots de virements en attente de la banque : paiements à enregistrer",
            count,
        ),
        reverse("subsidies:payment_batch_list") + "?etat=open",
    )


def _region(user) -> list[ToDo]:
    allocations = allocations_approvable_by(user)
    to_decide = reports_decidable_count(user)
    return _keep(
        [
            _item(
                "allocations_to_approve",
                len(allocations),
                ngettext(
                    "%(count)s allocation à approuver",
                    "%(count)s allocations à approuver",
                    len(allocations),
                ),
                _one_or_list(
                    {
                        reverse("subsidies:programme_detail", args=[a.programme_id])
                        for a in allocations
                    },
                    otherwise=reverse("subsidies:programme_list") + "?a_approuver=1",
                ),
            ),
            _item(
                "reports_to_decide",
                to_decide,
                ngettext(
                    "%(count)s déclaration confiée à la Région à décider",
                    "%(count)s déclarations confiées à la Région à décider",
                    to_decide,
                ),
                _to_decide_url(),
            ),
        ]
    )


def _facilitator(user, *, now) -> list[ToDo]:
    workshops = workshops_managed_by(user)
    this_week = workshops_this_week(workshops, now=now).count()
    syntheses = workshops_awaiting_synthesis(workshops, now=now).count()
    unanswered = needs_unanswered_of(user).count()
    return _keep(
        [
            _item(
                "workshops_this_week",
                this_week,
                ngettext(
                    "%(count)s atelier cette semaine", "%(count)s ateliers cette semaine", this_week
                ),
                reverse("workshops:manage") + "?seulement=semaine",
            ),
            _item(
                "syntheses_to_write",
                syntheses,
                ngettext(
                    "%(count)s synthèse d'atelier passé à publier",
                    "%(count)s synthèses d'ateliers passés à publier",
                    syntheses,
                ),
                reverse("workshops:manage") + "?seulement=syntheses",
            ),
            _item(
                "needs_unanswered",
                unanswered,
                ngettext(
                    "%(count)s besoin sans aucune promesse",
                    "%(count)s besoins sans aucune promesse",
                    unanswered,
                ),
                reverse("needs:follow_up") + "#unanswered-title",
            ),
        ]
    )


def _auditor(user) -> list[ToDo]:
    waiting = validation_queue_of(user).filter(status=ProductionReport.Status.SUBMITTED).count()
    allocations = allocations_visible_to(user).filter(status=Allocation.Status.PROPOSED).count()
    return _keep(
        [
            _item(
                "reports_waiting",
                waiting,
                ngettext(
                    "%(count)s déclaration en attente d'une décision",
                    "%(count)s déclarations en attente d'une décision",
                    waiting,
                ),
                reverse("makers:validation_queue"),
            ),
            _item(
                "allocations_waiting",
                allocations,
                ngettext(
                    "%(count)s allocation en attente d'approbation",
                    "%(count)s allocations en attente d'approbation",
                    allocations,
                ),
                reverse("subsidies:programme_list"),
            ),
            _open_batches(user, "batches_open"),
        ]
    )
