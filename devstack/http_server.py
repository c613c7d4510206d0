"""The threaded-HTTP-server plumbing shared by the devstack's small JSON services.

A service subclasses `JsonHttpServer` and implements `handle(request)`, returning a `Response` (or
None to close the connection without answering). The base binds ``host:port`` (port 0 picks a free
port), serves from a daemon thread between `start()` and `stop()`, reads request bodies and writes
the answers.
"""

from __future__ import annotations

import json
import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from devstack import redact

MAX_BODY_BYTES = 1_000_000
# Pending connections: http.server listens with a backlog of 5, which resets bursts of 30 requests.
LISTEN_BACKLOG = 1024
MISSING: Any = object()  # Request.json() of an empty or non-JSON body


@dataclass
class Request:
    method: str
    target: str  # path and query, as sent
    headers: dict[str, str]  # lowercased names
    body: bytes

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.target).query)

    def json(self) -> Any:
        """The parsed body, or MISSING when it is empty or not JSON."""
        try:
            return json.loads(self.body) if self.body.strip() else MISSING
        except ValueError:
            return MISSING


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "application/json"  # sent only with a non-empty body
    headers: dict[str, str] = field(default_factory=dict)


def json_response(status: int, payload: Any = None, headers: dict[str, str] | None = None) -> Response:
    """`payload` as JSON; no body at all for 204 and 304."""
    body = b"" if status in (204, 304) else json.dumps(payload).encode()
    return Response(status, body, headers=headers or {})


class JsonHttpServer:
    """A small HTTP service on a ThreadingHTTPServer in a daemon thread."""

    thread_name = "http-server"
    description = "HTTP server"  # for the "... listening on" log line
    logger = logging.getLogger("devstack.http_server")

    def __init__(self, host: str, port: int) -> None:
        self._host, self._port = host, port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def handle(self, request: Request) -> Response | None:
        """Answers one request; None means close the connection without answering."""
        raise NotImplementedError

    @property
    def url(self) -> str:
        port = self._server.server_address[1] if self._server else self._port
        host = "127.0.0.1" if self._host in ("", "0.0.0.0") else self._host
        return f"http://{host}:{port}"

    def start(self) -> None:
        if self._server is not None:
            raise RuntimeError(f"{type(self).__name__} is already running")
        server = _Server((self._host, self._port), self)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=self.thread_name, daemon=True
        )
        self._thread.start()
        self.logger.info("%s listening on %s", self.description, self.url)

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None or thread is None:
            return
        server.shutdown()
        server.server_close()
        thread.join()

    def serve_until_interrupted(self) -> None:
        """Runs in the foreground (``python -m``) until Ctrl-C or SIGTERM, then stops."""
        signal.signal(signal.SIGTERM, _interrupt)
        self.start()
        print(f"{self.description} listening on {self.url} (Ctrl-C to stop)", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = LISTEN_BACKLOG

    def __init__(self, address: tuple[str, int], app: JsonHttpServer) -> None:
        super().__init__(address, _Handler)
        self.app = app
        self.handler_threads: set[threading.Thread] = set()
        self._threads_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        # Like ThreadingMixIn.process_request, but keeps the threads so a service can join them.
        thread = threading.Thread(
            target=self.process_request_thread, args=(request, client_address), daemon=True
        )
        with self._threads_lock:
            self.handler_threads = {t for t in self.handler_threads if t.is_alive()}
            self.handler_threads.add(thread)
        thread.start()


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(length, MAX_BODY_BYTES)) if length > 0 else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        response = self.server.app.handle(Request(self.command, self.path, headers, body))
        if response is None:
            self.close_connection = True
            return
        try:
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            if response.body:
                self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            self.wfile.write(response.body)
        except ConnectionError:
            self.server.app.logger.debug(
                "client went away before the answer to %s %s", self.command, self.path
            )

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch

    def __getattr__(self, name: str) -> Any:
        # Every other method (TRACE, PROPFIND, ...) reaches the service too, which answers it in its own
        # error shape, rather than http.server's 501 HTML page.
        if name.startswith("do_"):
            return self._dispatch
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:
        self.server.app.logger.debug("%s - %s", self.address_string(), redact.webhook_token(format % args))


class FaultQueue(list[dict[str, Any]]):
    """Injected faults, oldest first; each is used `count` times. Not locked: callers hold their own lock."""

    def take(self, applies: Callable[[dict[str, Any]], bool] = lambda _fault: True) -> dict[str, Any] | None:
        """One use of the oldest fault that `applies` (a copy), or None when none is pending."""
        for index, fault in enumerate(self):
            if not applies(fault):
                continue
            fault["count"] -= 1
            if fault["count"] <= 0:
                self.pop(index)
            return dict(fault)
        return None
