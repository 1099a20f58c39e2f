"""Refuse a production date in the future in the database itself, whatever the code does.

A CHECK constraint cannot read the clock, so a trigger does it. PostgreSQL compares with
today in Europe/Paris; SQLite has no time zones and allows up to UTC+2 (Paris in summer), a
backstop behind the services, which check the exact local date.
"""

from django.db import migrations

MESSAGE = "production date in the future"
POSTGRES_UP = f"""
CREATE OR REPLACE FUNCTION makers_report_not_in_future() RETURNS trigger AS $$
BEGIN
    IF NEW.produced_on > (now() AT TIME ZONE 'Europe/Paris')::date THEN
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER makers_report_not_in_future BEFORE INSERT OR UPDATE OF produced_on
    ON makers_productionreport
    FOR EACH ROW EXECUTE FUNCTION makers_report_not_in_future();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS makers_report_not_in_future ON makers_productionreport;
DROP FUNCTION IF EXISTS makers_report_not_in_future();
"""
SQLITE_UP = [
    f"""CREATE TRIGGER makers_report_not_in_future_insert BEFORE INSERT ON makers_productionreport
    WHEN NEW.produced_on > date('now', '+2 hours')
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;""",
    f"""CREATE TRIGGER makers_report_not_in_future_update
    BEFORE UPDATE OF produced_on ON makers_productionreport
    WHEN NEW.produced_on > date('now', '+2 hours')
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS makers_report_not_in_future_insert;",
    "DROP TRIGGER IF EXISTS makers_report_not_in_future_update;",
]


def up(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_UP)
    elif vendor == "sqlite":
        for statement in SQLITE_UP:
            schema_editor.execute(statement)
    else:
        raise NotImplementedError(f"the future-date guard is not set up for {vendor}")


def down(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DOWN)
    elif vendor == "sqlite":
        for statement in SQLITE_DOWN:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("makers", "0004_production_reports")]
    operations = [migrations.RunPython(up, down)]
