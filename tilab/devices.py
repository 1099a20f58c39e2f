"""Which browser a sign-in comes from, for the new-device notice (tilab.security_notices): a
long-lived signed cookie set at sign-in names the browser; without it (cleared, expired, or a
browser known from before the cookie), its family (browser and system, never a version), so a
browser's update is never a new device."""

import hashlib
import re
import secrets
from datetime import timedelta

from django.conf import settings

COOKIE_NAME = "tilab_device"
COOKIE_SALT = "tilab.device"
# 13 months, the longest the CNIL advises for a cookie (the personal data page says so); each
# sign-in sets it again, so a browser in use keeps it.
COOKIE_AGE = timedelta(days=395)
# Set by the sign-in's receiver on the request, read by DeviceCookieMiddleware on the way out.
REQUEST_ATTRIBUTE = "tilab_device_cookie"

# Order matters: Edge and Opera also say "Chrome", Chrome also says "Safari".
_BROWSERS = (
    (re.compile(r"\bEdg(?:e|A|iOS)?/"), "Edge"),
    (re.compile(r"\bOPR/|\bOpera\b"), "Opera"),
    (re.compile(r"\bSamsungBrowser/"), "Samsung Internet"),
    (re.compile(r"\bFirefox/|\bFxiOS/"), "Firefox"),
    (re.compile(r"\bChromium/"), "Chromium"),
    (re.compile(r"\bChrome/|\bCriOS/"), "Chrome"),
    (re.compile(r"\bSafari/"), "Safari"),
)
# iOS says "like Mac OS X", Android says "Linux": they come first.
_SYSTEMS = (
    (re.compile(r"iPhone|iPad|iPod"), "iOS"),
    (re.compile(r"Android"), "Android"),
    (re.compile(r"CrOS"), "ChromeOS"),
    (re.compile(r"Windows"), "Windows"),
    (re.compile(r"Macintosh|Mac OS X"), "macOS"),
    (re.compile(r"Linux|X11|BSD"), "Linux"),
)
_PRODUCT = re.compile(r"[A-Za-z][A-Za-z_.-]*")


def browser_family(user_agent: str) -> str:
    """ "Firefox, Linux" from any Firefox on Linux, whatever its version; a program's own name
    ("curl") when it is no known browser; "?" for nothing at all."""
    browser = next((name for pattern, name in _BROWSERS if pattern.search(user_agent)), "")
    if not browser:
        product = _PRODUCT.match(user_agent.strip())
        browser = product.group(0).rstrip(".-_") if product else ""
    system = next((name for pattern, name in _SYSTEMS if pattern.search(user_agent)), "")
    return ", ".join(part for part in (browser, system) if part)[:80] or "?"


def device_cookie_new() -> str:
    return secrets.token_urlsafe(24)


def device_key(cookie: str) -> str:
    """What the database keeps of a device cookie: a hash, so its rows name no live cookie."""
    return hashlib.sha256(cookie.encode()).hexdigest()


def device_cookie_of(request) -> str | None:
    """The device cookie this browser sent, if its signature holds."""
    return request.get_signed_cookie(
        COOKIE_NAME, default=None, salt=COOKIE_SALT, max_age=COOKIE_AGE
    )


def device_cookie_set(response, cookie: str) -> None:
    """HttpOnly (no script reads it), SameSite=Lax, Secure wherever the session cookie is
    (production)."""
    response.set_signed_cookie(
        COOKIE_NAME,
        cookie,
        salt=COOKIE_SALT,
        max_age=int(COOKIE_AGE.total_seconds()),
        httponly=True,
        secure=settings.SESSION_COOKIE_SECURE,
        samesite="Lax",
    )
