"""The container's liveness probe: `python -m tilab_site.healthcheck`.

Asks this container's gunicorn for /healthz with a Host header the settings accept (the first
name of ALLOWED_HOSTS, as the proxy would send it), so the probe passes under the real
ALLOWED_HOSTS instead of being refused as DisallowedHost. /healthz is exempt from the HTTPS
redirect. Exit status 0 when it answers 200, 1 otherwise. Imports no Django.
"""

import os
import sys
import urllib.request


def probe_host(allowed_hosts: str) -> str:
    """A name the settings accept: the first of ALLOWED_HOSTS (".example.org" accepts
    "example.org"; "*" accepts anything), or localhost, the settings' default."""
    for name in (part.strip() for part in allowed_hosts.split(",")):
        if name and name != "*":
            return name.lstrip(".")
    return "localhost"


def main() -> int:
    port = os.environ.get("PORT", "8000")
    host = probe_host(os.environ.get("ALLOWED_HOSTS", ""))
    request = urllib.request.Request(f"http://127.0.0.1:{port}/healthz", headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310 (fixed URL)
            return 0 if answer.status == 200 else 1
    except OSError as error:
        print(f"healthz via Host {host}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
