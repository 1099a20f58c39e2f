"""App configuration."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FiguresConfig(AppConfig):
    name = "figures"
    verbose_name = _("Chiffres")

    def ready(self):
        from . import (
            permissions,  # noqa: F401  (registers the rules)
            receivers,
        )

        # The totals follow the reports: makers tells, in its transaction (makers.signals).
        receivers.connect()
