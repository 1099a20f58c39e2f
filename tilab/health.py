"""Readiness: the database and the cache always, the broker when one is configured."""

from django.conf import settings
from health_check.views import HealthCheckView

from .permissions import PUBLIC


def readiness_checks() -> list:
    checks: list = ["health_check.checks.Database", "health_check.checks.Cache"]
    if settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        from redis.asyncio import Redis

        url = settings.CELERY_BROKER_URL
        checks.append(
            (
                "health_check.contrib.redis.Redis",
                {"client_factory": lambda: Redis.from_url(url, socket_connect_timeout=2)},
            )
        )
    return checks


class ReadinessView(HealthCheckView):
    permission = PUBLIC  # load balancers and orchestrators ask, without an account

    def get_checks(self):
        self.checks = readiness_checks()
        return super().get_checks()
