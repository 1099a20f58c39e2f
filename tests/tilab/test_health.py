"""Liveness answers without touching the database; readiness checks what is configured."""

import pytest


def test_liveness_answers_without_the_database(client):
    # No database access is allowed in this test: any query would raise.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"


@pytest.mark.django_db(transaction=True)
def test_readiness_checks_database_and_cache(client):
    response = client.get("/health/?format=json")
    assert response.status_code == 200
    body = response.json()
    assert any(name.startswith("Database") for name in body)
    assert any(name.startswith("Cache") for name in body)
    assert set(body.values()) == {"OK"}


def test_readiness_includes_the_broker_when_one_is_configured(settings):
    from tilab.health import readiness_checks

    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    names = [c[0] if isinstance(c, tuple) else c for c in readiness_checks()]
    assert "health_check.contrib.redis.Redis" in names


@pytest.mark.django_db(transaction=True)
def test_readiness_fails_when_the_broker_is_down(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/health/?format=json")
    # Not ready (503, to be asked again), not broken (500); the failing part is named.
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    failing = {name for name, state in response.json().items() if state != "OK"}
    assert [name.split("(")[0] for name in failing] == ["Redis"]


@pytest.mark.django_db(transaction=True)
def test_readiness_in_plain_text_also_answers_503_naming_the_part(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get("/health/?format=text")
    assert response.status_code == 503
    assert "Redis" in response.content.decode()
