"""The Lambda events the devstack builds: API Gateway REST proxy (1.0), REQUEST authorizer and SQS.

The API emulator, the queue pollers and the committed samples in events/ (devstack/events.py) all
build their events here, so the samples and the emulator cannot drift apart.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from devstack.config import ACCOUNT_ID, API_ID, REGION, STAGE

Event = dict[str, Any]


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str  # as received, without the query string
    query: str = ""  # the raw query string
    headers: tuple[tuple[str, str], ...] = ()  # in arrival order; a name may repeat
    body: bytes = b""
    source_ip: str = "127.0.0.1"
    # The address the emulator serves on. API Gateway sets requestContext.domainName from the domain it
    # serves, never from the caller's Host header, and so does the emulator.
    domain_name: str = "127.0.0.1"

    def header(self, name: str) -> str | None:
        return next((value for key, value in reversed(self.headers) if key.lower() == name.lower()), None)


def _single_and_multi(
    pairs: Iterable[tuple[str, str]],
) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    """API Gateway's two views of repeated names: the last value, and all of them. None when empty."""
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        single[name] = value
        multi.setdefault(name, []).append(value)
    return (single or None), (multi or None)


def method_arn(method: str, path: str) -> str:
    return f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{API_ID}/{STAGE}/{method}{path}"


def request_context(
    request: HttpRequest,
    resource: str,
    *,
    request_id: str,
    now_ms: int,
    authorizer: dict[str, Any] | None = None,
) -> Event:
    context: Event = {
        "accountId": ACCOUNT_ID,
        "apiId": API_ID,
        "domainName": request.domain_name,
        "domainPrefix": API_ID,
        "extendedRequestId": request_id,
        "httpMethod": request.method,
        "identity": {
            "accessKey": None,
            "accountId": None,
            "apiKey": None,
            "caller": None,
            "sourceIp": request.source_ip,
            "user": None,
            "userAgent": request.header("User-Agent"),
            "userArn": None,
        },
        # We serve at the root, like a custom domain with no base path, so this is the path as sent.
        "path": request.path,
        "protocol": "HTTP/1.1",
        "requestId": request_id,
        "requestTime": datetime.fromtimestamp(now_ms / 1000, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "requestTimeEpoch": now_ms,
        "resourceId": hashlib.sha256(resource.encode()).hexdigest()[:6],
        "resourcePath": resource,
        "stage": STAGE,
    }
    if authorizer is not None:
        context["authorizer"] = authorizer
    return context


def _request_parts(request: HttpRequest) -> Event:
    # API Gateway adds X-Forwarded-Proto (and -For, -Port); here the scheme is plain http.
    forwarded = () if request.header("X-Forwarded-Proto") else (("X-Forwarded-Proto", "http"),)
    headers, multi_headers = _single_and_multi((*request.headers, *forwarded))
    query, multi_query = _single_and_multi(parse_qsl(request.query, keep_blank_values=True))
    return {
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
    }


def proxy_event(
    request: HttpRequest,
    resource: str,
    path_parameters: dict[str, str] | None,
    *,
    request_id: str,
    now_ms: int,
    authorizer: dict[str, Any] | None = None,
) -> Event:
    """A REST API Lambda proxy integration event (payload format 1.0)."""
    return {
        "resource": resource,
        "path": request.path,
        "httpMethod": request.method,
        **_request_parts(request),
        "pathParameters": path_parameters or None,
        "stageVariables": None,
        "requestContext": request_context(
            request, resource, request_id=request_id, now_ms=now_ms, authorizer=authorizer
        ),
        "body": request.body.decode("utf-8", errors="replace") if request.body else None,
        "isBase64Encoded": False,
    }


def authorizer_event(
    request: HttpRequest,
    resource: str,
    path_parameters: dict[str, str] | None,
    *,
    request_id: str,
    now_ms: int,
) -> Event:
    """The event a REQUEST Lambda authorizer receives for this request."""
    return {
        "type": "REQUEST",
        "methodArn": method_arn(request.method, request.path),
        "resource": resource,
        "path": request.path,
        "httpMethod": request.method,
        **_request_parts(request),
        "pathParameters": path_parameters or {},
        "stageVariables": {},
        "requestContext": request_context(request, resource, request_id=request_id, now_ms=now_ms),
    }


def queue_arn(queue_name: str) -> str:
    return f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{queue_name}"


def _base64(value: bytes | str) -> str:
    return base64.b64encode(value).decode() if isinstance(value, bytes) else value


def _message_attribute(attribute: dict[str, Any]) -> dict[str, Any]:
    binary = attribute.get("BinaryValue")
    return {
        "stringValue": attribute.get("StringValue"),
        "binaryValue": None if binary is None else _base64(binary),
        "stringListValues": attribute.get("StringListValues", []),
        "binaryListValues": [_base64(value) for value in attribute.get("BinaryListValues", [])],
        "dataType": attribute["DataType"],
    }


def sqs_record(message: dict[str, Any], source_arn: str) -> Event:
    """One Lambda SQS record from one message as ReceiveMessage returned it (boto3's shape)."""
    record: Event = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": {
            name: _message_attribute(attribute)
            for name, attribute in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message.get("MD5OfBody") or hashlib.md5(message["Body"].encode()).hexdigest(),  # noqa: S324
        "eventSource": "aws:sqs",
        "eventSourceARN": source_arn,
        "awsRegion": REGION,
    }
    if "MD5OfMessageAttributes" in message:
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


def sqs_event(messages: Iterable[dict[str, Any]], source_arn: str) -> Event:
    return {"Records": [sqs_record(message, source_arn) for message in messages]}
