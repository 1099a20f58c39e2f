"""Import lines that are likely double counts of reports already there, or of other lines of
the same file (the rule is the queue's: makers/selectors.py, "Likely double counts")."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tilab.models import User

from .. import selectors

if TYPE_CHECKING:  # plan.py calls this module last, when its plan is made
    from .plan import ImportPlan, PlannedRow

# Who counted the lines of the file being planned: no report in the database has this hand.
THIS_FILE = "this file"


def _maker(row: PlannedRow):
    return row.maker_id if row.maker_id is not None else ("new maker", row.maker_ref)


def _organisation(row: PlannedRow):
    if not row.organisation:
        return None
    if row.organisation_id is not None:
        return row.organisation_id
    return ("new organisation", row.organisation_ref)


def _counted(row: PlannedRow, by: User) -> selectors.Counted:
    return selectors.Counted(
        key=("line", row.line),
        maker=_maker(row),
        organisation=_organisation(row),
        item_type_id=row.item.pk,
        produced_on=row.produced_on,
        quantity=row.quantity,
        hand=("import", by.pk, THIS_FILE),
    )


def double_counts_of_plan(plan: ImportPlan, *, by: User) -> list[dict]:
    """Each planned line that likely double counts a live report or another line, with the
    other one: {"line", "report_id" (None for a line of the file), "other_line" (None for a
    report), "maker", "organisation", "quantity", "produced_on", "source"}. A report `by` may
    not see is named by its id only (maker and organisation None). The lines are imported all
    the same; once written, the queue flags them by the same rule. Three queries at most."""
    lines = [_counted(row, by) for row in plan.rows]
    # A line for an organisation makes its maker a member of it.
    members = {(line.maker, line.organisation) for line in lines if line.organisation is not None}
    found = selectors.double_counts_of_lines(lines, members=members)
    if not found:
        return []
    rows = {("line", row.line): row for row in plan.rows}
    report_ids = {
        other.pk
        for others in found.values()
        for other in others
        if not isinstance(other, selectors.Counted)
    }
    seen = set(
        selectors.reports_visible_to(by).filter(pk__in=report_ids).values_list("pk", flat=True)
    )
    double_counts = []
    for key in sorted(found, key=lambda key: key[1]):
        for other in found[key]:
            if isinstance(other, selectors.Counted):
                row = rows[other.key]
                entry = {
                    "report_id": None,
                    "other_line": row.line,
                    "maker": row.maker,
                    "organisation": row.organisation or None,
                    "quantity": row.quantity,
                    "produced_on": row.produced_on.isoformat(),
                    "source": "import",
                }
            else:
                shown = other.pk in seen
                entry = {
                    "report_id": other.pk,
                    "other_line": None,
                    "maker": other.maker.display_name if shown else None,
                    "organisation": (
                        other.organisation.name if shown and other.organisation else None
                    ),
                    "quantity": other.quantity,
                    "produced_on": other.produced_on.isoformat(),
                    "source": other.source,
                }
            double_counts.append({"line": key[1], **entry})
    return double_counts
