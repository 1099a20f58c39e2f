"""The error codes as programs read them: every code a service declares, and every code of the
API's plumbing, is in the README's table and the schema's `ErrorCode` enum, and the table is the
one `manage.py error_codes --readme` writes (tilab/api_errors.py)."""

import ast
import inspect
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from tilab.api_errors import PLUMBING_CODES, error_codes, exception_handler
from tilab.errors import BadInput, NotAllowed, NotFound, Refusal, WrongState
from tilab.management.commands.error_codes import readme_with_table

BASE = Path(settings.BASE_DIR)
README = BASE / "README.md"
APPS = sorted(path.parent.name for path in BASE.glob("*/apps.py") if path.parent.name != "tests")
KINDS = {kind.__name__ for kind in (Refusal, BadInput, NotAllowed, NotFound, WrongState)}


def readme_codes() -> set[str]:
    return set(re.findall(r"^\| `([a-z0-9_]+)` \|", README.read_text(), flags=re.MULTILINE))


def codes_in_source() -> dict[str, str]:
    """Each code written in the apps' source, read from the text rather than imported: the first
    argument of a `Code(…)` declaration or of a refusal made by hand (`BadInput("…", …)`)."""
    found = {}
    for app in APPS:
        for path in (BASE / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                    continue
                if node.func.id not in KINDS | {"Code"} or not node.args:
                    continue
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    found[first.value] = f"{path.relative_to(BASE)}:{node.lineno}"
    return found


def test_the_readme_table_is_the_one_the_command_writes():
    readme = README.read_text()
    assert readme_with_table(readme) == readme, (
        "The README's table of error codes is out of date: run "
        "`python manage.py error_codes --readme`."
    )


def test_every_code_written_in_the_apps_is_in_the_readme_table():
    written = codes_in_source()
    assert len(written) > 200
    missing = {code: where for code, where in written.items() if code not in readme_codes()}
    assert missing == {}


def test_the_table_has_each_code_once_with_the_status_of_its_kind():
    codes = [each.code for each in error_codes()]
    assert len(codes) == len(set(codes))
    statuses = {each.code: each.status for each in error_codes()}
    assert statuses["report_already_decided"] == 409
    assert statuses["role_not_allowed"] == 403
    assert statuses["quantity_out_of_range"] == 400
    assert statuses["unsupported_media_type"] == 415


DRF_ERRORS = [
    cls
    for _name, cls in inspect.getmembers(exceptions, inspect.isclass)
    if issubclass(cls, exceptions.APIException) and 400 <= getattr(cls, "status_code", 0) < 500
]


@pytest.mark.parametrize("cls", DRF_ERRORS, ids=lambda cls: cls.__name__)
def test_every_error_of_drf_answers_a_code_of_the_table(cls):
    arguments = {
        exceptions.MethodNotAllowed: ("PUT",),
        exceptions.UnsupportedMediaType: ("text/plain",),
    }.get(cls, ())
    response = answer(cls(*arguments))
    assert 400 <= response.status_code < 500
    assert response.data["code"] in PLUMBING_CODES, cls


@pytest.mark.parametrize("exc", [Http404(), PermissionDenied("a.rule")])
def test_djangos_own_refusals_answer_a_code_of_the_table(exc):
    assert answer(exc).data["code"] in readme_codes()


def answer(exc):
    request = APIView().initialize_request(APIRequestFactory().get("/api/v1/"))
    return exception_handler(exc, {"view": APIView(), "request": request})
