"""The allauth provider for ProConnect: the redirect to its authorisation endpoint (a `state`
and a `nonce` of 43 characters, `acr_values` as configured) and the reading of its claims
(`given_name`, `usual_name`, `email`, `siret`)."""

from allauth.account.models import EmailAddress
from allauth.socialaccount.providers.base import Provider, ProviderAccount
from django.conf import settings
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode

from . import PROVIDER_ID, oidc


class ProConnectAccount(ProviderAccount):
    def to_str(self) -> str:
        return self.account.extra_data.get("email") or super().to_str()


class ProConnectProvider(Provider):
    id = PROVIDER_ID
    name = "ProConnect"
    account_class = ProConnectAccount
    supports_redirect = True

    def get_login_url(self, request: HttpRequest, **kwargs) -> str:
        url = reverse("proconnect_login")
        return f"{url}?{urlencode(kwargs)}" if kwargs else url

    def callback_url(self, request: HttpRequest) -> str:
        return request.build_absolute_uri(reverse("proconnect_callback"))

    def redirect(self, request: HttpRequest, process, next_url=None, data=None, **kwargs):
        """To ProConnect's authorisation page. The state's key is the `state` parameter itself,
        so the callback finds the nonce it must see in the ID token."""
        config = oidc.configuration()
        state_id = oidc.random_value()
        nonce = oidc.random_value()
        self.stash_redirect_state(request, process, next_url, data, state_id=state_id, nonce=nonce)
        params = {
            "response_type": "code",
            "client_id": self.app.client_id,
            "redirect_uri": self.callback_url(request),
            "scope": " ".join(settings.PROCONNECT_SCOPES),
            "state": state_id,
            "nonce": nonce,
        }
        if settings.PROCONNECT_ACR_VALUES:
            params["acr_values"] = settings.PROCONNECT_ACR_VALUES
        return HttpResponseRedirect(f"{config.authorization_endpoint}?{urlencode(params)}")

    def extract_uid(self, data: dict) -> str:
        return str(data["sub"])

    def extract_common_fields(self, data: dict) -> dict:
        # ProConnect's `usual_name` is the family name in use.
        names = (data.get("given_name") or "", data.get("usual_name") or "")
        return {
            "email": data.get("email") or "",
            "name": " ".join(part.strip() for part in names if part.strip())[:150],
        }

    def extract_email_addresses(self, data: dict) -> list:
        email = data.get("email")
        # The agent's identity provider vouches for the address it gives ProConnect.
        return [EmailAddress(email=email, verified=True, primary=True)] if email else []


provider_classes = [ProConnectProvider]
