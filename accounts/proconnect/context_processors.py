"""What every page needs to know of ProConnect: whether its button shows, and whether the
session came through it (its logout then goes through ProConnect too)."""

from . import enabled
from .services import ID_TOKEN_SESSION_KEY


def proconnect(request):
    on = enabled()
    session = getattr(request, "session", None)
    return {
        "proconnect_enabled": on,
        "proconnect_session": bool(
            on and session is not None and session.get(ID_TOKEN_SESSION_KEY)
        ),
    }
