"""App configuration."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NetworkConfig(AppConfig):
    name = "network"
    verbose_name = _("Réseau et reconnaissance")

    def ready(self):
        from . import permissions  # noqa: F401  (registers the rules)
