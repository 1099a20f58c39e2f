"""The RGAA audit the accessibility statement publishes: its sample of pages and the status of
each of the 106 RGAA 4.1 criteria over that sample (tilab/data/accessibility/), read here so
that the statement prints the rate and the failing criteria from the audit file itself.

The rate is the RGAA's "taux global de conformité": the conforming criteria divided by the
applicable ones. Over the sample a criterion is non-conforming (NC) if it fails on one page at
least, not applicable (NA) if it applies to no page, and conforming (C) otherwise.
"""

import csv
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path

DATA = Path(__file__).with_name("data") / "accessibility"
AUDIT_FILE = DATA / "audit-2026-12.csv"
SAMPLE_FILE = DATA / "sample.csv"
AUDIT_DATE = "2026-12-07"
STATUSES = ("C", "NC", "NA")
# Criteria per theme in RGAA 4.1: 106 in all.
THEME_SIZES = {
    1: 9,
    2: 2,
    3: 3,
    4: 13,
    5: 8,
    6: 2,
    7: 5,
    8: 10,
    9: 4,
    10: 14,
    11: 13,
    12: 11,
    13: 12,
}


@dataclass(frozen=True)
class Criterion:
    number: str
    topic: str
    status: str
    pages: tuple[str, ...]  # where it fails (NC only)
    method: str  # axe, browser, validator (the W3C HTML checker) or manual
    checks: tuple[str, ...]  # axe rule ids or browser test names
    justification: str

    @property
    def sort_key(self) -> tuple[int, int]:
        theme, rank = self.number.split(".")
        return int(theme), int(rank)


@dataclass(frozen=True)
class AuditSummary:
    conforming: int
    non_conforming: int
    not_applicable: int
    rate: Decimal  # per cent, one decimal
    status: str  # totalement / partiellement / non conforme
    failing: tuple[Criterion, ...]
    date: str

    @property
    def applicable(self) -> int:
        return self.conforming + self.non_conforming


def _split(value: str) -> tuple[str, ...]:
    return tuple(part for part in value.split() if part)


@cache
def audit_sample() -> tuple[dict, ...]:
    """The audited pages: page key, name, path (with {placeholders} for objects) and the roles
    they were audited as."""
    with SAMPLE_FILE.open(encoding="utf-8", newline="") as handle:
        return tuple({**row, "roles": _split(row["roles"])} for row in csv.DictReader(handle))


@cache
def audit_criteria() -> tuple[Criterion, ...]:
    with AUDIT_FILE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    criteria = tuple(
        Criterion(
            number=row["criterion"],
            topic=row["topic"],
            status=row["status"],
            pages=_split(row["pages"]),
            method=row["method"],
            checks=_split(row["checks"]),
            justification=row["justification"],
        )
        for row in rows
    )
    return tuple(sorted(criteria, key=lambda criterion: criterion.sort_key))


def conformity_status(rate: Decimal) -> str:
    """The RGAA's wording: totally compliant at 100 %, partially from 50 %, else not."""
    if rate == 100:
        return "totalement conforme"
    return "partiellement conforme" if rate >= 50 else "non conforme"


def audit_summary(criteria: tuple[Criterion, ...] | None = None) -> AuditSummary:
    criteria = audit_criteria() if criteria is None else criteria
    counts = {status: sum(c.status == status for c in criteria) for status in STATUSES}
    applicable = counts["C"] + counts["NC"]
    rate = (Decimal(100 * counts["C"]) / applicable if applicable else Decimal(100)).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )
    return AuditSummary(
        conforming=counts["C"],
        non_conforming=counts["NC"],
        not_applicable=counts["NA"],
        rate=rate,
        status=conformity_status(rate),
        failing=tuple(c for c in criteria if c.status == "NC"),
        date=AUDIT_DATE,
    )
