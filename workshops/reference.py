"""The first workshop themes, restorable after a flush (the data migration holds the list)."""

import importlib

from tilab.reference import catalogue_ensure

from .models import Theme

THEMES = importlib.import_module("workshops.migrations.0002_themes").THEMES


def themes_ensure() -> None:
    """Idempotent: adds missing themes, never edits what staff changed."""
    catalogue_ensure(Theme, THEMES, ("slug", "name_fr", "name_en"))
