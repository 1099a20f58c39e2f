"""The page's language for what is stored in both languages: the catalogues (items, workshop
themes, capabilities) hold each text twice, in `<field>_fr` and `<field>_en` columns. French
is the platform's language; English is shown when the active language is English."""

import re

from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, mark_safe
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


# --- French elision ----------------------------------------------------------------------------
# "de", "le", "la" and "que" lose their vowel before a word that starts with a vowel sound: "d'Anne
# Le Goff", "l'EHPAD", "qu'ENSTA Bretagne". The rule here reads letters, not sounds, and stays
# simple on purpose:
# - a vowel letter, accented or not (A E I O U), elides: "d'Anne", "d'Élodie", "d'EHPAD";
#   an acronym is read as a word whatever its letters ("d'ENSTA Bretagne");
# - Y elides before a consonant ("d'Yves", "d'Ys") and not before a vowel, where it sounds like a
#   consonant ("de Yann", "de Yannick": Breton first names the network is full of);
# - H never elides, except the few words below whose h is mute and that names of people and
#   places of care start with; whether an h is mute is a property of each word that no rule can
#   guess ("d'Hélène" but "de Hollande"), so a name missing from the list keeps "de";
# - an acronym spelt letter by letter whose first letter sounds like a vowel ("de SNCF", said
#   "d'esse-enne-cé-effe") is not guessed either: it keeps "de", which reads acceptably.
_VOWELS = set("aeiouàâäéèêëîïôöùûüæœ")
_MUTE_H_WORDS = {
    "habitat",
    "hélène",
    "henri",
    "hervé",
    "hôpital",
    "hôpitaux",
    "hôtel",
    "hugo",
    "hugues",
    "humanité",
}
_ELIDING = {"de": "d'", "De": "D'", "le": "l'", "Le": "L'", "la": "l'", "La": "L'", "que": "qu'"}


def elides(name: str) -> bool:
    """Whether French drops the vowel of "de", "le", "que" before `name` (see the rule above)."""
    word = str(name).strip()
    if not word:
        return False
    first, rest = word[0].lower(), word[1:2].lower()
    if first in _VOWELS:
        return True
    if first == "y":
        return bool(rest) and rest.isalpha() and rest not in _VOWELS
    if first == "h":
        return re.split(r"[\s\-'’]", word.lower(), maxsplit=1)[0] in _MUTE_H_WORDS
    return False


def de_name(name: str) -> str:
    """The French "de <name>", elided when it must be: "d'Anne Le Goff", "de Rennes"."""
    return f"d'{name}" if elides(name) else f"de {name}"


def elide(text: str, *names) -> str:
    """`text` with "de", "le", "la" or "que" elided before each of `names` where French wants it:
    `elide(_("Part fixe de %(relay)s") % {"relay": name}, name)` gives "Part fixe d'ENSTA
    Bretagne". Only the words standing right before a given name change, and only while French
    is active: the catalogue's English says "of", "from" or "'s" as it likes. Keeps `text` safe
    for HTML when it was (a name is then looked for escaped, as it stands in the text)."""
    if english():
        return text
    safe = isinstance(text, SafeData)
    result = str(text)
    for name in names:
        if name is None or not elides(str(name)):
            continue
        # escaped in an HTML page, as it is in a plain-text e-mail rendered without autoescape
        forms = [str(conditional_escape(name)), str(name)] if safe else [str(name)]
        for shown in dict.fromkeys(forms):
            pattern = r"(?<![\w'’])(" + "|".join(_ELIDING) + r") " + re.escape(shown)
            result = re.sub(
                pattern, lambda match, shown=shown: _ELIDING[match.group(1)] + shown, result
            )
    return mark_safe(result) if safe else result  # noqa: S308 - escaped text stays escaped


def units(quantity: int, item, grouped: str | None = None) -> str:
    """A quantity with its unit in the active language: "25 000 visières", "1 visière",
    "0 visière"; "2 face shields". `item` is anything with `unit_fr` and `unit_en` (a catalogue
    item), `grouped` the quantity as already written with its thousands ("25 000").

    The catalogue gives each unit in the singular; both languages make these plurals with an
    "s", and French keeps 0 and 1 singular (English only 1).
    """
    unit = localised(item, "unit")
    plural = quantity != 1 if english() else quantity >= 2
    if plural and not unit.endswith(("s", "x", "z")):
        unit += "s"
    return f"{grouped if grouped is not None else quantity} {unit}"
