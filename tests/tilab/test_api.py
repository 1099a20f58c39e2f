"""The API root, its OpenAPI schema, and the two ways to authenticate: session and token."""

import pytest
import yaml
from drf_spectacular.validation import validate_schema
from knox.models import AuthToken

from tilab import services


@pytest.mark.django_db
def test_the_api_root_lists_the_collections(client):
    response = client.get("/api/v1/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert {"departments", "item-types", "relays", "me"} <= set(response.json())


@pytest.mark.django_db
def test_the_openapi_schema_is_valid_openapi_3(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)  # raises on any violation of the OpenAPI 3 meta-schema
    assert {
        "/api/v1/me/",
        "/api/v1/production-reports/",
        "/api/v1/production-reports/{id}/validate/",
        "/api/v1/production-reports/{id}/reject/",
        "/api/v1/production-reports/import/",
        "/api/v1/makers/",
    } <= set(schema["paths"])
    assert "knoxApiToken" in schema["components"]["securitySchemes"]


def test_public_reference_lists(client, reference_data):
    response = client.get("/api/v1/departments/")
    assert [d["code"] for d in response.json()] == ["22", "29", "35", "56"]
    slugs = [i["slug"] for i in client.get("/api/v1/item-types/").json()]
    assert "visor" in slugs


def test_relays_list_their_departments(client, relay_staff, other_relay_staff):
    body = client.get("/api/v1/relays/").json()
    coverage = {r["name"]: r["departments"] for r in body["results"]}
    assert coverage == {"LabFab de Rennes": ["22", "35"], "ENSTA Bretagne": ["29"]}


def test_the_relay_list_keeps_a_constant_query_count(
    client, reference_data, django_assert_max_num_queries
):
    from tests.factories import make_relay

    make_relay(name="R1", departments=["35"])
    with django_assert_max_num_queries(3) as few:
        client.get("/api/v1/relays/")
    make_relay(name="R2", departments=["22"])
    make_relay(name="R3", departments=["29", "56"])
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/api/v1/relays/")


@pytest.mark.django_db
def test_me_needs_authentication(client):
    assert client.get("/api/v1/me/").status_code in (401, 403)


def test_me_with_the_browser_session(client, relay_staff):
    client.force_login(relay_staff)
    body = client.get("/api/v1/me/").json()
    assert body["email"] == relay_staff.email
    assert body["roles"] == ["relay_staff"]


def test_a_user_creates_a_token_on_their_page_and_a_program_uses_it(client, maker):
    client.force_login(maker)
    response = client.post("/accounts/tokens/", {"create": "1"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    token = response.context["new_token"]
    assert token and token in response.content.decode()
    # Only a digest is stored.
    assert not AuthToken.objects.filter(digest=token).exists()

    program = client.__class__()
    body = program.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}").json()
    assert body["email"] == maker.email

    # The page lists it afterwards, but never the clear text again.
    html = client.get("/accounts/tokens/").content.decode()
    assert token[:8] in html
    assert token not in html


def test_a_revoked_token_no_longer_works(client, maker):
    instance, token = services.personal_token_create(user=maker)
    client.force_login(maker)
    response = client.post("/accounts/tokens/", {"revoke": instance.token_key})
    assert response.status_code == 302
    program = client.__class__()
    assert program.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 401


def test_nobody_revokes_another_persons_token(client, maker, facilitator):
    instance, _token = services.personal_token_create(user=maker)
    client.force_login(facilitator)
    client.post("/accounts/tokens/", {"revoke": instance.token_key})
    assert AuthToken.objects.filter(user=maker).count() == 1


def test_tokens_are_limited_per_person(client, maker):
    for _ in range(services.MAX_PERSONAL_TOKENS):
        services.personal_token_create(user=maker)
    client.force_login(maker)
    response = client.post("/accounts/tokens/", {"create": "1"}, follow=True)
    assert AuthToken.objects.filter(user=maker).count() == services.MAX_PERSONAL_TOKENS
    assert "révoquez-en un" in response.content.decode()


@pytest.mark.django_db
def test_a_forged_token_is_refused(client):
    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION="Token " + "a" * 64)
    assert response.status_code == 401
