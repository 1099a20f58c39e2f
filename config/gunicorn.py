"""gunicorn's settings in production (`gunicorn -c config/gunicorn.py config.wsgi`).

Its own log lines take the application's form (LOG_FORMAT: JSON by default, UTC), and each
request's line names the client, as the reverse proxy saw it (X-Forwarded-For), beside the
proxy's own address. Values come from the environment, as the application's settings do.
"""

import os

from tilab.log_filters import LOG_FORMATTERS

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# The proxy in front (Caddy in docker-compose.yml) tells the scheme it was asked over.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")
accesslog = "-"
access_log_format = 'client=%({x-forwarded-for}i)s proxy=%(h)s "%(r)s" %(s)s %(B)s bytes %(M)s ms'

logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"line": LOG_FORMATTERS[os.environ.get("LOG_FORMAT", "json")]},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "line"}},
    "loggers": {
        "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
