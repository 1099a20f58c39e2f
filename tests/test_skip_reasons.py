"""README lists every reason a test may be skipped for, word for word: a newcomer whose
`make test` ends with "skipped, a real part being absent: …" finds each reason there, with what
to install. The reasons are read from the tests' code: every `require(condition, reason)` (skip
on a laptop, fail in CI) and every `pytest.skip(reason)`; of a reason built with an f-string,
the words before its first value."""

import ast
from pathlib import Path

from tests.conftest import skip_reasons

ROOT = Path(__file__).resolve().parent.parent


def _literal(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        words = ""
        for part in node.values:
            if not (isinstance(part, ast.Constant) and isinstance(part.value, str)):
                break
            words += part.value
        return words or None
    return None


def reasons_in_tests() -> dict[str, str]:
    """Each reason found in the tests → where it is (path:line)."""
    found = {}
    for path in sorted((ROOT / "tests").rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        # `require` itself skips with the reason it is given.
        inside_require = {
            id(node)
            for function in ast.walk(tree)
            if isinstance(function, ast.FunctionDef) and function.name == "require"
            for node in ast.walk(function)
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or id(node) in inside_require:
                continue
            function = node.func
            name = (
                function.attr
                if isinstance(function, ast.Attribute)
                else getattr(function, "id", "")
            )
            if name == "require" and len(node.args) == 2:
                reason = node.args[1]
            elif name == "skip" and isinstance(function, ast.Attribute) and node.args:
                reason = node.args[0]
            else:
                continue
            text = _literal(reason)
            assert text, f"{path.relative_to(ROOT)}:{node.lineno}: a skip reason README can quote"
            found[text] = f"{path.relative_to(ROOT)}:{node.lineno}"
    return found


def test_the_tests_skip_for_reasons_this_test_can_read():
    found = reasons_in_tests()
    assert "needs PostgreSQL (DATABASE_URL)" in found  # tests/conftest.py's require_postgresql
    assert "Chromium is not installed (apt-get install chromium)" in found
    assert "the history holds " in found  # an f-string, by its first words


def test_readme_lists_every_skip_reason():
    # Markdown wraps lines: a reason reads the same across a line break.
    readme = " ".join((ROOT / "README.md").read_text().split())
    missing = [f"{where}: {reason!r}" for reason, where in reasons_in_tests().items()
               if " ".join(reason.split()) not in readme]  # fmt: skip
    assert not missing, "README does not list these skip reasons:\n" + "\n".join(missing)


def test_skips_are_summed_up_by_reason_in_one_line():
    class Report:
        def __init__(self, where: str, reason: str):
            self.longrepr = (where, 1, f"Skipped: {reason}")

    skipped = [
        Report("tests/a.py", "needs PostgreSQL (DATABASE_URL)"),
        Report("tests/b.py", "Chromium is not installed (apt-get install chromium)"),
        Report("tests/c.py", "needs PostgreSQL (DATABASE_URL)"),
    ]
    assert skip_reasons(skipped) == [
        ("needs PostgreSQL (DATABASE_URL)", 2),
        ("Chromium is not installed (apt-get install chromium)", 1),
    ]
