"""SIRET numbers: typed with spaces or dots by people, kept as 14 digits checked by their key."""

from django.utils.translation import gettext as _
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength
from stdnum.fr import siret


def siret_clean(text: str) -> str:
    """The 14 digits of `text` ("732 829 320 00074" → "73282932000074"), or ValueError with a
    message a person understands. An empty text gives an empty string (no SIRET)."""
    number = siret.compact(text or "")
    if not number:
        return ""
    try:
        return siret.validate(number)
    except InvalidLength as error:
        raise ValueError(
            _("Un SIRET compte 14 chiffres (%(count)s saisis).") % {"count": len(number)}
        ) from error
    except InvalidFormat as error:
        raise ValueError(_("Un SIRET ne contient que des chiffres.")) from error
    except InvalidChecksum as error:
        raise ValueError(
            _("Ce SIRET n'existe pas : sa clé de contrôle est fausse. Vérifiez chaque chiffre.")
        ) from error
