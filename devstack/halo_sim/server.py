"""The simulator as one HTTP service: routes each request to the Halo API or the control API, logs the
Halo calls and applies the faults a test queued, and stops cleanly (waking requests that a fault holds)."""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import time
from collections.abc import Callable

from devstack import redact
from devstack.halo_sim.control_api import ControlApi
from devstack.halo_sim.halo_api import HaloApi, Handler, call_kind
from devstack.halo_sim.state import SimState
from devstack.halo_sim.webhooks import WebhookSender
from devstack.halo_sim.wire import ControlError, HaloError
from devstack.http_server import MISSING, JsonHttpServer, Request, Response, json_response

log = logging.getLogger("devstack.halo_sim")

STOP_JOIN_SECONDS = 5.0
_CANNED_FAULTS: dict[str, Callable[[], Response]] = {
    "error500": lambda: json_response(500, HaloError(500, 500, "Internal Server Error").body()),
    # Halo's own answer for a transaction it cannot find yet (halo-api-facts.md, "Status lookups"): HTTP 500
    # with error 201, and not in Halo's usual error shape.
    "statusUnknown500": lambda: json_response(
        500, {"errorCode": 201, "errorMessage": "Error finding requested transaction"}
    ),
    "malformed": lambda: Response(200, b"<html>upstream glitch", "text/html"),
}


class HaloSimulator(JsonHttpServer):
    """A local stand-in for Halo's kernelserver, plus a /_sim control API."""

    thread_name = "halo-sim"
    description = "Halo simulator"
    logger = log

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 4010,
        *,
        merchants: dict[str, str],
        webhook_url: str | None = None,
        halo_env: str = "dev",
        timeout_fault_seconds: float = 30.0,
        slow_fault_seconds: float = 1.5,
    ) -> None:
        super().__init__(host, port)
        self._timeout_fault_seconds = timeout_fault_seconds
        self._slow_fault_seconds = slow_fault_seconds
        self._stopping = threading.Event()
        self._state = SimState(merchants, webhook_url, halo_env)
        self._webhooks = WebhookSender(self._state, self._stopping)
        self._halo = HaloApi(self._state)
        self._control = ControlApi(self._state, self._webhooks)

    # ----------------------------------------------------------------------- lifecycle

    def start(self) -> None:
        if self._server is None:
            self._stopping.clear()
        super().start()

    def stop(self) -> None:
        server = self._server
        if server is None:
            return
        self._stopping.set()  # wakes requests held by a timeout/slow fault and delayed webhooks
        super().stop()
        deadline = time.monotonic() + STOP_JOIN_SECONDS
        for worker in [*server.handler_threads, *self._webhooks.take_background()]:
            worker.join(max(0.0, deadline - time.monotonic()))

    # ----------------------------------------------------------------------- dispatch

    def handle(self, request: Request) -> Response | None:
        """Answers one request; None means close the connection without answering."""
        try:
            for method, pattern, handler in self._halo.routes:
                match = pattern.match(request.path)
                if match and request.method == method:
                    return self._handle_halo(request, match, handler)
            for method, pattern, handler in self._control.routes:
                match = pattern.match(request.path)
                if match and request.method == method:
                    try:
                        return handler(match, request)
                    except ControlError as exc:
                        return json_response(exc.status, {"error": exc.message})
            return json_response(404, {"error": f"no route for {request.method} {request.path}"})
        except Exception as exc:
            log.exception("simulator failure on %s %s", request.method, request.path)
            return json_response(500, {"error": f"simulator failure: {exc!r}"})

    def _handle_halo(self, request: Request, match: re.Match[str], handler: Handler) -> Response | None:
        parsed = request.json()
        with self._state.lock:
            self._state.requests.append(
                {
                    "method": request.method,
                    "path": request.path,
                    "headers": redact.headers(request.headers),  # no merchant's x-api-key
                    "json": None if parsed is MISSING else parsed,
                }
            )
            kind = call_kind(request.path)
            fault = (self._state.faults.take(lambda f: f.get("calls", kind) == kind) or {}).get("mode")
        if fault in ("timeout", "applyThenTimeout"):
            if fault == "applyThenTimeout":
                with contextlib.suppress(HaloError):  # the refund is made (a refusal changes nothing)...
                    handler(match, request)
            self._stopping.wait(self._timeout_fault_seconds)  # ...and the answer is lost: held, then closed
            return None
        if fault in _CANNED_FAULTS:
            return _CANNED_FAULTS[fault]()
        if fault == "slow":
            self._stopping.wait(self._slow_fault_seconds)
        try:
            return handler(match, request)
        except HaloError as exc:
            return json_response(exc.status, exc.body())
