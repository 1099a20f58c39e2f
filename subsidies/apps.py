"""App configuration."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SubsidiesConfig(AppConfig):
    name = "subsidies"
    verbose_name = _("Subventions")

    def ready(self):
        from . import (
            notices,
            permissions,  # noqa: F401  (registers the rules)
        )

        notices.register()  # the subsidy chain's kinds of notices (tilab.notices)
