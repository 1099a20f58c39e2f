"""Pages for makers (their space) and relay staff (the validation queue, entering reports)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from fablabs.selectors import departments_covered_by, relays_staffed_by
from tilab.errors import BadInput, NotAllowed, WrongState
from tilab.permissions import page_permission

from . import selectors, services
from .filters import ProductionReportFilter
from .forms import (
    DecisionForm,
    MakerProfileForm,
    OnBehalfReportForm,
    ProductionReportForm,
    RejectionSendForm,
)
from .models import ProductionReport

REPORTS_PER_PAGE = 25
QUEUE_PER_PAGE = 50


def _report_form(request, maker, now, **kwargs):
    return ProductionReportForm(
        request.POST if request.method == "POST" else None,
        organisations=selectors.organisations_of(maker),
        recipients=selectors.recipients_of(maker),
        now=now,
        **kwargs,
    )


def _as_initial(report: ProductionReport) -> dict:
    """A report's editable fields, to fill the form that changes or corrects it."""
    return {field: getattr(report, field) for field in services.EDITABLE_FIELDS}


@page_permission("makers.access_maker_space")
@require_http_methods(["GET", "POST"])
def maker_space(request):
    """Log production in a few taps, then see one's reports and totals."""
    maker = selectors.maker_of(request.user)
    if maker is None:
        return redirect("makers:profile")
    now = timezone.now()
    form = _report_form(request, maker, now)
    if request.method == "POST" and form.is_valid():
        try:
            report = services.production_report_submit(
                by=request.user, now=now, maker=maker, **form.cleaned_data
            )
        except BadInput as refusal:
            form.add_refusal(refusal)
        else:
            messages.success(
                request,
                _(
                    "Déclaration enregistrée : %(quantity)s × %(item)s du %(date)s. "
                    "Elle attend la validation du relais de votre département."
                )
                % {
                    "quantity": report.quantity,
                    "item": report.item_type.name,
                    "date": report.produced_on.strftime("%d/%m/%Y"),
                },
            )
            # To the top, where the confirmation is (and takes focus, static/js/tilab.js): an
            # anchor further down left it out of sight and unannounced.
            return redirect("makers:space")
    # ?statut=rejected: the reports to correct, where the home page's to-do leads.
    status = request.GET.get("statut", "")
    reports = Paginator(
        selectors.reports_of_maker(maker, status=status), REPORTS_PER_PAGE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "makers/space.html",
        {
            "maker": maker,
            "form": form,
            "reports": reports,
            "status": status if status in ProductionReport.Status.values else "",
            "totals": selectors.totals_per_item_of(maker),
        },
    )


@page_permission("makers.access_maker_space")
@require_http_methods(["GET", "POST"])
def maker_profile(request):
    maker = selectors.maker_of(request.user)
    form = MakerProfileForm(request.POST or None, instance=maker)
    if request.method == "POST" and form.is_valid():
        services.maker_profile_save(user=request.user, **form.cleaned_data)
        messages.success(request, _("Votre profil est enregistré."))
        return redirect("makers:space")
    return render(request, "makers/profile.html", {"maker": maker, "form": form})


def _own_report(request, pk) -> ProductionReport:
    """One of the user's own reports; anybody else's answers 404."""
    return get_object_or_404(
        selectors.reports_visible_to(request.user).filter(maker__user=request.user), pk=pk
    )


@page_permission("makers.access_maker_space")
@require_http_methods(["GET", "POST"])
def report_edit(request, pk):
    """Edit a submitted report, correct a rejected one, or propose a correction of a
    validated one; withdrawn and superseded reports are only shown."""
    report = _own_report(request, pk)
    now = timezone.now()
    editable = report.status in (report.Status.SUBMITTED, report.Status.REJECTED)
    correctable = report.status == report.Status.VALIDATED
    form = _report_form(request, report.maker, now, initial=_as_initial(report))
    if request.method == "POST" and (editable or correctable) and form.is_valid():
        try:
            if editable:
                was_rejected = report.status == report.Status.REJECTED
                services.production_report_update(
                    report=report, by=request.user, now=now, **form.cleaned_data
                )
                message = (
                    _("Déclaration corrigée et renvoyée au relais.")
                    if was_rejected
                    else _("Déclaration modifiée.")
                )
            else:
                services.production_report_correct(
                    report=report,
                    by=request.user,
                    now=now,
                    source=ProductionReport.Source.MAKER,
                    **form.cleaned_data,
                )
                message = _("Correction envoyée : elle remplacera la déclaration une fois validée.")
        except BadInput as refusal:
            form.add_refusal(refusal)
        except WrongState as refusal:
            messages.error(request, refusal.message)
            return redirect("makers:report_edit", pk=report.pk)
        else:
            messages.success(request, message)
            return redirect(reverse("makers:space") + "#mes-declarations")
    return render(
        request,
        "makers/report_edit.html",
        {"report": report, "form": form, "editable": editable, "correctable": correctable},
    )


