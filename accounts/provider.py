"""Where allauth looks for the providers of an installed app: ProConnect's is in
accounts/proconnect/."""

from .proconnect.provider import provider_classes

__all__ = ["provider_classes"]
