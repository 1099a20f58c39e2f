"""App configuration."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MakersConfig(AppConfig):
    name = "makers"
    verbose_name = _("Makers et production")

    def ready(self):
        from . import (
            notices,
            permissions,  # noqa: F401  (registers the rules)
        )

        notices.register()  # the makers' kinds of notices (tilab.notices)
