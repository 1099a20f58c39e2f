"""What the platform's wheel must hold, checked on a built wheel by tests/test_packaging.py and
by .ci/production-path (`python -m tests.packaging_wheel dist/tilab-….whl`): every app of the
floor plan (import-linter's root_packages) with its migrations, every template, static source
and compiled catalogue of the checkout, inside tilab_site, and nothing of the tests."""

import sys
import tomllib
import zipfile
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SITE_FOLDERS = ("templates", "static", "locale")


def apps() -> list[str]:
    config = tomllib.loads((BASE_DIR / "pyproject.toml").read_text())
    return config["tool"]["importlinter"]["root_packages"]


def checkout_files(folder: str) -> set[str]:
    root = BASE_DIR / folder
    return {
        f"tilab_site/{folder}/{path.relative_to(root).as_posix()}"
        for path in root.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and not path.name.startswith(".")
    }


def wheel_problems(wheel: Path) -> list[str]:
    names = set(zipfile.ZipFile(wheel).namelist())
    problems = []
    for app in [*apps(), "tilab_site"]:
        if f"{app}/__init__.py" not in names:
            problems.append(f"the app {app} is missing")
        # Data files an app reads itself (fablabs/data/relays.csv for network_setup).
        for path in (BASE_DIR / app).rglob("*"):
            if (
                path.is_file()
                and path.suffix not in (".py", ".pyc")
                and "__pycache__" not in path.parts
                and path.relative_to(BASE_DIR).as_posix() not in names
            ):
                problems.append(f"the data file {path.relative_to(BASE_DIR)} is missing")
        migrations = BASE_DIR / app / "migrations"
        for migration in migrations.glob("*.py") if migrations.is_dir() else ():
            if f"{app}/migrations/{migration.name}" not in names:
                problems.append(f"the migration {app}/migrations/{migration.name} is missing")
    for folder in SITE_FOLDERS:
        missing = sorted(checkout_files(folder) - names)
        if missing:
            problems.append(f"{len(missing)} files of {folder}/ are missing, e.g. {missing[:3]}")
    for language in ("fr", "en"):
        if f"tilab_site/locale/{language}/LC_MESSAGES/django.mo" not in names:
            problems.append(f"the compiled {language} catalogue (django.mo) is missing")
    tests = sorted(name for name in names if name.split("/")[0] == "tests")
    if tests:
        problems.append(f"the tests are in the wheel: {tests[:3]}")
    return problems


if __name__ == "__main__":
    found = wheel_problems(Path(sys.argv[1]))
    for problem in found:
        print(problem)
    complete = "every app, template, static file and catalogue"
    print(f"{sys.argv[1]}: {'incomplete' if found else complete}")
    sys.exit(1 if found else 0)
