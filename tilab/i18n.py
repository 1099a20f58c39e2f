"""The page's language for what is stored in both languages: the catalogues (items, workshop
themes, capabilities) hold each text twice, in `<field>_fr` and `<field>_en` columns. French
is the platform's language; English is shown when the active language is English."""

from django.utils.translation import get_language


def english() -> bool:
    """Whether the active language is English (French otherwise, and when none is active)."""
    return (get_language() or "fr").startswith("en")


def catalogue_field(name: str) -> str:
    """The column of `name` in the active language: "name_en" or "name_fr"."""
    return f"{name}_en" if english() else f"{name}_fr"


def localised(obj, name: str) -> str:
    """`obj`'s `name` in the active language: `localised(item, "unit")` is its `unit_en` or
    its `unit_fr`."""
    return getattr(obj, catalogue_field(name))
