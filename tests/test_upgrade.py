"""An existing database upgrades with `migrate` and loses nothing.

The platform's schema before the floor plan was rebuilt (models moved between apps, their tables
kept) is rebuilt here from the project's own history: that version's code migrates a fresh
database and seeds the demo, then today's code migrates it. Every table keeps its rows, and the
content types that decision records point at keep their ids under their new app.
"""

import os
import shutil
import subprocess
import sys
import tarfile
from io import BytesIO
from pathlib import Path

import pytest
from django.db import connection

from tests.conftest import require

ROOT = Path(__file__).resolve().parent.parent
# main as it stood before the floor plan was rebuilt: every later schema must upgrade from it.
PREVIOUS = "f0c80067e23ed15ae63f3a1d039ddda4f42fdfb6"
# Models that changed app since then: (old app, new app, model).
MOVED = [
    ("subsidies", "fablabs", "relay"),
    ("subsidies", "fablabs", "relaycoverage"),
    ("makers", "directory", "membershiprequest"),
    ("makers", "figures", "productiontotal"),
    ("makers", "figures", "deliveredtotal"),
    ("makers", "figures", "dirtybucket"),
    ("makers", "figures", "totaldelta"),
    ("makers", "figures", "productionexport"),
]
GROWS = {"django_migrations"}  # new migrations are recorded; nothing else may change
# New models add their content type and permissions; every existing content type keeps its id.
GROWS_WITH_NEW_MODELS = {"django_content_type", "auth_permission"}


def _previous_tree(into: Path) -> Path:
    require(shutil.which("git") is not None, "git is needed to read the previous version")
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", PREVIOUS],
        capture_output=True,
        check=False,
    )
    require(archive.returncode == 0, f"the history holds {PREVIOUS[:7]} (a full clone)")
    with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
        # Extraction filters came with Python 3.11.4; Debian 12's Python is 3.11.2 (the archive
        # is git's own, of this repository).
        if hasattr(tarfile, "data_filter"):
            tar.extractall(into, filter="data")
        else:
            tar.extractall(into)  # noqa: S202
    return into


def _manage(cwd: Path, settings: str, database_url: str, *args: str) -> str:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "REDIS_URL", "PYTHONPATH"}
    }
    env.update(DJANGO_SETTINGS_MODULE=settings, DATABASE_URL=database_url, PYTHONPATH=str(cwd))
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"manage.py {' '.join(args)} failed:\n{done.stderr[-4000:]}"
    return done.stdout


class SQLite:
    def __init__(self, path: Path):
        self.url = f"sqlite:///{path}"
        self.path = path

    def query(self, sql: str) -> list[tuple]:
        import sqlite3

        with sqlite3.connect(self.path) as db:
            return db.execute(sql).fetchall()

    def tables(self) -> list[str]:
        return [
            name
            for (name,) in self.query(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]

    def drop(self):
        pass


class PostgreSQL:
    def __init__(self, name: str):
        import psycopg

        settings = connection.settings_dict
        self.dsn = (
            f"host={settings['HOST'] or '127.0.0.1'} port={settings['PORT'] or 5432} "
            f"user={settings['USER'] or 'postgres'}"
        ) + (f" password={settings['PASSWORD']}" if settings["PASSWORD"] else "")
        self.name = name
        with psycopg.connect(self.dsn + " dbname=postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            admin.execute(f'CREATE DATABASE "{name}"')
        user = settings["USER"] or "postgres"
        password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
        self.url = (
            f"postgres://{user}{password}@{settings['HOST'] or '127.0.0.1'}:"
            f"{settings['PORT'] or 5432}/{name}"
        )

    def query(self, sql: str) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.dsn + f" dbname={self.name}") as db:
            return db.execute(sql).fetchall()

    def tables(self) -> list[str]:
        return [
            name
            for (name,) in self.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ]

    def drop(self):
        import psycopg

        with psycopg.connect(self.dsn + " dbname=postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.name}"')


def _snapshot(db) -> dict:
    counts = {table: db.query(f'SELECT COUNT(*) FROM "{table}"')[0][0] for table in db.tables()}
    content_types = {
        (app, model): pk
        for pk, app, model in db.query("SELECT id, app_label, model FROM django_content_type")
    }
    return {"counts": counts, "content_types": content_types}


@pytest.fixture
def database(tmp_path, db):
    if connection.vendor == "postgresql":
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        upgraded = PostgreSQL(f"tilab_upgrade_{worker}")
    else:
        upgraded = SQLite(tmp_path / "upgraded.sqlite3")
    yield upgraded
    upgraded.drop()


def test_a_database_of_the_previous_version_upgrades_with_nothing_lost(tmp_path, database):
    previous = _previous_tree(tmp_path / "previous")
    _manage(previous, "tilab.settings", database.url, "migrate", "--noinput", "-v0")
    _manage(previous, "tilab.settings", database.url, "seed_demo")
    before = _snapshot(database)
    assert before["counts"]["makers_productionreport"] > 0, "the demo seeded reports"
    assert before["counts"]["tilab_decision"] > 0, "and decisions"

    _manage(ROOT, "config.settings", database.url, "migrate", "--noinput", "-v0")
    after = _snapshot(database)

    for table, rows in before["counts"].items():
        if table in GROWS:
            continue
        assert table in after["counts"], f"table {table} disappeared"
        now = after["counts"][table]
        if table in GROWS_WITH_NEW_MODELS:
            assert now >= rows, f"{table}: {rows} rows before, {now} after"
            continue
        assert now == rows, f"{table}: {rows} rows before, {now} after"
    moved = {(old_app, model) for old_app, _new_app, model in MOVED}
    for key, pk in before["content_types"].items():
        if key not in moved:
            assert after["content_types"].get(key) == pk, f"content type {key} changed id"
    new_tables = set(after["counts"]) - set(before["counts"])
    assert all(after["counts"][t] == 0 for t in new_tables), "new tables start empty"

    for old_app, new_app, model in MOVED:
        old_id = before["content_types"][(old_app, model)]
        assert after["content_types"].get((new_app, model)) == old_id, (old_app, model)
        assert (old_app, model) not in after["content_types"], f"{old_app}.{model} left behind"
    # Every decision still names an object type that exists.
    dangling = database.query(
        "SELECT COUNT(*) FROM tilab_decision d LEFT JOIN django_content_type c "
        "ON c.id = d.content_type_id WHERE c.id IS NULL"
    )[0][0]
    assert dangling == 0
    # And the upgraded code can run on it: the demo seeds again without a change to redo.
    _manage(ROOT, "config.settings", database.url, "seed_demo")
