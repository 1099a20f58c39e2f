"""Answers made for one person are kept by no cache; token links leave no Referer behind.

Bank details, payees, a person's reports: every page and API answer a signed-in caller reads
(the authorisation matrix's rows) says `Cache-Control: no-store`; so does every page reached by
a token link, which also sends `Referrer-Policy: strict-origin` (no Referer holds its token).
"""

from django.urls import resolve

from tests.security.matrix_world import ANON, CALLERS
from tests.security.test_authorisation_matrix import (
    GET,
    OPS,
    PAGES,
    _expected_cells,
    api_url,
    page_url,
)


def _read(walker, rows, url_of, *, token=False):
    """(caller, url, response) of each GET row a caller other than anonymous reads (200)."""
    for row in rows:
        if row.method != GET:
            continue
        for caller, expected in zip(CALLERS, _expected_cells(row.expected), strict=True):
            if caller != ANON and expected == "200":
                url = url_of(walker.world, row, caller)
                yield caller, url, walker.request(caller, GET, url, token=token)


def _kept_by_no_cache_or_public(response) -> bool:
    """no-store, or public on purpose: the same answer for everyone (the open data)."""
    policy = response.get("Cache-Control", "")
    return "no-store" in policy or "public" in policy


def test_every_page_a_signed_in_person_reads_is_kept_by_no_cache(walker):
    kept = [
        f"{caller} {url}: {response.get('Cache-Control')!r}"
        for caller, url, response in _read(walker, PAGES, page_url)
        if not _kept_by_no_cache_or_public(response)
    ]
    assert walker.requests > 100
    assert not kept, "\n".join(kept)


def test_every_api_answer_to_a_token_is_kept_by_no_cache(walker):
    kept = [
        f"{caller} {url}: {response.get('Cache-Control')!r}"
        for caller, url, response in _read(walker, OPS, api_url, token=True)
        if not _kept_by_no_cache_or_public(response)
    ]
    assert walker.requests > 50
    assert not kept, "\n".join(kept)


def test_a_page_reached_by_a_token_link_is_kept_by_no_cache_and_leaves_no_token_in_a_referer(
    walker,
):
    reached = set()
    for row in PAGES:
        anonymous = _expected_cells(row.expected)[CALLERS.index(ANON)]
        if row.method != GET or anonymous != "200":
            continue
        url = page_url(walker.world, row, ANON)
        if "token" not in resolve(url.split("?")[0]).kwargs:
            continue
        response = walker.request(ANON, GET, url)
        reached.add(row.name)
        assert "no-store" in response["Cache-Control"], row.name
        assert response["Referrer-Policy"] == "strict-origin", row.name
    # A workshop registration, a need's page, a delivery confirmation at least.
    assert len(reached) >= 3, reached


def test_public_open_data_keeps_its_own_public_cache_policy(client, db):
    response = client.get("/open-data/production.csv")
    assert "public" in response["Cache-Control"]
    assert "no-store" not in response["Cache-Control"]
