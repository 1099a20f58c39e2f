"""ProConnect, the French State's login for public agents and professionals (OpenID Connect):
a django-allauth provider of the project's own, on when its settings are set.

allauth finds the provider through `accounts/provider.py`, and its URLs (under `/accounts/`)
through `urls.py` here.
"""

from django.conf import settings

PROVIDER_ID = "proconnect"


def enabled() -> bool:
    """On when the discovery URL, the client id and the secret are all set."""
    return bool(
        settings.PROCONNECT_DISCOVERY_URL
        and settings.PROCONNECT_CLIENT_ID
        and settings.PROCONNECT_CLIENT_SECRET
    )
