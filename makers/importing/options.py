"""What the person importing a file chose in its preview, where the file alone cannot decide.

The preview asks (the page's form, the API's parameters); the choice is kept on the stored
upload (ProductionImport.options) and read again when the import is confirmed.
"""

from dataclasses import asdict, dataclass

DAY_FIRST, MONTH_FIRST = "day_first", "month_first"
DECIMAL_COMMA, DECIMAL_POINT = "comma", "point"
# A relay's file holding lines of departments it does not cover: its own lines are imported,
# the others go to the validation queue of the relay covering them.
HAND_OVER = "hand_over"

DATE_ORDERS = (DAY_FIRST, MONTH_FIRST)
DECIMAL_MARKS = (DECIMAL_COMMA, DECIMAL_POINT)
OTHER_DEPARTMENTS = (HAND_OVER,)


@dataclass(frozen=True)
class ImportOptions:
    """None everywhere means "decide from the file, or ask"."""

    date_order: str | None = None
    decimal_mark: str | None = None
    other_departments: str | None = None

    def __post_init__(self):
        for name, allowed in (
            ("date_order", DATE_ORDERS),
            ("decimal_mark", DECIMAL_MARKS),
            ("other_departments", OTHER_DEPARTMENTS),
        ):
            value = getattr(self, name)
            if value is not None and value not in allowed:
                raise ValueError(f"{name}={value!r}")

    def as_dict(self) -> dict:
        return {key: value for key, value in asdict(self).items() if value is not None}

    @classmethod
    def from_dict(cls, data: dict | None) -> "ImportOptions":
        data = data or {}
        names = ("date_order", "decimal_mark", "other_departments")
        return cls(**{name: data.get(name) for name in names})
