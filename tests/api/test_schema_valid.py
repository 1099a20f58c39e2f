"""The OpenAPI schema as other people's tools read it: a validator (openapi-spec-validator),
drf-spectacular's own checks without a warning, and what client generators stumble on (JSON
bodies only but for the one upload, ASCII names, no inline enum, no page or filter parameter on
an action, a coded body for every error)."""

import json
import re

import pytest
from django.core.management import call_command
from django.test import Client
from drf_spectacular.drainage import GENERATOR_STATS
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename

from tilab.api_errors import error_codes

JSON = "application/json"
UPLOAD = "production_reports_import"
ERROR_BODIES = {"Error", "FieldErrors", "ImportRefused"}


@pytest.fixture(scope="module", params=["fr", "en"])
def schema(request, django_db_setup, django_db_blocker) -> dict:
    """The schema as served, in either language of its descriptions."""
    with django_db_blocker.unblock():
        response = Client().get("/api/schema/?format=json", HTTP_ACCEPT_LANGUAGE=request.param)
    assert response.status_code == 200
    return json.loads(response.content)


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def component(schema, ref: str) -> dict:
    return schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]


def test_the_schema_passes_openapi_spec_validator(schema):
    assert schema["openapi"].startswith("3.0.")
    validate(schema)


def test_spectacular_validates_the_schema_without_a_warning(tmp_path):
    # --fail-on-warn turns every warning (or error) of the generation into a failure; those
    # of another test's generation in this process are not this schema's.
    GENERATOR_STATS.reset()
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    spec, _ = read_from_filename(str(out))
    validate(spec)


def test_component_names_are_ascii(schema):
    names = schema["components"]["schemas"]
    assert [name for name in names if not re.fullmatch(r"[A-Za-z0-9_.-]+", name)] == []


def nodes(node, where=""):
    """(JSON pointer, schema object) of every object in the document."""
    if isinstance(node, dict):
        yield where, node
        for key, value in node.items():
            yield from nodes(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from nodes(value, f"{where}/{index}")


def test_every_enum_is_a_named_component(schema):
    """Generators name an inline enum from its title, a French label ("ÉTat"): none is left."""
    inline = [
        where
        for where, node in nodes(schema)
        if "enum" in node and not re.fullmatch(r"/components/schemas/[^/]+", where)
    ]
    assert inline == []


def test_every_array_says_what_it_holds(schema):
    """openapi-python-client drops a schema with an array of unsaid items (and every answer
    that uses it)."""
    bare = [
        where
        for where, node in nodes(schema)
        if node.get("type") == "array" and "items" not in node
    ]
    assert bare == []


def test_no_write_takes_a_form_body_but_the_spreadsheet_upload(schema):
    bodies = {
        operation["operationId"]: sorted(operation["requestBody"]["content"])
        for _, _, operation in operations(schema)
        if "requestBody" in operation
    }
    assert bodies.pop(UPLOAD) == ["multipart/form-data"]
    assert {name: types for name, types in bodies.items() if types != [JSON]} == {}


def test_only_reads_of_lists_take_page_or_filter_parameters(schema):
    for path, method, operation in operations(schema):
        query = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        if method != "get":
            assert query == set(), (method, path)
        elif path.endswith("}/"):  # one object
            assert not query & {"cursor", "page_size"}, path


def test_numeric_ids_in_paths_are_integers_as_in_the_answers(schema):
    # A client passes `report.id` (an integer in every answer) to `/production-reports/{id}/`
    # as it is; drf-spectacular read `[0-9]+` from the URL as a string with a pattern.
    ids = {}
    for path, method, operation in operations(schema):
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path" and parameter["name"] == "id":
                ids[f"{method} {path}"] = parameter["schema"]
    assert ids["post /api/v1/production-reports/{id}/validate/"] == {
        "type": "integer",
        "minimum": 0,
    }
    assert {where: s for where, s in ids.items() if s.get("type") != "integer"} == {}
    assert len(ids) > 40


def test_every_error_answer_documents_the_coded_body(schema):
    for path, method, operation in operations(schema):
        for status, response in operation["responses"].items():
            if not status.startswith("4"):
                continue
            assert list(response.get("content", {})) == [JSON], (method, path, status)
            body = response["content"][JSON]["schema"]
            assert body["$ref"].rsplit("/", 1)[-1] in ERROR_BODIES, (method, path, status)
            shapes = component(schema, body["$ref"])
            for shape in shapes.get("anyOf", [shapes]):
                shape = component(schema, shape["$ref"]) if "$ref" in shape else shape
                properties = shape["properties"]
                # A listed code, or one added later that a generated client reads as a string.
                assert properties["code"] == {
                    "anyOf": [{"$ref": "#/components/schemas/ErrorCode"}, {"type": "string"}]
                }
                assert {"detail", "field"} <= set(properties)


def test_every_operation_documents_the_errors_its_plumbing_gives(schema):
    """401 (a token refused), 429 (rate limits) everywhere; 404 with an id in the path; 400
    and 415 with a body; 400 for a list's filters and cursor."""
    for path, method, operation in operations(schema):
        expected = {"401", "429"}
        if "{" in path:
            expected.add("404")
        if "requestBody" in operation:
            expected |= {"400", "415"}
        if any(parameter["name"] == "cursor" for parameter in operation.get("parameters", [])):
            expected.add("400")
        assert expected <= set(operation["responses"]), (method, path)


def test_the_schema_lists_every_error_code(schema):
    listed = schema["components"]["schemas"]["ErrorCode"]["enum"]
    assert listed == [each.code for each in error_codes()]
    assert {"invalid", "not_found", "throttled", "report_already_decided"} <= set(listed)
