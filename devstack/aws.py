"""moto's server, in a thread of this process, and the environment that sends every SDK call to it.

Why the server is not plain `moto.server.ThreadedMotoServer`: that server answers each request on
its own thread, and moto's DynamoDB backend holds no lock between checking a ConditionExpression and
writing the item. Two concurrent `PutItem ... attribute_not_exists(pk)` calls can therefore both
succeed, an `UpdateItem ... version = :v` can be applied twice, and a cancelled TransactWriteItems
puts back a copy of the table taken before it began, undoing what other requests wrote meanwhile.
Real DynamoDB allows none of this. halotap's race safety rests on exactly those conditional writes,
so a devstack that lets both racers win would hide the bugs it is there to show. `AtomicDynamoDB`
closes the gap: it serialises every DynamoDB request in the process (reads too, so a read never sees
half of a TransactWriteItems). tests/devstack/test_atomic_dynamodb.py fails without it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

import httpx
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import ThreadedWSGIServer

from devstack.config import aws_environment, export
from devstack.moto_bounds import bound_moto

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

DYNAMODB_TARGET_PREFIX = "DynamoDB_"  # X-Amz-Target: DynamoDB_20120810.PutItem (not DynamoDBStreams_)
LISTEN_BACKLOG = 1024
SERVE_POLL_SECONDS = 0.05  # pending connections; bursts from many handler threads must queue, not reset

# One lock for the whole process: moto's backends are module globals, shared by every server in it.
_DYNAMODB_LOCK = threading.Lock()


class AtomicDynamoDB:
    """WSGI middleware around moto's app: one DynamoDB request at a time, process-wide.

    A request whose `X-Amz-Target` starts with `DynamoDB_` (every DynamoDB operation, reads
    included) holds the lock from the start of the app call until its response body has been
    produced in full. Everything else (SQS, Secrets Manager, /moto-api) passes through unlocked.
    """

    def __init__(self, app: WsgiApp) -> None:
        self._app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not environ.get("HTTP_X_AMZ_TARGET", "").startswith(DYNAMODB_TARGET_PREFIX):
            return self._app(environ, start_response)
        with _DYNAMODB_LOCK:
            response = self._app(environ, start_response)
            try:
                body = b"".join(response)  # moto may do its work lazily, while the body is iterated
            finally:
                close = getattr(response, "close", None)
                if close is not None:
                    close()
        return [body]


def atomic_dynamodb_in_process() -> None:
    """What `AtomicDynamoDB` does for the server, for moto's in-process `mock_aws`: one DynamoDB request at
    a time, process-wide (the same lock). Once per process; the tests of tests/integration call it.

    They need it since reconcile examines checkouts from several threads: without it two of them that
    record events for one client could both win the feed's sequence number, or a cancelled
    TransactWriteItems could put back a copy of the events table, undoing the other's write.
    """
    from moto.core.botocore_stubber import BotocoreStubber

    if getattr(BotocoreStubber, "_halotap_atomic_dynamodb", False):
        return
    original = BotocoreStubber.process_request

    def process_request(self: Any, request: Any) -> Any:
        target = request.headers.get("X-Amz-Target") or ""
        if isinstance(target, bytes):
            target = target.decode()
        if not target.startswith(DYNAMODB_TARGET_PREFIX):
            return original(self, request)
        with _DYNAMODB_LOCK:
            return original(self, request)

    BotocoreStubber.process_request = process_request  # type: ignore[method-assign]
    BotocoreStubber._halotap_atomic_dynamodb = True  # type: ignore[attr-defined]


class _MotoWSGIServer(ThreadedWSGIServer):
    request_queue_size = LISTEN_BACKLOG  # werkzeug reads it when it listens, inside __init__


_SECRETS_LABEL_LOCK = threading.Lock()


def secrets_manager_as_aws() -> None:
    """Makes moto's UpdateSecretVersionStage behave as Secrets Manager's, once per process.

    halotap-admin writes a change under a private label and then moves AWSCURRENT to it only from the
    version it read (tools/secret_document.py): Secrets Manager refuses the move when AWSCURRENT is no
    longer there, which makes it a compare-and-swap. moto checks the same, but (1) without a lock, so
    two threads can both pass the check, and (2) it leaves the secret's default version where it was,
    so a GetSecretValue without VersionStage (the functions' read) keeps returning the old value.
    AWS has neither gap; tests/integration/test_admin_cli.py fails with either.
    """
    from moto.secretsmanager.models import SecretsManagerBackend

    if getattr(SecretsManagerBackend, "_halotap_as_aws", False):
        return
    original = SecretsManagerBackend.update_secret_version_stage

    def update_secret_version_stage(
        self: Any, secret_id: str, version_stage: str, remove_from_version_id: str, move_to_version_id: str
    ) -> tuple[str, str]:
        with _SECRETS_LABEL_LOCK:
            moved = original(self, secret_id, version_stage, remove_from_version_id, move_to_version_id)
            if version_stage == "AWSCURRENT" and move_to_version_id:
                self.secrets[secret_id].default_version_id = move_to_version_id
            return moved

    SecretsManagerBackend.update_secret_version_stage = update_secret_version_stage  # type: ignore[method-assign]
    SecretsManagerBackend._halotap_as_aws = True  # type: ignore[attr-defined]


class MotoServer:
    """A devstack part. Starting it points this process's AWS SDK (AWS_ENDPOINT_URL) at it.

    It builds what `ThreadedMotoServer` builds (moto's `DomainDispatcherApplication` on a threaded
    werkzeug server with `MotoRequestHandler`), with `AtomicDynamoDB` around the app and a longer
    listen backlog.
    """

    name = "moto"

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        secrets_manager_as_aws()
        bound_moto()  # a long-lived server: what moto would grow without end is bounded (moto_bounds.py)
        self._host, self._port = host, port
        self._server: _MotoWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            return f"http://{self._host}:{self._port}"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"  # an AF_INET server: the host is a str (typeshed allows bytes)

    def start(self) -> None:
        app = AtomicDynamoDB(DomainDispatcherApplication(create_backend_app))
        try:
            # Binds here, so port 0 has its real port once start() returns.
            server = _MotoWSGIServer(self._host, self._port, app, handler=MotoRequestHandler)
        except SystemExit as exc:  # werkzeug prints the reason and exits when it cannot bind
            raise OSError(f"moto could not listen on {self._host}:{self._port}") from exc
        self._server = server
        # werkzeug checks for shutdown() every poll_interval (0.5 s by default): a stop should not wait it out.
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": SERVE_POLL_SECONDS},
            name="moto",
            daemon=True,
        )
        self._thread.start()
        export(aws_environment(self.url))

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.shutdown()  # serve_forever closes the socket as it returns
            self._thread.join()
            self._server, self._thread = None, None

    def check(self) -> None:
        httpx.get(f"{self.url}/moto-api/config", timeout=2).raise_for_status()
