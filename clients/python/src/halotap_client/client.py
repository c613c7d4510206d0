"""`HalotapClient` (sync) and `AsyncHalotapClient`: every PSP operation of docs/openapi.json.

Both retry 429, 503 and 409 idempotency_in_progress (honouring Retry-After, bounded), send an
Idempotency-Key on create and refund (a fresh one when you give none, the same on each retry), raise a
typed `HalotapError` for every other non-2xx answer, and page through both lists with iterators.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any, cast

import httpx

from halotap_client import _calls
from halotap_client._calls import Call
from halotap_client._retry import RetryPolicy
from halotap_client.api_keys import ApiKeysMixin, AsyncApiKeysMixin
from halotap_client.endpoints import AsyncWebhookEndpointMethods, WebhookEndpointMethods
from halotap_client.errors import error_from
from halotap_client.models import (
    Checkout,
    CheckoutCreated,
    CheckoutList,
    Event,
    EventList,
    LedgerReport,
    LedgerSummary,
    PingResult,
    Refund,
    ResendResult,
)

DEFAULT_BASE_URL = "http://127.0.0.1:3000"  # the devstack; pass your deployment's URL
USER_AGENT = "halotap-client-python/0.1.0"


def _headers(api_key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}", "User-Agent": USER_AGENT}


def _result(response: httpx.Response) -> Any:
    if response.is_success:
        return response.json() if response.content else None
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    raise error_from(response.status_code, body)


class HalotapClient(WebhookEndpointMethods, ApiKeysMixin):
    """The sync client. Use it as a context manager, or call `close()`."""

    def __init__(
        self,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        http: httpx.Client | None = None,
    ) -> None:
        self._http = http or httpx.Client(base_url=base_url, timeout=timeout)
        self._headers = _headers(api_key)
        self.retry = retry or RetryPolicy()

    def __enter__(self) -> HalotapClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _send(self, call: Call) -> Any:
        attempt = 0
        while True:
            response = self._http.request(
                call.method,
                call.path,
                params=call.params,
                json=call.json,
                headers={**self._headers, **call.headers},
            )
            if not self.retry.should_retry(response, attempt):
                return _result(response)
            time.sleep(self.retry.delay(response, attempt))
            attempt += 1

    # -- checkouts ------------------------------------------------------------------------------------

    def create_checkout(
        self,
        *,
        merchant_id: str,
        reference: str,
        amount: str,
        currency: str,
        return_url: str | None = None,
        expires_in_seconds: int | None = None,
        qr_code: bool | None = None,
        is_consumer_app: bool | None = None,
        metadata: dict[str, str] | None = None,
        notification_url: str | None = None,
        fallback_url: str | None = None,
        locale: str | None = None,
        max_attempts: int | None = None,
        idempotency_key: str | None = None,
    ) -> CheckoutCreated:
        call = _calls.create_checkout(
            merchant_id=merchant_id,
            reference=reference,
            amount=amount,
            currency=currency,
            return_url=return_url,
            expires_in_seconds=expires_in_seconds,
            qr_code=qr_code,
            is_consumer_app=is_consumer_app,
            metadata=metadata,
            notification_url=notification_url,
            fallback_url=fallback_url,
            locale=locale,
            max_attempts=max_attempts,
            idempotency_key_value=idempotency_key,
        )
        return cast(CheckoutCreated, self._send(call))

    def get_checkout(self, checkout_id: str) -> Checkout:
        return cast(Checkout, self._send(Call("GET", f"/v1/checkouts/{_calls.segment(checkout_id)}")))

    def find_checkout(self, merchant_id: str, reference: str) -> Checkout:
        """The merchant's checkout with this reference (NotFoundError if none)."""
        params = _calls.query(merchantId=merchant_id, reference=reference)
        return cast(Checkout, self._send(Call("GET", "/v1/checkouts", params=params)))

    def list_checkouts(
        self,
        merchant_id: str,
        *,
        status: Iterable[str] | None = None,
        created_from: str | None = None,
        created_to: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> CheckoutList:
        call = _calls.list_checkouts(
            merchant_id,
            status=status,
            created_from=created_from,
            created_to=created_to,
            limit=limit,
            cursor=cursor,
        )
        return cast(CheckoutList, self._send(call))

    def iter_checkouts(
        self,
        merchant_id: str,
        *,
        status: Iterable[str] | None = None,
        created_from: str | None = None,
        created_to: str | None = None,
        page_size: int = 100,
    ) -> Iterator[Checkout]:
        """Every matching checkout, newest first, page by page until `nextCursor` is null."""
        statuses = list(status) if status is not None else None
        cursor: str | None = None
        while True:
            page = self.list_checkouts(
                merchant_id,
                status=statuses,
                created_from=created_from,
                created_to=created_to,
                limit=page_size,
                cursor=cursor,
            )
            yield from page["data"]
            cursor = page["nextCursor"]
            if cursor is None:
                return

    def cancel_checkout(self, checkout_id: str) -> Checkout:
        return cast(Checkout, self._send(Call("POST", f"/v1/checkouts/{_calls.segment(checkout_id)}/cancel")))

    def create_attempt(self, checkout_id: str, *, idempotency_key: str | None = None) -> Checkout:
        """A new attempt after a failed one (checkout.attempt_failed): the checkout, with the new deep link."""
        return cast(Checkout, self._send(_calls.create_attempt(checkout_id, idempotency_key)))

    # -- refunds --------------------------------------------------------------------------------------

    def create_refund(
        self,
        checkout_id: str,
        *,
        reference: str,
        amount: str | None = None,
        reason: str | None = None,
        metadata: dict[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> Refund:
        call = _calls.create_refund(
            checkout_id,
            reference=reference,
            amount=amount,
            reason=reason,
            metadata=metadata,
            idempotency_key_value=idempotency_key,
        )
        return cast(Refund, self._send(call))

    def get_refund(self, checkout_id: str, refund_id: str) -> Refund:
        path = f"/v1/checkouts/{_calls.segment(checkout_id)}/refunds/{_calls.segment(refund_id)}"
        return cast(Refund, self._send(Call("GET", path)))

    # -- events and the webhook endpoint --------------------------------------------------------------

    def list_events(
        self, *, after: str | None = None, limit: int | None = None, types: Iterable[str] | None = None
    ) -> EventList:
        return cast(EventList, self._send(_calls.list_events(after=after, limit=limit, types=types)))

    def iter_events(
        self, *, after: str | None = None, types: Iterable[str] | None = None, page_size: int = 100
    ) -> EventIterator:
        """Every event after `after`, oldest first, until a page is empty; `.cursor` is where to resume."""
        return EventIterator(self, after, list(types) if types is not None else None, page_size)

    def get_event(self, event_id: str) -> Event:
        return cast(Event, self._send(Call("GET", f"/v1/events/{_calls.segment(event_id)}")))

    def resend_event(self, event_id: str) -> ResendResult:
        return cast(ResendResult, self._send(Call("POST", f"/v1/events/{_calls.segment(event_id)}/resend")))

    def ping_webhook_endpoint(self) -> PingResult:
        return cast(PingResult, self._send(Call("POST", "/v1/webhook-endpoint/ping")))

    # -- the daily ledger -----------------------------------------------------------------------------

    def get_ledger(self, merchant_id: str, date: str) -> LedgerReport:
        return cast(LedgerReport, self._send(_calls.ledger(merchant_id, date, run=False)))

    def run_ledger(self, merchant_id: str, date: str) -> LedgerSummary:
        return cast(LedgerSummary, self._send(_calls.ledger(merchant_id, date, run=True)))


class EventIterator(Iterator[Event]):
    """Events page by page (`after`), until a page is empty. `cursor` is the last page's nextCursor:
    store it, and pass it as `after` later to get exactly what was committed since."""

    def __init__(
        self, client: HalotapClient, after: str | None, types: list[str] | None, page_size: int
    ) -> None:
        self._client, self.cursor, self._types, self._page_size = client, after, types, page_size
        self._buffer: list[Event] = []
        self._done = False

    def __next__(self) -> Event:
        while not self._buffer:
            if self._done:
                raise StopIteration
            page = self._client.list_events(after=self.cursor, limit=self._page_size, types=self._types)
            self.cursor = page["nextCursor"]
            self._buffer = list(page["data"])
            self._done = not self._buffer
        return self._buffer.pop(0)


class AsyncHalotapClient(AsyncWebhookEndpointMethods, AsyncApiKeysMixin):
    """The async client, with the same methods as `HalotapClient`. Use `async with`, or `await aclose()`."""

    def __init__(
        self,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self._http = http or httpx.AsyncClient(base_url=base_url, timeout=timeout)
        self._headers = _headers(api_key)
        self.retry = retry or RetryPolicy()

    async def __aenter__(self) -> AsyncHalotapClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _send(self, call: Call) -> Any:
        attempt = 0
        while True:
            response = await self._http.request(
                call.method,
                call.path,
                params=call.params,
                json=call.json,
                headers={**self._headers, **call.headers},
            )
            if not self.retry.should_retry(response, attempt):
                return _result(response)
            await asyncio.sleep(self.retry.delay(response, attempt))
            attempt += 1

    async def create_checkout(
        self,
        *,
        merchant_id: str,
        reference: str,
        amount: str,
        currency: str,
        return_url: str | None = None,
        expires_in_seconds: int | None = None,
        qr_code: bool | None = None,
        is_consumer_app: bool | None = None,
        metadata: dict[str, str] | None = None,
        notification_url: str | None = None,
        fallback_url: str | None = None,
        locale: str | None = None,
        max_attempts: int | None = None,
        idempotency_key: str | None = None,
    ) -> CheckoutCreated:
        call = _calls.create_checkout(
            merchant_id=merchant_id,
            reference=reference,
            amount=amount,
            currency=currency,
            return_url=return_url,
            expires_in_seconds=expires_in_seconds,
            qr_code=qr_code,
            is_consumer_app=is_consumer_app,
            metadata=metadata,
            notification_url=notification_url,
            fallback_url=fallback_url,
            locale=locale,
            max_attempts=max_attempts,
            idempotency_key_value=idempotency_key,
        )
        return cast(CheckoutCreated, await self._send(call))

    async def get_checkout(self, checkout_id: str) -> Checkout:
        return cast(Checkout, await self._send(Call("GET", f"/v1/checkouts/{_calls.segment(checkout_id)}")))

    async def find_checkout(self, merchant_id: str, reference: str) -> Checkout:
        params = _calls.query(merchantId=merchant_id, reference=reference)
        return cast(Checkout, await self._send(Call("GET", "/v1/checkouts", params=params)))

    async def list_checkouts(
        self,
        merchant_id: str,
        *,
        status: Iterable[str] | None = None,
        created_from: str | None = None,
        created_to: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> CheckoutList:
        call = _calls.list_checkouts(
            merchant_id,
            status=status,
            created_from=created_from,
            created_to=created_to,
            limit=limit,
            cursor=cursor,
        )
        return cast(CheckoutList, await self._send(call))

    async def iter_checkouts(
        self,
        merchant_id: str,
        *,
        status: Iterable[str] | None = None,
        created_from: str | None = None,
        created_to: str | None = None,
        page_size: int = 100,
    ) -> AsyncIterator[Checkout]:
        statuses = list(status) if status is not None else None
        cursor: str | None = None
        while True:
            page = await self.list_checkouts(
                merchant_id,
                status=statuses,
                created_from=created_from,
                created_to=created_to,
                limit=page_size,
                cursor=cursor,
            )
            for checkout in page["data"]:
                yield checkout
            cursor = page["nextCursor"]
            if cursor is None:
                return

    async def cancel_checkout(self, checkout_id: str) -> Checkout:
        path = f"/v1/checkouts/{_calls.segment(checkout_id)}/cancel"
        return cast(Checkout, await self._send(Call("POST", path)))

    async def create_attempt(self, checkout_id: str, *, idempotency_key: str | None = None) -> Checkout:
        """A new attempt after a failed one (checkout.attempt_failed): the checkout, with the new deep link."""
        return cast(Checkout, await self._send(_calls.create_attempt(checkout_id, idempotency_key)))

    async def create_refund(
        self,
        checkout_id: str,
        *,
        reference: str,
        amount: str | None = None,
        reason: str | None = None,
        metadata: dict[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> Refund:
        call = _calls.create_refund(
            checkout_id,
            reference=reference,
            amount=amount,
            reason=reason,
            metadata=metadata,
            idempotency_key_value=idempotency_key,
        )
        return cast(Refund, await self._send(call))

    async def get_refund(self, checkout_id: str, refund_id: str) -> Refund:
        path = f"/v1/checkouts/{_calls.segment(checkout_id)}/refunds/{_calls.segment(refund_id)}"
        return cast(Refund, await self._send(Call("GET", path)))

    async def list_events(
        self, *, after: str | None = None, limit: int | None = None, types: Iterable[str] | None = None
    ) -> EventList:
        return cast(EventList, await self._send(_calls.list_events(after=after, limit=limit, types=types)))

    def iter_events(
        self, *, after: str | None = None, types: Iterable[str] | None = None, page_size: int = 100
    ) -> AsyncEventIterator:
        return AsyncEventIterator(self, after, list(types) if types is not None else None, page_size)

    async def get_event(self, event_id: str) -> Event:
        return cast(Event, await self._send(Call("GET", f"/v1/events/{_calls.segment(event_id)}")))

    async def resend_event(self, event_id: str) -> ResendResult:
        path = f"/v1/events/{_calls.segment(event_id)}/resend"
        return cast(ResendResult, await self._send(Call("POST", path)))

    async def ping_webhook_endpoint(self) -> PingResult:
        return cast(PingResult, await self._send(Call("POST", "/v1/webhook-endpoint/ping")))

    async def get_ledger(self, merchant_id: str, date: str) -> LedgerReport:
        return cast(LedgerReport, await self._send(_calls.ledger(merchant_id, date, run=False)))

    async def run_ledger(self, merchant_id: str, date: str) -> LedgerSummary:
        return cast(LedgerSummary, await self._send(_calls.ledger(merchant_id, date, run=True)))


class AsyncEventIterator(AsyncIterator[Event]):
    """As EventIterator, for `async for`."""

    def __init__(
        self, client: AsyncHalotapClient, after: str | None, types: list[str] | None, page_size: int
    ) -> None:
        self._client, self.cursor, self._types, self._page_size = client, after, types, page_size
        self._buffer: list[Event] = []
        self._done = False

    async def __anext__(self) -> Event:
        while not self._buffer:
            if self._done:
                raise StopAsyncIteration
            page = await self._client.list_events(after=self.cursor, limit=self._page_size, types=self._types)
            self.cursor = page["nextCursor"]
            self._buffer = list(page["data"])
            self._done = not self._buffer
        return self._buffer.pop(0)
