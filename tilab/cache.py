"""The cache on Redis, kept an accelerator: while Redis is out of reach nobody's request fails.

What lives in the cache here can be lost: rate-limit counters (login, API, guest forms), the
open-data XLSX, the memory of e-mails already sent (a database claim guards the real ones).
When Redis refuses or hangs, reads miss, writes are dropped and `add` answers "taken for you",
and the process leaves Redis alone for PAUSE seconds so a hanging server does not cost every
request its socket timeout. The readiness check (`/health/`) still reports the cache as down,
since what it writes it cannot read back. Tested in tests/faults/test_redis_down.py and
tests/tilab/test_cache.py.
"""

import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

PAUSE = 30.0  # seconds without trying Redis once it failed
_down_until = 0.0  # per process; Django builds a cache object per thread


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Django's client builds a `redis.Redis` on every cache call, which costs more than a
    round trip to Redis (about 130 µs here: its table of reply parsers). A `redis.Redis` is
    thread-safe and holds no connection of its own (its pool does): one for reads and one for
    writes serve every call. (With replicas, a process then reads from the one it drew first.)"""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._reused = {}

    def get_client(self, key=None, *, write=False):
        client = self._reused.get(write)
        if client is None:
            client = self._reused[write] = super().get_client(key, write=write)
        return client


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        # The client class RedisCache builds its client from (it has no setting for it).
        self._class = ReusedClientRedisCacheClient

    def _guarded(self, name: str, fallback, *args, **kwargs):
        global _down_until
        if time.monotonic() < _down_until:
            return fallback
        try:
            return getattr(super(), name)(*args, **kwargs)
        except RedisError as error:
            _down_until = time.monotonic() + PAUSE
            log.warning("cache unavailable, %s skipped for %ss: %s", name, PAUSE, error)
            return fallback

    def get(self, key, default=None, version=None):
        return self._guarded("get", default, key, default, version)

    def get_many(self, keys, version=None):
        return self._guarded("get_many", {}, keys, version)

    def has_key(self, key, version=None):
        return self._guarded("has_key", False, key, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded("set", None, key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded("set_many", list(data), data, timeout, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        # "Taken for you": a lock or a first-time mark still lets the work go on, uncounted.
        return self._guarded("add", True, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded("touch", False, key, timeout, version)

    def delete(self, key, version=None):
        return self._guarded("delete", False, key, version)

    def delete_many(self, keys, version=None):
        return self._guarded("delete_many", None, keys, version)

    def clear(self):
        return self._guarded("clear", None)
