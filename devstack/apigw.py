"""The API Gateway (REST, Lambda proxy) emulator: HTTP in, authorizer, proxy event, handler, HTTP out.

Routes come from infra.manifest; gateway responses (no route, 401, 403, 429, 5XX) are the manifest's
problem+json bodies. Requests are served concurrently, like separate Lambda containers would.
Each client is metered as its usage plan meters it on AWS: a token bucket per usageIdentifierKey (the
client id when the authorizer names none), at the rate and burst the authorizer's context gives
(halotap.domain.rate_limit). Routes without the authorizer (the hosted page, Halo's webhook) are not.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import httpx

from devstack import lambda_runtime, policy, redact
from devstack.http_server import LISTEN_BACKLOG
from devstack.lambda_events import HttpRequest, authorizer_event, method_arn, proxy_event
from devstack.routing import RouteMatch, RouteTable
from halotap.domain.rate_limit import DEFAULT_BURST, DEFAULT_RATE, RateLimit, TokenBucket
from infra import manifest

log = logging.getLogger("devstack.apigw")

MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # API Gateway's request payload limit
_GATEWAY = {response.kind: response for response in manifest.GATEWAY_RESPONSES}
# Response types the manifest does not customise fall back to their family, as in API Gateway.
_5XX_KINDS = {
    "AUTHORIZER_FAILURE",
    "AUTHORIZER_CONFIGURATION_ERROR",
    "INTEGRATION_FAILURE",
    "INTEGRATION_TIMEOUT",
}
_HOP_BY_HOP = {"content-length", "transfer-encoding", "connection", "keep-alive"}


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    function: str = "-"  # for the access log


class MalformedProxyResponse(Exception):
    """The handler's return value is not a proxy response: API Gateway answers 502."""


def gateway_response(kind: str, request_id: str) -> HttpResponse:
    spec = _GATEWAY.get(kind) or _GATEWAY["DEFAULT_5XX" if kind in _5XX_KINDS else "DEFAULT_4XX"]
    body = json.dumps({**manifest.problem_body(spec), "requestId": request_id}).encode()
    headers = [
        ("Content-Type", "application/problem+json"),
        *spec.headers,
        ("x-amzn-RequestId", request_id),
    ]
    return HttpResponse(spec.status, headers, body)


def method_not_allowed(allowed: tuple[str, ...], request_id: str) -> HttpResponse:
    """A known path, a method it does not take: 405 with Allow, as the stack's ANY mock answers on AWS."""
    spec = manifest.METHOD_NOT_ALLOWED
    body = json.dumps({**manifest.problem_body(spec), "requestId": request_id}).encode()
    headers = [
        ("Content-Type", "application/problem+json"),
        ("Allow", ", ".join(allowed)),
        ("x-amzn-RequestId", request_id),
    ]
    return HttpResponse(spec.status, headers, body)


