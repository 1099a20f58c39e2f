"""Numbers and names as a French reader expects them: "25 000 visières", "1 234,50 €",
"d'Anne Le Goff"; French text marked as such on an English page."""

from django import template
from django.utils.html import conditional_escape, format_html
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


@register.filter(needs_autoescape=True)
def french(text, autoescape=True):
    """What people wrote in French (a workshop's title, a programme's name, a reason), marked
    `lang="fr"` on a page in another language, so a screen reader reads it in French."""
    if text in (None, ""):
        return ""
    escaped = conditional_escape(text) if autoescape else text
    if (get_language() or "fr").startswith("fr"):
        return escaped
    return format_html('<span lang="fr">{}</span>', escaped)
