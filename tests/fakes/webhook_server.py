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
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit


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


class WebhookServer:
    def __init__(self, *, tls: bool = False) -> None:
        self.tls = tls
        self.default = Answer()
        self.received: list[Received] = []
        self.connections = 0
        self._script: deque[Answer] = deque()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._certdir: tempfile.TemporaryDirectory[str] | None = None

    # lifecycle -----------------------------------------------------------------------------------------
    def start(self) -> WebhookServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out in two writes: no delayed-ACK stall

            def log_message(self, format: str, *args: Any) -> None:  # silence
                pass

            def setup(self) -> None:
                super().setup()
                with owner._lock:
                    owner.connections += 1

            def do_POST(self) -> None:
                owner._handle(self)

            def do_PUT(self) -> None:
                owner._handle(self)

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            block_on_close = False  # a kept-alive connection must not hold up stop()
            request_queue_size = 128
            allow_reuse_address = True

        self._server = Server(("127.0.0.1", 0), Handler)
        if self.tls:
            self._server.socket = self._tls_context().wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, name="webhook-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._certdir is not None:
            self._certdir.cleanup()

    def __enter__(self) -> WebhookServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

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

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
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
