"""Pages of recognition: attestations of participation and their public check. The cooperation
graph lives in `graph_views`; a person's own data (export, deletion) in `accounts`."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from makers.selectors import maker_of
from tilab.errors import Refusal
from tilab.permissions import PUBLIC, SIGNED_IN, page_permission
from tilab.throttling import over_limit

from . import attestations, selectors, services
from .graph_views import network_graph  # noqa: F401

# Codes have 60 bits, so guessing one is hopeless anyway; the limit keeps a script from
# hammering the page: settings.THROTTLE_RATES["attestation_check"], per client address.
CHECK_SCOPE = "attestation_check"


def pdf_response(attestation) -> HttpResponse:
    pdf = getattr(attestation, "pdf", None) or attestations.attestation_pdf(attestation)
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = attestations.pdf_filename(attestation)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _attestation_page(request, *, content, organisation=None, refusal=None):
    if refusal is not None:
        messages.error(request, refusal.message)
    return render(
        request,
        "network/attestation_preview.html",
        {"content": attestations.for_display(content), "organisation": organisation},
        # The server cannot write the PDF now: unavailable, to be tried again.
        status=503 if refusal is not None else 200,
    )


@page_permission("makers.access_maker_space")
@require_http_methods(["GET", "POST"])
def maker_attestation(request):
    """GET: what the attestation will say. POST: issue it (or re-use today's identical one)
    and download it as a PDF."""
    maker = maker_of(request.user)
    if maker is None:
        return redirect("makers:profile")
    if request.method == "POST":
        try:
            attestation = services.attestation_issue(
                maker=maker, by=request.user, now=timezone.now()
            )
        except Refusal as refusal:
            content = attestations.maker_content(maker)
            return _attestation_page(request, content=content, refusal=refusal)
        return pdf_response(attestation)
    return _attestation_page(request, content=attestations.maker_content(maker))


@page_permission(SIGNED_IN)
@require_http_methods(["GET", "POST"])
def organisation_attestation(request, slug):
    """The same for an organisation, for its managers only (anyone else: 404)."""
    organisation = selectors.organisation_managed_by(request.user, slug)
    if organisation is None:
        raise Http404
    if request.method == "POST":
        try:
            attestation = services.attestation_issue(
                organisation=organisation, by=request.user, now=timezone.now()
            )
        except Refusal as refusal:
            content = attestations.organisation_content(organisation)
            return _attestation_page(
                request, content=content, organisation=organisation, refusal=refusal
            )
        return pdf_response(attestation)
    return _attestation_page(
        request,
        content=attestations.organisation_content(organisation),
        organisation=organisation,
    )


@page_permission(PUBLIC)
@require_GET
def attestation_check(request):
    """Anyone checks an attestation by its code: its frozen summary, or "no attestation carries
    this code" — nothing else, whatever was typed."""
    typed = request.GET.get("code", "").strip()[:64]
    context = {"typed": typed, "checked": bool(typed), "attestation": None}
    if typed:
        seconds = over_limit(request, CHECK_SCOPE, per="address")
        if seconds is not None:
            context["too_many"] = True
            response = render(request, "network/attestation_check.html", context, status=429)
            response["Retry-After"] = str(seconds)
            return response
        attestation = selectors.attestation_by_code(typed)
        if attestation is not None:
            context.update(
                attestation=attestation,
                content=attestations.for_display(attestation.content),
                code=attestations.code_display(attestation.code),
            )
    return render(request, "network/attestation_check.html", context)
