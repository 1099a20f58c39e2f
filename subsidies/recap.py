"""The recap shown before approving an allocation or a redistribution: the amounts, the payees,
the date and content of the figures it rests on, how those figures changed since (stale
figures), the anomaly flags; and the check that an approval confirms what the recap showed.

A confirmation names the `computed_at` of the figures the person saw and the `fingerprint` of
the amounts (both given by the recap): an approval of figures recomputed since, or of amounts
adjusted since, is refused; so is one of stale figures that can be recomputed, and one that
does not acknowledge every flag with a motivation (`approval_check`).
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fractions import Fraction

from django.utils.translation import gettext_lazy as _

from fablabs.models import Organisation
from makers.models import Maker
from tilab.errors import BadInput
from tilab.models import Department
from tilab.money import split_largest_remainder

from . import anomalies, errors, selectors
from .models import Allocation, Redistribution, RedistributionLine

FIGURES = ("quantity", "material_cost_cents", "reports", "weighted")


@dataclass(frozen=True)
class Change:
    """One difference between the figures used and the validated figures now: a department
    (allocations) or a payee (redistributions); `before` or `after` is None when it appeared
    or disappeared."""

    label: str
    before: dict | None
    after: dict | None


@dataclass(frozen=True)
class Confirmation:
    """What the person approving confirms having seen (the recap's `computed_at` and
    `fingerprint`), the flags they acknowledge (codes) and why they approve anyway."""

    computed_at: datetime
    fingerprint: str
    acknowledged: frozenset[str] = frozenset()
    motivation: str = ""


@dataclass
class Recap:
    subject: Allocation | Redistribution
    amount_cents: int
    computed_at: datetime
    figures: list[dict]  # the figures used: per department or per payee, as computed
    payees: list[dict]  # name, kind, amount_cents (redistribution: its lines)
    changes: list[Change] = field(default_factory=list)
    flags: list[anomalies.Flag] = field(default_factory=list)
    may_recompute: bool = False
    fingerprint: str = ""

    @property
    def stale(self) -> bool:
        return bool(self.changes)

    @property
    def flag_codes(self) -> list[str]:
        return list(dict.fromkeys(flag.code for flag in self.flags))

    @property
    def flag_titles(self) -> list[tuple[str, str]]:
        """(code, title) of each kind of flag raised, in the rules' order."""
        return [(code, str(anomalies.TITLES[code])) for code in self.flag_codes]


