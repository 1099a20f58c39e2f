"""Pages of a person's own data: what is held, the JSON and CSV exports, deleting the account.
(Moved from the network app, whose attestations and links are now `recognition`.)"""

import json

from django.contrib.auth import logout
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from makers.selectors import maker_of
from tilab.permissions import SIGNED_IN, page_permission

from . import services
from .forms import AccountDeleteForm


@page_permission(SIGNED_IN)
@require_GET
def personal_data(request):
    return render(
        request,
        "accounts/personal_data.html",
        {"maker": maker_of(request.user)},
    )


def _download(content: str, *, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@page_permission(SIGNED_IN)
@require_GET
def personal_data_json(request):
    data = services.personal_data_export(user=request.user, now=timezone.now())
    return _download(
        json.dumps(data, ensure_ascii=False, indent=2),
        filename="export.json",
        content_type="application/json; charset=utf-8",
    )


@page_permission(SIGNED_IN)
@require_GET
def personal_data_csv(request):
    data = services.personal_data_export(user=request.user, now=timezone.now())
    # With a BOM, spreadsheets read the accents right.
    return _download(
        "\ufeff" + services.personal_data_csv(data=data),
        filename="export.csv",
        content_type="text/csv; charset=utf-8",
    )


@page_permission(SIGNED_IN)
@require_http_methods(["GET", "POST"])
def account_delete(request):
    form = AccountDeleteForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.is_valid():
        services.account_delete(user=request.user, now=timezone.now())
        logout(request)
        return render(request, "accounts/personal_data_deleted.html")
    return render(
        request,
        "accounts/personal_data_delete.html",
        {"form": form, "maker": maker_of(request.user)},
    )