@page_permission("makers.access_maker_space")
@require_POST
def report_withdraw(request, pk):
    report = _own_report(request, pk)
    try:
        services.production_report_withdraw(report=report, by=request.user, now=timezone.now())
    except WrongState as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Déclaration retirée : elle ne sera pas comptée."))
    return redirect(reverse("makers:space") + "#mes-declarations")


def _queue_context(request, query: QueryDict, decision_form=None):
    """The queue as filtered by `query`; shows reports awaiting a decision unless told."""
    query = query.copy()
    if "status" not in query:
        query["status"] = ProductionReport.Status.SUBMITTED
    queue = selectors.validation_queue_of(request.user)
    if query.get("pour_moi"):
        # Only what this person may decide (four eyes), where the home page's to-do leads.
        queue = queue.filter(pk__in=selectors.reports_decidable_query(request.user).values("pk"))
    filterset = ProductionReportFilter(query, queryset=queue)
    filterset.form.fields["department"].queryset = selectors.departments_decided_by(request.user)
    filterset.form.fields["item_type"].label_from_instance = lambda item: item.name
    # Only the maker-name search is offered on the page; ids are for the API.
    for name in ("maker", "organisation"):
        filterset.form.fields.pop(name)
    reports = filterset.qs if filterset.is_valid() else filterset.queryset.none()
    page = Paginator(reports, QUEUE_PER_PAGE).get_page(query.get("page"))
    selectors.double_counts_linked(page, request.user)
    # A double count on the same page is linked to, so the relay can compare the two.
    on_page = {report.pk for report in page}
    for report in page:
        for other in report.double_counts:
            other.on_page = other.pk in on_page
    filters = query.copy()
    filters.pop("page", None)
    # A line another importer handed over says where it came from.
    sources = selectors.import_sources_of(page)
    for report in page:
        report.imported_from = sources.get(report.pk)
    can_decide = request.user.has_perm("makers.decide_reports")
    if can_decide:
        # Four eyes: a report this person may not decide shows who decides it, not buttons.
        waiting = [report for report in page if report.status == report.Status.SUBMITTED]
        routes = selectors.decision_routes(waiting)
        for report in waiting:
            report.decidable = routes[report.pk].allows(request.user)
            report.decided_elsewhere = routes[report.pk].label_for(request.user)
    decision_form = decision_form or DecisionForm()
    ticked, refused_row = decision_form.ticked(), decision_form.row_refused()
    for report in page:
        report.ticked = report.pk in ticked
        if report.pk == refused_row:
            report.row_reason = decision_form[f"row_reason_{report.pk}"]
    return {
        "filter_form": filterset.form,
        "page": page,
        "filters": filters.urlencode(),
        "can_decide": can_decide,
        "decision_form": decision_form,
        "mine": bool(query.get("pour_moi")),
    }


@page_permission("makers.access_validation_queue")
@require_safe
def validation_queue(request):
    if request.htmx:
        return render(request, "makers/_queue.html", _queue_context(request, request.GET))
    return render(request, "makers/validation_queue.html", _queue_page(request, request.GET))


def _queue_page(request, query: QueryDict, decision_form=None) -> dict:
    return {
        **_queue_context(request, query, decision_form),
        "departments": selectors.departments_decided_by(request.user),
        "relays": relays_staffed_by(request.user),
    }


def _numbers(reports) -> str:
    """ "12, 13, 48": the reports a decision concerned, for the message that confirms it."""
    return ", ".join(str(report.pk) for report in sorted(reports, key=lambda r: r.pk))


@page_permission("makers.decide_reports")
@require_POST
def validation_decide(request):
    """Validate or reject the chosen reports: all of them, or none with the reason why."""
    form = DecisionForm(request.POST)
    filters = QueryDict(request.POST.get("filters", ""))
    # Enter in a row's box sent the form with its hidden first button: nothing is decided, the
    # queue comes back as it was, its boxes still ticked.
    nothing = form.is_valid() and form.cleaned_data["action"] == DecisionForm.NOTHING
    if form.is_valid() and not nothing:
        chosen = form.cleaned_data["chosen"]
        in_queue = selectors.validation_queue_of(request.user).filter(pk__in=chosen)
        if in_queue.count() != len(chosen):
            raise Http404
        now = timezone.now()
        try:
            if form.cleaned_data["action"] == DecisionForm.VALIDATE:
                decided = services.production_reports_validate(
                    report_ids=chosen, by=request.user, now=now
                )
                text = ngettext(
                    "%(count)d déclaration validée : n° %(ids)s.",
                    "%(count)d déclarations validées : n° %(ids)s.",
                    len(decided),
                ) % {"count": len(decided), "ids": _numbers(decided)}
            elif form.cleaned_data.get("kept"):
                kept = form.cleaned_data["kept"]
                services.production_report_reject_as_double_count(
                    report=ProductionReport(pk=chosen[0]),
                    kept_id=kept,
                    by=request.user,
                    now=now,
                    note=form.cleaned_data["reason"],
                )
                text = _(
                    "Déclaration n° %(id)s refusée comme double compte de la n° %(kept)s, gardée."
                ) % {"id": chosen[0], "kept": kept}
            else:
                decided = services.production_reports_reject(
                    report_ids=chosen, by=request.user, now=now, reason=form.cleaned_data["reason"]
                )
                text = ngettext(
                    "%(count)d déclaration refusée (n° %(ids)s) ; le maker verra le motif.",
                    "%(count)d déclarations refusées (n° %(ids)s) ; les makers verront le motif.",
                    len(decided),
                ) % {"count": len(decided), "ids": _numbers(decided)}
        except BadInput as refusal:
            form.add_refusal(refusal)
        except (NotAllowed, WrongState) as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(request, text)
            form = None
    if request.htmx:
        return render(request, "makers/_queue.html", _queue_context(request, filters, form))
    if form is not None and (form.errors or nothing):
        # Refused input comes back on the page as sent: the ticked rows stay ticked, the error
        # summary at the top links to what to fix (no redirect, which would lose both).
        return render(request, "makers/validation_queue.html", _queue_page(request, filters, form))
    return redirect(reverse("makers:validation_queue") + "?" + filters.urlencode())


