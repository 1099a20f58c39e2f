"""Project middleware: French unless the person chose another language; the Permissions-Policy
header; personal answers kept by no cache; the second factor of this session, and the page
asking for it; a clear 503 while the database is out of reach; the recorded end of a session;
the device cookie given at sign-in; the error pages of the demo."""

import logging
from datetime import UTC, datetime
from urllib.parse import urlsplit

from allauth.account.authentication import get_authentication_records
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.middleware import get_user
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.functional import SimpleLazyObject
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import defaults
from django_htmx.http import HttpResponseClientRedirect

from . import devices
from .errors import TWO_FACTOR_REQUIRED, Refusal
from .permissions import SECOND_FACTOR_AT, has_totp, second_factor_url
from .sessions import SESSION_END_KEY, session_end_after_save

log = logging.getLogger(__name__)


class SessionEndMiddleware:
    """Records in a session that is about to be saved when it will end (tilab/sessions.py).
    Placed right after SessionMiddleware, so it runs before the session is saved."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and session.modified and not session.is_empty():
            ends_at = session_end_after_save(session, now=timezone.now())
            session[SESSION_END_KEY] = ends_at.isoformat()
        return response


class DeviceCookieMiddleware:
    """Gives the browser that just signed in its device cookie (tilab.devices): the sign-in's
    receiver chose it, this puts it on the answer, whichever page allauth answers with."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        cookie = getattr(request, devices.REQUEST_ATTRIBUTE, None)
        if cookie:
            devices.device_cookie_set(response, cookie)
        return response


class DemoErrorPagesMiddleware:
    """The demo runs with DEBUG on, where Django answers a missing page or a crash with its debug
    pages: every URL pattern, the settings, a traceback. A newcomer's demo shows the platform's
    own 404 and 500 pages instead, as production does (the traceback still goes to the console).
    TILAB_DEBUG_PAGES=True gives a developer Django's pages back. Placed after the middleware
    that fill the request (user, language, CSRF), so the pages render as any other."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not settings.DEBUG or settings.TILAB_DEBUG_PAGES:
            return response
        # With DEBUG on, an HTML 404 or 500 is Django's debug page: no view writes its own.
        if response.get("Content-Type", "").startswith("text/html"):
            if response.status_code == 404:
                return defaults.page_not_found(request, exception=None)
            if response.status_code == 500:
                return defaults.server_error(request)
        return response


class ChosenLanguageMiddleware:
    """Like Django's LocaleMiddleware, but the browser's Accept-Language is not consulted.

    A regional public service answers in French; English is offered by the language switch,
    which stores the choice in the language cookie.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in self.supported:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ["Cookie"])
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response


class PermissionsPolicyMiddleware:
    """Sends settings.PERMISSIONS_POLICY (feature → allowed origins, [] for none) on every
    response; Django has no setting for this header."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.header = ", ".join(
            f"{feature}=({' '.join(origins)})"
            for feature, origins in settings.PERMISSIONS_POLICY.items()
        )

    def __call__(self, request):
        response = self.get_response(request)
        if self.header:
            response.headers.setdefault("Permissions-Policy", self.header)
        return response


class PrivateAnswersMiddleware:
    """An answer made for one person is kept by no cache: not a shared proxy's, not the browser's
    history on a library computer. Every answer to a signed-in person (a session or an API
    token) or to a link that carries a token says `Cache-Control: no-store`, unless its view set
    a policy of its own (open data: public). A page reached by a token link also sends
    `Referrer-Policy: strict-origin`: a Referer, even to this site, names the site alone, never
    the path that holds the token. (`no-referrer` would do as much, but browsers then send
    `Origin: null` with the page's own forms, which the CSRF check rightly refuses.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        by_link = request.resolver_match is not None and "token" in request.resolver_match.kwargs
        if by_link:
            response.headers["Referrer-Policy"] = "strict-origin"
        if response.has_header("Cache-Control"):
            return response
        user = getattr(request, "user", None)
        if by_link or (user is not None and user.is_authenticated):
            add_never_cache_headers(response)
        return response


def last_second_factor_at(request, user) -> datetime | None:
    """When this session last presented the second factor (an authenticator code or a recovery
    code, at sign-in or since), from the methods allauth records in the session."""
    moments = [
        record["at"]
        for record in get_authentication_records(request, user)
        if record.get("method") == "mfa" and isinstance(record.get("at"), int | float)
    ]
    return datetime.fromtimestamp(max(moments), tz=UTC) if moments else None


class SecondFactorMiddleware:
    """The second factor of this session, for the rules (tilab.permissions.mfa_gate_open), and
    the page that asks for it.

    - `request.user` carries `second_factor_at`, the moment this session last presented it,
      read when the user is first needed (a page that never looks at the user reads nothing).
    - A page whose money act is held back only by the second factor (a service or the page
      declaration raising `two_factor_required`) sends the person to type their code, then
      back to the page they were on: the page itself for a GET, the page that posted for a
      POST (its recap). An account without an authenticator app goes to its activation. The
      API answers the refusal itself (403, tilab.api_errors).

    After AuthenticationMiddleware and MessageMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.user = SimpleLazyObject(lambda: self._marked(request))
        return self.get_response(request)

    @staticmethod
    def _marked(request):
        user = get_user(request)
        if user.is_authenticated:
            setattr(user, SECOND_FACTOR_AT, last_second_factor_at(request, user))
        return user

    def process_exception(self, request, exception):
        if not isinstance(exception, Refusal) or exception.code != TWO_FACTOR_REQUIRED.code:
            return None
        if request.path.startswith("/api/"):
            return None
        user = request.user
        if has_totp(user):
            messages.info(
                request,
                _(
                    "Cette action engage de l'argent public : saisissez le code de votre "
                    "application d'authentification pour continuer."
                ),
            )
        else:
            messages.warning(
                request,
                _(
                    "Cette action engage de l'argent public : activez d'abord une application "
                    "d'authentification sur votre compte, puis revenez."
                ),
            )
        url = second_factor_url(user, back=self._back(request))
        if request.headers.get("HX-Request") == "true":
            return HttpResponseClientRedirect(url)
        return HttpResponseRedirect(url)

    @staticmethod
    def _back(request) -> str:
        """The page the person was on: this one for a GET, the one that posted for a POST."""
        if request.method in ("GET", "HEAD"):
            return request.get_full_path()
        for candidate in (request.headers.get("Referer", ""), request.POST.get("next", "")):
            if candidate and url_has_allowed_host_and_scheme(
                candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            ):
                parts = urlsplit(candidate)
                return parts.path + (f"?{parts.query}" if parts.query else "")
        return "/"


class DatabaseUnavailableMiddleware:
    """A database out of reach (restarting, failing over) or refusing for a moment (a lock
    wait, a serialization failure) answers 503 with Retry-After and a message a person
    understands, not a 500. Nothing was written: every write runs in a transaction. The page
    is rendered without the request, so it touches neither the session nor the user."""

    RETRY_AFTER = 30  # seconds

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.db import InterfaceError, OperationalError

        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        log.error("database unavailable on %s", request.path, exc_info=exception)
        if request.path.startswith("/api/"):
            response = JsonResponse(
                {
                    "detail": _(
                        "Service momentanément indisponible : rien n'a été enregistré. "
                        "Réessayez dans quelques instants."
                    )
                },
                status=503,
            )
        else:
            response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = str(self.RETRY_AFTER)
        return response
