"""Pages where relay staff, the Région and facilitators upload a spreadsheet, check its preview,
then confirm the import (or refuse the file)."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from tilab.errors import BadInput, WrongState
from tilab.permissions import page_permission
from tilab.throttling import throttle_page

from . import importing, selectors
from .alias_views import unknown_items_context
from .models import ProductionImport


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Tableur de production (CSV, Excel .xlsx ou .xls, OpenDocument .ods)"),
        help_text=gettext_lazy(
            "Une ligne par maker et par jour. Colonnes obligatoires : Date (jj/mm/aaaa), "
            "Nom du maker, Département (code ou nom), Article, Quantité. Colonnes facultatives : "
            "Structure, Type de structure, Coût matière (€), Livré à. Dans un classeur, la "
            "première feuille qui porte ces en-têtes est lue (un titre au-dessus est permis) "
            "et les lignes de total sont ignorées. CSV : séparateur « ; », « , » ou "
            "tabulation ; virgule décimale acceptée. 5 Mo et 50 000 lignes au plus. "
            "Rien n'est importé avant votre confirmation."
        ),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".csv,.xlsx,.xls,.ods,text/csv,application/vnd.ms-excel,"
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,"
                "application/vnd.oasis.opendocument.spreadsheet"
            }
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        # Checked before reading: a huge upload is refused without loading it in memory.
        try:
            importing.check_size(upload.size)
        except importing.ImportRejected as refusal:
            raise forms.ValidationError(_line_errors(refusal)) from None
        return upload

    def add_import_refusal(self, refusal: importing.ImportRejected) -> None:
        """Each line of a refused import, on the file field, with its code."""
        self.add_error("file", _line_errors(refusal))


class ImportOptionsForm(forms.Form):
    """The choices a file may leave open (importing/options.py), made in its preview. Each is
    shown only when the plan asks for it or when it was made before."""

    date_order = forms.TypedChoiceField(
        label=gettext_lazy("Ordre des dates"),
        choices=[
            (importing.options.DAY_FIRST, gettext_lazy("jour puis mois (31/12/2020)")),
            (importing.options.MONTH_FIRST, gettext_lazy("mois puis jour (12/31/2020)")),
        ],
        required=False,
        empty_value=None,
        widget=forms.RadioSelect,
    )
    decimal_mark = forms.TypedChoiceField(
        label=gettext_lazy("Séparateur décimal"),
        choices=[
            (importing.options.DECIMAL_COMMA, gettext_lazy("virgule (1 250,50 ; 1,250 = 1,25)")),
            (importing.options.DECIMAL_POINT, gettext_lazy("point (1,250.50 ; 1,250 = 1 250)")),
        ],
        required=False,
        empty_value=None,
        widget=forms.RadioSelect,
    )
    other_departments = forms.TypedChoiceField(
        label=gettext_lazy("Lignes d'autres départements"),
        choices=[
            (
                importing.options.HAND_OVER,
                gettext_lazy(
                    "importer mes départements et transmettre les autres lignes aux relais "
                    "qui les couvrent"
                ),
            )
        ],
        required=False,
        empty_value=None,
        widget=forms.RadioSelect,
    )

    def options(self) -> importing.ImportOptions:
        return importing.ImportOptions(**self.cleaned_data)


def _line_errors(refusal: importing.ImportRejected) -> list[forms.ValidationError]:
    return [forms.ValidationError(_error_text(error), code=error.code) for error in refusal.errors]


def _error_text(error: importing.RowError) -> str:
    if error.line > importing.FILE_LINE and error.sheet is not None:
        return _("Feuille « %(sheet)s », ligne %(line)s : %(message)s") % {
            "sheet": error.sheet,
            "line": error.line,
            "message": error.message,
        }
    if error.line > importing.FILE_LINE:
        return _("Ligne %(line)s : %(message)s") % {"line": error.line, "message": error.message}
    return error.message


def _after_import(user) -> str:
    """Where an importer lands: the validation queue, or the upload page for facilitators, who
    hand every line to the relays and have no queue of their own."""
    if user.has_perm("makers.access_validation_queue"):
        return "makers:validation_queue"
    return "makers:import_upload"


@page_permission("makers.import_reports")
@require_http_methods(["GET", "POST"])
@throttle_page("import", per="account")  # counted with the API's imports
def import_upload(request):
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            batch = importing.production_import_upload(
                content=upload.read(), filename=upload.name, by=request.user, now=timezone.now()
            )
        except importing.ImportRejected as refusal:
            form.add_import_refusal(refusal)
        else:
            return redirect("makers:import_preview", pk=batch.pk)
    return render(
        request,
        "makers/import_upload.html",
        {"form": form, "imports": selectors.imports_of(request.user)},
    )


def _refusal_context(refusal: importing.ImportRejected) -> dict:
    """What the preview shows of a refused file: every line, and the unknown item names."""
    return {
        "errors": refusal.errors,
        "rejection": refusal.message,
        "errors_name_sheets": any(error.sheet for error in refusal.errors),
        **unknown_items_context(refusal),
    }


@page_permission("makers.import_reports")
@require_http_methods(["GET", "POST"])
@throttle_page("import", per="account")
def import_preview(request, pk):
    # Only the person who uploaded a file sees it: anyone else's answers 404.
    batch = get_object_or_404(ProductionImport.objects.filter(created_by=request.user), pk=pk)
    options = importing.ImportOptions.from_dict(batch.options)
    context = {
        "batch": batch,
        "plan": None,
        "errors": [],
        "options_form": ImportOptionsForm(initial=options.as_dict()),
    }
    if request.method == "POST" and request.POST.get("action") == "choose":
        # The choices the file leaves open: kept, then the preview is read again with them.
        form = ImportOptionsForm(request.POST)
        if form.is_valid():
            try:
                importing.production_import_choose(
                    batch=batch, by=request.user, options=form.options()
                )
            except WrongState as refusal:
                messages.info(request, refusal.message)
            return redirect("makers:import_preview", pk=batch.pk)
        # The preview below is read with the choices kept; the form shows what was wrong.
        context["options_form"] = form
    elif request.method == "POST" and request.POST.get("action") == "refuse":
        # Refusing instead of confirming (a relay given other relays' lines): the file goes.
        try:
            importing.production_import_refuse(batch=batch, by=request.user, now=timezone.now())
        except WrongState as refusal:
            messages.info(request, refusal.message)
            return redirect("makers:import_preview", pk=batch.pk)
        messages.success(
            request,
            _("Fichier « %(filename)s » refusé : rien n'a été importé, il n'est pas conservé.")
            % {"filename": batch.filename},
        )
        return redirect("makers:import_upload")
    elif request.method == "POST":
        try:
            plan = importing.production_import_confirm(
                batch=batch, by=request.user, now=timezone.now()
            )
        except importing.ImportRejected as refusal:
            context.update(_refusal_context(refusal))
            return render(request, "makers/import_preview.html", context, status=400)
        except BadInput as refusal:  # import_choice_needed: a choice is still open
            messages.error(request, refusal.message)
            return redirect("makers:import_preview", pk=batch.pk)
        except WrongState as refusal:
            if refusal.code == importing.errors.IMPORT_ALREADY_CONFIRMED.code:  # a second click
                messages.info(request, refusal.message)
                return redirect(_after_import(request.user))
            messages.error(request, refusal.message)  # import_conflict: another import won
            return redirect("makers:import_preview", pk=batch.pk)
        created = plan.counts["rows_to_create"]
        messages.success(
            request,
            ngettext(
                "%(count)s déclaration importée : elle attend la validation du relais.",
                "%(count)s déclarations importées : elles attendent la validation du relais.",
                created,
            )
            % {"count": created}
            if created
            else _("Aucune déclaration importée."),
        )
        if plan.already_there:
            messages.info(
                request,
                ngettext(
                    "%(count)s ligne était déjà importée : elle n'a pas été recréée.",
                    "%(count)s lignes étaient déjà importées : elles n'ont pas été recréées.",
                    len(plan.already_there),
                )
                % {"count": len(plan.already_there)},
            )
        return redirect(_after_import(request.user))
    if batch.status == ProductionImport.Status.PREVIEWED:
        try:
            plan = importing.production_import_preview(
                content=bytes(batch.content),
                filename=batch.filename,
                by=request.user,
                now=timezone.now(),
                options=options,
            )
        except importing.ImportRejected as refusal:
            context.update(_refusal_context(refusal))
        else:
            context["plan"] = plan
            asked = (
                {choice["option"] for choice in plan.choices_needed}
                | set(plan.options.as_dict())
                # A date order or decimal mark the file leaves open may be chosen, asked or not.
                | {convention.option for convention in plan.conventions if convention.choosable}
            )
            form = context["options_form"]
            context["asked_fields"] = [form[name] for name in form.fields if name in asked]
            # A page of 10,000 rows helps nobody: the first ones, then how many more.
            context["shown_rows"] = plan.rows[: importing.PREVIEW_ROWS]
            context["more_rows"] = max(0, len(plan.rows) - importing.PREVIEW_ROWS)
    return render(request, "makers/import_preview.html", context)
