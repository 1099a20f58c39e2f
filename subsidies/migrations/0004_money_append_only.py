"""The database itself keeps money records as they were written: the ledger and payments are
append-only, and an approved allocation can be neither changed nor deleted."""

from django.db import migrations

APPEND_ONLY_TABLES = ["subsidies_ledgerentry", "subsidies_payment"]
MESSAGE = "money records are append-only: record a new decision instead"
APPROVED_MESSAGE = "an approved allocation never changes: amend the programme instead"

POSTGRES_UP = f"""
CREATE OR REPLACE FUNCTION subsidies_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}';
END;
$$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION subsidies_allocation_frozen() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'approved' THEN
        RAISE EXCEPTION '{APPROVED_MESSAGE}';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
""" + "".join(
    f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION subsidies_append_only();
"""
    for table in APPEND_ONLY_TABLES
) + """CREATE TRIGGER subsidies_allocation_frozen BEFORE UPDATE OR DELETE ON subsidies_allocation
    FOR EACH ROW EXECUTE FUNCTION subsidies_allocation_frozen();
"""
POSTGRES_DOWN = (
    "".join(f"DROP TRIGGER IF EXISTS {table}_no_update ON {table};\n" for table in APPEND_ONLY_TABLES)
    + "DROP TRIGGER IF EXISTS subsidies_allocation_frozen ON subsidies_allocation;\n"
    + "DROP FUNCTION IF EXISTS subsidies_append_only();\n"
    + "DROP FUNCTION IF EXISTS subsidies_allocation_frozen();\n"
)
SQLITE_UP = [
    statement
    for table in APPEND_ONLY_TABLES
    for statement in (
        f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;""",
        f"""CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;""",
    )
] + [
    f"""CREATE TRIGGER subsidies_allocation_frozen_update BEFORE UPDATE ON subsidies_allocation
    WHEN OLD.status = 'approved' BEGIN SELECT RAISE(ABORT, '{APPROVED_MESSAGE}'); END;""",
    f"""CREATE TRIGGER subsidies_allocation_frozen_delete BEFORE DELETE ON subsidies_allocation
    WHEN OLD.status = 'approved' BEGIN SELECT RAISE(ABORT, '{APPROVED_MESSAGE}'); END;""",
]
SQLITE_DOWN = [
    f"DROP TRIGGER IF EXISTS {table}_{suffix};"
    for table in APPEND_ONLY_TABLES
    for suffix in ("no_update", "no_delete")
] + [
    "DROP TRIGGER IF EXISTS subsidies_allocation_frozen_update;",
    "DROP TRIGGER IF EXISTS subsidies_allocation_frozen_delete;",
]


def up(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_UP)
    elif vendor == "sqlite":
        for statement in SQLITE_UP:
            schema_editor.execute(statement)
    else:
        raise NotImplementedError(f"append-only money records are not set up for {vendor}")


def down(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DOWN)
    elif vendor == "sqlite":
        for statement in SQLITE_DOWN:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("subsidies", "0003_programmes")]
    operations = [migrations.RunPython(up, down)]
