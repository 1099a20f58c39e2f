"""App configuration."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PactsConfig(AppConfig):
    name = "pacts"
    verbose_name = _("Pactes de coopération")

    def ready(self):
        from . import permissions  # noqa: F401  (registers the rules)
