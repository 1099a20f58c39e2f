"""Odd values in every filter of every page and API list answer 200 or 400, never a server error.

The pages and lists come from the authorisation matrix (each read by a caller it lets in); a
page's filters are the fields of its GET forms and the parameters of its links to itself, an API
list's are its query parameters in the OpenAPI schema. Each gets dates out of range, impossible
dates, huge and odd numbers, a NUL byte, bytes that are no UTF-8, very long text.
"""

from html.parser import HTMLParser
from urllib.parse import parse_qsl, quote, urlsplit

import pytest

from tests.security.matrix_world import CALLERS
from tests.security.test_authorisation_matrix import (
    GET,
    OPS,
    PAGES,
    _expected_cells,
    api_url,
    page_url,
)

# Each already quoted for a query string: the last ones are bytes no UTF-8 decoder accepts.
ODD_VALUES = [
    quote(value)
    for value in (
        "0001-01-01",
        "9999-12-31",
        "0000-00-00",
        "2020-02-30",
        "31/12/2020",
        "0001-01-01T00:00:00+14:00",
        "-1",
        "0",
        str(10**30),
        "-" + str(10**30),
        "1e308",
        "NaN",
        "x\x00y",
        "\u202e\ufeff",
        "a" * 5000,
        "' OR 1=1 --",
        "%",
    )
] + ["%FF%FE", "%C0%AF"]


class _Filters(HTMLParser):
    """The names a page's GET forms send, and the query parameters of its links to itself."""

    def __init__(self, path: str):
        super().__init__()
        self.path = path
        self.names: set[str] = set()
        self._in_get_form = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._in_get_form = (attrs.get("method") or "get").lower() == "get"
        elif tag in ("input", "select", "textarea") and self._in_get_form:
            if attrs.get("name") and attrs.get("type") not in ("submit", "button"):
                self.names.add(attrs["name"])
        elif tag == "a" and attrs.get("href"):
            link = urlsplit(attrs["href"])
            if link.query and link.path in ("", self.path):
                self.names.update(name for name, _value in parse_qsl(link.query))

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_get_form = False


def _first_reader(row) -> str | None:
    for caller, expected in zip(CALLERS, _expected_cells(row.expected), strict=True):
        if expected == "200":
            return caller
    return None


def _with(url: str, name: str, value: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{quote(name)}={value}"


def _server_errors(walker, caller, url, names, *, token=False) -> list[str]:
    found = []
    for name in sorted(names):
        for value in ODD_VALUES:
            odd = _with(url, name, value)
            response = walker.request(caller, GET, odd, token=token)
            if response.status_code >= 500:
                error = getattr(response, "exc_info", None)
                found.append(
                    f"{caller} {odd[:120]} → {response.status_code} {error and error[1]!r}"
                )
    return found


def test_every_page_filter_takes_odd_values_without_a_server_error(walker):
    w = walker.world
    walked, problems = set(), []
    for row in PAGES:
        caller = _first_reader(row)
        if row.method != GET or caller is None:
            continue
        url = page_url(w, row, caller)
        path = url.split("?")[0]
        if (path, caller) in walked:
            continue
        walked.add((path, caller))
        response = walker.request(caller, GET, url)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        parser = _Filters(path)
        parser.feed(response.content.decode())
        problems += _server_errors(walker, caller, url, parser.names)
    assert len(walked) > 50  # the walk reached the pages, not only a few
    assert not problems, "\n".join(problems)


@pytest.fixture
def schema(client):
    return client.get("/api/schema/?format=json").json()


def test_every_api_list_filter_takes_odd_values_without_a_server_error(walker, schema):
    w = walker.world
    walked, problems = 0, []
    for row in OPS:
        caller = _first_reader(row)
        if row.method != GET or caller is None or row.obj:
            continue
        operation = schema["paths"].get(row.path, {}).get("get", {})
        names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        if not names:
            continue
        walked += 1
        problems += _server_errors(walker, caller, api_url(w, row, caller), names, token=True)
    assert walked > 10
    assert not problems, "\n".join(problems)
