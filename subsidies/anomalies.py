"""Anomaly flags shown on the recap before a money approval (an allocation by the Région, a
redistribution by the relay): facts that are not wrong in themselves but are what a diversion
looks like, so that the person approving looks, and says in a motivation why they approve anyway.

One rule per flag, each with its code (what the API's `acknowledged_flags` lists and the
decision's data records), its thresholds in settings:

- `production_outlier`: a maker without an account (entered by relay staff, nobody can log in
  as them) whose validated contribution over the programme's period is more than
  `TILAB_ANOMALY_OUTLIER_MEDIAN_FACTOR` (10) times the median of the other payees'
  contributions, or whose money would be at least `TILAB_ANOMALY_OUTLIER_ENVELOPE_PERCENT`
  (10) % of the programme's envelope. Contributions are weighted as the split weighs them.
- `bank_account_changed`: the bank details money goes to were set or changed less than
  `TILAB_ANOMALY_BANK_CHANGE_DAYS` (30) days before the approval: a payee's for a
  redistribution, the relay's own for an allocation.
- `iban_shared`: a payee's IBAN is also on file for another payee (any maker or organisation
  of the platform).
- `iban_of_relay`: a payee's IBAN is the relay's own: the money would come back to the relay.
- `self_validated`: a validated report counted for a payee was entered and validated by the
  same person (it predates the four-eyes rule, or a rule was relaxed).

For an allocation the payees are those the relay would redistribute to (the validated
contributions of its departments over the period), each with the share of the allocation it
would receive; for a redistribution, its lines (own-use lines are the relay's and have none).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction

from django.conf import settings
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from makers.models import ProductionReport
from tilab.i18n import elide

from .models import BankAccount

PRODUCTION_OUTLIER = "production_outlier"
BANK_ACCOUNT_CHANGED = "bank_account_changed"
IBAN_SHARED = "iban_shared"
IBAN_OF_RELAY = "iban_of_relay"
SELF_VALIDATED = "self_validated"
# Not a rule on payees: an allocation whose figures changed since it was computed, when it
# can no longer be recomputed (another allocation of the programme is approved); see recap.py.
FIGURES_CHANGED = "figures_changed"

TITLES = {
    PRODUCTION_OUTLIER: _("Production hors norme d'un maker sans compte"),
    BANK_ACCOUNT_CHANGED: _("Coordonnées bancaires modifiées récemment"),
    IBAN_SHARED: _("IBAN partagé avec un autre bénéficiaire"),
    IBAN_OF_RELAY: _("IBAN du relais lui-même"),
    SELF_VALIDATED: _("Déclaration saisie et validée par la même personne"),
    FIGURES_CHANGED: _("Chiffres validés modifiés depuis le calcul"),
}


@dataclass(frozen=True)
class Flag:
    """One anomaly on one payee (or on the relay, `payee` then names it)."""

    code: str
    payee: str  # "maker:12", "organisation:3", "relay:1"
    name: str
    detail: str

    @property
    def title(self) -> str:
        return str(TITLES[self.code])

    def as_data(self) -> dict:
        """What the decision's data keeps of it."""
        return {"code": self.code, "payee": self.payee, "name": self.name, "detail": self.detail}


@dataclass(frozen=True)
class Payee:
    """A maker or an organisation money would go to, with what it rests on."""

    kind: str  # "maker" or "organisation"
    pk: int
    name: str
    weighted: Fraction
    amount_cents: int
    has_account: bool = True  # a maker someone can log in as (organisations: True)

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.pk}"


def flags_for(
    *,
    payees: list[Payee],
    envelope_cents: int,
    relay,
    departments,
    period: tuple,
    now: datetime,
    relay_account_checked: bool,
) -> list[Flag]:
    """Every flag these payees raise, in a fixed number of queries; `relay_account_checked`
    adds the rule on the relay's own bank details (allocations: the money goes there)."""
    flags: list[Flag] = []
    flags += _production_outliers(payees, envelope_cents)
    accounts = _accounts_of(payees)
    relay_account = BankAccount.objects.filter(organisation_id=relay.organisation_id).first()
    since = now - timedelta(days=settings.TILAB_ANOMALY_BANK_CHANGE_DAYS)
    if relay_account_checked and relay_account is not None and relay_account.updated_at >= since:
        flags.append(
            Flag(
                BANK_ACCOUNT_CHANGED,
                f"relay:{relay.pk}",
                str(relay),
                _changed_on(relay_account),
            )
        )
    by_payee = {payee.key: payee for payee in payees}
    shared = _shared_ibans(accounts, relay)
    for key, account in sorted(accounts.items()):
        payee = by_payee[key]
        if account.updated_at >= since:
            flags.append(Flag(BANK_ACCOUNT_CHANGED, key, payee.name, _changed_on(account)))
        if shared.get(account.iban, 0) > 1:
            flags.append(
                Flag(
                    IBAN_SHARED,
                    key,
                    payee.name,
                    str(
                        _("IBAN se terminant par %(end)s, enregistré pour %(n)s bénéficiaires.")
                        % {"end": account.iban[-4:], "n": shared[account.iban]}
                    ),
                )
            )
        if relay_account is not None and account.iban == relay_account.iban:
            flags.append(
                Flag(
                    IBAN_OF_RELAY,
                    key,
                    payee.name,
                    elide(
                        str(
                            _("IBAN se terminant par %(end)s : c'est celui de %(relay)s.")
                            % {"end": account.iban[-4:], "relay": relay}
                        ),
                        relay,
                    ),
                )
            )
    for key in sorted(_self_validated(payees, departments, period)):
        flags.append(
            Flag(
                SELF_VALIDATED,
                key,
                by_payee[key].name,
                str(_("Au moins une déclaration validée par la personne qui l'a saisie.")),
            )
        )
    order = list(TITLES)
    return sorted(flags, key=lambda flag: (order.index(flag.code), flag.name, flag.payee))


