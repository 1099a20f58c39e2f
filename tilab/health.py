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

    async def get(self, request, *args, **kwargs):
        response = await super().get(request, *args, **kwargs)
        if response.status_code == 500:
            # The library's 500 for a failed check: a dependency is down, so this instance is
            # not ready (503); the body names the failing part.
            response.status_code = 503
            response["Retry-After"] = "10"
        return response
