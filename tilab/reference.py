"""Reference data every deployment needs: the departments of Brittany and the role groups.

The migrations load the same facts with their own frozen copy; this module serves code that
must restore them afterwards (the demo seed, and tests whose database was flushed).
"""

from django.contrib.auth.models import Group

from . import roles
from .models import Department

BRITTANY = [
    ("22", "Côtes-d'Armor"),
    ("29", "Finistère"),
    ("35", "Ille-et-Vilaine"),
    ("56", "Morbihan"),
]


def reference_data_ensure() -> None:
    """Idempotent: creates what is missing, leaves what exists."""
    for code, name in BRITTANY:
        Department.objects.get_or_create(
            code=code, defaults={"name": name, "region_code": "53", "region_name": "Bretagne"}
        )
    for name in roles.ROLES:
        Group.objects.get_or_create(name=name)


def catalogue_ensure(model, rows, fields: tuple[str, ...]) -> None:
    """Idempotent: adds the missing entries of a catalogue given as rows of `fields` (the
    first is the slug), in display order; never edits what staff changed."""
    for position, row in enumerate(rows):
        slug, *values = row
        model.objects.get_or_create(
            slug=slug, defaults={**dict(zip(fields[1:], values, strict=True)), "position": position}
        )
