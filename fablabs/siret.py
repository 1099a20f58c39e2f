"""SIRET numbers: typed with spaces or dots by people, kept as 14 digits checked by their key."""

from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength
from stdnum.fr import siret

from .errors import SIRET_CHECKSUM, SIRET_LENGTH, SIRET_NOT_DIGITS


def siret_clean(text: str) -> str:
    """The 14 digits of `text` ("732 829 320 00074" → "73282932000074"), or a refusal of bad
    input on the `siret` field saying what is wrong. An empty text gives an empty string (no
    SIRET)."""
    number = siret.compact(text or "")
    if not number:
        return ""
    try:
        return siret.validate(number)
    except InvalidLength as error:
        raise SIRET_LENGTH(count=len(number)) from error
    except InvalidFormat as error:
        raise SIRET_NOT_DIGITS() from error
    except InvalidChecksum as error:
        raise SIRET_CHECKSUM() from error
