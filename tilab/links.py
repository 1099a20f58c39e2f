"""Links e-mailed to people without an account (a workshop registration, a need, a delivery to
confirm): an opaque token, signed for one purpose, holding the object's id and a digest of the
address it was sent to, never the address itself (a URL travels through browser histories,
server logs and Referer headers). Whether a link still opens is its app's rule: each purpose
ends (a workshop held, a need closed some weeks ago).

Links made before tokens were opaque carried the address in readable base64 ({"r": id, "e":
address}); they still open, under the same rules, until their natural end.
"""

from django.conf import settings
from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac

# The legacy payloads' key of the object's id, per purpose.
_LEGACY_ID_KEYS = ("r", "n", "d")


def _digest(purpose: str, address: str, *, secret: str | None = None) -> str:
    return salted_hmac(purpose, address.strip().lower(), secret=secret).hexdigest()[:24]


def link_token(*, purpose: str, pk: int, address: str = "") -> str:
    """The token of a link to object `pk`, sent to `address`: a changed address breaks it."""
    return signing.dumps([pk, _digest(purpose, address)], salt=purpose)


def link_target(token: str, *, purpose: str) -> tuple[int, str]:
    """(id, address digest) of a token made for `purpose`; signing.BadSignature for a forged,
    altered or other purpose's token, ValueError for a payload that names nothing."""
    payload = signing.loads(token, salt=purpose)
    if isinstance(payload, list) and len(payload) == 2:
        pk, digest = payload
    elif isinstance(payload, dict):
        pk = next((payload[key] for key in _LEGACY_ID_KEYS if key in payload), None)
        digest = _digest(purpose, str(payload.get("e", "")))
    else:
        raise ValueError("a link token names no object")
    if not isinstance(pk, int) or isinstance(pk, bool) or not isinstance(digest, str):
        raise ValueError("a link token names no object")
    return pk, digest


def link_sent_to(digest: str, *, purpose: str, address: str) -> bool:
    """Whether a token's digest is that of `address` (the object's address now), made with the
    current key or one of SECRET_KEY_FALLBACKS: a link sent before the key was rotated still
    opens, as its signature does."""
    return any(
        constant_time_compare(digest, _digest(purpose, address, secret=secret))
        for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    )
