"""Deprecated API operations, announced where programs look: every answer of the operation
carries a `Deprecation` header (RFC 9745) with the day it was deprecated, a `Sunset` header
(RFC 8594) with the day it stops once that day is set, and a `Link` to the changelog entry that
says what replaces it; the schema marks the operation `deprecated`. README, "Versioning", gives
the policy.

    @deprecated(on=date(2027, 1, 15), sunset=date(2027, 7, 15), link="/changelog/#v1-payments")
    @action(detail=True, methods=["post"])
    def payments(self, request, pk=None): ...

The decorator only marks the handler (a viewset's action or method, an APIView's `get`…), in
any order with DRF's and drf-spectacular's decorators; `DeprecationMiddleware` adds the headers
to every answer of a marked handler, errors included, and `tilab.schema.AutoSchema` reads the
mark for the schema.
"""

from calendar import timegm
from dataclasses import dataclass
from datetime import date

from django.utils.http import http_date

MARK = "api_deprecation"


@dataclass(frozen=True)
class Deprecation:
    """`on`: the day the operation was deprecated (announced in the changelog). `sunset`: the
    day it stops answering, when known. `link`: the changelog entry or page that says what to
    use instead (absolute, or a path of this site)."""

    on: date
    sunset: date | None = None
    link: str | None = None

    def headers(self, request) -> dict[str, str]:
        headers = {"Deprecation": f"@{_midnight_utc(self.on)}"}
        if self.sunset is not None:
            headers["Sunset"] = http_date(_midnight_utc(self.sunset))
        if self.link:
            url = request.build_absolute_uri(self.link)
            headers["Link"] = f'<{url}>; rel="deprecation"; type="text/html"'
        return headers


def _midnight_utc(day: date) -> int:
    return timegm(day.timetuple())


def deprecated(*, on: date, sunset: date | None = None, link: str | None = None):
    """Mark an API handler as deprecated since `on` (see the module's docstring)."""
    if sunset is not None and sunset <= on:
        raise ValueError("An operation stops after the day it is deprecated.")
    deprecation = Deprecation(on=on, sunset=sunset, link=link)

    def mark(handler):
        setattr(handler, MARK, deprecation)
        return handler

    return mark


def deprecation_of(view_class, handler_name: str | None) -> Deprecation | None:
    """The deprecation of a view's handler (`handler_name`: its action, or its HTTP method in
    lower case), or None."""
    handler = getattr(view_class, handler_name, None) if handler_name else None
    return getattr(handler, MARK, None)


class DeprecationMiddleware:
    """Adds the deprecation headers to every answer of a deprecated operation."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        deprecation = getattr(request, MARK, None)
        if deprecation is not None:
            for name, value in deprecation.headers(request).items():
                if name == "Link" and response.has_header("Link"):
                    value = f"{response['Link']}, {value}"
                response.headers[name] = value
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        # DRF's views carry their class (`cls`) and, for a viewset, the action of each method.
        view_class = getattr(view_func, "cls", None)
        if view_class is None:
            return None
        method = request.method.lower()
        actions = getattr(view_func, "actions", None)
        handler_name = actions.get(method) if actions is not None else method
        deprecation = deprecation_of(view_class, handler_name)
        if deprecation is not None:
            setattr(request, MARK, deprecation)
        return None
