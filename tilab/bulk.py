"""Inserting thousands of rows of one model at once (a spreadsheet import, say).

`bulk_insert` takes plain values, column by column, and hands them to the driver's own bulk
path: PostgreSQL's COPY, or elsewhere INSERTs of as many rows as the backend takes. Both
skip what makes `bulk_create` slow for large files (a model object per row, each value
prepared and compiled into a parameterised INSERT), while the table's constraints, defaults and
indexes apply exactly as they do to any INSERT: a duplicate key still raises IntegrityError.

Like `bulk_create`, it sends no signal and returns no primary key.
"""

from collections.abc import Iterable, Sequence

from django.db import connection
from django.db.models import Model

# Rows per INSERT for bulk_create: large enough to amortise round trips, small enough for any
# backend's limit on parameters.
BULK_BATCH_SIZE = 1000

# Python values the other backends' drivers cannot take as they are: Django prepares them.
_PREPARED = {"DateField", "DateTimeField", "TimeField", "DecimalField", "DurationField",
             "JSONField", "UUIDField", "BinaryField"}  # fmt: skip


def bulk_insert(model: type[Model], columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    """Insert `rows` into `model`'s table. Call inside the caller's transaction.

    `columns` name fields by their attname (`maker_id`); each row holds their values in that
    order, as Python values the database adapter reads (int, str, date, aware datetime, None;
    Django's choices are str or int and are written as their value). Every other concrete
    field but an automatic primary key takes its Python default, the same for every row (a
    field whose default changes per row, such as a timestamp, must be among `columns`).
    """
    fields = [f for f in model._meta.concrete_fields if not (f.primary_key and f.auto_created)]
    fields = [f for f in fields if f.attname not in columns] + [
        model._meta.get_field(_field_name(model, attname)) for attname in columns
    ]
    blank = model()
    defaults = tuple(
        f.get_db_prep_save(getattr(blank, f.attname), connection)
        for f in fields[: len(fields) - len(columns)]
    )
    names = [f.column for f in fields]
    if connection.vendor == "postgresql":
        _copy(model._meta.db_table, names, defaults, rows)
        return
    _insert_many(model._meta.db_table, fields, defaults, len(defaults), rows)


def _field_name(model: type[Model], attname: str) -> str:
    for field in model._meta.concrete_fields:
        if field.attname == attname:
            return field.name
    raise LookupError(f"{model.__name__} has no field {attname!r}")


def _copy(table: str, names: list[str], defaults: tuple, rows: Iterable[Sequence]) -> None:
    quote = connection.ops.quote_name
    statement = f"COPY {quote(table)} ({', '.join(quote(n) for n in names)}) FROM STDIN"
    # The driver's own cursor: Django's wrapper knows nothing of COPY, and wrap_database_errors
    # turns a refused row into Django's IntegrityError, as it does for an INSERT.
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.cursor.copy(statement) as copy,
    ):
        write = copy.write_row
        for row in rows:
            write(defaults + tuple(row))


def _insert_many(table, fields, defaults, prepare_from, rows) -> None:
    """Multi-row INSERTs, as many rows to a statement as the backend takes parameters for."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    one_row = f"({', '.join(['%s'] * len(fields))})"
    prepare = [
        (n, _memo(field))
        for n, field in enumerate(fields[prepare_from:], start=prepare_from)
        if field.get_internal_type() in _PREPARED
    ]
    rows = list(rows)
    size = min(BULK_BATCH_SIZE, connection.ops.bulk_batch_size(fields, rows) or len(rows))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            batch = rows[start : start + size]
            params = []
            for row in batch:
                values = list(defaults + tuple(row))
                for n, prep in prepare:
                    values[n] = prep(values[n])
                params.extend(values)
            # Names come from the model's metadata, quoted; values go as parameters.
            cursor.execute(
                f"INSERT INTO {quote(table)} ({columns}) VALUES "  # noqa: S608
                + ", ".join([one_row] * len(batch)),
                params,
            )


def _memo(field):
    """The field's preparation of a value, once per distinct value: a column of dates or
    timestamps holds few of them."""
    prepared = {}

    def prep(value):
        try:
            return prepared[value]
        except KeyError:
            prepared[value] = result = field.get_db_prep_save(value, connection)
            return result
        except TypeError:  # not hashable
            return field.get_db_prep_save(value, connection)

    return prep
