"""What an import would do: the plan, the row key that finds lines already imported, the preview.

The plan lists the rows to create, the makers, organisations and memberships to add, and the
lines skipped because they were imported before or are repeated in the file.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime

import rules
from django.db import connection

from fablabs.models import Organisation
from fablabs.selectors import departments_covered_by, relay_names_covering
from tilab.models import User

from ..models import ItemType, Maker, Membership, ProductionReport
from ..selectors import organisations_matchable_by
from . import errors
from .checking import CheckedRow, check_rows
from .columns import map_columns
from .conventions import Convention, read_conventions
from .double_counts import double_counts_of_plan
from .errors import errors_named_by_sheet
from .normalise import name_key, words_key
from .options import HAND_OVER, ImportOptions
from .reading import Sheet, read_sheet

# The preview page lists this many rows, then says how many more there are.
PREVIEW_ROWS = 200


# --- The plan ------------------------------------------------------------------------------------


@dataclass
class PlannedMaker:
    display_name: str
    department: str


@dataclass
class PlannedOrganisation:
    name: str
    kind: str
    department: str

    @property
    def kind_label(self) -> str:
        return str(Organisation.Kind(self.kind).label)


@dataclass
class PlannedMembershipRequest:
    """A maker named with an organisation they are not a member of: a request to join it is
    opened, for its managers to decide (never a membership the import makes by itself)."""

    maker: str
    maker_ref: int | tuple[str, str]  # the maker's id, or the key of a maker to create
    organisation: str
    organisation_id: int
    department: str


@dataclass
class PlannedRow:
    line: int
    produced_on: date
    maker: str
    maker_id: int | None
    organisation: str
    organisation_id: int | None
    department: str
    department_name: str
    item: ItemType
    quantity: int
    material_cost_cents: int
    recipient: str
    import_key: str
    # Keys into the plan's makers and organisations to create, when they are new.
    maker_ref: tuple[str, str] = ("", "")
    organisation_ref: str = ""

    def as_dict(self) -> dict:
        return {
            "line": self.line,
            "produced_on": self.produced_on.isoformat(),
            "maker": self.maker,
            "maker_is_new": self.maker_id is None,
            "organisation": self.organisation,
            "organisation_is_new": bool(self.organisation) and self.organisation_id is None,
            "department": self.department,
            "item": self.item.slug,
            "item_name": self.item.name,
            "quantity": self.quantity,
            "material_cost_cents": self.material_cost_cents,
            "recipient": self.recipient,
        }


@dataclass
class ItemReadAs:
    """An item name of the file not written as the catalogue writes it, and what it was read as:
    by an alias the network remembered (who recorded it, when), or by its words."""

    text: str
    item: ItemType
    how: str
    rows: int
    alias_id: int | None = None
    recorded_by: str = ""
    recorded_at: datetime | None = None

    def as_dict(self) -> dict:
        return {
            "text": self.text,
            "item": self.item.slug,
            "item_name": self.item.name,
            "how": self.how,
            "rows": self.rows,
            "alias_id": self.alias_id,
            "recorded_by": self.recorded_by,
            "recorded_at": self.recorded_at.isoformat() if self.recorded_at else None,
        }


def items_read_as(rows: list[CheckedRow]) -> list[ItemReadAs]:
    """Each name read by an alias or by its words, once (as first written), in file order."""
    found: dict[tuple[str, int], ItemReadAs] = {}
    for row in rows:
        reading = row.item_reading
        if reading is None or not reading.told:
            continue
        key = (words_key(reading.text), row.item.pk)
        if key in found:
            found[key].rows += 1
            continue
        alias = reading.alias
        found[key] = ItemReadAs(
            text=reading.text,
            item=row.item,
            how=reading.how,
            rows=1,
            alias_id=alias.pk if alias else None,
            recorded_by=alias.created_by_name if alias else "",
            recorded_at=alias.created_at if alias else None,
        )
    return list(found.values())


@dataclass
class ImportPlan:
    """What an import will do (preview) or did (after apply): rows, new makers and
    organisations, rows skipped as already imported or repeated, and the totals."""

    filename: str
    rows: list[PlannedRow] = field(default_factory=list)
    makers_to_create: list[PlannedMaker] = field(default_factory=list)
    organisations_to_create: list[PlannedOrganisation] = field(default_factory=list)
    # (maker, organisation) pairs as ids, or refs into the lists above for new ones. Only
    # organisations the import creates get members this way: they have no manager to ask yet.
    memberships_to_create: list[tuple] = field(default_factory=list)
    # Makers named with an existing organisation they are not members of: requests to join.
    membership_requests_to_open: list[PlannedMembershipRequest] = field(default_factory=list)
    # Lines going to the queue of another relay than the importer's, per receiving relay:
    # [{"relay": name, "departments": [codes], "rows": count}].
    handed_over: list[dict] = field(default_factory=list)
    already_there: list[int] = field(default_factory=list)
    duplicates: list[tuple[int, int]] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    options: ImportOptions = field(default_factory=ImportOptions)
    # Choices the file leaves open and the importer must make before confirming (options.py):
    # each {"option": name, "message": why}; confirming is refused while one is listed.
    choices_needed: list[dict] = field(default_factory=list)
    # Lines that likely double count a report already there or another line (double_counts.py):
    # each {"line", "report_id", "other_line", "maker", "organisation", "quantity",
    # "produced_on", "source"}; imported all the same, flagged in the queue.
    double_counts: list[dict] = field(default_factory=list)
    # How the file's text dates and numbers were read (conventions.py), each said in the preview.
    conventions: list[Convention] = field(default_factory=list)
    # Item names read by an alias of the network or by their words (ItemReadAs), for the preview.
    item_aliases_used: list[ItemReadAs] = field(default_factory=list)
    import_id: int | None = None
    imported: bool = False
    # Where the table was found (reading.py): the file's format, the sheet (None for a CSV)
    # and the header's line; the rows skipped as totals and the formula cells whose kept value
    # was read, each as a dict (finding.py).
    file_format: str = ""
    sheet_name: str | None = None
    header_line: int = 0
    skipped_rows: list[dict] = field(default_factory=list)
    formula_cells: list[dict] = field(default_factory=list)
    formula_cells_count: int = 0
    hidden_sheets: list[str] = field(default_factory=list)

    def read_from(self, sheet: Sheet) -> None:
        self.file_format = sheet.file_format
        self.sheet_name = sheet.sheet_name
        self.header_line = sheet.header_line
        self.skipped_rows = [row.as_dict() for row in sheet.skipped_rows]
        self.formula_cells = [cell.as_dict() for cell in sheet.formula_cells[:PREVIEW_ROWS]]
        self.formula_cells_count = len(sheet.formula_cells)
        self.hidden_sheets = list(sheet.hidden_sheets)

    @property
    def totals_per_item(self) -> list[dict]:
        totals: dict[int, dict] = {}
        for row in self.rows:
            total = totals.get(row.item.pk)
            if total is None:  # the item's name is translated once, not once per row
                total = totals[row.item.pk] = {
                    "item": row.item.slug,
                    "name": row.item.name,
                    "position": row.item.position,
                    "rows": 0,
                    "quantity": 0,
                    "material_cost_cents": 0,
                }
            total["rows"] += 1
            total["quantity"] += row.quantity
            total["material_cost_cents"] += row.material_cost_cents
        ordered = sorted(totals.values(), key=lambda t: (t.pop("position"), t["item"]))
        return ordered

    @property
    def totals_per_department(self) -> list[dict]:
        totals: dict[str, dict] = {}
        for row in self.rows:
            total = totals.setdefault(
                row.department,
                {
                    "department": row.department,
                    "name": row.department_name,
                    "rows": 0,
                    "quantity": 0,
                    "material_cost_cents": 0,
                },
            )
            total["rows"] += 1
            total["quantity"] += row.quantity
            total["material_cost_cents"] += row.material_cost_cents
        return [totals[code] for code in sorted(totals)]

    @property
    def counts(self) -> dict:
        return {
            "rows_to_create": len(self.rows),
            "makers_to_create": len(self.makers_to_create),
            "organisations_to_create": len(self.organisations_to_create),
            "memberships_to_create": len(self.memberships_to_create),
            "membership_requests_to_open": len(self.membership_requests_to_open),
            "already_there": len(self.already_there),
            "duplicates": len(self.duplicates),
        }

    def summary(self) -> dict:
        """Everything but the rows themselves: what a stored import keeps for the record."""
        return self.as_dict(with_rows=False)

    def as_dict(self, *, with_rows: bool = True) -> dict:
        data = {
            "import_id": self.import_id,
            "imported": self.imported,
            "filename": self.filename,
            "counts": self.counts,
            "rows": [row.as_dict() for row in self.rows] if with_rows else [],
            "makers_to_create": [
                {"display_name": m.display_name, "department": m.department}
                for m in self.makers_to_create
            ],
            "organisations_to_create": [
                {
                    "name": o.name,
                    "kind": o.kind,
                    "kind_label": o.kind_label,
                    "department": o.department,
                }
                for o in self.organisations_to_create
            ],
            "membership_requests_to_open": [
                {
                    "maker": request.maker,
                    "organisation": request.organisation,
                    "department": request.department,
                }
                for request in self.membership_requests_to_open
            ],
            "handed_over": [
                dict(hand, departments=list(hand["departments"])) for hand in self.handed_over
            ],
            "already_there": list(self.already_there),
            "duplicates": [
                {"line": line, "duplicate_of": first} for line, first in self.duplicates
            ],
            "totals_per_item": self.totals_per_item,
            "totals_per_department": self.totals_per_department,
            "ignored_columns": list(self.ignored_columns),
            "options": self.options.as_dict(),
            "choices_needed": list(self.choices_needed),
            "file_format": self.file_format,
            "sheet_name": self.sheet_name,
            "header_line": self.header_line,
            "skipped_rows": list(self.skipped_rows),
            "formula_cells": list(self.formula_cells),
            "formula_cells_count": self.formula_cells_count,
            "hidden_sheets": list(self.hidden_sheets),
            "double_counts": list(self.double_counts),
            "conventions": [convention.as_dict() for convention in self.conventions],
            "item_aliases_used": [reading.as_dict() for reading in self.item_aliases_used],
        }
        if not with_rows:
            del data["rows"]
        return data


# --- Planning ------------------------------------------------------------------------------------


def import_key(row: CheckedRow) -> str:
    """The row key: a fingerprint of the line, stored on its report and unique in the database.
    The same line imported again is found by it (already there); an import racing this one for
    the same line fails on the constraint (import_conflict)."""
    parts = (
        row.produced_on.isoformat(),
        name_key(row.maker),
        row.department.code,
        name_key(row.organisation),
        row.item.slug,
        str(row.quantity),
        str(row.material_cost_cents),
        name_key(row.recipient),
    )
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


_KEYS_PER_QUERY = 10_000


def _existing_keys(keys: list[str]) -> set[str]:
    if connection.vendor == "postgresql":
        # One array parameter: Django's IN list prepares each of 10,000 keys one by one, which
        # costs more than the query. The unique index on import_key serves `= ANY`.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT import_key FROM makers_productionreport WHERE import_key = ANY(%s)", [keys]
            )
            return {key for (key,) in cursor.fetchall()}
    found: set[str] = set()
    # Chunked: one IN list per 10,000 keys stays under PostgreSQL's 65,535 parameters and
    # SQLite's 32,766; fewer, larger lists are several times faster than many small ones.
    for start in range(0, len(keys), _KEYS_PER_QUERY):
        chunk = keys[start : start + _KEYS_PER_QUERY]
        found.update(
            ProductionReport.objects.filter(import_key__in=chunk).values_list(
                "import_key", flat=True
            )
        )
    return found


def _kind_guess(name: str) -> str:
    words = name_key(name).replace("-", " ").split()
    if any("fablab" in w or w.startswith("lab") or w.endswith("lab") for w in words):
        return Organisation.Kind.ASSOCIATIVE_FABLAB
    return Organisation.Kind.COLLECTIVE


@errors_named_by_sheet
def plan_import(
    sheet: Sheet,
    *,
    filename: str,
    by: User,
    now: datetime,
    options: ImportOptions | None = None,
    flag_double_counts: bool = True,
) -> ImportPlan:
    """Map the columns, check every row, then match the rows against the database as it is now
    (lines already imported, makers and organisations known). Raises ImportRejected; writes
    nothing. The likely double counts are for the person reading the preview: writing skips
    them (`flag_double_counts=False`), the queue flags the written reports by the same rule."""
    indexes, ignored = map_columns(sheet)
    options = options or ImportOptions()
    conventions = read_conventions(sheet, indexes, options)
    rows = check_rows(sheet, indexes, by=by, now=now, options=options, conventions=conventions)
    plan = ImportPlan(
        filename=filename,
        ignored_columns=ignored,
        options=options,
        conventions=conventions.listed,
        choices_needed=list(conventions.choices_needed),
    )
    plan.read_from(sheet)
    plan.item_aliases_used = items_read_as(rows)

    keyed = [(row, import_key(row)) for row in rows]
    first_line_of: dict[str, int] = {}
    fresh: list[tuple[CheckedRow, str]] = []
    for row, key in keyed:
        if key in first_line_of:
            plan.duplicates.append((row.line, first_line_of[key]))
        else:
            first_line_of[key] = row.line
            fresh.append((row, key))
    existing = _existing_keys([key for _row, key in fresh])
    to_create = []
    for row, key in fresh:
        if key in existing:
            plan.already_there.append(row.line)
        else:
            to_create.append((row, key))

    department_codes = {row.department.code for row, _key in to_create}
    makers: dict[tuple[str, str], int] = {}
    for pk, name, code in (
        Maker.objects.filter(department_id__in=department_codes)
        .order_by("pk")
        .values_list("pk", "display_name", "department_id")
    ):
        makers.setdefault((name_key(name), code), pk)
    covered = set(departments_covered_by(by).values_list("code", flat=True))
    organisations = _Organisations(to_create, by=by, covered=covered)

    new_makers: dict[tuple[str, str], PlannedMaker] = {}
    new_organisations: dict[str, PlannedOrganisation] = {}
    kind_given: set[str] = set()  # new organisations whose kind a row stated (the first wins)
    pairs: set[tuple] = set()
    for row, key in to_create:
        maker_ref = (name_key(row.maker), row.department.code)
        maker_id = makers.get(maker_ref)
        if maker_id is None and maker_ref not in new_makers:
            new_makers[maker_ref] = PlannedMaker(row.maker, row.department.code)
        organisation_ref = name_key(row.organisation)
        organisation_id = organisations.match(organisation_ref, row.department.code)
        if row.organisation and organisation_id is None:
            planned = new_organisations.get(organisation_ref)
            if planned is None:
                new_organisations[organisation_ref] = PlannedOrganisation(
                    row.organisation, row.kind or _kind_guess(row.organisation), row.department.code
                )
            elif row.kind and organisation_ref not in kind_given:
                planned.kind = row.kind
            if row.kind:
                kind_given.add(organisation_ref)
        if row.organisation:
            pairs.add((maker_id or maker_ref, organisation_id or organisation_ref))
        plan.rows.append(
            PlannedRow(
                line=row.line,
                produced_on=row.produced_on,
                maker=new_makers[maker_ref].display_name if maker_id is None else row.maker,
                maker_id=maker_id,
                organisation=(
                    new_organisations[organisation_ref].name
                    if row.organisation and organisation_id is None
                    else row.organisation
                ),
                organisation_id=organisation_id,
                department=row.department.code,
                department_name=row.department.name,
                item=row.item,
                quantity=row.quantity,
                material_cost_cents=row.material_cost_cents,
                recipient=row.recipient,
                import_key=key,
                maker_ref=maker_ref,
                organisation_ref=organisation_ref,
            )
        )
    _memberships(plan, pairs, organisations)
    plan.makers_to_create = list(new_makers.values())
    plan.organisations_to_create = list(new_organisations.values())
    _hand_over(plan, by=by, covered=covered)
    if flag_double_counts:
        plan.double_counts = double_counts_of_plan(plan, by=by)
    return plan


class _Organisations:
    """The organisations a file's names may match: only among those of the importer's
    departments that the importer may see (`selectors.organisations_matchable_by`). A relay's
    lines of the departments it covers look in all of them; any other line (a Région's or a
    facilitator's, a line handed to another relay) looks in its own department. A name that
    matches nothing here, a hidden organisation's say, becomes a new organisation (not
    public), and nothing says that another one of that name exists."""

    def __init__(self, rows: list[tuple[CheckedRow, str]], *, by: User, covered: set[str]):
        self.covered = covered
        self.by_key: dict[tuple[str, str], int] = {}
        self.names: dict[int, str] = {}
        named = [row for row, _key in rows if row.organisation]
        if not named:
            return
        departments = {row.department.code for row in named}
        if departments & covered:
            departments |= covered
        for pk, name, code in organisations_matchable_by(by, departments).values_list(
            "pk", "name", "department_id"
        ):
            self.by_key.setdefault((name_key(name), code), pk)
            self.names[pk] = name

    def match(self, key: str, department: str) -> int | None:
        if not key:
            return None
        scope = [department]
        if department in self.covered:
            scope += sorted(self.covered - {department})
        for code in scope:
            if (key, code) in self.by_key:
                return self.by_key[(key, code)]
        return None


def _memberships(plan: ImportPlan, pairs: set[tuple], organisations: _Organisations) -> None:
    """A maker named with an organisation the import creates becomes its member (it has no
    manager to ask yet); with an existing one they are not a member of, a request to join is
    opened for its managers (writing.py asks the directory), never a silent membership."""
    existing_pairs = set(
        Membership.objects.filter(
            maker_id__in={m for m, _o in pairs if isinstance(m, int)},
            organisation_id__in={o for _m, o in pairs if isinstance(o, int)},
        ).values_list("maker_id", "organisation_id")
    )
    new_members, requests = [], []
    for maker, organisation in pairs:
        if not isinstance(organisation, int):
            new_members.append((maker, organisation))
        elif (maker, organisation) not in existing_pairs:
            requests.append((maker, organisation))
    plan.memberships_to_create = sorted(new_members, key=repr)
    maker_names = {row.maker_id or row.maker_ref: (row.maker, row.department) for row in plan.rows}
    plan.membership_requests_to_open = [
        PlannedMembershipRequest(
            maker=maker_names[maker][0],
            maker_ref=maker,
            organisation=organisations.names[organisation],
            organisation_id=organisation,
            department=maker_names[maker][1],
        )
        for maker, organisation in sorted(requests, key=repr)
    ]


def _hand_over(plan: ImportPlan, *, by: User, covered: set[str]) -> None:
    """Lines of departments the importer's relay does not cover go to the queue of the relay
    covering them (checking.py refused those nobody covers), entered by the importer. The
    Région and facilitators hand over every line without being asked; a relay chooses in the
    preview (options.other_departments), and confirming is refused until it has."""
    handed: dict[str, list[PlannedRow]] = {}
    for row in plan.rows:
        if row.department not in covered:
            handed.setdefault(row.department, []).append(row)
    if not handed:
        return
    relay_of = relay_names_covering(list(handed))
    per_relay: dict[str, dict] = {}
    for code in sorted(handed):
        hand = per_relay.setdefault(
            relay_of[code], {"relay": relay_of[code], "departments": [], "rows": 0}
        )
        hand["departments"].append(code)
        hand["rows"] += len(handed[code])
    plan.handed_over = sorted(per_relay.values(), key=lambda hand: hand["relay"])
    if plan.options.other_departments == HAND_OVER:
        return
    if rules.has_perm("makers.import_across_departments", by):
        return
    message = errors.OTHER_DEPARTMENTS_CHOICE(
        count=sum(len(rows) for rows in handed.values()), departments=", ".join(sorted(handed))
    ).message
    plan.choices_needed.append({"option": "other_departments", "message": str(message)})


# --- Service -------------------------------------------------------------------------------------


def production_import_preview(
    *,
    content: bytes,
    filename: str,
    by: User,
    now: datetime,
    options: ImportOptions | None = None,
) -> ImportPlan:
    """What importing `content` would do for `by`, writing nothing, read with `options`.

    Raises ImportRejected (SpreadsheetUnreadable for the file as a whole) listing every bad row
    with its line, column and reason. Rows already imported, or repeated in the file, are listed
    in the plan, not refused.
    """
    sheet = read_sheet(content)
    return plan_import(sheet, filename=filename, by=by, now=now, options=options)
