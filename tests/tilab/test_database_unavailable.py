"""While the database is out of reach, people get a 503 saying nothing was recorded and when
to retry, not a server error (tests/faults/test_postgres_restarted.py does it for real)."""

from contextlib import contextmanager

import pytest
from django.db import OperationalError, connection

from tests.factories import make_personal_token


@contextmanager
def database_gone():
    def refuse(execute, sql, params, many, context):
        raise OperationalError("server closed the connection unexpectedly")

    with connection.execute_wrapper(refuse):
        yield


def test_a_page_answers_503_with_a_message_while_the_database_is_gone(client, reference_data):
    with database_gone():
        response = client.get("/chiffres/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "Rien n'a été enregistré" in response.content.decode()


def test_the_api_answers_503_in_json_while_the_database_is_gone(client, maker):
    token = make_personal_token(maker)
    with database_gone():
        response = client.post(
            "/api/v1/production-reports/",
            {"item_type": "visor", "quantity": 3},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Token {token}",
        )
    assert response.status_code == 503
    assert "rien n'a été enregistré" in response.json()["detail"]


@pytest.mark.django_db
def test_other_errors_stay_server_errors(client, settings):
    from tilab.middleware import DatabaseUnavailableMiddleware

    middleware = DatabaseUnavailableMiddleware(lambda request: None)
    assert middleware.process_exception(None, ValueError("a bug")) is None
