"""When a signed-in session ends, so that a page can warn a few minutes before and let the
person extend it. The session store knows the end but does not say it: it is recorded in the
session each time the session is saved (tilab.middleware.SessionEndMiddleware)."""

from datetime import datetime, timedelta
from importlib import import_module

from django.conf import settings

SESSION_END_KEY = "tilab_session_ends_at"


def session_end_after_save(session, *, now: datetime) -> datetime:
    """The end of `session` if it were saved `now`."""
    return now + timedelta(seconds=session.get_expiry_age(modification=now))


def session_end(session, *, now: datetime) -> datetime | None:
    """When `session` ends: its recorded end, or the end after this request's save when this
    request changed it; None for a session that holds nothing."""
    if session.is_empty():
        return None
    if session.modified or SESSION_END_KEY not in session:
        return session_end_after_save(session, now=now)
    return datetime.fromisoformat(session[SESSION_END_KEY])


def session_extend(*, session, now: datetime) -> datetime:
    """Save `session` again, so it lasts its full age from `now`; the new end."""
    session.modified = True
    return session_end_after_save(session, now=now)


def sessions_clear_expired() -> None:
    """Delete the sessions that have ended (Django's `clearsessions`), run by beat every night:
    the session table would otherwise keep every visit."""
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
