"""What the log says of a request that ends badly: a refusal (403) in one line naming the path
and who was refused, a crash (500) with its traceback, each written once."""

import logging

import pytest
from django.test import Client, override_settings
from django.urls import path

from tests.factories import make_need
from tilab.log_filters import ForbiddenInOneLine


def _crash(request):
    raise RuntimeError("boom")


urlpatterns = [path("crash/", _crash)]


def _request_records(caplog):
    return [record for record in caplog.records if record.name.startswith("django.")]


def test_a_refused_page_is_one_warning_naming_the_path_and_the_user(client, maker, caplog):
    client.force_login(maker)
    with caplog.at_level(logging.INFO, logger="django.request"):
        assert client.get("/besoins/suivi-reseau/").status_code == 403
    [record] = _request_records(caplog)
    assert (record.levelname, record.exc_info, record.exc_text) == ("WARNING", None, None)
    assert "/besoins/suivi-reseau/" in record.getMessage()
    assert f"user {maker.pk}" in record.getMessage()


def test_a_refused_api_call_is_one_warning_naming_the_user(client, maker, caplog):
    url = f"/api/v1/needs/{make_need().pk}/remove/"
    client.force_login(maker)
    with caplog.at_level(logging.INFO, logger="django.request"):
        refused = client.post(url, {"reason": "Spam"}, content_type="application/json")
    assert refused.status_code == 403
    [record] = _request_records(caplog)
    assert (record.levelname, record.exc_info) == ("WARNING", None)
    assert record.getMessage().endswith(f"{url} (user {maker.pk})")


def test_a_refused_anonymous_visitor_is_named_anonymous(reference_data, caplog):
    with caplog.at_level(logging.INFO, logger="django.request"):
        refused = Client(enforce_csrf_checks=True).post("/besoins/nouveau/", {})
    assert refused.status_code == 403
    [record] = _request_records(caplog)
    assert record.getMessage().endswith("/besoins/nouveau/ (anonymous)")


@override_settings(ROOT_URLCONF=__name__)
def test_a_crash_is_logged_as_an_error_with_its_traceback(client, reference_data, caplog):
    client.raise_request_exception = False
    with caplog.at_level(logging.INFO, logger="django.request"):
        assert client.get("/crash/").status_code == 500
    [record] = _request_records(caplog)
    assert record.levelname == "ERROR"
    assert record.exc_info[0] is RuntimeError


def _handlers_writing(record: logging.LogRecord) -> list[logging.Handler]:
    """The configured handlers a record of its logger reaches (pytest's own left out)."""
    reached = []
    logger = logging.getLogger(record.name)
    while logger:
        reached += [
            handler
            for handler in logger.handlers
            if not type(handler).__module__.startswith("_pytest")
            and record.levelno >= handler.level
            and handler.filter(record)
        ]
        logger = logger.parent if logger.propagate else None
    return reached


@pytest.mark.parametrize("debug", [True, False])
def test_a_record_of_django_is_written_once_whether_debug_is_on_or_off(settings, debug):
    settings.DEBUG = debug
    record = logging.getLogger("django.request").makeRecord(
        "django.request", logging.ERROR, __file__, 1, "Internal Server Error: /", (), None
    )
    assert len(_handlers_writing(record)) == 1


def test_a_refusal_names_its_user_once_even_when_its_filter_is_set_twice(client, maker, caplog):
    # As when logging is configured again (django.setup() twice): the filter is added again.
    again = ForbiddenInOneLine()
    logging.getLogger("django.request").addFilter(again)
    client.force_login(maker)
    try:
        with caplog.at_level(logging.INFO, logger="django.request"):
            client.get("/besoins/suivi-reseau/")
    finally:
        logging.getLogger("django.request").removeFilter(again)
    [record] = _request_records(caplog)
    assert record.getMessage().endswith(f"/besoins/suivi-reseau/ (user {maker.pk})")


def _formatter(name: str) -> logging.Formatter:
    from django.conf import settings
    from django.utils.module_loading import import_string

    config = dict(settings.LOGGING["formatters"][name])
    factory = import_string(config.pop("()"))
    config["fmt"] = config.pop("format")  # as logging.config passes it to a factory
    return factory(**config)


def _record(message: str, *args) -> logging.LogRecord:
    return logging.LogRecord("tilab.test", logging.WARNING, __file__, 1, message, args, None)


def test_a_json_log_line_is_one_object_in_utc_with_level_logger_and_message():
    import json

    line = _formatter("json").format(_record("Déclaration %s refusée", 48))
    assert "\n" not in line
    body = json.loads(line)
    assert (body["level"], body["logger"], body["message"]) == (
        "WARNING", "tilab.test", "Déclaration 48 refusée"
    )  # fmt: skip
    assert body["timestamp"].endswith("+00:00")


def test_a_plain_log_line_is_in_utc_whatever_the_servers_time_zone(monkeypatch):
    import time

    monkeypatch.setenv("TZ", "America/Cayenne")
    time.tzset()
    try:
        record = _record("ok")
        record.created = 0.0
        record.msecs = 0.0
        assert _formatter("plain").format(record).startswith("1970-01-01T00:00:00.000Z WARNING")
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
