"""App configuration."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FablabsConfig(AppConfig):
    name = "fablabs"
    verbose_name = _("Réseau")
