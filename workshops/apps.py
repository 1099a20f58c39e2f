"""App configuration."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkshopsConfig(AppConfig):
    name = "workshops"
    verbose_name = _("Ateliers")

    def ready(self):
        from . import permissions  # noqa: F401  (registers the rules)
