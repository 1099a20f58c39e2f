"""Fixtures of the API fuzzing: the network it runs against, served in-process."""

import traceback

import pytest
import schemathesis
from django.core.signals import got_request_exception, request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import strategies as st

from config.wsgi import application
from tests.api.world import world_build


class BehindProxy:
    """The platform's WSGI application as production runs it, behind one reverse proxy that
    names the client (settings: TRUSTED_PROXY_COUNT); keeps the traceback of server errors."""

    proxy = "10.0.0.2"
    client = "203.0.113.7"

    def __init__(self):
        self.tracebacks: list[str] = []

    def __call__(self, environ, start_response):
        environ["REMOTE_ADDR"] = self.proxy
        environ["HTTP_X_FORWARDED_FOR"] = self.client
        crashed = len(self.tracebacks)
        with transaction.atomic():
            response = application(environ, start_response)
            if len(self.tracebacks) > crashed:
                # As in production, a request that failed leaves nothing behind and the next
                # one starts afresh (PostgreSQL refuses anything more in a failed transaction).
                transaction.set_rollback(True)
        return response

    def server_error(self, sender, **kwargs):
        self.tracebacks.append(traceback.format_exc())


@pytest.fixture(scope="module")
def served():
    return BehindProxy()


@pytest.fixture(scope="module")
def api_schema(served, django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        return schemathesis.openapi.from_wsgi("/api/schema/", served)


def unfiltered_at_times(context, query):
    """Half the time, a request without its query parameters: a list read unfiltered has
    items whose ids feed the next steps of a scenario (filters are fuzzed one by one)."""
    return st.sampled_from([query, {}])


@pytest.fixture(scope="module")
def linked_api_schema(served, django_db_setup, django_db_blocker):
    """The same schema, loaded apart for the linked scenarios and their generation hook."""
    with django_db_blocker.unblock():
        schema = schemathesis.openapi.from_wsgi("/api/schema/", served)
    schema.hooks.register_hook_with_name(unfiltered_at_times, "flatmap_query")
    return schema


@pytest.fixture
def world(db, reference_data, settings):
    # The limits are tested in tests/security; here they must not cut the fuzzing short.
    settings.THROTTLE_RATES = {scope: "1000000/minute" for scope in settings.THROTTLE_RATES}
    return world_build()


@pytest.fixture
def serving(served, world):
    # Requests are served inside the test's transaction, as Django's test client serves them:
    # closing "old" connections at the end of a request would close the test's own.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    got_request_exception.connect(served.server_error)
    served.tracebacks.clear()
    yield served
    got_request_exception.disconnect(served.server_error)
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def schema(api_schema, serving):
    return api_schema


@pytest.fixture
def linked_schema(linked_api_schema, serving):
    return linked_api_schema
