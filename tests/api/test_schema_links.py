"""What tilab/schema.py (and config/schema.py's tables) add to the OpenAPI schema: the answers
every endpoint shares, and the links from an answer carrying an object's id to the requests that
take it."""

import re

import pytest
from django.test import Client

DETAIL = re.compile(r"(?P<collection>/api/v1/[^{}]+/)\{(?P<param>\w+)\}/")


@pytest.fixture(scope="module")
def openapi(django_db_setup, django_db_blocker):
    """The OpenAPI document as a program reads it; it is generated from the code alone, so the
    module's tests read it once."""
    with django_db_blocker.unblock():
        response = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def operations(openapi):
    for path, methods in openapi["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_every_creation_links_to_every_request_on_the_new_object(openapi):
    paths = openapi["paths"]
    checked = 0
    for path, methods in paths.items():
        match = DETAIL.fullmatch(path)
        created = paths.get(match["collection"], {}).get("post") if match else None
        if not created or "201" not in created["responses"]:
            continue
        links = created["responses"]["201"].get("links", {})
        expression = f"$response.body#/{match['param']}"
        for other_path, other_methods in paths.items():
            if not other_path.startswith(path):
                continue
            for operation in other_methods.values():
                link = links.get(operation["operationId"])
                assert link, f"{created['operationId']} does not link to {operation['operationId']}"
                assert link["parameters"] == {match["param"]: expression}
                checked += 1
    assert checked >= 25  # reports, makers, programmes, workshops, needs, pledges…


def test_every_list_links_its_first_item_to_the_object(openapi):
    paths = openapi["paths"]
    for path in paths:
        match = DETAIL.fullmatch(path)
        if not match or "get" not in paths.get(match["collection"], {}):
            continue
        listing = paths[match["collection"]]["get"]
        retrieve = paths[path]["get"]["operationId"]
        link = listing["responses"]["200"]["links"][retrieve]
        pointer = link["parameters"][match["param"]]
        assert pointer.endswith(f"/0/{match['param']}"), pointer


def test_links_carry_ids_into_the_bodies_that_name_them(openapi):
    needs = openapi["paths"]["/api/v1/needs/{id}/"]["get"]["responses"]["200"]["links"]
    assert needs["pledges_create"]["requestBody"] == {"need": "$response.body#/id"}
    programme = openapi["paths"]["/api/v1/programmes/"]["post"]["responses"]["201"]["links"]
    assert programme["allocations_approve_create"]["parameters"] == {
        "id": "$response.body#/allocations/0/id"
    }


def test_every_operation_documents_the_answers_the_plumbing_gives(openapi):
    for path, method, operation in operations(openapi):
        responses = operation["responses"]
        assert {"401", "429"} <= set(responses), (method, path)
        if "{" in path:
            assert "404" in responses, (method, path)
        if method == "get" and "results" in str(responses["200"]):
            assert "400" in responses, (method, path)
