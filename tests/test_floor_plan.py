"""The floor plan holds: each app one concept of a readable size, and no app reaching into
another's private helpers. The layers themselves (who may import whom) are import-linter
contracts in pyproject.toml, checked by `make lint`."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = sorted(
    path.parent.name
    for path in ROOT.glob("*/__init__.py")
    if path.parent.name not in {"tests", "var", "staticfiles"}
)


def _modules(app: str):
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" not in path.relative_to(ROOT).parts:
            yield path


def test_the_apps_are_the_ones_the_readme_names():
    readme = (ROOT / "README.md").read_text()
    for app in APPS:
        assert f"`{app}/`" in readme, f"README's 'What is where' does not mention {app}/"


def test_no_app_holds_more_than_a_quarter_of_the_code():
    lines = {app: sum(len(p.read_text().splitlines()) for p in _modules(app)) for app in APPS}
    total = sum(lines.values())
    too_big = {app: f"{n / total:.0%}" for app, n in lines.items() if n > total / 4}
    assert not too_big, f"apps over a quarter of {total} lines: {too_big}"


def test_no_app_imports_a_private_name_of_another():
    found = []
    for app in APPS:
        for path in _modules(app):
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.ImportFrom) or not node.module or node.level:
                    continue
                top = node.module.split(".")[0]
                if top == app or top not in APPS:
                    continue
                private = [a.name for a in node.names if a.name.startswith("_")]
                private += [part for part in node.module.split(".") if part.startswith("_")]
                if private:
                    found.append(f"{path.relative_to(ROOT)}: {node.module} {private}")
    assert not found, "private helpers used across apps:\n" + "\n".join(found)
