"""The ProConnect login's callback: from the provider's answer to an allauth social login,
every check made (state, code, ID token, nonce, signed userinfo)."""

from datetime import datetime

from allauth.socialaccount.models import SocialLogin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from .. import errors
from . import oidc

# Where the ID token waits in the session for the logout's `id_token_hint`.
ID_TOKEN_SESSION_KEY = "proconnect_id_token"


def proconnect_login_verify(*, request: HttpRequest, provider, now: datetime) -> SocialLogin:
    """The social login carried by ProConnect's redirect back, once it is proven to answer the
    login this browser started (`state`, kept once, used once), the code exchanged, the ID
    token checked (signature, issuer, audience, expiry, nonce) and the userinfo JWT verified.
    Refusals: proconnect_denied, proconnect_state, proconnect_token, proconnect_id_token,
    proconnect_nonce, proconnect_userinfo_signature, proconnect_email_missing."""
    state_id = request.GET.get("state", "")
    try:
        state = provider.unstash_redirect_state(request, state_id) if state_id else None
    except PermissionDenied:
        state = None
    if state is None:
        raise errors.PROCONNECT_STATE()
    if "error" in request.GET or not request.GET.get("code"):
        raise errors.PROCONNECT_DENIED(error=request.GET.get("error", "")[:100] or "-")
    config = oidc.configuration()
    keyset = oidc.keys(config)
    answer = oidc.tokens_for_code(
        config, code=request.GET["code"], redirect_uri=provider.callback_url(request)
    )
    identity = oidc.id_token_claims(
        config, keyset, id_token=answer["id_token"], nonce=state.get("nonce", ""), now=now
    )
    userinfo = oidc.userinfo_claims(
        config, keyset, access_token=answer["access_token"], subject=identity["sub"]
    )
    if not userinfo.get("email"):
        raise errors.PROCONNECT_EMAIL_MISSING()
    login = provider.sociallogin_from_response(request, userinfo)
    login.state = state
    # Kept for the logout (id_token_hint), in the session only, never in the database.
    login.state["id_token"] = answer["id_token"]
    return login
