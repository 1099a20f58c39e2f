"""Pages of the network: attestations of participation and their public check, a person's own
data (export, account deletion). The cooperation graph lives in `graph_views`."""

import json

from django import forms
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from makers.selectors import maker_of
from tilab.throttling import over_limit

from . import attestations, selectors, services
from .graph_views import network_graph  # noqa: F401

# Codes have 60 bits, so guessing one is hopeless anyway; the limit keeps a script from
# hammering the page: settings.THROTTLE_RATES["attestation_check"], per client address.
CHECK_SCOPE = "attestation_check"


def _pdf_response(attestation) -> HttpResponse:
    response = HttpResponse(
        attestations.attestation_pdf(attestation), content_type="application/pdf"
    )
    filename = attestations.pdf_filename(attestation)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _attestation_page(request, *, content, organisation=None):
    return render(
        request,
        "network/attestation_preview.html",
        {"content": attestations.for_display(content), "organisation": organisation},
    )


@login_required
@permission_required("makers.access_maker_space", raise_exception=True)
@require_http_methods(["GET", "POST"])
def maker_attestation(request):
    """GET: what the attestation will say. POST: issue it (or re-use today's identical one)
    and download it as a PDF."""
    maker = maker_of(request.user)
    if maker is None:
        return redirect("makers:profile")
    if request.method == "POST":
        attestation = services.attestation_issue(maker=maker, by=request.user, now=timezone.now())
        return _pdf_response(attestation)
    return _attestation_page(request, content=attestations.maker_content(maker))


@login_required
@require_http_methods(["GET", "POST"])
def organisation_attestation(request, slug):
    """The same for an organisation, for its managers only (anyone else: 404)."""
    organisation = selectors.organisation_managed_by(request.user, slug)
    if organisation is None:
        raise Http404
    if request.method == "POST":
        attestation = services.attestation_issue(
            organisation=organisation, by=request.user, now=timezone.now()
        )
        return _pdf_response(attestation)
    return _attestation_page(
        request,
        content=attestations.organisation_content(organisation),
        organisation=organisation,
    )


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


# Personal data ------------------------------------------------------------------------------


@login_required
@require_GET
def personal_data(request):
    return render(
        request,
        "network/personal_data.html",
        {"maker": maker_of(request.user)},
    )


def _download(content: str, *, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def personal_data_json(request):
    data = services.personal_data_export(user=request.user, now=timezone.now())
    return _download(
        json.dumps(data, ensure_ascii=False, indent=2),
        filename="export.json",
        content_type="application/json; charset=utf-8",
    )


@login_required
@require_GET
def personal_data_csv(request):
    data = services.personal_data_export(user=request.user, now=timezone.now())
    # With a BOM, spreadsheets read the accents right.
    return _download(
        "\ufeff" + services.personal_data_csv(data=data),
        filename="export.csv",
        content_type="text/csv; charset=utf-8",
    )


CONFIRM_PHRASE = "supprimer mon compte"


class AccountDeleteForm(forms.Form):
    """Confirm with one's password or, for an account without one, by typing a phrase."""

    password = forms.CharField(
        label=_("Votre mot de passe"),
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    phrase = forms.CharField(
        label=_("Recopiez « supprimer mon compte »"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if user.has_usable_password():
            del self.fields["phrase"]
            self.fields["password"].required = True
        else:
            del self.fields["password"]
            self.fields["phrase"].required = True

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("Ce mot de passe n'est pas le bon."))
        return password

    def clean_phrase(self):
        phrase = " ".join(self.cleaned_data["phrase"].lower().split())
        if phrase != CONFIRM_PHRASE:
            raise forms.ValidationError(_("Recopiez exactement « supprimer mon compte »."))
        return phrase


@login_required
@require_http_methods(["GET", "POST"])
def account_delete(request):
    form = AccountDeleteForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.is_valid():
        services.account_delete(user=request.user, now=timezone.now())
        logout(request)
        return render(request, "network/personal_data_deleted.html")
    return render(
        request,
        "network/personal_data_delete.html",
        {"form": form, "maker": maker_of(request.user)},
    )
