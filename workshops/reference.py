"""The first workshop themes, restorable after a flush (the data migration holds the list)."""

import importlib

from .models import Theme

THEMES = importlib.import_module("workshops.migrations.0002_themes").THEMES


def themes_ensure() -> None:
    """Idempotent: adds missing themes, never edits what staff changed."""
    for position, (slug, name_fr, name_en) in enumerate(THEMES):
        Theme.objects.get_or_create(
            slug=slug, defaults={"name_fr": name_fr, "name_en": name_en, "position": position}
        )
