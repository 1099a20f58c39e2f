"""App configuration of accounts: a person's data export and account deletion."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Données personnelles")

    def ready(self):
        from tilab import personal_data

        # Every app's personal_data.py declares its models: the export and the deletion walk
        # them all, so they are loaded before any request.
        personal_data.autodiscover()

        from . import notices

        notices.register()  # the relay's to-do in the daily digest (tilab.notices)
