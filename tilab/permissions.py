"""Rule predicates shared by every app (roles, the two-factor gate on money decisions:
`add_money_perm`, `held_back_by_second_factor`), and the two places where the permission each
page and API endpoint declares is enforced: `page_permission` for pages, `DeclaredPermission`
for the API.

Each app names its own rules in its `permissions.py`. Selectors that scope a queryset ask a
rule with `rules.has_perm(name, user)`: the rule alone, so that a superuser sees what their
roles show them, as before. Nothing outside this module and `roles.py` reads a user's roles.
"""

from functools import wraps

import rules
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import Http404
from django.views.decorators.http import require_http_methods
from rest_framework import permissions as drf_permissions

from . import roles
from .errors import ROLE_NOT_ALLOWED


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
def mfa_gate_open(user):
    """Two-factor is either not required by this deployment, or the user has it."""
    return not settings.TILAB_MFA_REQUIRED_FOR_MONEY or has_totp(user)


# The two-factor gate on money decisions, written once. A decision on public money (approving
# an allocation or a redistribution, recording a payment) is declared with `add_money_perm`:
# its own rule, and the gate. Pages, the API and the services ask `has_perm` as for any other
# rule; `held_back_by_second_factor` tells a refusal the second factor alone would lift (the
# page then says how to activate it, the API answers `two_factor_required`).
_MONEY_RULES: dict[str, rules.Predicate] = {}


def add_money_perm(name: str, rule: rules.Predicate) -> None:
    _MONEY_RULES[name] = rule
    rules.add_perm(name, rule & mfa_gate_open)


def held_back_by_second_factor(user, perm: str, obj=None) -> bool:
    """`user` would hold the money permission `perm` (on `obj`) but for the second factor."""
    rule = _MONEY_RULES.get(perm)
    return rule is not None and user.is_active and not mfa_gate_open(user) and rule.test(user, obj)


# The roles that decide on money; each decision adds its own rule (subsidies/permissions.py).
may_decide_on_money = is_region_staff | is_relay_staff
add_money_perm("tilab.decide_on_money", may_decide_on_money)

# Staff whose role decides on money but who are held back only by the missing second factor.
must_activate_totp = may_decide_on_money & ~mfa_gate_open


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
    every other refusal); an anonymous one gets DRF's 401. A subclass may say more, or raise
    its own refusal, in `refusal`.
    """

    def has_permission(self, request, view):
        permission = declared_permission(view)
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
            raise ROLE_NOT_ALLOWED(rule=permission)
        return None
