"""Request limits shared by the API and the pages: one table of rates in settings.

`settings.THROTTLE_RATES` maps a scope to a rate ("60/minute", "30/10m", "5/s"); a scope set
to None is not limited. The rate is read when the request comes, never frozen at import, so
an operator's environment and a test's `settings` fixture both change it. Counters live in
the cache (Redis in production, shared by every web process) and are keyed by account, or by
the client's address as allauth sees it behind the trusted proxies (ALLAUTH_TRUSTED_PROXY_COUNT),
so the login limits and these count the same person the same way.

The API uses the throttle classes (REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"]); a page uses
`throttle_page` (a decorator) or `over_limit`, with the scope of its API twin: a guest who
alternates between the form and the API still meets one limit.
"""

import hashlib
import ipaddress
import math
import re
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework.throttling import SimpleRateThrottle

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# allauth counts IPv6 clients per /64 (what one subscriber gets); so do we.
IPV6_PREFIX = 64


_RATE = re.compile(r"\s*(\d+)\s*/\s*(\d*)\s*([smhd])[a-z]*\s*")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "60/minute" → (60, 60); "30/10m" → (30, 600); "5/s" → (5, 1)."""
    match = _RATE.fullmatch(rate)
    if not match or int(match.group(1)) < 1:
        raise ImproperlyConfigured(
            f"Unreadable rate {rate!r}: write requests/period, e.g. 60/minute or 30/10m."
        )
    count, multiple, unit = match.groups()
    return int(count), int(multiple or 1) * _SECONDS[unit]


def client_address(request) -> str:
    """The client's address, from the trusted proxy's header when there is one (allauth's
    rule, so login limits and these agree); IPv6 addresses reduced to their /64."""
    from allauth.account.adapter import get_adapter

    address = get_adapter(request).get_client_ip(request)
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/{IPV6_PREFIX}", strict=False).network_address)
    return str(parsed)


class RateThrottle(SimpleRateThrottle):
    """A DRF throttle whose scope and rate are decided per request (see the module's doc).

    Subclasses say whom they count in `ident` (None: this request is not counted) and may pick
    the scope from the view in `scope_for`.
    """

    scope: str | None = None

    def __init__(self, scope: str | None = None):
        # DRF's __init__ would read a rate frozen at import; ours is read in allow_request.
        if scope is not None:
            self.scope = scope
        self.rate = None
        self.num_requests = self.duration = None

    def scope_for(self, request, view) -> str | None:
        return self.scope

    def ident(self, request) -> str | None:
        raise NotImplementedError

    def get_rate(self):
        rates = settings.THROTTLE_RATES
        if self.scope not in rates:
            raise ImproperlyConfigured(f"No rate in settings.THROTTLE_RATES for {self.scope!r}.")
        return rates[self.scope]

    def parse_rate(self, rate):
        return (None, None) if rate is None else parse_rate(rate)

    def get_ident(self, request):
        return client_address(request)

    def get_cache_key(self, request, view):
        ident = self.ident(request)
        if ident is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request, view):
        self.scope = self.scope_for(request, view)
        if self.scope is None:
            return True
        if self.scope in getattr(request, "counted_scopes", ()):
            return True  # counted already, before the public cache (tilab.public_cache)
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        # A cache out of reach answers "nothing counted yet" (tilab/cache.py): the request
        # goes through uncounted rather than failing (tests/faults/test_redis_down.py).
        return super().allow_request(request, view)


class AnonThrottle(RateThrottle):
    """Callers without an account, per client address (scope "anon")."""

    scope = "anon"

    def ident(self, request):
        return None if request.user.is_authenticated else self.get_ident(request)


class UserThrottle(RateThrottle):
    """Callers with an account (session or token), per account (scope "user")."""

    scope = "user"

    def ident(self, request):
        return str(request.user.pk) if request.user.is_authenticated else None


class WriteThrottle(RateThrottle):
    """Writes (POST, PUT, PATCH, DELETE) on top of the above: per account, or per address
    without one. A view names a stricter scope in `throttle_scope` (the import: "import")."""

    scope = "write"

    def scope_for(self, request, view):
        if request.method in SAFE_METHODS:
            return None
        return getattr(view, "throttle_scope", None) or "write"

    def ident(self, request):
        if request.user.is_authenticated:
            return f"user-{request.user.pk}"
        return self.get_ident(request)


class GuestThrottle(RateThrottle):
    """What anyone may do without an account and that sends e-mail to any address typed in,
    per client address; people signed in are not counted here. Subclasses set `scope`."""

    def ident(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return None
        return self.get_ident(request)


class AddressThrottle(RateThrottle):
    """Per client address, signed in or not (a public lookup such as the attestation check)."""

    def ident(self, request):
        return self.get_ident(request)


class AccountThrottle(RateThrottle):
    """Per account, as WriteThrottle counts it (so a page and its API twin share the count),
    or per address without one."""

    ident = WriteThrottle.ident


PAGE_THROTTLES = {"guest": GuestThrottle, "address": AddressThrottle, "account": AccountThrottle}


# --- Pages ------------------------------------------------------------------------------------


def over_limit(request, scope: str, *, per: str = "guest") -> int | None:
    """Count this request in `scope`, per "guest" (address, people signed in not counted),
    "address" or "account". Seconds to wait when it is one too many, else None."""
    throttle = PAGE_THROTTLES[per](scope)
    if throttle.allow_request(request, None):
        return None
    return max(1, math.ceil(throttle.wait() or 1))


def wait_text(seconds: int) -> str:
    if seconds < 60:
        return ngettext("%(count)d seconde", "%(count)d secondes", seconds) % {"count": seconds}
    minutes = math.ceil(seconds / 60)
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}


def too_many_message(seconds: int) -> str:
    return _(
        "Trop de demandes en peu de temps depuis votre connexion. Réessayez dans %(wait)s."
    ) % {"wait": wait_text(seconds)}


def too_many_requests(request, seconds: int):
    """The 429 page (or, for htmx, the fragment swapped where the form was), with Retry-After."""
    template = "_too_many_requests.html" if getattr(request, "htmx", False) else "429.html"
    response = render(
        request, template, {"too_many_message": too_many_message(seconds)}, status=429
    )
    response["Retry-After"] = str(seconds)
    return response


def throttle_page(scope: str, *, methods=("POST",), per: str = "guest"):
    """Refuse a page's `methods` with a 429 page once the client is over the `scope` rate
    (`per` as in over_limit)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method in methods:
                seconds = over_limit(request, scope, per=per)
                if seconds is not None:
                    return too_many_requests(request, seconds)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


# --- Failed logins per account ---------------------------------------------------------------


def _failures_key(login: str) -> str:
    return "login-failures:" + hashlib.sha256(login.strip().lower().encode()).hexdigest()


def login_failures_over(login: str, *, now: float | None = None) -> bool:
    """Whether the account `login` names had THROTTLE_RATES["login_failed_account"] wrong
    passwords in its window, from every address together. allauth limits each address
    (ACCOUNT_RATE_LIMITS); this ceiling needs several addresses to reach, so one remote
    address cannot lock an account out from everywhere, and a spread-out guessing is bounded."""
    rate = settings.THROTTLE_RATES.get("login_failed_account")
    if rate is None:
        return False
    count, seconds = parse_rate(rate)
    now = time.time() if now is None else now
    return len([t for t in cache.get(_failures_key(login), []) if t > now - seconds]) >= count


def login_failure_record(login: str, *, now: float | None = None) -> bool:
    """Count a wrong password for `login`; True when this one reaches the ceiling (the owner
    is told once, at that moment)."""
    rate = settings.THROTTLE_RATES.get("login_failed_account")
    if rate is None:
        return False
    count, seconds = parse_rate(rate)
    now = time.time() if now is None else now
    key = _failures_key(login)
    failures = [t for t in cache.get(key, []) if t > now - seconds] + [now]
    cache.set(key, failures, timeout=seconds)
    return len(failures) == count


def login_failures_forget(login: str) -> None:
    """The owner proved who they are (a password reset): the account opens again at once."""
    cache.delete(_failures_key(login))
