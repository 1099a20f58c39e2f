"""Pages of the ProConnect login: the way in and back, the logout through ProConnect, and the
offer to join the organisations of the agent's SIRET. All answer 404 when ProConnect is off."""

from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.helpers import complete_social_login
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_GET, require_POST

from tilab.errors import Refusal
from tilab.permissions import PUBLIC, SIGNED_IN, page_permission

from . import PROVIDER_ID, enabled, oidc, selectors, services
from .adapter import refused
from .services import ID_TOKEN_SESSION_KEY


def _provider(request):
    if not enabled():
        raise Http404
    return get_adapter(request).get_provider(request, PROVIDER_ID)


@page_permission(PUBLIC)
@require_POST
def login(request):
    """The button's form: off to ProConnect's authorisation page."""
    provider = _provider(request)
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = None
    try:
        return provider.redirect(request, "login", next_url=next_url or None)
    except Refusal as refusal:
        return refused(request, refusal)


@page_permission(PUBLIC)
@require_GET
def callback(request):
    """ProConnect sends the browser back here with a code and the state."""
    provider = _provider(request)
    try:
        login = services.proconnect_login_verify(
            request=request, provider=provider, now=timezone.now()
        )
    except Refusal as refusal:
        return refused(request, refusal)
    id_token = login.state.pop("id_token")
    response = complete_social_login(request, login)
    if request.user.is_authenticated and request.user.pk == login.user.pk:
        request.session[ID_TOKEN_SESSION_KEY] = id_token
    return response


@page_permission(SIGNED_IN)
@require_POST
def logout(request):
    """Signs out here, then at ProConnect (end-session endpoint, with `id_token_hint`), which
    sends the browser back to the home page."""
    _provider(request)
    id_token = request.session.get(ID_TOKEN_SESSION_KEY)
    get_account_adapter(request).logout(request)
    if not id_token:
        return redirect("home")
    try:
        config = oidc.configuration()
    except Refusal:
        return redirect("home")
    params = {
        "id_token_hint": id_token,
        "state": oidc.random_value(),
        "post_logout_redirect_uri": request.build_absolute_uri(reverse("home")),
    }
    return HttpResponseRedirect(f"{config.end_session_endpoint}?{urlencode(params)}")


@page_permission(SIGNED_IN)
@require_GET
def join(request):
    """The organisations of the directory with the SIRET of the person's ProConnect identity:
    each can be asked to be joined through the directory's request, which its managers decide.
    Nothing is granted here."""
    _provider(request)
    return render(request, "accounts/proconnect/join.html", selectors.join_offers(request.user))