def _fingerprint(computed_at: datetime, amounts: list, flags: list[anomalies.Flag]) -> str:
    """What the person read, in short: the date of the figures, every amount and every flag;
    any of them changed since, and the approval is refused (approval_recap_changed)."""
    content = {
        "computed_at": computed_at.astimezone(UTC).isoformat(),
        "amounts": amounts,
        "flags": sorted([flag.code, flag.payee] for flag in flags),
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def _plain(figures: dict) -> dict:
    """Figures as compared and shown: whole numbers, and the weighted total as a fraction."""
    return {
        "quantity": int(figures.get("quantity", 0)),
        "material_cost_cents": int(figures.get("material_cost_cents", 0)),
        "reports": int(figures.get("reports", 0)),
        "weighted": Fraction(str(figures.get("weighted", "0"))),
    }


def _programme_scope(programme, departments) -> dict:
    return {
        "departments": sorted(departments),
        "start": programme.period_start_on,
        "end": programme.period_end_on,
        "basis": programme.basis,
        "weights": selectors.weights_of(programme),
    }


def _payees_known(keys) -> dict[tuple[str, int], tuple[str, bool]]:
    """The name of each payee, and whether someone can log in as it (a maker with an
    account; organisations always): two narrow queries, however many payees."""
    makers = {
        pk: (name, user_id is not None)
        for pk, name, user_id in Maker.objects.filter(
            pk__in=[pk for kind, pk in keys if kind == "maker"]
        ).values_list("pk", "display_name", "user_id")
    }
    organisations = dict(
        Organisation.objects.filter(
            pk__in=[pk for kind, pk in keys if kind != "maker"]
        ).values_list("pk", "name")
    )
    known = {}
    for kind, pk in keys:
        if kind == "maker":
            known[(kind, pk)] = makers.get(pk, (f"{kind} {pk}", True))
        else:
            known[(kind, pk)] = (organisations.get(pk, f"{kind} {pk}"), True)
    return known


# Allocations ------------------------------------------------------------------------------


def allocation_recap(allocation: Allocation, *, now: datetime) -> Recap:
    """What approving this allocation means. The payees whose flags are shown are those the
    relay would redistribute to, from the validated contributions of its departments now."""
    programme = allocation.programme
    snapshot = allocation.snapshot or {}
    used = {code: _plain(f) for code, f in snapshot.get("departments", {}).items()}
    scope = _programme_scope(programme, used)
    current = selectors.figures_per_department(**scope)
    departments = Department.objects.in_bulk(sorted(set(used) | set(current)))
    changes = []
    for code in sorted(set(used) | set(current)):
        before = used.get(code)
        after = _plain(current[code]) if code in current else None
        if before is not None and after is None and not any(before.values()):
            continue  # a department without validated production, then and now
        if before != after:
            changes.append(Change(str(departments.get(code, code)), before, after))
    contributions = selectors.contributions_per_payee(**scope)
    known = _payees_known(list(contributions))
    try:
        shares = split_largest_remainder(
            allocation.amount_cents, {key: f["weighted"] for key, f in contributions.items()}
        )
    except BadInput:
        shares = dict.fromkeys(contributions, 0)
    payees = []
    for (kind, pk), figures in sorted(contributions.items()):
        name, has_account = known[(kind, pk)]
        payees.append(
            anomalies.Payee(
                kind, pk, name, figures["weighted"], shares[(kind, pk)], has_account=has_account
            )
        )
    flags = anomalies.flags_for(
        payees=payees,
        envelope_cents=programme.envelope_cents,
        relay=allocation.relay,
        departments=scope["departments"],
        period=(scope["start"], scope["end"]),
        now=now,
        relay_account_checked=True,
    )
    # Recomputing moves the split of the whole programme: only while none of it is approved.
    recomputable = not programme.allocations.filter(status=Allocation.Status.APPROVED).exists()
    if changes and not recomputable:
        flags.append(
            anomalies.Flag(
                anomalies.FIGURES_CHANGED,
                f"relay:{allocation.relay_id}",
                str(allocation.relay),
                str(
                    _(
                        "Des chiffres validés ont changé depuis le calcul ; une autre allocation "
                        "du programme est approuvée, le recalcul n'est plus possible (un avenant "
                        "peut corriger)."
                    )
                ),
            )
        )
    return Recap(
        subject=allocation,
        amount_cents=allocation.amount_cents,
        computed_at=allocation.computed_at,
        figures=[
            {"label": str(departments.get(code, code)), **figures}
            for code, figures in sorted(used.items())
        ],
        payees=[
            {
                "name": str(allocation.relay),
                "kind": "relay",
                "amount_cents": allocation.amount_cents,
            }
        ],
        changes=changes,
        flags=flags,
        may_recompute=bool(changes) and recomputable,
        fingerprint=_fingerprint(
            allocation.computed_at, [[allocation.pk, allocation.amount_cents]], flags
        ),
    )


# Redistributions --------------------------------------------------------------------------


def _line_key(line: RedistributionLine) -> tuple[str, int] | None:
    if line.maker_id:
        return ("maker", line.maker_id)
    if line.organisation_id:
        return ("organisation", line.organisation_id)
    return None


def redistribution_recap(redistribution: Redistribution, *, now: datetime) -> Recap:
    """What approving this redistribution means: its lines, the contributions they were
    computed on, what changed since in the validated figures, and the flags."""
    allocation = redistribution.allocation
    programme = allocation.programme
    lines = list(selectors.lines_of(redistribution))
    used = {_line_key(line): _plain(line.figures) for line in lines if _line_key(line)}
    scope = _programme_scope(programme, (allocation.snapshot or {}).get("departments", {}))
    current = {
        key: _plain(figures) for key, figures in selectors.contributions_per_payee(**scope).items()
    }
    names = {_line_key(line): line.payee_name for line in lines if _line_key(line) is not None}
    missing = _payees_known([key for key in current if key not in names])
    names.update({key: name for key, (name, _account) in missing.items()})
    changes = [
        Change(names[key], used.get(key), current.get(key))
        for key in sorted(set(used) | set(current))
        if used.get(key) != current.get(key)
    ]
    payees = [
        anomalies.Payee(
            key[0],
            key[1],
            line.payee_name,
            used[key]["weighted"],
            line.amount_cents,
            has_account=line.maker is None or line.maker.user_id is not None,
        )
        for line in lines
        if (key := _line_key(line)) is not None
    ]
    flags = anomalies.flags_for(
        payees=payees,
        envelope_cents=programme.envelope_cents,
        relay=allocation.relay,
        departments=scope["departments"],
        period=(scope["start"], scope["end"]),
        now=now,
        relay_account_checked=False,
    )
    return Recap(
        subject=redistribution,
        amount_cents=sum(line.amount_cents for line in lines),
        computed_at=redistribution.computed_at,
        figures=[
            {"label": line.payee_name, **used[_line_key(line)]}
            for line in lines
            if _line_key(line) is not None
        ],
        payees=[
            {
                "name": line.payee_name,
                "kind": line.kind,
                "amount_cents": line.amount_cents,
                "line": line,
            }
            for line in lines
        ],
        changes=changes,
        flags=flags,
        may_recompute=bool(changes),
        fingerprint=_fingerprint(
            redistribution.computed_at,
            sorted([line.pk, line.amount_cents] for line in lines),
            flags,
        ),
    )


# The check --------------------------------------------------------------------------------


def allocation_confirmed(
    allocation: Allocation, confirmation: Confirmation | None, *, now: datetime
) -> dict:
    """`approval_check` of the allocation's recap (computed only when there is something to
    check)."""
    if confirmation is None:
        return {}
    return approval_check(allocation_recap(allocation, now=now), confirmation)


def redistribution_confirmed(
    redistribution: Redistribution, confirmation: Confirmation | None, *, now: datetime
) -> dict:
    """`approval_check` of the redistribution's recap."""
    if confirmation is None:
        return {}
    return approval_check(redistribution_recap(redistribution, now=now), confirmation)


def approval_check(recap: Recap, confirmation: Confirmation | None) -> dict:
    """Refuse an approval that does not confirm this recap; return what the decision records
    of it. Without a confirmation (code of the platform itself: the demo data), nothing is
    checked and nothing recorded; every page and the API pass one."""
    if confirmation is None:
        return {}
    if confirmation.computed_at != recap.computed_at:
        raise errors.APPROVAL_FIGURES_NOT_SEEN()
    if confirmation.fingerprint != recap.fingerprint:
        raise errors.APPROVAL_RECAP_CHANGED()
    if recap.stale and recap.may_recompute:
        raise errors.APPROVAL_FIGURES_STALE(count=len(recap.changes))
    missing = [code for code in recap.flag_codes if code not in confirmation.acknowledged]
    if missing:
        raise errors.ANOMALIES_NOT_ACKNOWLEDGED(codes=", ".join(missing))
    motivation = (confirmation.motivation or "").strip()
    if recap.flags and not motivation:
        raise errors.ANOMALIES_MOTIVATION_MISSING()
    data = {
        "recap": {
            "computed_at": recap.computed_at.astimezone(UTC).isoformat(),
            "fingerprint": recap.fingerprint,
        }
    }
    if recap.flags:
        data["anomalies"] = {
            "flags": [flag.as_data() for flag in recap.flags],
            "motivation": motivation,
        }
    return data