@page_permission("makers.enter_reports")
@require_http_methods(["GET", "POST"])
def report_correct_for(request, pk):
    """Relay staff fix a report of their departments while it waits for a decision (a typo
    found on the phone with the maker); a decided report is only shown."""
    report = get_object_or_404(
        selectors.validation_queue_of(request.user).filter(
            department__in=departments_covered_by(request.user)
        ),
        pk=pk,
    )
    now = timezone.now()
    editable = report.status == report.Status.SUBMITTED
    form = _report_form(request, report.maker, now, initial=_as_initial(report), for_relay=True)
    if request.method == "POST" and editable and form.is_valid():
        try:
            services.production_report_update(
                report=report, by=request.user, now=now, **form.cleaned_data
            )
        except BadInput as refusal:
            form.add_refusal(refusal)
        except WrongState as refusal:
            messages.error(request, refusal.message)
            return redirect("makers:validation_queue")
        else:
            messages.success(
                request,
                _("Déclaration n° %(id)s modifiée : elle attend toujours une décision.")
                % {"id": report.pk},
            )
            return redirect("makers:validation_queue")
    return render(
        request,
        "makers/report_correct_for.html",
        {"report": report, "form": form, "editable": editable},
    )


@page_permission("makers.enter_reports")
@require_http_methods(["GET", "POST"])
def rejection_notice(request, pk):
    """The refusal of a report of a maker without an account, as the maker reads it: a page to
    print (or read over the phone), and a form that sends it to the maker by e-mail. Only for
    the staff of the relay covering the report's department; anybody else's answer 404."""
    report = get_object_or_404(selectors.rejections_to_tell_of(request.user), pk=pk)
    form = RejectionSendForm(
        request.POST or None,
        initial={"email": report.maker.contact_email, "language": "fr"},
    )
    if request.method == "POST" and form.is_valid():
        try:
            sent = services.rejection_send_to_maker(
                report=report,
                address=form.cleaned_data["email"],
                language=form.cleaned_data["language"],
                by=request.user,
                now=timezone.now(),
            )
        except BadInput as refusal:
            form.add_refusal(refusal)
        else:
            if sent:
                messages.success(
                    request,
                    _("Le motif du refus part par e-mail à %(address)s.")
                    % {"address": form.cleaned_data["email"]},
                )
            else:
                messages.info(request, _("Ce refus a déjà été envoyé à cette adresse."))
            return redirect("makers:rejection_notice", pk=report.pk)
    return render(
        request,
        "makers/rejection_notice.html",
        {
            "report": report,
            "form": form,
            "relay_name": selectors.relay_name_for(request.user, report),
        },
    )


@page_permission("makers.enter_reports")
@require_http_methods(["GET", "POST"])
def report_enter_for(request):
    """Relay staff enter a report for a maker, who may have no account."""
    now = timezone.now()
    departments = departments_covered_by(request.user)
    form = OnBehalfReportForm(
        request.POST or None,
        makers=selectors.makers_decided_by(request.user),
        departments=departments,
        organisations=selectors.organisations_in(departments),
        now=now,
    )
    if request.method == "POST" and form.is_valid():
        try:
            report = services.production_report_submit(
                by=request.user, now=now, **form.cleaned_data
            )
        except BadInput as refusal:
            form.add_refusal(refusal)
        else:
            messages.success(
                request,
                _("Déclaration enregistrée pour %(maker)s : %(quantity)s × %(item)s.")
                % {
                    "maker": report.maker.display_name,
                    "quantity": report.quantity,
                    "item": report.item_type.name,
                },
            )
            return redirect("makers:validation_queue")
    return render(request, "makers/enter_for.html", {"form": form})
