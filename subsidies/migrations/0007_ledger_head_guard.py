"""The database keeps the ledger's head honest: the row that says where the chain ends is never
deleted, never goes back, and always names the last entry with that entry's own hash."""

from django.db import migrations

GENESIS = "0" * 64
MESSAGE = "the ledger head only moves forward, to the last entry and its hash"

POSTGRES_UP = f"""
CREATE OR REPLACE FUNCTION subsidies_ledger_head_guard() RETURNS trigger AS $$
DECLARE
    last_seq bigint;
    last_hash varchar;
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION '{MESSAGE}';
    END IF;
    SELECT seq, entry_hash INTO last_seq, last_hash
        FROM subsidies_ledgerentry ORDER BY seq DESC LIMIT 1;
    IF NOT FOUND THEN
        last_seq := 0;
        last_hash := '{GENESIS}';
    END IF;
    IF NEW.id <> 1 OR NEW.seq <> last_seq OR NEW.entry_hash <> last_hash
        OR (TG_OP = 'UPDATE' AND NEW.seq < OLD.seq) THEN
        RAISE EXCEPTION '{MESSAGE}';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER subsidies_ledgerhead_guard BEFORE INSERT OR UPDATE OR DELETE
    ON subsidies_ledgerhead FOR EACH ROW EXECUTE FUNCTION subsidies_ledger_head_guard();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS subsidies_ledgerhead_guard ON subsidies_ledgerhead;
DROP FUNCTION IF EXISTS subsidies_ledger_head_guard();
"""

# The head must name the last entry (or the genesis hash when there is none).
_NOT_AT_LAST_ENTRY = f"""NEW.id <> 1
    OR NEW.seq <> COALESCE((SELECT MAX(seq) FROM subsidies_ledgerentry), 0)
    OR NEW.entry_hash <> COALESCE(
        (SELECT entry_hash FROM subsidies_ledgerentry WHERE seq = NEW.seq), '{GENESIS}'
    )"""
SQLITE_UP = [
    f"""CREATE TRIGGER subsidies_ledgerhead_no_delete BEFORE DELETE ON subsidies_ledgerhead
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;""",
    f"""CREATE TRIGGER subsidies_ledgerhead_insert BEFORE INSERT ON subsidies_ledgerhead
    WHEN {_NOT_AT_LAST_ENTRY}
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;""",
    f"""CREATE TRIGGER subsidies_ledgerhead_update BEFORE UPDATE ON subsidies_ledgerhead
    WHEN NEW.seq < OLD.seq OR {_NOT_AT_LAST_ENTRY}
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;""",
]
SQLITE_DOWN = [
    f"DROP TRIGGER IF EXISTS subsidies_ledgerhead_{suffix};"
    for suffix in ("no_delete", "insert", "update")
]


def up(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_UP)
    elif vendor == "sqlite":
        for statement in SQLITE_UP:
            schema_editor.execute(statement)
    else:
        raise NotImplementedError(f"the ledger head guard is not set up for {vendor}")


def down(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DOWN)
    elif vendor == "sqlite":
        for statement in SQLITE_DOWN:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("subsidies", "0006_payment_batches_and_bank_changes")]
    operations = [migrations.RunPython(up, down)]
