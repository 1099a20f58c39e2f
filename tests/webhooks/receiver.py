"""A real HTTP receiver for webhooks: http.server in a thread on 127.0.0.1, keeping every
request it gets and answering with the statuses it is told (200 once they run out)."""

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    # Statuses to answer, in order; then 200.
    statuses: list[int] = field(default_factory=list)

    def answer(self) -> int:
        return self.statuses.pop(0) if self.statuses else 200


def receiver_start() -> tuple[Receiver, ThreadingHTTPServer]:
    receiver = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            receiver.requests.append(
                Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            status = receiver.answer()
            text = b"ok" if status < 300 else b"Internal trouble: " + b"x" * 5000
            self.send_response(status)
            self.send_header("content-type", "text/plain")
            self.send_header("content-length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/tilab"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver, server
