"""Rule predicates shared by every app (roles; the second factor on money decisions:
`add_money_perm`, `mfa_gate_open`, `held_back_by_second_factor`; the scopes of personal API
tokens), and the two places where the permission each page and API endpoint declares is
enforced: `page_permission` for pages, `DeclaredPermission` for the API.

Each app names its own rules in its `permissions.py`. Selectors that scope a queryset ask a
rule with `rules.has_perm(name, user)`: the rule alone, so that a superuser sees what their
roles show them, as before. Nothing outside this module and `roles.py` reads a user's roles.
"""

from datetime import timedelta
from functools import wraps
from urllib.parse import urlencode

import rules
from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods
from rest_framework import permissions as drf_permissions

from . import roles
from .errors import ROLE_NOT_ALLOWED, TOKEN_SCOPE_MISSING, TWO_FACTOR_REQUIRED, Refusal
from .models import TokenScope


def _role(name):
    @rules.predicate(name=f"is_{name}")
    def has_role(user):
        return name in roles.roles_of(user)

    return has_role


is_maker = _role(roles.MAKER)
is_relay_staff = _role(roles.RELAY_STAFF)
is_region_staff = _role(roles.REGION_STAFF)
is_facilitator = _role(roles.FACILITATOR)
is_auditor = _role(roles.AUDITOR)


def roles_held(user) -> list[str]:
    """The names of the roles a user holds, in the order of `roles.ROLES`: to show them (the
    page header, `/api/v1/me/`, the personal data export), never to decide; ask a rule."""
    held = roles.roles_of(user)
    return [name for name in roles.ROLES if name in held]


@rules.predicate
def has_totp(user):
    """The user has activated an authenticator app (TOTP) on their account."""
    if not user.is_authenticated:
        return False
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


@rules.predicate
def mfa_required():
    """This deployment asks for the second factor before money decisions (the embedded demo
    does not: TILAB_MFA_REQUIRED_FOR_MONEY)."""
    return settings.TILAB_MFA_REQUIRED_FOR_MONEY


# What this request shows of the second factor, put on `request.user` once per request, so that
# every rule and every service asking `user.has_perm` sees it without new arguments:
# - a browser session: `second_factor_at`, when the session last presented it (allauth
#   records the methods used in a session; tilab.middleware.SecondFactorMiddleware reads them);
# - a personal API token: `token_scope`, what the token may do (tilab.authentication); only a
#   token made right after the second factor carries "money" (tilab.services).
# A user object marked by neither (a task, a shell, a test) has presented nothing.
SECOND_FACTOR_AT = "second_factor_at"
TOKEN_SCOPE = "token_scope"


def step_up_max_age() -> timedelta:
    return timedelta(seconds=settings.TILAB_STEP_UP_MAX_AGE)


@rules.predicate
def second_factor_fresh(user):
    """This request presented the second factor recently: a session whose latest
    presentation is younger than TILAB_STEP_UP_MAX_AGE, or a token carrying "money"."""
    scope = getattr(user, TOKEN_SCOPE, None)
    if scope is not None:
        return scope == TokenScope.MONEY
    at = getattr(user, SECOND_FACTOR_AT, None)
    return at is not None and timezone.now() - at <= step_up_max_age()


@rules.predicate
def mfa_gate_open(user):
    """Two-factor is either not required by this deployment, or this request presented it
    recently (`second_factor_fresh`)."""
    return not settings.TILAB_MFA_REQUIRED_FOR_MONEY or second_factor_fresh(user)


@rules.predicate
def token_allows_money(user):
    """Not a program with a token, or a token carrying "money": whatever the deployment, a
    "read" or "write" token never decides on money."""
    scope = getattr(user, TOKEN_SCOPE, None)
    return scope is None or scope == TokenScope.MONEY


# The second factor on money decisions, written once. A decision on public money (approving
# an allocation or a redistribution, recording a payment, a payment batch, bank details, an
# export of IBANs) is declared with `add_money_perm`: its own rule, and the gate. Pages, the API
# and the services ask `has_perm` as for any other rule; `second_factor_refusal` gives the
# coded refusal the second factor alone would lift (`held_back_by_second_factor` says whether
# there is one): a page then asks for the code and comes back (SecondFactorMiddleware), the
# API answers 403 `two_factor_required`, or `token_scope_missing` for a token without "money".
_MONEY_RULES: dict[str, rules.Predicate] = {}


