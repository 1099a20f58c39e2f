"""Pages of the core app: public-sector pages, personal tokens, liveness, the 403 page. The home
page, which assembles the apps, is config/views.py."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import select_template
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views import i18n as i18n_views
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import notices, selectors, services
from .errors import BadInput, WrongState
from .forms import NoticePreferencesForm, PersonalTokenForm
from .permissions import PUBLIC, SIGNED_IN, page_permission, within_reach
from .sessions import session_extend as extend


def _localised_page(template_base, context=dict):
    """A page whose long text is written once per language rather than string by string;
    `context` gives what it prints from data."""

    def view(request):
        language = (get_language() or "fr")[:2]
        template = select_template(
            [f"tilab/pages/{template_base}.{language}.html", f"tilab/pages/{template_base}.fr.html"]
        )
        return HttpResponse(template.render(context(), request))

    return page_permission(PUBLIC)(require_GET(view))


accessibility = _localised_page("accessibility", context=selectors.accessibility_audit)
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
    """A person's API tokens: create one with a scope, revoke one. A "money" token is offered
    to those who decide on money; creating it asks for their code first, as a money decision
    does (tilab.middleware.SecondFactorMiddleware), and comes back here."""
    user = request.user
    money = within_reach(user, "tilab.decide_on_money")
    form = PersonalTokenForm(request.POST or None, money=money)
    new_token = created = None
    if request.method == "POST":
        if "revoke" in request.POST:
            if services.personal_token_revoke(user=user, token_key=request.POST["revoke"]):
                messages.success(request, _("Le jeton a été révoqué."))
            else:
                messages.error(request, _("Ce jeton n'existe pas ou a déjà été révoqué."))
            return redirect("personal_tokens")
        if form.is_valid():
            try:
                created, new_token = services.personal_token_create(
                    user=user, scope=form.cleaned_data["scope"], now=timezone.now()
                )
            except WrongState as refusal:
                messages.error(request, refusal.message)
                return redirect("personal_tokens")
            form = PersonalTokenForm(money=money)
    response = render(
        request,
        "tilab/personal_tokens.html",
        {
            "tokens": selectors.personal_tokens_of(user),
            "new_token": new_token,
            "created": created,
            "form": form,
            "money_offered": money,
            "token_days": settings.TILAB_API_TOKEN_DAYS,
        },
    )
    # The clear-text token is shown once; keep it out of every cache.
    response["Cache-Control"] = "no-store"
    return response


@page_permission(SIGNED_IN)
@require_http_methods(["GET", "POST"])
def notice_preferences(request):
    """How the person hears of each kind of notice: at once, in the daily digest, or never;
    security notices are listed as always sent."""
    user = request.user
    kinds = notices.notice_kinds_of(user)
    form = NoticePreferencesForm(
        request.POST if request.method == "POST" else None,
        kinds=kinds,
        current=notices.notice_preferences_of(user),
    )
    if request.method == "POST" and form.is_valid():
        try:
            notices.notice_preferences_set(user=user, choices=form.chosen(), now=timezone.now())
        except BadInput as refusal:
            form.add_refusal(refusal)
        else:
            messages.success(request, _("Vos préférences d'avis sont enregistrées."))
            return redirect("notice_preferences")
    return render(
        request,
        "tilab/notice_preferences.html",
        {"form": form, "always": [kind for kind in kinds if kind.security]},
    )


@page_permission(SIGNED_IN)
@require_POST
def session_extend(request):
    """The signed-in session lasts its full age again from now. The page's warning script asks
    for JSON and gets the new end; a plain form post goes back to the page it came from."""
    ends_at = extend(session=request.session, now=timezone.now())
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"ends_at": ends_at.isoformat()})
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        back = "home"
    return redirect(back)


def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


@page_permission(PUBLIC)
def set_language(request):
    """Django's language switch; a signed-in person's choice also becomes the language of the
    e-mails written to them."""
    response = i18n_views.set_language(request)
    if request.method == "POST" and request.user.is_authenticated:
        services.user_language_set(user=request.user, language=request.POST.get("language", ""))
    return response
