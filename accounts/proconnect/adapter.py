"""allauth's social-account adapter for the platform: ProConnect's app built from the settings,
linking by verified e-mail only, no signup form, and the offer to join an organisation whose
SIRET the agent's ProConnect identity carries."""

from allauth.account.models import EmailAddress
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp
from django.conf import settings
from django.shortcuts import render
from django.urls import reverse

from tilab.errors import NotAllowed, Refusal, WrongState
from tilab.models import User

from .. import errors
from . import PROVIDER_ID, enabled, selectors


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def list_apps(self, request, provider=None, client_id=None):
        # ProConnect's app comes from the environment only, never from the database.
        apps = [
            app
            for app in super().list_apps(request, provider=provider, client_id=client_id)
            if app.provider != PROVIDER_ID
        ]
        if provider in (None, PROVIDER_ID) and enabled():
            app = SocialApp(
                provider=PROVIDER_ID,
                name="ProConnect",
                client_id=settings.PROCONNECT_CLIENT_ID,
                secret=settings.PROCONNECT_CLIENT_SECRET,
            )
            if client_id in (None, app.client_id):
                apps.append(app)
        return apps

    def is_open_for_signup(self, request, sociallogin) -> bool:
        return True

    def is_auto_signup_allowed(self, request, sociallogin) -> bool:
        # No signup form: the account is made from ProConnect's verified identity, with no role.
        return True

    def can_authenticate_by_email(self, login, email) -> bool:
        return login.provider.id == PROVIDER_ID

    def authenticate_by_email(self, sociallogin):
        """An existing account is linked only through an address both sides verified: an
        address someone typed in and never confirmed proves nothing about who owns it."""
        for address in sociallogin.email_addresses:
            if not address.verified:
                continue
            local = (
                EmailAddress.objects.filter(email__iexact=address.email, verified=True)
                .select_related("user")
                .first()
            )
            if local is not None and local.user.is_active:
                return local.user, address.email
        return None

    def populate_user(self, request, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        user.full_name = data.get("name") or ""
        return user

    def pre_social_login(self, request, sociallogin) -> None:
        """Before the login: refuse to make a second account for an address an account already
        holds unconfirmed; afterwards, lead to the offer to join when the SIRET matches."""
        if sociallogin.account.provider != PROVIDER_ID:
            return
        if not sociallogin.is_existing and self.authenticate_by_email(sociallogin) is None:
            for address in sociallogin.email_addresses:
                if (
                    EmailAddress.objects.filter(email__iexact=address.email).exists()
                    or User.objects.filter(email__iexact=address.email).exists()
                ):
                    refusal = errors.PROCONNECT_EMAIL_UNCONFIRMED(email=address.email)
                    raise ImmediateHttpResponse(refused(request, refusal))
        siret = selectors.siret_of(sociallogin.account.extra_data or {})
        if siret and selectors.siret_in_directory(siret):
            sociallogin.state["next"] = reverse("proconnect_join")


def refused(request, refusal: Refusal):
    """The page saying why a ProConnect login did not go through: 503 when ProConnect does not
    answer, 403 for an answer that is refused, 409 for the state of things, 400 otherwise."""
    if refusal.code == errors.PROCONNECT_UNAVAILABLE.code:
        status = 503
    elif isinstance(refusal, NotAllowed):
        status = 403
    elif isinstance(refusal, WrongState):
        status = 409
    else:
        status = 400
    return render(request, "accounts/proconnect/refused.html", {"refusal": refusal}, status=status)
