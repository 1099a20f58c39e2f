"""Signed webhooks on the wire, the Standard Webhooks way (https://www.standardwebhooks.com/):
secrets, signatures, the rules a receiving URL must follow, and one bounded POST.

Nothing here knows what an event is or who receives it (the `webhooks` app does); it only
says how a message leaves: headers `webhook-id`, `webhook-timestamp` and `webhook-signature`,
the latter `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` for each secret in force (two
during a rotation, space-separated), with secrets written `whsec_<base64>`.

A URL is checked when it is registered and again before each POST, whose connection goes to
the very address just checked: a name that resolved to a public address at registration and
to a private one now (DNS rebinding) reaches nothing inside.
"""

import base64
import hashlib
import hmac
import http.client
import ipaddress
import secrets
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from .errors import (
    WEBHOOK_URL_INVALID,
    WEBHOOK_URL_NOT_HTTPS,
    WEBHOOK_URL_PRIVATE,
    WEBHOOK_URL_UNRESOLVED,
)

SECRET_PREFIX = "whsec_"
# What is kept of an answer's body, in characters: enough to read an error page's message.
BODY_KEPT = 2000
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}

# --- Secrets and signatures ---------------------------------------------------------------


def secret_generate() -> str:
    """A new signing secret: 32 random bytes, written `whsec_<base64>`."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signature(*, secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256>` of `msg_id.timestamp.body` under `secret` (whsec_…)."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def signed_headers(*, msg_id: str, timestamp: int, body: bytes, secrets: list[str]) -> dict:
    """The headers of one attempt: a signature for each secret in force, space-separated."""
    signatures = " ".join(
        signature(secret=secret, msg_id=msg_id, timestamp=timestamp, body=body)
        for secret in secrets
    )
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signatures,
        "content-type": "application/json",
        "user-agent": "TiLab-Webhooks/1",
    }


# --- Where a message may go ---------------------------------------------------------------


def _is_local(host: str) -> bool:
    return host in LOCAL_HOSTS or host.endswith(".localhost")


def _resolve(host: str, port: int, *, timeout: float) -> list[str]:
    """The addresses `host` resolves to, none if it does not within `timeout` seconds (the
    system's resolver has no timeout of its own to give: a thread waits for it)."""
    found: list[str] = []

    def resolve():
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            return
        found.extend(info[4][0] for info in infos)

    resolver = threading.Thread(target=resolve, daemon=True)
    resolver.start()
    resolver.join(timeout)
    return [] if resolver.is_alive() else found


def url_check(
    url: str, *, http_to_localhost: bool, private_addresses: bool, timeout: float = 5.0
) -> str | None:
    """Refuse (coded, on the field `url`) a URL a message may not go to; else the address to
    connect to: the one checked, None when any address is allowed (the demo).

    https only; http only to this machine when `http_to_localhost` (the demo). Unless
    `private_addresses`, every address the name resolves to must be public: none private,
    loopback, link-local, multicast, reserved or unspecified (the platform's own network,
    a cloud's metadata service); a name that does not resolve within `timeout` seconds
    is refused as unresolved."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        raise WEBHOOK_URL_INVALID() from None
    if parts.scheme not in {"http", "https"} or not host or parts.username or parts.password:
        raise WEBHOOK_URL_INVALID()
    if parts.scheme == "http" and not (http_to_localhost and _is_local(host)):
        raise WEBHOOK_URL_NOT_HTTPS()
    if private_addresses:
        return None
    addresses = _resolve(host, port or 443, timeout=timeout)
    if not addresses:
        raise WEBHOOK_URL_UNRESOLVED(host=host)
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        if not ip.is_global or ip.is_multicast:
            raise WEBHOOK_URL_PRIVATE(host=host, address=str(ip))
    return addresses[0]


# --- One POST ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """What an attempt got: the HTTP status (None when no answer came), the start of the
    body, the error when there was no answer, and how long it took."""

    status: int | None
    body: str = ""
    error: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class _PinnedHTTP(http.client.HTTPConnection):
    """Talks to `address`, whatever the name resolves to now."""

    def __init__(self, host, port, *, address, timeout):
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self):
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """Talks TLS to `address`, checking the certificate against the URL's name."""

    def __init__(self, host, port, *, address, timeout, context):
        super().__init__(host, port, timeout=timeout, context=context)
        self.address = address
        self.tls = context

    def connect(self):
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)


def post(url: str, *, body: bytes, headers: dict, timeout: float, address: str | None) -> Answer:
    """POST `body` to `url` once, within `timeout` seconds per connect and read, to `address`
    when given (the one `url_check` vetted). Never raises for the network; never follows a
    redirect (a 3xx is an answer like any other, and not a success)."""
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    host = parts.hostname
    started = time.monotonic()
    if parts.scheme == "https":
        port = parts.port or 443
        context = ssl.create_default_context()
        connection = _PinnedHTTPS(
            host, port, address=address or host, timeout=timeout, context=context
        )
    else:
        port = parts.port or 80
        connection = _PinnedHTTP(host, port, address=address or host, timeout=timeout)
    try:
        connection.request("POST", target, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read(BODY_KEPT * 4).decode("utf-8", errors="replace")[:BODY_KEPT]
        return Answer(response.status, text, "", time.monotonic() - started)
    except (OSError, http.client.HTTPException) as error:
        message = f"{type(error).__name__}: {error}"[:BODY_KEPT]
        return Answer(None, "", message, time.monotonic() - started)
    finally:
        connection.close()
