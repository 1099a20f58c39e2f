"""App configuration."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "directory"
    verbose_name = _("Annuaire")

    def ready(self):
        from . import (
            permissions,  # noqa: F401  (registers the rules)
            receivers,
        )

        # Requests to join that an import asks for: makers tells, in its transaction.
        receivers.connect()
