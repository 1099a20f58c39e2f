"""The first capabilities of the directory, restorable after a flush (the data migration
holds the list)."""

import importlib

from .models import Capability

CAPABILITIES = importlib.import_module("fablabs.migrations.0004_capabilities").CAPABILITIES


def capabilities_ensure() -> None:
    """Idempotent: adds missing capabilities, never edits what staff changed."""
    for position, (slug, name_fr, name_en) in enumerate(CAPABILITIES):
        Capability.objects.get_or_create(
            slug=slug, defaults={"name_fr": name_fr, "name_en": name_en, "position": position}
        )
