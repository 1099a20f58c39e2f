"""What an import would do: the plan, the row key that finds lines already imported, the preview.

The plan lists the rows to create, the makers, organisations and memberships to add, and the
lines skipped because they were imported before or are repeated in the file.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime

from fablabs.models import Organisation
from tilab.models import User

from ..models import ItemType, Maker, Membership, ProductionReport
from .checking import CheckedRow, check_rows
from .columns import map_columns
from .normalise import name_key, words_key
from .options import ImportOptions
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
    # (maker, organisation) pairs as ids, or refs into the lists above for new ones.
    memberships_to_create: list[tuple] = field(default_factory=list)
    already_there: list[int] = field(default_factory=list)
    duplicates: list[tuple[int, int]] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    options: ImportOptions = field(default_factory=ImportOptions)
    # Choices the file leaves open and the importer must make before confirming (options.py):
    # each {"option": name, "message": why}; confirming is refused while one is listed.
    choices_needed: list[dict] = field(default_factory=list)
    # Item names read by an alias of the network or by their words (ItemReadAs), for the preview.
    item_aliases_used: list[ItemReadAs] = field(default_factory=list)
    import_id: int | None = None
    imported: bool = False

    @property
    def totals_per_item(self) -> list[dict]:
        totals: dict[int, dict] = {}
        for row in self.rows:
            total = totals.setdefault(
                row.item.pk,
                {
                    "item": row.item.slug,
                    "name": row.item.name,
                    "position": row.item.position,
                    "rows": 0,
                    "quantity": 0,
                    "material_cost_cents": 0,
                },
            )
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
            "already_there": list(self.already_there),
            "duplicates": [
                {"line": line, "duplicate_of": first} for line, first in self.duplicates
            ],
            "totals_per_item": self.totals_per_item,
            "totals_per_department": self.totals_per_department,
            "ignored_columns": list(self.ignored_columns),
            "options": self.options.as_dict(),
            "choices_needed": list(self.choices_needed),
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


def _existing_keys(keys: list[str]) -> set[str]:
    found: set[str] = set()
    # Chunked: one IN list per 2,000 keys stays under every backend's parameter limit.
    for start in range(0, len(keys), 2000):
        chunk = keys[start : start + 2000]
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


def plan_import(
    sheet: Sheet,
    *,
    filename: str,
    by: User,
    now: datetime,
    options: ImportOptions | None = None,
) -> ImportPlan:
    """Map the columns, check every row, then match the rows against the database as it is now
    (lines already imported, makers and organisations known). Raises ImportRejected; writes
    nothing."""
    indexes, ignored = map_columns(sheet)
    options = options or ImportOptions()
    rows = check_rows(sheet, indexes, by=by, now=now, options=options)
    plan = ImportPlan(filename=filename, ignored_columns=ignored, options=options)
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
    organisations: dict[str, int] = {}
    if any(row.organisation for row, _key in to_create):
        for pk, name in Organisation.objects.order_by("pk").values_list("pk", "name"):
            organisations.setdefault(name_key(name), pk)

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
        organisation_id = organisations.get(organisation_ref) if row.organisation else None
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
    existing_pairs = set(
        Membership.objects.filter(
            maker_id__in={m for m, _o in pairs if isinstance(m, int)},
            organisation_id__in={o for _m, o in pairs if isinstance(o, int)},
        ).values_list("maker_id", "organisation_id")
    )
    plan.memberships_to_create = sorted(
        (pair for pair in pairs if pair not in existing_pairs), key=repr
    )
    plan.makers_to_create = list(new_makers.values())
    plan.organisations_to_create = list(new_organisations.values())
    return plan


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
