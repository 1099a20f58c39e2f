"""App configuration of recognition: attestations, cooperation links and the network graph."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecognitionConfig(AppConfig):
    name = "recognition"
    # The app was called "network" before it lost personal data to `accounts`. The label stays:
    # it names the database tables (network_attestation), the migration history, the rule names
    # ("network.view_graph"), the content types decisions point to, and the URL namespace.
    label = "network"
    verbose_name = _("Réseau et reconnaissance")

    def ready(self):
        from . import checks, permissions  # noqa: F401  (register the check and the rules)
