"""The one way every handler is wrapped: Powertools Logger and Metrics.

No Powertools Tracer, on purpose. Creating one imports the X-Ray SDK (and botocore through it) even when
tracing is disabled, which made every handler's cold import about half a second dearer under Python 3.13.
The stack keeps Lambda's active tracing on, so X-Ray still shows each invocation (init, invoke, overhead)
and API Gateway's segment in front of it; what is given up is the SDK's subsegments per boto3 or httpx
call. docs/performance.md ("X-Ray") has the measurements and the trade-off.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths

from halotap import snapstart

Handler = Callable[..., Any]


def lambda_handler(logger: Logger, metrics: Metrics, *, api: bool = False) -> Callable[[Handler], Handler]:
    """Log with the Lambda context (and API Gateway's request id as correlation id), flush metrics.

    `clear_state` drops keys a previous invocation appended, so one request's ids never leak into the next.
    """

    def wrap(function: Handler) -> Handler:
        snapstart.register_before_snapshot()  # a no-op unless Lambda runs this function with SnapStart
        correlation = correlation_paths.API_GATEWAY_REST if api else None
        return logger.inject_lambda_context(correlation_id_path=correlation, clear_state=True)(
            metrics.log_metrics(function)
        )

    return wrap
