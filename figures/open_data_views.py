"""Pages and files of the open data: public, cacheable, built from the totals only."""

from calendar import timegm
from collections.abc import Callable

from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date, quote_etag
from django.views.decorators.http import require_safe

from tilab.permissions import PUBLIC, page_permission

from . import open_data
from .views import cached_by_totals

# Totals move within seconds of a validation: caches keep a file briefly, then ask again
# with the ETag, which costs three small queries and answers 304 while nothing changed.
MAX_AGE = 300


def _published(request, build: Callable[[open_data.Edition], HttpResponse]) -> HttpResponse:
    """Answer 304 when the reader's copy is current, else the file `build` makes."""
    edition = open_data.production_edition()
    etag = quote_etag(edition.etag)
    # Last-Modified is the latest recompute; the ETag also sees removed rows and renames, and
    # wins over it whenever a client sends both (RFC 9110, 13.2.2).
    last_modified = timegm(edition.updated_at.utctimetuple()) if edition.updated_at else None
    response = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if response is None:
        response = build(edition)
    response.headers["ETag"] = etag
    if last_modified:
        response.headers["Last-Modified"] = http_date(last_modified)
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    return response


def _attachment(filename: str) -> dict:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


@page_permission(PUBLIC)
@cached_by_totals
@require_safe
def index(request):
    edition = open_data.production_edition()
    return render(
        request,
        "figures/open_data.html",
        {
            "edition": edition,
            "columns": open_data.COLUMNS,
            "primary_key": open_data.PRIMARY_KEY,
            "licence_name": open_data.LICENCE_NAME,
            "licence_url": open_data.LICENCE_URL,
            "publisher": open_data.PUBLISHER,
        },
    )


@page_permission(PUBLIC)
@cached_by_totals
@require_safe
def production_csv(request):
    return _published(
        request,
        lambda edition: StreamingHttpResponse(
            (line.encode() for line in open_data.production_csv(edition=edition)),
            content_type="text/csv; charset=utf-8",
            headers=_attachment(open_data.CSV_FILENAME),
        ),
    )


@page_permission(PUBLIC)
@cached_by_totals
@require_safe
def production_hxl(request):
    return _published(
        request,
        lambda edition: StreamingHttpResponse(
            (line.encode() for line in open_data.production_hxl_csv(edition=edition)),
            content_type="text/csv; charset=utf-8",
            headers=_attachment(open_data.HXL_FILENAME),
        ),
    )


@page_permission(PUBLIC)
@cached_by_totals
@require_safe
def production_xlsx(request):
    return _published(
        request,
        lambda edition: HttpResponse(
            open_data.production_xlsx(edition=edition),
            content_type=open_data.XLSX_CONTENT_TYPE,
            headers=_attachment(open_data.XLSX_FILENAME),
        ),
    )


@page_permission(PUBLIC)
@require_safe
def production_schema(request):
    response = JsonResponse(
        open_data.production_schema(), json_dumps_params={"ensure_ascii": False, "indent": 2}
    )
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    return response