def add_money_perm(name: str, rule: rules.Predicate) -> None:
    _MONEY_RULES[name] = rule
    rules.add_perm(name, rule & mfa_gate_open & token_allows_money)


def second_factor_url(user, back: str = "") -> str:
    """Where a person presents their second factor, then comes back to `back`: allauth's page
    asking for the code, or, for an account without an authenticator app, its activation."""
    if not has_totp(user):
        return reverse("mfa_activate_totp")
    url = reverse("mfa_reauthenticate")
    return f"{url}?{urlencode({REDIRECT_FIELD_NAME: back})}" if back else url


def second_factor_refusal(user, perm: str, obj=None) -> Refusal | None:
    """The refusal of the money permission `perm` (on `obj`) when the second factor alone
    holds `user` back (or, for a program, a token without "money"); None otherwise."""
    rule = _MONEY_RULES.get(perm)
    if rule is None or not user.is_active or not rule.test(user, obj):
        return None
    if not token_allows_money(user):
        return TOKEN_SCOPE_MISSING(scope=TokenScope.MONEY.label, url=reverse("personal_tokens"))
    if mfa_gate_open(user):
        return None
    minutes = max(1, settings.TILAB_STEP_UP_MAX_AGE // 60)
    if has_totp(user):
        how = _("saisissez le code de votre application d'authentification sur %(url)s")
    else:
        how = _("activez d'abord une application d'authentification sur %(url)s")
    return TWO_FACTOR_REQUIRED(minutes=minutes, how=how % {"url": second_factor_url(user)})


def held_back_by_second_factor(user, perm: str, obj=None) -> bool:
    """`user` would hold the money permission `perm` (on `obj`) but for the second factor."""
    return second_factor_refusal(user, perm, obj) is not None


def within_reach(user, perm: str, obj=None) -> bool:
    """`user` holds `perm`, or will as soon as they type their code (their account has an
    authenticator app): a page offers the act, which asks for the code when it is done."""
    return user.has_perm(perm, obj) or (
        held_back_by_second_factor(user, perm, obj) and has_totp(user)
    )


def require(user, perm: str, obj=None) -> None:
    """Refuse, with its code, whoever does not hold `perm` (on `obj`): the second factor's
    refusal when it alone holds them back, else `role_not_allowed`. What services check first."""
    if user.has_perm(perm, obj):
        return
    refusal = second_factor_refusal(user, perm, obj)
    if refusal is not None:
        raise refusal
    raise ROLE_NOT_ALLOWED(rule=perm)


def token_refusal(user, method: str) -> Refusal | None:
    """The refusal of a request a personal token does not cover: anything but reading needs
    "write" (money decisions need "money": `add_money_perm`); None when covered, or when the
    request carries no token."""
    scope = getattr(user, TOKEN_SCOPE, None)
    if scope is None:
        return None
    needed = TokenScope.READ if method in drf_permissions.SAFE_METHODS else TokenScope.WRITE
    if TokenScope.includes(scope, needed):
        return None
    return TOKEN_SCOPE_MISSING(scope=needed.label, url=reverse("personal_tokens"))


# The roles that decide on money; each decision adds its own rule (subsidies/permissions.py).
may_decide_on_money = is_region_staff | is_relay_staff
add_money_perm("tilab.decide_on_money", may_decide_on_money)

# Staff whose role decides on money, in a deployment that requires the second factor, and whose
# account has no authenticator app yet.
must_activate_totp = may_decide_on_money & mfa_required & ~has_totp


# --- Declared permissions ---------------------------------------------------------------------

# What a page or an endpoint open to everyone declares: nothing is checked.
PUBLIC = "public"
# What a page or an endpoint for any signed-in person declares (their own data, or what a
# selector lets them see: anything else answers 404).
SIGNED_IN = "tilab.signed_in"
rules.add_perm(SIGNED_IN, rules.is_authenticated)


def page_permission(permission: str, *, not_found: bool = False, methods=None):
    """Declare the permission a page view needs, and enforce it (`@page_permission("app.perm")`
    on top of the view's other decorators).

    PUBLIC pages check nothing. On any other page an anonymous visitor is sent to the login
    page, and back afterwards; a signed-in person without the permission gets 403, or 404 with
    `not_found`, where the page hides what it would show from those who may not see it.
    `methods`, if given, are the HTTP methods the page takes (any other answers 405): a 403
    page checks them after the permission, a `not_found` page before it, as a method the page
    never takes answers 405 to anybody.

    The declaration stays on the view as `permission`: tests/tilab/test_declared_permissions.py
    reads it on every URL's view.
    """

    def decorator(view):
        page = view
        if methods is not None and not not_found:
            page = require_http_methods(methods)(page)
        if permission != PUBLIC:
            page = _permission_required(page, permission, not_found=not_found)
        if methods is not None and not_found:
            page = require_http_methods(methods)(page)
        if permission != PUBLIC:
            page = login_required(page)
        page.permission = permission
        return page

    return decorator


def _permission_required(view, permission: str, *, not_found: bool):
    @wraps(view)
    def checked(request, *args, **kwargs):
        if not request.user.has_perm(permission):
            refusal = second_factor_refusal(request.user, permission)
            if refusal is not None:
                raise refusal  # the page asks for the code (SecondFactorMiddleware)
            if not_found:
                raise Http404
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return checked


def declared_permission(view) -> str:
    """The permission an API view declares for the action it is asked: its
    `permissions_by_action` entry, else its `permission`."""
    action = getattr(view, "action", None)
    by_action = getattr(view, "permissions_by_action", {})
    if action in by_action:
        return by_action[action]
    permission = getattr(view, "permission", None)
    if permission is None:
        raise ImproperlyConfigured(
            f"{view.__class__.__name__} declares no permission for the action {action!r}: "
            "set `permission` or `permissions_by_action` (PUBLIC where anyone may)."
        )
    return permission


class DeclaredPermission(drf_permissions.BasePermission):
    """The API's permission class (the default in settings): it enforces what the view
    declares, and nothing else.

    - `permission`: what every action of the view needs (also a method it does not take);
    - `permissions_by_action`: what an action needs instead;
    both are checked before anything else: 401 without identification, else 403.
    - `object_permissions_by_action`: what an action needs on the object `get_object()` found,
      so that an object the caller cannot see answers 404 first, then 403 (an action listed
      here must load its object with `get_object()`).

    A signed-in caller refused answers the core's `role_not_allowed` refusal (403, coded like
    every other refusal), or `two_factor_required` / `token_scope_missing` when only the second
    factor holds them back; an anonymous one gets DRF's 401. A subclass may say more, or raise
    its own refusal, in `refusal`.

    The scope of a personal token is enforced here too, before anything else: a "read" token
    only reads (403 `token_scope_missing`); money decisions need "money" (`add_money_perm`).
    """

    def has_permission(self, request, view):
        permission = declared_permission(view)
        refusal = token_refusal(request.user, request.method)
        if refusal is not None:
            raise refusal
        if permission == PUBLIC:
            return True
        return self._allows(request, view, permission, None)

    def has_object_permission(self, request, view, obj):
        by_action = getattr(view, "object_permissions_by_action", {})
        permission = by_action.get(getattr(view, "action", None))
        if permission is None:
            return True
        return self._allows(request, view, permission, obj)

    def _allows(self, request, view, permission: str, obj) -> bool:
        if request.user.has_perm(permission, obj):
            return True
        self.message = self.refusal(request, view, permission, obj)
        return False

    def refusal(self, request, view, permission: str, obj):
        """What the 403 says: raised as a coded refusal for a signed-in caller; None lets DRF
        answer 401 to an anonymous one."""
        if request.user.is_authenticated:
            refusal = second_factor_refusal(request.user, permission, obj)
            if refusal is not None:
                raise refusal
            raise ROLE_NOT_ALLOWED(rule=permission)
        return None