def proxy_response(result: Any, request_id: str) -> HttpResponse:
    """Renders the handler's {statusCode, headers, multiValueHeaders, body, isBase64Encoded}."""
    if not isinstance(result, dict):
        raise MalformedProxyResponse(f"expected an object, got {type(result).__name__}")
    status = result.get("statusCode")
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise MalformedProxyResponse(f"statusCode must be an integer HTTP status, not {status!r}")
    extra = set(result) - {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"}
    if extra:
        log.warning("API Gateway may reject a proxy response with keys %s", sorted(extra))
    # Both maps merge; where a name is in both, multiValueHeaders wins.
    multi = {str(k): [str(v) for v in vs] for k, vs in (result.get("multiValueHeaders") or {}).items()}
    single = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
    merged = [(name, value) for name, values in multi.items() for value in values]
    multi_names = {name.lower() for name in multi}
    merged += [(name, value) for name, value in single.items() if name.lower() not in multi_names]
    headers = [(name, value) for name, value in merged if name.lower() not in _HOP_BY_HOP]
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", "application/json"))  # API Gateway's default
    headers.append(("x-amzn-RequestId", request_id))
    raw = result.get("body")
    if raw is not None and not isinstance(raw, str):
        raise MalformedProxyResponse(f"body must be a string, not {type(raw).__name__}")
    body = (base64.b64decode(raw) if result.get("isBase64Encoded") else raw.encode()) if raw else b""
    return HttpResponse(status, headers, body)


class ApiGateway:
    """A devstack part. Binds its port when built, so other parts can know its URL before it serves."""

    name = "api"

    def __init__(
        self, port: int, host: str = "127.0.0.1", *, invoke: lambda_runtime.Invoker = lambda_runtime.invoke
    ) -> None:
        self._routes = RouteTable()
        self._authorizer = next(spec for spec in manifest.FUNCTIONS if spec.is_authorizer)
        self._invoke = invoke
        self._host = host
        self._server = _Server((host, port), _Handler, self)
        self._thread: threading.Thread | None = None
        self._buckets: dict[str, TokenBucket] = {}
        self._buckets_lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self._server.server_address[1]}"

    def start(self) -> None:
        # serve_forever checks for shutdown() every poll_interval (0.5 s by default): a stop should not wait it out.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="apigw", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()

    def check(self) -> None:
        response = httpx.get(f"{self.url}/_devstack/ready", timeout=2)  # no such route: a gateway 404
        if "x-amzn-RequestId" not in response.headers:
            raise RuntimeError(f"unexpected answer from the API emulator: {response.status_code}")

    def handle(self, request: HttpRequest) -> HttpResponse:
        request_id, now_ms = str(uuid.uuid4()), int(time.time() * 1000)
        if len(request.body) > MAX_PAYLOAD_BYTES:
            return gateway_response("REQUEST_TOO_LARGE", request_id)
        match = self._routes.match(request.method, request.path)
        if match is None:
            allowed = self._routes.allowed(request.path)
            if allowed:
                return method_not_allowed(allowed, request_id)
            return gateway_response("MISSING_AUTHENTICATION_TOKEN", request_id)
        authorizer: dict[str, Any] | None = None
        if match.route.authorized:
            decision = self._authorize(request, match, request_id, now_ms)
            if isinstance(decision, HttpResponse):
                return _with_function(decision, self._authorizer.name)
            authorizer = decision
        event = proxy_event(
            request,
            match.route.path,
            match.path_parameters,
            request_id=request_id,
            now_ms=now_ms,
            authorizer=authorizer,
        )
        name = match.function.name
        try:
            result = self._invoke(match.function, event)
            return _with_function(proxy_response(result, request_id), name)
        except MalformedProxyResponse as exc:
            log.error("%s returned a malformed proxy response: %s", name, exc)
        except Exception:
            log.exception("%s raised", name)
        return _with_function(gateway_response("DEFAULT_5XX", request_id), name)

    def _authorize(
        self, request: HttpRequest, match: RouteMatch, request_id: str, now_ms: int
    ) -> dict[str, Any] | HttpResponse:
        event = authorizer_event(
            request, match.route.path, match.path_parameters, request_id=request_id, now_ms=now_ms
        )
        started = time.monotonic()
        try:
            result = self._invoke(self._authorizer, event)
        except Exception as exc:
            if str(exc) == "Unauthorized":
                return gateway_response("UNAUTHORIZED", request_id)
            log.exception("the authorizer raised")
            return gateway_response("AUTHORIZER_FAILURE", request_id)
        latency_ms = int((time.monotonic() - started) * 1000)
        try:
            context = policy.request_authorizer(result, method_arn(request.method, request.path), latency_ms)
        except policy.AccessDenied:
            return gateway_response("ACCESS_DENIED", request_id)
        except policy.MalformedAuthorizerResponse as exc:
            log.error("the authorizer's answer is unusable: %s", exc)
            return gateway_response("AUTHORIZER_CONFIGURATION_ERROR", request_id)
        # Metered after the authorizer, by its usage key, as a usage plan meters on AWS.
        if not self._admit(str(result.get("usageIdentifierKey") or context["principalId"]), context):
            return gateway_response("THROTTLED", request_id)
        return context

    def _admit(self, usage_key: str, context: dict[str, Any]) -> bool:
        """Whether this client's bucket has a token; a changed limit starts a new, full bucket."""
        try:
            limit = RateLimit(
                int(context.get("rateLimit", DEFAULT_RATE)), int(context.get("burstLimit", DEFAULT_BURST))
            )
        except ValueError:
            limit = RateLimit()
        with self._buckets_lock:
            bucket = self._buckets.get(usage_key)
            if bucket is None or bucket.limit != limit:
                bucket = self._buckets[usage_key] = TokenBucket(limit, time.monotonic)
        return bucket.take() == 0.0


def _with_function(response: HttpResponse, name: str) -> HttpResponse:
    return HttpResponse(response.status, response.headers, response.body, name)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = LISTEN_BACKLOG  # a burst of concurrent PSP requests queues, never resets

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], gateway: ApiGateway):
        self.gateway = gateway
        super().__init__(address, handler)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive, as clients of the real API expect

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _serve(self) -> None:
        started = time.monotonic()
        target = urlsplit(self.path)
        if int(self.headers.get("Content-Length") or 0) > MAX_PAYLOAD_BYTES:
            # Answered as API Gateway does, without reading (or holding) the body; the unread rest of it
            # makes the connection unusable, so it is closed.
            self.close_connection = True
            response = gateway_response("REQUEST_TOO_LARGE", str(uuid.uuid4()))
        else:
            request = HttpRequest(
                method=self.command,
                path=target.path or "/",
                query=target.query,
                headers=tuple(self.headers.items()),
                body=self._read_body(),
                source_ip=self.client_address[0],
                domain_name="{}:{}".format(*self.server.server_address[:2]),
            )
            response = self.server.gateway.handle(request)
        try:
            self.send_response(response.status)
            for name, value in response.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)
        except ConnectionError:
            log.debug(
                "client went away before the answer to %s %s", self.command, redact.webhook_token(self.path)
            )
        elapsed_ms = (time.monotonic() - started) * 1000
        log.info(
            "%s %s -> %s %d (%.0f ms)",
            self.command,
            redact.webhook_token(target.path),
            response.function,
            response.status,
            elapsed_ms,
        )

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

    def __getattr__(self, name: str) -> Any:
        # http.server answers any other method (TRACE, CONNECT, PROPFIND, ...) with its own 501 HTML page;
        # API Gateway routes every method, so a known path answers 405 problem+json and an unknown one 404.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s - %s", self.address_string(), redact.webhook_token(format % args))
