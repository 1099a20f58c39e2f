"""gunicorn as production runs it (config/gunicorn.py): one JSON line per request, in UTC,
naming the client the proxy saw rather than the proxy."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_each_request_is_one_json_line_naming_the_client_behind_the_proxy(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "DEBUG": "False",
        "SECRET_KEY": "test-only-" + "k" * 50,
        "ALLOWED_HOSTS": "tilab.example.org",
        "SECURE_SSL_REDIRECT": "False",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "LOG_FORMAT": "json",
    }
    env.pop("DATABASE_URL", None)
    log = tmp_path / "gunicorn.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "config.wsgi"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/healthz",
                headers={"Host": "tilab.example.org", "X-Forwarded-For": "203.0.113.7"},
            )
            for _ in range(100):
                try:
                    with urllib.request.urlopen(request, timeout=2) as response:
                        assert response.status == 200
                    break
                except OSError:
                    time.sleep(0.2)
            else:
                raise AssertionError(f"gunicorn did not answer:\n{log.read_text()}")
            time.sleep(0.5)
        finally:
            server.terminate()
            server.wait(timeout=20)
    # Every line is JSON, Python's warnings included.
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    # One line per request (a first try may time out while the worker boots, and be retried).
    access = [line["message"] for line in lines if line["logger"] == "gunicorn.access"]
    assert access
    assert all(
        message.startswith('client=203.0.113.7 proxy=127.0.0.1 "GET /healthz HTTP/1.1" 200')
        for message in access
    )
    assert all(line["timestamp"].endswith("+00:00") for line in lines)
