"""The Halo Dot backend client: create a deep link, read a transaction's status, refund a transaction.

One keep-alive `httpx.Client` per container. Timeouts fit inside API Gateway's 29 s. Only calls that
are safe to repeat are retried: a status read, or a create whose connection failed before any byte
was sent. A create that Halo may have received is never retried; the PSP retries it with its
Idempotency-Key, and halotap gives that retry a fresh checkout id (Halo's paymentReference).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from halotap.adapters import halo_history
from halotap.adapters.breaker import CircuitBreaker
from halotap.domain import timing
from halotap.domain.clock import iso, utc_now
from halotap.domain.errors import HaloAuthFailed, HaloBadResponse, HaloRejected, HaloTimeout, HaloUnavailable
from halotap.domain.halo import (
    DeepLink,
    HaloLedgerEntry,
    HaloTransaction,
    RefundAnswer,
    parse_error_code,
    parse_refund_answer,
    parse_settlement,
)
from halotap.domain.money import Money
from halotap.domain.parties import MerchantCredentials
from halotap.domain.states import Disposition

if TYPE_CHECKING:
    import httpx  # imported on first use: a read-only handler never pays for it at cold start

logger = logging.getLogger(__name__)

# Halo's status read. Its docs (api-docs/02 - get-transactions.mdx) write /consumer/QRCode/{reference};
# its swagger writes /consumer/qrCode/{id}. Neither says whether case matters. halotap follows the
# documentation page, the one Halo points integrators at; this one constant is what to change if Halo
# ever answers 404 on that spelling for a known reference.
STATUS_PATH = "/consumer/QRCode/{reference}"

_shared_http: httpx.Client | None = None
_shared_http_lock = threading.Lock()


def shared_http() -> httpx.Client:
    """The container's one connection pool to Halo, reused by every warm invocation.

    Created under a lock: reconcile calls Halo from several threads, and two of them must never each
    create a pool (one of which would leak). httpx's Client itself is safe to share between threads.
    """
    global _shared_http  # noqa: PLW0603 - one pool per container is the point
    with _shared_http_lock:
        if _shared_http is None:
            import httpx

            # Keeps as many idle connections as reconcile has workers, so its next round of status GETs
            # reuses them instead of paying a TLS handshake each.
            _shared_http = httpx.Client(
                limits=httpx.Limits(
                    max_keepalive_connections=max(4, timing.RECONCILE_WORKERS), keepalive_expiry=60
                )
            )
        return _shared_http


class HaloClient:
    def __init__(
        self,
        base_url: str,
        link_path: str = "/consumer/applink",
        *,
        http: httpx.Client | None = None,
        connect_timeout: float = timing.HALO_CONNECT_TIMEOUT_SECONDS,
        read_timeout: float = timing.HALO_READ_TIMEOUT_SECONDS,
        retry_budget_seconds: float = timing.HALO_RETRY_BUDGET_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._link_path = link_path
        self._http = http
        self._timeouts = (read_timeout, connect_timeout)
        self._budget = retry_budget_seconds
        self._sleep = sleep
        self.breaker = breaker or CircuitBreaker()

    @property
    def http(self) -> httpx.Client:
        return self._http or shared_http()

    def create_deep_link(
        self,
        merchant: MerchantCredentials,
        *,
        payment_reference: str,
        money: Money,
        is_consumer_app: bool,
        want_qr: bool,
    ) -> DeepLink:
        body = {
            "merchantId": merchant.halo_merchant_id,
            "paymentReference": payment_reference,
            "amount": str(money),  # the documented string form, e.g. "100.01"; never a float
            "timestamp": iso(utc_now()),
            "currencyCode": money.currency,
            "isConsumerApp": is_consumer_app,
            "image": {"required": want_qr},
        }
        answer = self._send("POST", self._link_path, merchant, json_body=body, retry_sent=False)
        if not isinstance(answer, dict):
            raise HaloBadResponse("Halo's deep-link answer is not a JSON object")
        url, reference, qr_code = answer.get("url"), answer.get("reference"), answer.get("qrCode")
        if (
            not isinstance(url, str)
            or not url.startswith("https://")
            or not isinstance(reference, str)
            or not reference
        ):
            raise HaloBadResponse("Halo's deep-link answer lacks an https url or a reference")
        if not (isinstance(qr_code, str) and qr_code.startswith("data:image/")):
            qr_code = None
        return DeepLink(url, reference, qr_code)

    def transaction(self, merchant: MerchantCredentials, reference: str) -> HaloTransaction | None:
        """Halo's status of a transaction, or None while Halo does not know the reference."""
        answer = self._send(
            "GET", STATUS_PATH.format(reference=reference), merchant, retry_sent=True, not_found_ok=True
        )
        if answer is None:
            return None
        if not isinstance(answer, dict):
            raise HaloBadResponse("Halo's status answer is not a JSON object")
        raw = answer.get("disposition")
        try:
            disposition = Disposition.parse(raw) if isinstance(raw, str) and raw else None
        except ValueError:
            raise HaloBadResponse(f"Halo reported an unknown disposition {raw!r}") from None
        amount = answer.get("amount")
        return HaloTransaction(
            reference=reference,
            transaction_id=_text(answer.get("transactionId")),
            disposition=disposition,
            amount=Decimal(str(amount)) if amount not in (None, "") else None,
            currency=answer.get("currency"),
            response_code=_text(answer.get("responseCode")),
            authorisation_code=_text(answer.get("authorisationCode") or answer.get("authorizationCode")),
            qr_code_state=answer.get("qrCodeState"),
            status=answer.get("status"),
            settlement=parse_settlement(answer),
            error_code=parse_error_code(answer.get("errorCode")),
        )

    def refund(
        self, merchant: MerchantCredentials, transaction_id: str, *, money: Money, refund_reference: str
    ) -> RefundAnswer:
        """Ask Halo to refund; its answer, approved or refused. Raises HaloError when the answer is unknown.

        Sent once: a refund Halo may have received is never repeated here. The caller keeps the refund
        pending and retries later with the same refundReference, which Halo recognises (213).
        """
        # Halo documents `amount` as a number. It is written from the exact decimal string, so no float
        # ever touches it: {"amount": 10.50, ...}.
        content = (
            '{"amount": ' + str(money) + ', "refundReference": ' + json.dumps(refund_reference) + "}"
        ).encode()
        answer = self._send(
            "POST",
            f"/transactions/{quote(transaction_id, safe='')}/refund",
            merchant,
            content=content,
            retry_sent=False,
            refusals_ok=True,
        )
        if not isinstance(answer, dict):
            raise HaloBadResponse("Halo's refund answer is not a JSON object")
        return parse_refund_answer(answer)

    def history(self, merchant: MerchantCredentials, **filters: Any) -> Iterator[HaloLedgerEntry]:
        """Halo's transaction history, a page at a time; the filters are the `Halo` port's (halo_history)."""
        return halo_history.entries(self._send, merchant, **filters)

    def _send(
        self,
        method: str,
        path: str,
        merchant: MerchantCredentials,
        *,
        json_body: Any = None,
        content: bytes | None = None,
        params: dict[str, str] | None = None,
        retry_sent: bool,
        not_found_ok: bool = False,
        refusals_ok: bool = False,
    ) -> Any:
        import httpx

        deadline = time.monotonic() + self._budget
        timeout = httpx.Timeout(self._timeouts[0], connect=self._timeouts[1])
        attempt = 0
        while True:
            attempt += 1
            self.breaker.before_call()
            try:
                response = self.http.request(
                    method,
                    self._base + path,
                    json=json_body,
                    content=content,
                    params=params,
                    timeout=timeout,
                    headers={
                        "x-api-key": merchant.api_key,
                        "content-type": "application/json",
                        "accept": "application/json",
                    },
                )
            except (httpx.ConnectError, httpx.ConnectTimeout) as error:
                self.breaker.record(ok=False)
                # Nothing reached Halo, so even a create is safe to send again.
                failure: Exception = (
                    HaloTimeout("Halo did not accept a connection in time")
                    if isinstance(error, httpx.ConnectTimeout)
                    else HaloUnavailable("Halo refused the connection")
                )
            except httpx.TimeoutException:
                self.breaker.record(ok=False)
                failure = HaloTimeout(f"Halo did not answer {method} {path.split('/')[1:3][-1]} in time")
                if not retry_sent:
                    raise failure from None
            except httpx.TransportError:
                self.breaker.record(ok=False)
                failure = HaloUnavailable("the connection to Halo failed mid-request")
                if not retry_sent:
                    raise failure from None
            else:
                if not_found_ok and _not_found_yet(response):
                    # Halo's status read answers a reference it cannot find yet with HTTP 500 and its error
                    # 201 ("Error finding requested transaction"): unknown, ask again later. Not an outage,
                    # so it neither trips the breaker nor is retried now.
                    self.breaker.record(ok=True)
                    return None
                self.breaker.record(ok=response.status_code < 500)
                if response.status_code == 404 and not_found_ok:
                    return None
                if response.status_code < 500 and response.status_code != 429:
                    return _read(response, merchant, refusals_ok=refusals_ok)
                failure = HaloUnavailable(f"Halo answered HTTP {response.status_code}")
                if not retry_sent:
                    raise failure
            pause = timing.halo_retry_pause(attempt)
            if time.monotonic() + pause >= deadline or attempt >= timing.HALO_RETRY_ATTEMPTS:
                raise failure
            logger.warning(
                "retrying Halo call", extra={"path": path, "attempt": attempt, "error": str(failure)}
            )
            self._sleep(pause)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _read(response: httpx.Response, merchant: MerchantCredentials, *, refusals_ok: bool = False) -> Any:
    try:
        answer = json.loads(response.content, parse_float=Decimal)
    except ValueError:
        answer = None
    if response.status_code in (401, 403):
        logger.error(
            "Halo refused the merchant's x-api-key",
            extra={"merchantId": merchant.merchant_id, "haloAnswer": _halo_message(answer)},
        )
        raise HaloAuthFailed(
            f"Halo refused the credentials of merchant {merchant.merchant_id!r}; "
            "an operator must check its secret"
        )
    if response.status_code >= 400 and refusals_ok and isinstance(answer, dict) and "errorCode" in answer:
        return answer  # a refusal in Halo's shape is an answer the caller reads (a refund's 212, 213, ...)
    if response.status_code >= 400:
        raise HaloRejected(
            f"Halo rejected the request (HTTP {response.status_code}): {_halo_message(answer)}",
            haloErrorCode=answer.get("errorCode") if isinstance(answer, dict) else None,
        )
    if not response.is_success:
        # Any 2xx is a success (Halo's own app expects 201 from the link endpoints, its docs say 200); a
        # redirect or an informational answer is not an answer halotap can read.
        raise HaloBadResponse(f"Halo answered HTTP {response.status_code}, which is not a success")
    if answer is None:
        raise HaloBadResponse(f"Halo answered HTTP {response.status_code} with a body that is not JSON")
    return answer


# Halo's error 201 on its status read: "Error finding requested transaction", sent with HTTP 500.
HALO_TRANSACTION_NOT_FOUND_YET = 201


def _not_found_yet(response: httpx.Response) -> bool:
    if response.status_code != 500:
        return False
    try:
        answer = json.loads(response.content)
    except ValueError:
        return False
    if not isinstance(answer, dict):
        return False
    code = answer.get("errorCode")
    return str(code).strip() == str(HALO_TRANSACTION_NOT_FOUND_YET)


def _halo_message(answer: Any) -> str:
    if isinstance(answer, dict) and isinstance(answer.get("message"), str):
        return str(answer["message"])[:200]
    return "no message"
