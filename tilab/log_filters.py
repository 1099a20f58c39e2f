"""Filters of the log (settings LOGGING): a refusal is one line, a failure keeps its traceback."""

import logging
import time

FORBIDDEN = 403

# The two forms of a log line, one line per record with times in UTC: JSON for a log collector
# (production), plain text for a person (the demo). The application's LOGGING and gunicorn's
# (config/gunicorn.py) both use them.
LOG_FORMATTERS = {
    "plain": {
        "()": "tilab.log_filters.UTCFormatter",
        "format": "%(asctime)s %(levelname)s %(name)s: %(message)s",
    },
    "json": {
        "()": "pythonjsonlogger.json.JsonFormatter",
        "format": "%(levelname)s %(name)s %(message)s",
        "rename_fields": {"levelname": "level", "name": "logger"},
        "timestamp": True,  # ISO 8601 in UTC
        "json_ensure_ascii": False,
    },
}


class ForbiddenInOneLine(logging.Filter):
    """Django logs a PermissionDenied with its traceback, as it does a crash. A 403 is a
    refusal the platform meant to give, so its record loses the traceback and names who was
    refused (an id, not an address: the log holds no personal data). Errors (5xx) pass as
    they come."""

    def filter(self, record: logging.LogRecord) -> bool:
        # Once per record: configuring logging again (django.setup() twice) adds the filter
        # again to its logger.
        if getattr(record, "status_code", None) == FORBIDDEN and not hasattr(record, "who"):
            record.who = _who(getattr(record, "request", None))
            record.exc_info = None
            record.exc_text = None
            record.msg = f"{record.msg} (%s)"
            record.args = (*(record.args or ()), record.who)
        return True


def _who(request) -> str:
    user = getattr(request, "user", None)
    # A user not yet read (lazy) is read here; a failure to read it must not lose the line.
    try:
        authenticated = bool(user is not None and user.is_authenticated)
    except Exception:
        return "user unknown"
    return f"user {user.pk}" if authenticated else "anonymous"


class UTCFormatter(logging.Formatter):
    """Times in UTC, with the offset written: one time zone in every line, whatever the
    server's."""

    converter = time.gmtime
    default_time_format = "%Y-%m-%dT%H:%M:%S"
    default_msec_format = "%s.%03dZ"
