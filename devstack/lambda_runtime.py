"""Runs a function's handler in this process the way Lambda would: a context object, a lazy import."""

from __future__ import annotations

import importlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from devstack.config import ACCOUNT_ID, REGION, resource_name
from infra import manifest

log = logging.getLogger("devstack.lambda")

Handler = Callable[[dict[str, Any], Any], Any]
Invoker = Callable[[manifest.Function, dict[str, Any]], Any]


@dataclass
class LambdaContext:
    """The attributes of the Python runtime's context object that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int
    timeout_seconds: int
    invoked_function_arn: str = ""
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    identity: Any = None
    client_context: Any = None
    _deadline: float = 0.0

    def __post_init__(self) -> None:
        self.invoked_function_arn = self.invoked_function_arn or (
            f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{self.function_name}"
        )
        self._deadline = time.monotonic() + self.timeout_seconds

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return f"devstack/[$LATEST]{self.aws_request_id.replace('-', '')}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))

    @classmethod
    def for_function(cls, spec: manifest.Function) -> LambdaContext:
        return cls(resource_name(spec.name), spec.memory_mb, spec.timeout_seconds)


def load_handler(name: str) -> Handler:
    """Imports functions/<name>/handler.py on first use, so the environment is complete by then."""
    module = importlib.import_module(f"functions.{name}.handler")
    handler: Handler = module.handler
    return handler


def invoke(spec: manifest.Function, event: dict[str, Any]) -> Any:
    """Calls the handler and returns what it returns; its exception propagates, as a Lambda error."""
    handler = load_handler(spec.name)
    context = LambdaContext.for_function(spec)
    started = time.monotonic()
    try:
        return handler(event, context)
    finally:
        elapsed = time.monotonic() - started
        if elapsed > spec.timeout_seconds:  # Lambda would have killed it; we cannot, so say so
            log.warning("%s ran %.1f s, over its %d s timeout", spec.name, elapsed, spec.timeout_seconds)
