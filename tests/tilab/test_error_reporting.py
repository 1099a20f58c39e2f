"""Error reporting (SENTRY_DSN): with a DSN, an unexpected error reaches the reporting server
(Sentry or a self-hosted GlitchTip; here a local HTTP server standing in for it, since the real
one is outside this machine), without the person's address or credentials. Without a DSN nothing
is sent."""

import gzip
import http.server
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# A page that fails, served through Django's real handler (a 500 logged by django.request).
SCRIPT = """
import django, os
django.setup()
from django.test import Client
from django.urls import clear_url_caches, path
import config.urls

def crash(request):
    raise RuntimeError("the totals drain found a negative quantity")

config.urls.urlpatterns.append(path("crash/", crash))
clear_url_caches()
client = Client(raise_request_exception=False, REMOTE_ADDR="203.0.113.7",
                HTTP_AUTHORIZATION="Token secret-token-of-a-maker")
assert client.get("/crash/", HTTP_HOST="tilab.example.org").status_code == 500
import sentry_sdk
sentry_sdk.flush(timeout=5)
"""


class _Receiver(http.server.BaseHTTPRequestHandler):
    bodies: list[bytes] = []

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        encoding = self.headers.get("Content-Encoding")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "br":
            import brotli  # what the SDK compresses with when it is installed

            body = brotli.decompress(body)
        _Receiver.bodies.append(body)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    _Receiver.bodies = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


def _run(dsn: str) -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "False",
        "SECRET_KEY": "test-only-" + "k" * 50,
        "ALLOWED_HOSTS": "tilab.example.org",
        "SECURE_SSL_REDIRECT": "False",
        "SENTRY_DSN": dsn,
    }
    env.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, check=True, timeout=120,
                   capture_output=True)  # fmt: skip


def test_an_unexpected_error_is_reported_without_personal_data(receiver):
    port = receiver.server_address[1]
    _run(f"http://publickey@127.0.0.1:{port}/1")
    sent = b"\n".join(_Receiver.bodies).decode()
    assert "the totals drain found a negative quantity" in sent
    assert "RuntimeError" in sent
    events = [json.loads(line) for line in sent.splitlines() if '"exception"' in line]
    assert events
    assert "203.0.113.7" not in sent
    assert "secret-token-of-a-maker" not in sent


def test_without_a_dsn_nothing_is_sent(receiver):
    _run("")
    assert _Receiver.bodies == []
