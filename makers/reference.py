"""The initial item catalogue (../shared/reference/item_types.csv), restorable after a flush."""

from tilab.reference import catalogue_ensure

from .models import ItemType

ITEMS = [
    ("visor", "Visière de protection", "Face shield", "visière", "face shield"),
    ("fabric-mask", "Masque en tissu", "Fabric mask", "masque", "mask"),
    ("gown", "Surblouse", "Protective gown", "surblouse", "gown"),
    ("ear-saver", "Attache-masque", "Mask strap (ear saver)", "attache", "strap"),
    ("door-opener", "Ouvre-porte sans contact", "Hands-free door opener", "pièce", "piece"),
]


def item_catalogue_ensure() -> None:
    """Idempotent: adds missing catalogue entries, never edits what staff changed."""
    catalogue_ensure(ItemType, ITEMS, ("slug", "name_fr", "name_en", "unit_fr", "unit_en"))
