"""A Redis cache out of reach costs nobody their request: logins, the API and readiness still
answer (the counters they keep are simply not kept until Redis is back)."""

import pytest
from django.core.cache import cache

import tilab.cache
from tests.factories import PASSWORD, make_personal_token

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connections are refused


@pytest.fixture
def dead_cache(settings, monkeypatch):
    # Restored afterwards: the pause is per process, and later tests use the real cache.
    monkeypatch.setattr(tilab.cache, "_down_until", 0.0)
    settings.CACHES = {
        "default": {
            "BACKEND": "tilab.cache.ResilientRedisCache",
            "LOCATION": DEAD_REDIS,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    yield
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def test_reads_miss_and_writes_are_dropped_without_an_error(dead_cache):
    cache.set("a", 1)
    assert cache.get("a", "missing") == "missing"
    assert cache.get_many(["a", "b"]) == {}
    assert cache.add("lock", True) is True  # the work goes on, uncounted
    assert cache.delete("a") is False


def test_a_person_still_signs_in_while_the_cache_is_down(client, maker, dead_cache):
    wrong = client.post("/accounts/login/", {"login": maker.email, "password": "wrong-pass-1"})
    assert wrong.status_code == 200
    assert "mot de passe" in wrong.content.decode().lower()

    right = client.post("/accounts/login/", {"login": maker.email, "password": PASSWORD})
    assert right.status_code == 302


def test_the_api_still_answers_while_the_cache_is_down(client, maker, dead_cache):
    token = make_personal_token(maker)
    response = client.get("/api/v1/production-reports/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200


@pytest.mark.django_db(transaction=True)
def test_readiness_still_reports_the_cache_down(client, dead_cache):
    response = client.get("/health/?format=json")
    assert response.status_code == 503
    body = response.json()
    assert any(name.startswith("Cache") and value != "OK" for name, value in body.items())


@pytest.mark.parametrize(
    "path", ["/", "/chiffres/", "/api/v1/figures/?group_by=week", "/open-data/production.csv"]
)
def test_the_public_pages_still_answer_while_the_cache_is_down(
    client, reference_data, dead_cache, path
):
    first = client.get(path)
    assert first.status_code == 200
    assert "public" in first["Cache-Control"]
    assert client.get(path, headers={"if-none-match": first["ETag"]}).status_code == 304
