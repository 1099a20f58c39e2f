"""Numbers and names as a French reader expects them: "25 000 visières", "1 234,50 €",
"d'Anne Le Goff"."""

from django import template
from django.utils.translation import get_language

from tilab import i18n
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


@register.filter
def elide(text, name):
    """A translated sentence with "de", "le" or "que" elided before `name` in French:
    `{% blocktranslate with name=x asvar heading %}Message de {{ name }}{% endblocktranslate %}`
    then `{{ heading|elide:x }}` shows "Message d'Anne Le Goff"."""
    return i18n.elide(text, name)


@register.filter
def units(quantity, item):
    """A count with its unit: `{{ pledge.quantity|units:need.item_type }}` → "40 visières",
    "1 visière"; "40 face shields" in English."""
    if quantity in (None, ""):
        return ""
    return i18n.units(int(quantity), item, thousands(quantity))
