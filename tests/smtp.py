"""Local mail servers for the tests, on 127.0.0.1: a sink that speaks just enough SMTP to take
messages, one that accepts connections and never answers (a hanging server), and a port where
nothing listens (a refusing one). Real sockets, so Django's SMTP backend is exercised as is."""

import contextlib
import socket
import socketserver
import threading
from email import message_from_bytes, policy


def free_port() -> int:
    """A port nothing listens on (connecting to it is refused) until someone binds it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Handler(socketserver.StreamRequestHandler):
    timeout = 10

    def _say(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self._say("220 sink ESMTP")
        while line := self.rfile.readline():
            verb = line.decode(errors="replace").strip().split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self._say("250 sink")
            elif verb == "DATA":
                self._say("354 go ahead")
                data = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                self.server.received.append(message_from_bytes(data, policy=policy.default))
                self._say("250 queued")
            elif verb == "QUIT":
                self._say("221 bye")
                return
            else:  # MAIL, RCPT, RSET, NOOP
                self._say("250 ok")


class SmtpSink(socketserver.ThreadingTCPServer):
    """A mail server that takes every message (`received`, parsed)."""

    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, port: int = 0):
        super().__init__(("127.0.0.1", port), _Handler)
        self.port = self.server_address[1]
        self.received: list = []

    def recipients(self) -> list[str]:
        return [message["To"] for message in self.received]


@contextlib.contextmanager
def smtp_sink(port: int = 0):
    server = SmtpSink(port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def hanging_smtp():
    """A server whose kernel accepts connections and that never says a word; yields its port."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield listener.getsockname()[1]
