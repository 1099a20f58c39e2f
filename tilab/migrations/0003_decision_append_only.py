"""Make the decision table append-only in the database itself, whatever the code does."""

from django.db import migrations

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION tilab_decision_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'decisions are append-only: record a new decision instead';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER tilab_decision_no_update BEFORE UPDATE OR DELETE ON tilab_decision
    FOR EACH ROW EXECUTE FUNCTION tilab_decision_append_only();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS tilab_decision_no_update ON tilab_decision;
DROP FUNCTION IF EXISTS tilab_decision_append_only();
"""
SQLITE_UP = [
    """CREATE TRIGGER tilab_decision_no_update BEFORE UPDATE ON tilab_decision
    BEGIN SELECT RAISE(ABORT, 'decisions are append-only: record a new decision instead'); END;""",
    """CREATE TRIGGER tilab_decision_no_delete BEFORE DELETE ON tilab_decision
    BEGIN SELECT RAISE(ABORT, 'decisions are append-only: record a new decision instead'); END;""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS tilab_decision_no_update;",
    "DROP TRIGGER IF EXISTS tilab_decision_no_delete;",
]


def up(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_UP)
    elif vendor == "sqlite":
        for statement in SQLITE_UP:
            schema_editor.execute(statement)
    else:
        raise NotImplementedError(f"append-only decisions are not set up for {vendor}")


def down(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DOWN)
    elif vendor == "sqlite":
        for statement in SQLITE_DOWN:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("tilab", "0002_reference_data")]
    operations = [migrations.RunPython(up, down)]
