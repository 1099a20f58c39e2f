"""Numbers as a French reader expects them: "25 000 visières", "1 234,50 €"."""

from django import template
from django.utils.translation import get_language

from tilab.i18n import english
from tilab.money import format_euros, group_thousands

register = template.Library()


@register.filter
def euros(cents):
    """Cents to a readable amount in the page's language."""
    if cents in (None, ""):
        return ""
    return format_euros(int(cents), language=get_language() or "fr")


@register.filter
def thousands(number):
    """25000 → "25 000" (French) or "25,000" (English)."""
    if number in (None, ""):
        return ""
    return group_thousands(int(number), "," if english() else "\u202f")
