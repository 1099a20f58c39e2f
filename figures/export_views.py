"""Pages where staff ask for an export of production reports, follow it and download it."""

import io
from datetime import date

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from makers.models import ItemType, ProductionReport
from tilab.errors import BadInput, WrongState
from tilab.permissions import page_permission

from . import exports
from .models import ProductionExport

WORKING = (ProductionExport.Status.PENDING, ProductionExport.Status.RUNNING)


class ExportFormatForm(forms.Form):
    format = forms.ChoiceField(
        label=gettext_lazy("Format du fichier"),
        choices=ProductionExport.Format.choices,
        initial=ProductionExport.Format.XLSX,
        help_text=gettext_lazy(
            "Le CSV sépare les colonnes par « ; » et écrit les nombres avec une virgule "
            "décimale (1234,50), comme un tableur en français les lit. Le fichier Excel garde "
            "les nombres et les dates comme tels, dans toutes les langues."
        ),
        widget=forms.RadioSelect,
    )


def _watched(request) -> set[int]:
    """The exports the page being refreshed was waiting for (from its poll URL)."""
    ids = set()
    for part in request.GET.get("watch", "").split(","):
        if part.strip().isdigit():
            ids.add(int(part))
    return ids


def _list_context(request, now) -> dict:
    """The user's exports, which of them the page keeps watching, and what became of those it
    was watching: one query whatever the number of exports."""
    mine = list(exports.exports_of(request.user, now=now))
    _label_filters(mine)
    # A pending export that may be restarted is waiting for its owner, not for a worker.
    watching = [e.pk for e in mine if e.status in WORKING and not e.retryable]
    watched = _watched(request)
    finished = [e for e in mine if e.pk in watched and e.status not in WORKING]
    return {
        "exports": mine,
        "watching": ",".join(map(str, watching)),
        "ready": [e for e in finished if e.status == ProductionExport.Status.READY],
        "failed": [e for e in finished if e.status == ProductionExport.Status.FAILED],
        "immediate_max_rows": exports.IMMEDIATE_MAX_ROWS,
    }


def _label_filters(exports_shown: list[ProductionExport]) -> None:
    """Say in words what each export holds ("Département 35 · validée · du 01/04/2020")."""
    # The catalogue is a handful of rows: one query, whatever the exports name.
    items = {item.slug: item.name for item in ItemType.objects.all()} if exports_shown else {}
    statuses = dict(ProductionReport.Status.choices)
    for export in exports_shown:
        query = export.filters
        parts = []
        if "department" in query:
            parts.append(_("département %(code)s") % {"code": query["department"]})
        if "item_type" in query:
            parts.append(items.get(query["item_type"], query["item_type"]))
        if "status" in query:
            parts.append(str(statuses.get(query["status"], query["status"])))
        for key, text in (
            ("produced_after", _("depuis le %(day)s")),
            ("produced_before", _("jusqu'au %(day)s")),
        ):
            if key in query:
                day = date.fromisoformat(query[key])
                parts.append(text % {"day": date_format(day, "SHORT_DATE_FORMAT")})
        export.filters_label = " · ".join(parts)


@page_permission("figures.export_reports")
@require_http_methods(["GET", "POST"])
def export_list(request):
    """Ask for an export (format and filters), and follow one's exports until they are ready.

    While an export is being built, htmx asks for the list every 3 seconds and swaps it in
    out of band, with the news in a live region; without JavaScript, reloading does the same.
    """
    now = timezone.now()
    if request.htmx and request.method == "GET":
        return render(request, "figures/_export_poll.html", _list_context(request, now))
    data = request.POST if request.method == "POST" else None
    format_form = ExportFormatForm(data)
    filterset = exports.ExportFilter(data, user=request.user)
    if data is not None and format_form.is_valid() and filterset.is_valid():
        try:
            export = exports.production_export_request(
                by=request.user,
                format=format_form.cleaned_data["format"],
                filters=filterset.normalised(),
                now=now,
            )
        except BadInput as refusal:
            messages.error(request, exports.refusal_text(refusal))
        else:
            _tell(request, export)
            return redirect("exports:list")
    return render(
        request,
        "figures/exports.html",
        {
            **_list_context(request, now),
            "format_form": format_form,
            "filter_form": filterset.form,
            "departments": exports.departments_exportable_by(request.user),
        },
    )


def _tell(request, export: ProductionExport) -> None:
    rows = (
        ngettext("%(count)s ligne", "%(count)s lignes", export.row_count)
        % {"count": export.row_count}
        if export.row_count
        else _("aucune ligne")
    )
    values = {"id": export.pk, "rows": rows}
    if export.status == ProductionExport.Status.READY:
        messages.success(request, _("L'export n° %(id)s est prêt (%(rows)s).") % values)
    elif export.status == ProductionExport.Status.FAILED:
        messages.error(
            request,
            _("L'export n° %(id)s a échoué : %(reason)s") % {**values, "reason": export.error},
        )
    elif export.queued_at is None:
        messages.warning(
            request,
            _(
                "L'export n° %(id)s (%(rows)s) est enregistré, mais le serveur de tâches ne "
                "répond pas : il n'a pas pu être lancé. Relancez-le depuis la liste dans "
                "quelques minutes."
            )
            % values,
        )
    else:
        messages.info(
            request,
            _(
                "L'export n° %(id)s (%(rows)s) est en préparation : il apparaîtra prêt dans "
                "la liste, d'où vous le téléchargerez."
            )
            % values,
        )


def _own_export(request, pk) -> ProductionExport:
    """One of the user's own exports; anybody else's answers 404."""
    return get_object_or_404(
        ProductionExport.objects.filter(requested_by=request.user).defer("content"), pk=pk
    )


@page_permission("figures.export_reports")
@require_safe
def export_download(request, pk):
    export = _own_export(request, pk)
    if export.status != ProductionExport.Status.READY:
        messages.warning(
            request,
            _("L'export n° %(id)s n'est pas prêt (%(status)s) : rien à télécharger pour l'instant.")
            % {"id": export.pk, "status": export.get_status_display()},
        )
        return redirect("exports:list")
    content = ProductionExport.objects.values_list("content", flat=True).get(pk=export.pk)
    return FileResponse(
        io.BytesIO(content),
        as_attachment=True,
        filename=export.filename,
        content_type=exports.CONTENT_TYPES[export.format],
    )


@page_permission("figures.export_reports")
@require_POST
def export_retry(request, pk):
    """Start again an export that failed or that no worker took up."""
    try:
        export = exports.production_export_retry(export_id=pk, by=request.user, now=timezone.now())
    except ProductionExport.DoesNotExist:
        raise Http404 from None
    except WrongState as refusal:
        messages.info(request, refusal.message)
    else:
        _tell(request, export)
    return redirect("exports:list")