def _changed_on(account: BankAccount) -> str:
    return str(
        _("IBAN se terminant par %(end)s, enregistré le %(date)s.")
        % {"end": account.iban[-4:], "date": account.updated_at.date().strftime("%d/%m/%Y")}
    )


def _production_outliers(payees: list[Payee], envelope_cents: int) -> list[Flag]:
    factor = settings.TILAB_ANOMALY_OUTLIER_MEDIAN_FACTOR
    percent = settings.TILAB_ANOMALY_OUTLIER_ENVELOPE_PERCENT
    # Sorted once: the median of the others is read around each payee's place, so that a
    # redistribution of 2,400 makers without an account costs n log n, not n².
    ordered = sorted(payees, key=lambda p: p.weighted)
    weights = [p.weighted for p in ordered]
    place = {id(p): i for i, p in enumerate(ordered)}
    flags = []
    for payee in payees:
        if payee.kind != "maker" or payee.has_account:
            continue
        typical = _median_without(weights, place[id(payee)])
        above_median = typical is not None and payee.weighted > factor * typical
        # Integer arithmetic: at least `percent` % of the envelope, to the cent.
        big_share = envelope_cents > 0 and payee.amount_cents * 100 >= percent * envelope_cents
        if above_median or big_share:
            reasons = []
            if above_median:
                reasons.append(
                    str(
                        _("plus de %(factor)s fois la médiane des autres bénéficiaires")
                        % {"factor": factor}
                    )
                )
            if big_share:
                reasons.append(
                    str(_("au moins %(percent)s %% de l'enveloppe") % {"percent": percent})
                )
            flags.append(
                Flag(
                    PRODUCTION_OUTLIER,
                    payee.key,
                    payee.name,
                    str(_("Sans compte, et %(reasons)s.") % {"reasons": " ; ".join(reasons)}),
                )
            )
    return flags


def _median_without(ordered: list[Fraction], index: int) -> Fraction | None:
    """The median of sorted `ordered` without its element at `index`; None if nothing is left."""
    size = len(ordered) - 1
    if size <= 0:
        return None

    def at(rank: int) -> Fraction:
        return ordered[rank if rank < index else rank + 1]

    if size % 2:
        return at(size // 2)
    return (at(size // 2 - 1) + at(size // 2)) / 2


def _accounts_of(payees: list[Payee]) -> dict[str, BankAccount]:
    makers = [p.pk for p in payees if p.kind == "maker"]
    organisations = [p.pk for p in payees if p.kind == "organisation"]
    accounts = {}
    for account in BankAccount.objects.filter(
        Q(maker_id__in=makers) | Q(organisation_id__in=organisations)
    ):
        key = (
            f"maker:{account.maker_id}"
            if account.maker_id
            else f"organisation:{account.organisation_id}"
        )
        accounts[key] = account
    return accounts


def _shared_ibans(accounts: dict[str, BankAccount], relay) -> dict[str, int]:
    """How many bank accounts of the platform hold each of these IBANs (the relay's own
    left out: that is a rule of its own)."""
    ibans = {account.iban for account in accounts.values()}
    counts: dict[str, int] = {}
    others = BankAccount.objects.filter(iban__in=ibans).exclude(
        organisation_id=relay.organisation_id
    )
    for iban in others.values_list("iban", flat=True):
        counts[iban] = counts.get(iban, 0) + 1
    return counts


def _self_validated(payees: list[Payee], departments, period) -> set[str]:
    start, end = period
    rows = (
        ProductionReport.objects.filter(
            status=ProductionReport.Status.VALIDATED,
            department_id__in=list(departments),
            produced_on__gte=start,
            produced_on__lte=end,
            entered_by__isnull=False,
            entered_by_id=F("decided_by_id"),
        )
        .values_list("maker_id", "organisation_id")
        .distinct()
        .order_by()
    )
    keys = {
        f"organisation:{organisation}" if organisation else f"maker:{maker}"
        for maker, organisation in rows
    }
    return keys & {payee.key for payee in payees}
