"""Every page and every API endpoint declares the permission it needs, enforced in one place
(`tilab.permissions`): a view that declares none fails here with its route. How each role is
answered is the authorisation matrix's subject (tests/security); here, that the declarations
exist, name real rules, and that the two enforcers answer the three cases.
"""

from pathlib import Path

import pytest
import rules
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import Http404, HttpResponse
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver
from django.views.decorators.http import require_POST
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView
from rest_framework.viewsets import ViewSet

from tilab import roles
from tilab.permissions import (
    PUBLIC,
    SIGNED_IN,
    DeclaredPermission,
    declared_permission,
    page_permission,
)

# Views of the libraries, with their own rules; the admin (staff only) is left out whole.
THIRD_PARTY = {
    "allauth": "sign-in, sign-up, e-mail and two-factor pages: allauth's own rules",
    "django.views.i18n": "Django's language switch, open to everyone",
    "drf_spectacular": "the OpenAPI schema and its documentation, public (SERVE_PERMISSIONS)",
}


def _project_packages() -> set[str]:
    """The project's own apps (top-level packages of the repository), and its root."""
    base = Path(settings.BASE_DIR).resolve()
    configs = apps.get_app_configs()
    return {c.name for c in configs if Path(c.path).resolve().parent == base} | {"config"}


def _url_views(resolver=None, prefix=""):
    """(route, view) of every URL pattern but the admin's."""
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            yield from _url_views(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


def _ours(view) -> bool:
    module = view.__module__
    if module.split(".")[0] in _project_packages():
        return True
    assert module.startswith(tuple(THIRD_PARTY)), f"{module}: whose view is it?"
    return False


def _known(permission: str) -> bool:
    return permission == PUBLIC or rules.perm_exists(permission)


def test_every_page_declares_the_permission_it_needs():
    problems = []
    pages = 0
    for route, view in _url_views():
        if not _ours(view) or hasattr(view, "cls"):  # API views: the next test
            continue
        pages += 1
        declared = getattr(view, "permission", None)
        view_class = getattr(view, "view_class", None)
        if declared is None and view_class is not None:
            # A class-based page checks nothing by itself: public, or wrapped in
            # page_permission where the URL is declared.
            declared = getattr(view_class, "permission", None)
            if declared not in (None, PUBLIC):
                problems.append(f"{route}: a class-based page must be PUBLIC, or wrapped")
                continue
        if declared is None:
            problems.append(f"{route}: {view.__module__}.{view.__name__} declares no permission")
        elif not _known(declared):
            problems.append(f"{route}: declares {declared!r}, which no rule defines")
    assert pages > 80
    assert not problems, "\n".join(problems)


def _api_views() -> dict:
    """Each API view class of the URLs, with the routes and the actions it answers."""
    classes = {}
    for route, view in _url_views():
        if _ours(view) and hasattr(view, "cls"):
            routes, actions = classes.setdefault(view.cls, ([], set()))
            routes.append(route)
            actions.update(getattr(view, "actions", {}).values())
    return classes


def test_every_api_endpoint_declares_the_permission_it_needs():
    problems = []
    classes = _api_views()
    for cls, (routes, actions) in classes.items():
        name = f"{routes[0]} ({cls.__module__}.{cls.__name__})"
        if cls.get_permissions is not APIView.get_permissions:
            problems.append(f"{name}: overrides get_permissions; declare per action instead")
        view = cls()
        if not all(isinstance(p, DeclaredPermission) for p in view.get_permissions() or [None]):
            problems.append(f"{name}: its permission classes are not DeclaredPermission")
            continue
        # Each action, a method the view does not take (no action) and OPTIONS (metadata).
        for action in [*actions, None, "metadata"] if actions else [None]:
            view.action = action
            try:
                declared = declared_permission(view)
            except ImproperlyConfigured as error:
                problems.append(f"{name}: {error}")
                continue
            if not _known(declared):
                problems.append(f"{name}, {action}: declares {declared!r}, which no rule defines")
        for action, declared in getattr(cls, "object_permissions_by_action", {}).items():
            if action not in actions:
                problems.append(f"{name}: an object permission for {action!r}, not its action")
            if declared == PUBLIC or not _known(declared):
                problems.append(f"{name}, {action}: object permission {declared!r} is no rule")
    assert len(classes) > 15
    assert not problems, "\n".join(problems)


# --- The page decorator: login, 403 or 404, and the order with the methods ------------------


def _page(**options):
    @page_permission("makers.access_maker_space", **options)
    def view(request):
        return HttpResponse("ok")

    return view


def _request(method="get", user=None):
    request = getattr(RequestFactory(), method)("/maker/")
    request.user = user or AnonymousUser()
    return request


def test_a_page_sends_anonymous_visitors_to_the_login_page_and_back():
    response = _page()(_request())
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/maker/"


def test_a_page_refuses_a_person_without_the_permission(role_users):
    with pytest.raises(PermissionDenied):
        _page()(_request(user=role_users[roles.AUDITOR]))
    assert _page()(_request(user=role_users[roles.MAKER])).content == b"ok"


def test_a_hidden_page_answers_404_to_a_person_without_the_permission(role_users):
    with pytest.raises(Http404):
        _page(not_found=True)(_request(user=role_users[roles.AUDITOR]))


def test_a_hidden_page_answers_405_to_a_method_it_never_takes_whoever_asks(role_users):
    page = _page(not_found=True, methods=["POST"])
    assert page(_request(user=role_users[roles.AUDITOR])).status_code == 405
    assert page(_request("post", user=role_users[roles.MAKER])).content == b"ok"
    with pytest.raises(Http404):
        page(_request("post", user=role_users[roles.AUDITOR]))
    assert page(_request()).status_code == 302  # anonymous: the login page first


def test_a_refusing_page_checks_the_permission_before_the_method(role_users):
    page = page_permission("makers.access_maker_space")(require_POST(lambda r: HttpResponse()))
    with pytest.raises(PermissionDenied):
        page(_request(user=role_users[roles.AUDITOR]))
    assert page(_request(user=role_users[roles.MAKER])).status_code == 405


def test_a_public_page_checks_nothing_and_says_so():
    page = page_permission(PUBLIC)(lambda request: HttpResponse("ok"))
    assert page(_request()).content == b"ok"
    assert page.permission == PUBLIC


# --- The API's permission class -----------------------------------------------------------------


class Sample(ViewSet):
    permission = SIGNED_IN
    permissions_by_action = {"list": PUBLIC, "create": "makers.access_maker_space"}

    def list(self, request):
        return HttpResponse("listed")

    def create(self, request):
        return HttpResponse("created")


def _call(method, action, user=None):
    request = getattr(APIRequestFactory(), method)("/api/v1/sample/")
    if user is not None:
        force_authenticate(request, user=user)
    return Sample.as_view({method: action})(request)


@pytest.mark.django_db
def test_the_api_lets_anyone_reach_a_public_action():
    assert _call("get", "list").status_code == 200


def test_the_api_asks_anonymous_callers_to_identify_and_refuses_the_others(role_users):
    assert _call("post", "create").status_code == 401
    refused = _call("post", "create", role_users[roles.AUDITOR])
    assert refused.status_code == 403
    assert refused.data["detail"] == "Votre rôle ne permet pas cette action."
    assert _call("post", "create", role_users[roles.MAKER]).status_code == 200


def test_a_view_that_declares_nothing_is_refused_outright(rf):
    class Undeclared(APIView):
        def get(self, request):
            return HttpResponse()

    view = Undeclared()
    view.request = rf.get("/")
    with pytest.raises(ImproperlyConfigured):
        declared_permission(view)
