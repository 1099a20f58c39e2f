"""App configuration."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NeedsConfig(AppConfig):
    name = "needs"
    verbose_name = _("Besoins et livraisons")

    def ready(self):
        from . import permissions  # noqa: F401  (registers the rules)
