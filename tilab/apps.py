"""Core app: accounts, roles, departments, decision records, public-sector pages."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TilabConfig(AppConfig):
    name = "tilab"
    verbose_name = _("Ti Lab")

    def ready(self):
        from . import permissions  # noqa: F401  (registers the rules)
        from .forms import email_errors_with_an_example
        from .receivers import connect
        from .security_notices import register

        register()  # the security notices' kind (tilab.notices)

        email_errors_with_an_example()

        connect()  # other sessions and tokens end when a person's credentials change
