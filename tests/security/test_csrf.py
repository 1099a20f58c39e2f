"""Every unsafe browser request needs its CSRF token: each URL of the platform is sent POST,
PUT, PATCH and DELETE from a signed-in browser that forgot it, and each one is refused before
anything happens. Programs authenticated by a token are not browsers: they need none."""

import re

from django.http import HttpResponseForbidden
from django.test import Client
from django.urls import URLResolver, get_resolver, resolve
from rest_framework.authentication import SessionAuthentication
from rest_framework.views import APIView

from tests.factories import make_personal_token

UNSAFE = ("post", "put", "patch", "delete")
_GROUP = re.compile(r"\(\?P<(\w+)>((?:[^()]|\([^()]*\))*)\)")


def _leaves(patterns, prefix=""):
    for pattern in patterns:
        regex = pattern.pattern.regex.pattern.lstrip("^")
        if isinstance(pattern, URLResolver):
            yield from _leaves(pattern.url_patterns, prefix + regex)
        else:
            yield prefix + regex, pattern


def _sample(match) -> str:
    name, body = match.groups()
    candidates = ("json", ".json") if name == "format" else ("1", "abc", body.split("|")[0])
    for candidate in candidates:
        if re.fullmatch(body, candidate):
            return candidate
    raise AssertionError(f"no sample value for ({body})")


def every_url() -> list[tuple[str, object]]:
    """(a path that reaches it, its view) for every URL pattern of the project."""
    urls = []
    for regex, pattern in _leaves(get_resolver().url_patterns):
        path = _GROUP.sub(_sample, regex).replace("\\Z", "").replace("$", "").replace("/?", "/")
        urls.append(("/" + re.sub(r"\\(.)", r"\1", path), pattern.callback))
    return urls


def is_api(view) -> bool:
    return issubclass(getattr(view, "cls", object), APIView)


def test_the_walk_reaches_every_view_of_the_platform():
    urls = every_url()
    assert len(urls) > 300  # the admin included
    for path, view in urls:
        assert resolve(path).func is view, path
    assert any(path.startswith("/api/v1/") for path, _view in urls)
    assert any(path.startswith("/admin/") for path, _view in urls)


def csrf_refusal(request, reason=""):
    """Stands in for the refusal page during the walk (1,600 requests): Django's middleware
    calls it exactly where it would call tilab.csrf.csrf_failure, whose page is checked below."""
    return HttpResponseForbidden(b"csrf", headers={"X-Refused": "csrf"})


def test_every_unsafe_request_without_its_token_is_refused(everyone, settings):
    settings.CSRF_FAILURE_VIEW = "tests.security.test_csrf.csrf_refusal"
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(everyone)
    not_refused = []
    for path, view in every_url():
        for method in UNSAFE:
            response = getattr(browser, method)(path)
            if is_api(view):
                detail = str(getattr(response, "data", {}).get("detail", ""))
                refused = response.status_code == 403 and detail.startswith("CSRF Failed")
            else:
                refused = response.status_code == 403 and response.get("X-Refused") == "csrf"
            if not refused:
                not_refused.append(f"{method.upper()} {path} → {response.status_code}")
    assert not not_refused, "\n".join(not_refused)


def test_the_refusal_page_explains_in_french_and_changes_nothing(everyone):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(everyone)
    before = len(personal_tokens(everyone))

    response = browser.post("/accounts/tokens/")

    assert response.status_code == 403
    assert [t.name for t in response.templates][0] == "403_csrf.html"
    assert "Formulaire expiré" in response.content.decode()
    assert len(personal_tokens(everyone)) == before


def personal_tokens(user):
    from knox.models import AuthToken

    return list(AuthToken.objects.filter(user=user))


def test_the_same_request_with_its_token_goes_through(everyone):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(everyone)
    browser.get("/")  # the page sets the CSRF cookie, as a browser would receive it
    token = browser.cookies["csrftoken"].value

    page = browser.post("/accounts/tokens/", {"csrfmiddlewaretoken": token})
    assert page.status_code == 200 and len(personal_tokens(everyone)) == 1

    # htmx sends it as a header (base.html puts it in data-hx-headers).
    api = browser.post(
        "/api/v1/production-reports/", {}, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert api.status_code == 400  # past the CSRF check, refused as incomplete


def test_a_program_with_a_personal_token_needs_no_csrf_token(maker):
    token = make_personal_token(maker)
    program = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Token {token}")

    response = program.post("/api/v1/production-reports/", {}, content_type="application/json")

    assert response.status_code == 400  # the content is checked: no CSRF refusal


def test_nothing_is_exempt_from_csrf_but_the_api_which_checks_sessions_itself():
    exempt = {view for _path, view in every_url() if getattr(view, "csrf_exempt", False)}
    outside_drf = [view for view in exempt if not is_api(view)]
    assert not outside_drf, outside_drf
    # Every API view that accepts a browser session is DRF's SessionAuthentication, which
    # enforces the CSRF check for session-authenticated requests.
    for view in exempt:
        for authentication in view.cls().get_authenticators():
            if "session" in type(authentication).__name__.lower():
                assert isinstance(authentication, SessionAuthentication)


def test_every_page_tells_htmx_to_send_the_token(client, everyone):
    client.force_login(everyone)
    page = client.get("/").content.decode()
    token = client.cookies["csrftoken"].value
    assert re.search(r"<body data-hx-headers='\{\"X-CSRFToken\": \"[^\"]+\"\}'>", page)
    assert token
