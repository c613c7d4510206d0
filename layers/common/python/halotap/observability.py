"""The one way every handler is wrapped: Powertools Logger, Tracer and Metrics, in that order."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths

Handler = Callable[..., Any]


def lambda_handler(
    logger: Logger, tracer: Tracer, metrics: Metrics, *, api: bool = False
) -> Callable[[Handler], Handler]:
    """Log with the Lambda context (and API Gateway's request id as correlation id), trace, flush metrics.

    `clear_state` drops keys a previous invocation appended, so one request's ids never leak into the next.
    """

    def wrap(function: Handler) -> Handler:
        traced = tracer.capture_lambda_handler(metrics.log_metrics(function))
        correlation = correlation_paths.API_GATEWAY_REST if api else None
        return logger.inject_lambda_context(correlation_id_path=correlation, clear_state=True)(traced)

    return wrap
