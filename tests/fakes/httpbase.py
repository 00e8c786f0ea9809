"""What the fake servers share: a real HTTP server on 127.0.0.1 (port 0) in a daemon thread.

    class FakeThing(LocalServer):
        methods = ("GET", "POST")
        def handle(self, handler, method): ...      # read handler.rfile, answer with real headers

HTTP/1.1 with keep-alive, one thread per connection, a deep listen backlog (128: the default of 5 drops a
burst of new connections, and each comes back after a 1 s TCP retry, so a benchmark would measure the
fake), Nagle off (headers and body go out in two writes: no 40 ms delayed-ACK stall), connections
counted. ``stop()`` never waits for a handler that is still busy (a scripted hang, a kept-alive
connection).
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

Self = TypeVar("Self", bound="LocalServer")


class LocalServer:
    methods: tuple[str, ...] = ("GET", "POST")  # the HTTP methods ``handle`` answers
    thread_name = "fake-server"

    def __init__(self) -> None:
        self.connections = 0  # TCP connections accepted: a keep-alive client opens one per slot
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        """Answer one request (read its body from ``handler.rfile``, write status, headers and body)."""
        raise NotImplementedError

    def prepare(self, server: ThreadingHTTPServer) -> None:
        """Called once the socket listens, before serving (``WebhookServer`` wraps it in TLS here)."""

    # --- lifecycle ---
    def start(self: Self) -> Self:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:  # silence
                pass

            def setup(self) -> None:
                super().setup()
                with owner._lock:
                    owner.connections += 1

        for method in self.methods:
            setattr(Handler, f"do_{method}", lambda handler, method=method: owner.handle(handler, method))

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            block_on_close = False
            request_queue_size = 128
            allow_reuse_address = True

        self._server = Server(("127.0.0.1", 0), Handler)
        self.prepare(self._server)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=self.thread_name, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self: Self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the server first"
        return int(self._server.server_address[1])
