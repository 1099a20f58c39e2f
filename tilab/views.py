"""Pages of the core app: public-sector pages, personal tokens, liveness, the 403 page. The home
page, which assembles the apps, is config/views.py."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import select_template
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from . import selectors, services
from .errors import WrongState
from .permissions import PUBLIC, SIGNED_IN, page_permission


def _localised_page(template_base):
    """A page whose long text is written once per language rather than string by string."""

    def view(request):
        language = (get_language() or "fr")[:2]
        template = select_template(
            [f"tilab/pages/{template_base}.{language}.html", f"tilab/pages/{template_base}.fr.html"]
        )
        return HttpResponse(template.render({}, request))

    return page_permission(PUBLIC)(require_GET(view))


accessibility = _localised_page("accessibility")
legal_notice = _localised_page("legal_notice")
personal_data = _localised_page("personal_data")


@page_permission(PUBLIC)
@require_GET
@never_cache
def healthz(request):
    """Liveness: the process answers. Touches neither the database nor the cache."""
    return HttpResponse("ok", content_type="text/plain")


@page_permission(SIGNED_IN)
@require_http_methods(["GET", "POST"])
def personal_tokens(request):
    new_token = None
    if request.method == "POST":
        if "revoke" in request.POST:
            if services.personal_token_revoke(user=request.user, token_key=request.POST["revoke"]):
                messages.success(request, _("Le jeton a été révoqué."))
            else:
                messages.error(request, _("Ce jeton n'existe pas ou a déjà été révoqué."))
            return redirect("personal_tokens")
        try:
            _instance, new_token = services.personal_token_create(user=request.user)
        except WrongState as refusal:
            messages.error(request, refusal.message)
            return redirect("personal_tokens")
    response = render(
        request,
        "tilab/personal_tokens.html",
        {"tokens": selectors.personal_tokens_of(request.user), "new_token": new_token},
    )
    # The clear-text token is shown once; keep it out of every cache.
    response["Cache-Control"] = "no-store"
    return response


def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)
