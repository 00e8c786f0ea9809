"""A webhook receiver for tests: real HTTP (or HTTPS) on 127.0.0.1, scripted answers, recorded bodies.

    with WebhookServer() as hook:                     # ThreadingHTTPServer on port 0, HTTP/1.1 keep-alive
        hook.script(Answer(500), Answer(500))         # the next two requests fail, then the default
        hook.default = Answer.json({"errcode": 0})    # what every other request gets
        ... post to hook.url("/robot/send") ...
        hook.received[0].json, hook.received[0].body  # what arrived, bytes as sent

Deep listen backlog (128), one thread per connection, connections kept alive between requests, real
``Content-Length`` and ``Connection`` headers. ``tls=True`` serves HTTPS with a self-signed certificate
made by the ``openssl`` command (clients must not verify it: apprise's ``?verify=no``).
"""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess
import tempfile
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.httpbase import LocalServer


@dataclass
class Answer:
    status: int = 200
    body: bytes = b'{"errcode": 0, "errmsg": "ok"}'
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})

    @classmethod
    def json(cls, obj: Any, status: int = 200) -> Answer:
        return cls(status, json.dumps(obj).encode())

    @classmethod
    def text(cls, text: str, status: int = 200) -> Answer:
        return cls(status, text.encode(), {"Content-Type": "text/plain"})


@dataclass
class Received:
    method: str
    path: str  # without the query
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    status: int  # what the server answered

    @property
    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


class WebhookServer(LocalServer):
    methods = ("POST", "PUT")
    thread_name = "webhook-server"

    def __init__(self, *, tls: bool = False) -> None:
        super().__init__()
        self.tls = tls
        self.default = Answer()
        self.received: list[Received] = []
        self._script: deque[Answer] = deque()
        self._certdir: tempfile.TemporaryDirectory[str] | None = None

    # lifecycle -----------------------------------------------------------------------------------------
    def prepare(self, server: ThreadingHTTPServer) -> None:
        if self.tls:
            server.socket = self._tls_context().wrap_socket(server.socket, server_side=True)

    def stop(self) -> None:
        super().stop()
        if self._certdir is not None:
            self._certdir.cleanup()
            self._certdir = None

    @property
    def netloc(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, path: str = "/") -> str:
        return f"{'https' if self.tls else 'http'}://{self.netloc}{path}"

    # behaviour -----------------------------------------------------------------------------------------
    def script(self, *answers: Answer) -> None:
        """Answer the next requests with these, in order; then ``default``."""
        with self._lock:
            self._script.extend(answers)

    def bodies(self, status: int | None = 200) -> list[Any]:
        """The JSON bodies received (only those answered with ``status``; all when None)."""
        return [r.json for r in self.received if status is None or r.status == status]

    def handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        with self._lock:
            answer = self._script.popleft() if self._script else self.default
            parts = urlsplit(handler.path)
            self.received.append(
                Received(handler.command, parts.path, parse_qs(parts.query), dict(handler.headers.items()), body,
                         answer.status)
            )
        handler.send_response(answer.status)
        for name, value in answer.headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(answer.body)))
        handler.end_headers()
        handler.wfile.write(answer.body)

    def _tls_context(self) -> ssl.SSLContext:
        openssl = shutil.which("openssl")
        if openssl is None:  # pragma: no cover - Debian and the CI image ship it
            raise RuntimeError("the openssl command is needed for an HTTPS webhook receiver")
        self._certdir = tempfile.TemporaryDirectory(prefix="webhook-tls-")
        cert, key = Path(self._certdir.name) / "cert.pem", Path(self._certdir.name) / "key.pem"
        subprocess.run(
            [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
             "-keyout", str(key), "-out", str(cert)],
            check=True, capture_output=True,
        )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        return context
