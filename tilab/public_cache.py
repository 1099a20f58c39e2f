"""Public answers kept in the cache: what every anonymous reader gets alike is built once per
version of its data, then served from the cache with an ETag and a short public max-age.

An app says what its answers depend on (a `PublicVersion`: figures give the version of the
totals, bumped in the transaction that changes them), and decorates its views with
`cached_for_everyone(version=…)`. The key is the language, the path with its query string and
the headers that choose the format; the entry holds the version it was built under and is
served only while that version is current. The entry also expires after `timeout` seconds,
which bounds what the version does not see (a renamed department, the next workshops on the
home page).

A hit costs one cache round trip and no query: the version and the entry are read together,
the version's copy in the cache living a few seconds at most (PublicVersion).

Only answers that are the same for everyone are kept or served: anonymous GET and HEAD
requests with no API token and no message waiting for the reader. Everybody else gets the view
itself, and PrivateAnswersMiddleware keeps their answer out of every cache. Every page holds a
CSRF token, the reader's own: the stored copy holds a mark in its place, replaced by the
reader's token on the way out. A cache out of reach (tilab.cache) only makes every request a
miss.
"""

import hashlib
import logging
import re
from collections.abc import Callable
from functools import wraps

from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils.cache import get_conditional_response
from django.utils.translation import get_language

log = logging.getLogger(__name__)

# How long a proxy or a browser may keep a public answer without asking again: short, since a
# validation shows within seconds of its drain; afterwards they ask with the ETag (304).
MAX_AGE = 60
TIMEOUT = 600  # seconds an entry stays in the cache at most, whatever the version
_PUBLIC = f"public, max-age={MAX_AGE}"
CSRF_MARK = b"tilab-public-cache-csrf-mark"
_CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="([A-Za-z0-9]{32,64})"')
# Never replayed to another reader; the caching headers are set here, on every answer.
_NOT_STORED = {"set-cookie", "cache-control", "etag", "content-length"}
# The request headers that change the bytes of an answer (the API's format, an htmx swap).
_CHOOSING = ("Accept", "HX-Request")


def for_everyone(request) -> bool:
    """Whether the answer to `request` is the one every reader gets: an anonymous GET or HEAD
    without an API token, and no message waiting to be shown to this reader."""
    if request.method not in ("GET", "HEAD") or "Authorization" in request.headers:
        return False
    if not request.COOKIES:
        # No session and no message cookie: nobody signed in, no message waiting.
        return True
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return False
    # Counted, not read: the messages stay for the page that shows them.
    return not len(get_messages(request))


class PublicVersion:
    """The version of the data public answers are built from. Its truth is `read()` (one cheap
    query); a copy lives in the cache under `key` for TTL seconds at most, so that a cached
    answer costs no query. `also()` adds what is read per request (a setting).

    Whoever changes the data calls `changed()` in the changing transaction: the copy is dropped
    at once (readers in the same transaction see the new version) and again at commit (readers
    elsewhere then read the committed one). A reader that read the old version just before the
    commit may put it back after; it lives TTL seconds at most, hence the short TTL."""

    TTL = 5

    def __init__(self, *, key: str, read: Callable[[], object], also: Callable[[], tuple]):
        self.key, self.read, self.also = key, read, also

    def current(self, stored=None) -> tuple:
        """(version, *also()); `stored` is the copy already fetched from the cache, if any."""
        if stored is None:
            stored = cache.get(self.key)
        if stored is None:
            stored = self.read()
            # add, not set: a copy dropped by a commit meanwhile is not overwritten.
            cache.add(self.key, stored, self.TTL)
        return (stored, *self.also())

    def changed(self) -> None:
        cache.delete(self.key)
        transaction.on_commit(lambda: cache.delete(self.key))


def _key(request, prefix: str) -> str:
    varies = [request.headers.get(name, "") for name in _CHOOSING]
    raw = repr((get_language(), request.get_full_path(), varies))
    return f"public:{prefix}:{hashlib.sha256(raw.encode()).hexdigest()}"


def _stored(response: HttpResponse) -> dict | None:
    """What the cache keeps of a fresh answer, with its reader's CSRF token marked; None
    for an answer not worth keeping (an error, a redirect)."""
    if response.status_code != 200:
        return None
    if response.streaming:
        content = b"".join(response.streaming_content)
        # The stream is spent: the reader gets the joined bytes.
        response.streaming_content = [content]
    else:
        content = response.content
    marked = False
    found = _CSRF_INPUT.search(content)
    if found:
        content, marked = content.replace(found.group(1), CSRF_MARK), True
    etag = response.headers.get("ETag")
    if not etag:
        digest = hashlib.sha256(content).hexdigest()[:32]
        # Weak where the bytes differ by the reader's token: the page is the same all the same.
        etag = f'W/"{digest}"' if marked else f'"{digest}"'
    headers = [(k, v) for k, v in response.headers.items() if k.lower() not in _NOT_STORED]
    return {"content": content, "marked": marked, "etag": etag, "headers": headers}


def _replayed(request, entry: dict) -> HttpResponse:
    content = entry["content"]
    if entry["marked"]:
        content = content.replace(CSRF_MARK, get_token(request).encode())
    response = HttpResponse(content)
    for name, value in entry["headers"]:
        response.headers[name] = value
    return response


def _public(response: HttpResponse, etag: str) -> HttpResponse:
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = _PUBLIC
    return response


def cached_for_everyone(
    *, version: PublicVersion, prefix: str, timeout: int = TIMEOUT, counted=None
) -> Callable:
    """Decorate a public view whose answer depends only on `version`, the language, the URL
    and the format: anonymous readers get it from the cache, with an ETag (304 when theirs
    matches) and `Cache-Control: public, max-age=MAX_AGE`.

    `counted`: a throttle class (tilab.throttling) that counts every anonymous reader, those
    served from the cache too. Over the limit, the request goes to the view, which refuses it
    in its own words; a reader counted here is not counted again by the view."""

    def decorator(view):
        @wraps(view)
        def cached(request, *args, **kwargs):
            if not for_everyone(request):
                return view(request, *args, **kwargs)
            if counted is not None:
                throttle = counted()
                if not throttle.allow_request(request, None):
                    return view(request, *args, **kwargs)
                request.counted_scopes = {throttle.scope}
            key = _key(request, prefix)
            found = cache.get_many([version.key, key])
            current = version.current(found.get(version.key))
            entry = found.get(key)
            if entry is None or entry["version"] != current:
                response = view(request, *args, **kwargs)
                if callable(getattr(response, "render", None)) and not response.is_rendered:
                    response = response.render()
                entry = _stored(response)
                if entry is None:
                    return response
                entry["version"] = current
                cache.set(key, entry, timeout)
            else:
                response = None
            not_modified = get_conditional_response(request, etag=entry["etag"])
            if not_modified is not None:
                return _public(not_modified, entry["etag"])
            return _public(response or _replayed(request, entry), entry["etag"])

        return cached

    return decorator


def cached_value(key: str, build: Callable[[], object], *, timeout: int = TIMEOUT):
    """`build()`, kept in the cache under `key` (which must hold everything it depends on)."""
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, timeout)
    return value
