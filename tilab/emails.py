"""E-mails sent by background tasks, at most once each while the shared cache remembers them."""

from datetime import timedelta

from django.core.cache import cache

# How long the cache remembers an e-mail it sent: longer than any retry or redelivery.
SENT_MEMORY = timedelta(days=30)
# Sending errors (SMTP refusals, a mail server out of reach) are worth retrying.
RETRY = {"autoretry_for": (OSError,), "retry_backoff": 60, "max_retries": 5}


def email_send_once(*, app: str, what: str, build, connection=None) -> bool:
    """Send the e-mail `build()` makes unless the cache says `what` (named within `app`) was
    sent; True if sent now.

    `cache.add` is atomic (Redis in production), so two runs at once send it once. A send that
    fails forgets the key, so the retry sends it. While the cache is out of reach the e-mail
    leaves without the check (tilab/cache.py): better a rare duplicate than a person left
    without their link.
    """
    key = f"{app}:sent:{what}"
    if not cache.add(key, True, timeout=int(SENT_MEMORY.total_seconds())):
        return False
    try:
        message = build()
        if connection is not None:
            message.connection = connection
        message.send()
    except Exception:
        cache.delete(key)
        raise
    return True
