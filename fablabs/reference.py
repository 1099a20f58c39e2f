"""The first capabilities of the directory, restorable after a flush (the data migration
holds the list)."""

import importlib

from tilab.reference import catalogue_ensure

from .models import Capability

CAPABILITIES = importlib.import_module("fablabs.migrations.0004_capabilities").CAPABILITIES


def capabilities_ensure() -> None:
    """Idempotent: adds missing capabilities, never edits what staff changed."""
    catalogue_ensure(Capability, CAPABILITIES, ("slug", "name_fr", "name_en"))
