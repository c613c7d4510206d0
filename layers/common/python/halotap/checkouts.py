"""The checkout lifecycle: create, read, cancel, and apply Halo's outcomes. No AWS or HTTP detail here."""

from __future__ import annotations

import base64
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from halotap.confirm import Confirmation, TrustReported
from halotap.errors import (
    CheckoutNotCancellable,
    CheckoutNotFound,
    ConcurrentUpdate,
    HalotapError,
    InvalidRequest,
    MerchantNotFound,
)
from halotap.halo import HaloClient
from halotap.halo_events import ReportedOutcome
from halotap.models import (
    Checkout,
    CheckoutCreated,
    CreateCheckoutRequest,
    Failure,
    HistoryEntry,
    Outcome,
    iso,
    utc_now,
)
from halotap.notify import NotificationQueue, message, outbox_changes, pending_events
from halotap.secrets import SecretStore
from halotap.ssrf import UnsafeUrl, check_url
from halotap.states import CheckoutStatus, Decision, Verdict, can_cancel, decide
from halotap.store import CheckoutStore

logger = logging.getLogger(__name__)

# Anomalies beyond this many history entries are logged and counted, not stored: a forged flood cannot grow the item.
MAX_HISTORY = 50
MAX_RACES = 5
CREATING_TIMEOUT = timedelta(seconds=60)  # a checkout still `creating` after this lost its Lambda mid-call
# When reconciliation asks Halo about an open checkout: this long after opening, then after each gap in turn
# (the last one repeating), never past expiry plus grace. HALOTAP_RECONCILE_BACKOFF overrides it.
DEFAULT_CHECK_BACKOFF = (30, 60, 120, 300, 600)


def new_checkout_id() -> str:
    """`chk_` and 128 random bits in base32: unguessable, URL-safe, and usable as Halo's paymentReference."""
    return "chk_" + base64.b32encode(secrets.token_bytes(16)).decode().rstrip("=").lower()


@dataclass(frozen=True)
class Caller:
    """The authenticated PSP client, as the authorizer described it."""

    client_id: str
    merchants: frozenset[str] | None  # None: all merchants

    def may_use(self, merchant_id: str) -> bool:
        return self.merchants is None or merchant_id in self.merchants

    @classmethod
    def from_authorizer(cls, context: dict[str, Any]) -> Caller:
        merchants = str(context.get("merchants", ""))
        allowed = None if merchants == "*" else frozenset(m for m in merchants.split(",") if m)
        return cls(client_id=str(context["clientId"]), merchants=allowed)


class OutcomeConfirmer(Protocol):
    """The seam where a reported outcome is checked with Halo before it is applied (see confirm.py)."""

    def confirm(self, checkout: Checkout, reported: ReportedOutcome) -> Confirmation: ...


@dataclass(frozen=True)
class ApplyResult:
    verdict: Verdict
    checkout: Checkout
    decision: Decision
    mismatches: dict[str, tuple[str, str]] = field(default_factory=dict)


@dataclass
class CheckoutService:
    store: CheckoutStore
    halo: HaloClient
    secret_store: SecretStore
    confirmer: OutcomeConfirmer = field(default_factory=TrustReported)
    creating_timeout: timedelta = CREATING_TIMEOUT
    check_backoff: tuple[int, ...] = DEFAULT_CHECK_BACKOFF
    notifications: NotificationQueue | None = None
    url_guard: Callable[[str], None] = check_url  # SSRF guard for a per-checkout notificationUrl
    clock: Callable[[], datetime] = utc_now
    new_id: Callable[[], str] = new_checkout_id

    # -- create -----------------------------------------------------------------------------------
    def create(self, caller: Caller, client_request: CreateCheckoutRequest) -> CheckoutCreated:
        if not caller.may_use(client_request.merchant_id):
            raise MerchantNotFound(
                f"merchant {client_request.merchant_id!r} is not available to this API key"
            )
        if client_request.notification_url:
            try:
                self.url_guard(client_request.notification_url)
            except UnsafeUrl as error:
                raise InvalidRequest(
                    f"notificationUrl: {error}",
                    errors=[{"field": "notificationUrl", "message": str(error)}],
                ) from None
        merchant = self.secret_store.merchant(client_request.merchant_id)
        now = self.clock()
        checkout = Checkout(
            id=self.new_id(),
            client_id=caller.client_id,
            merchant_id=client_request.merchant_id,
            reference=client_request.reference,
            amount=str(client_request.money),
            currency=client_request.currency,
            status=CheckoutStatus.CREATING,
            return_url=client_request.return_url,
            notification_url=client_request.notification_url,
            is_consumer_app=client_request.is_consumer_app,
            metadata=client_request.metadata,
            expires_at=iso(now + timedelta(seconds=client_request.expires_in_seconds)),
            created_at=iso(now),
            updated_at=iso(now),
            history=(HistoryEntry(at=iso(now), type="created", source="api", to_status="creating"),),
            due_at=iso(now + self.creating_timeout),  # found by reconciliation if this call never finishes
        )
        # Stored before Halo is called, so a crash mid-call leaves a record to find, never a silent orphan.
        self.store.insert(checkout)
        try:
            link = self.halo.create_deep_link(
                merchant,
                payment_reference=checkout.id,
                money=client_request.money,
                is_consumer_app=client_request.is_consumer_app,
                want_qr=client_request.qr_code,
            )
            moment = self.clock()
            opened_at = iso(moment)
            opened = self.store.update(
                checkout,
                {
                    "status": CheckoutStatus.OPEN.value,
                    "deepLink": link.url,
                    "haloReference": link.reference,
                    "updatedAt": opened_at,
                    "dueAt": iso(moment + timedelta(seconds=self.check_backoff[0])),
                },
                [
                    HistoryEntry(
                        at=opened_at,
                        type="status_changed",
                        source="api",
                        from_status="creating",
                        to_status="open",
                    )
                ],
            )
        except HalotapError as error:
            self.abandon(checkout, error.code, error.detail)
            raise
        qr_code = None
        if client_request.qr_code:
            from halotap.qr import svg_data_uri

            qr_code = link.qr_code or svg_data_uri(link.url)
        logger.info(
            "checkout opened",
            extra={
                "checkoutId": opened.id,
                "merchantId": opened.merchant_id,
                "haloReference": opened.halo_reference,
            },
        )
        return CheckoutCreated.of(opened, qr_code)

    def abandon(self, checkout: Checkout, code: str, detail: str, source: str = "api") -> None:
        """Close a checkout whose deep link never reached the PSP, and free its reference for a retry.

        If this write fails too, the checkout stays `creating` and due, and reconciliation closes it.
        """
        at = iso(self.clock())
        try:
            self.store.update(
                checkout,
                {
                    "status": CheckoutStatus.FAILED.value,
                    "updatedAt": at,
                    "dueAt": None,
                    "failure": Failure(code=code, detail=detail).model_dump(by_alias=True),
                },
                [
                    HistoryEntry(
                        at=at,
                        type="creation_failed",
                        source=source,
                        from_status="creating",
                        to_status="failed",
                        detail=code,
                    )
                ],
            )
            self.store.release_reference(checkout)
        except HalotapError:
            logger.exception(
                "could not close a checkout whose creation failed; reconciliation will",
                extra={"checkoutId": checkout.id},
            )
        logger.warning(
            "checkout creation failed", extra={"checkoutId": checkout.id, "code": code, "detail": detail}
        )

    # -- read -------------------------------------------------------------------------------------
    def get(self, caller: Caller, checkout_id: str) -> Checkout:
        checkout = self.store.get(checkout_id) if checkout_id.startswith("chk_") else None
        # Another client's checkout is "not found", never "forbidden": a 403 would confirm it exists.
        if checkout is None or not caller.may_use(checkout.merchant_id):
            raise CheckoutNotFound(f"no checkout {checkout_id!r}")
        return checkout

    def find(self, caller: Caller, merchant_id: str, reference: str) -> Checkout:
        checkout_id = (
            self.store.checkout_id_for_reference(merchant_id, reference)
            if caller.may_use(merchant_id)
            else None
        )
        if checkout_id is None:
            raise CheckoutNotFound(f"no checkout with reference {reference!r} for merchant {merchant_id!r}")
        return self.get(caller, checkout_id)

    # -- cancel -----------------------------------------------------------------------------------
    def cancel(self, caller: Caller, checkout_id: str) -> Checkout:
        for _ in range(MAX_RACES):
            checkout = self.get(caller, checkout_id)
            if not can_cancel(checkout.status):
                raise CheckoutNotCancellable(
                    f"checkout {checkout_id} is {checkout.status.value}", currentStatus=checkout.status.value
                )
            moment = self.clock()
            at = iso(moment)
            changes = {
                "status": CheckoutStatus.CANCELLED.value,
                "updatedAt": at,
                **outbox_changes(checkout, CheckoutStatus.CANCELLED, moment),
            }
            try:
                cancelled = self.store.update(
                    checkout,
                    changes,
                    [
                        HistoryEntry(
                            at=at,
                            type="status_changed",
                            source="api",
                            from_status="open",
                            to_status="cancelled",
                        )
                    ],
                )
            except ConcurrentUpdate:
                continue  # a webhook won the race; read again and decide again
            return self.publish(cancelled)
        raise ConcurrentUpdate(f"checkout {checkout_id} is changing too fast; retry")

    # -- apply Halo's outcome ---------------------------------------------------------------------
    def locate(self, reported: ReportedOutcome) -> Checkout | None:
        """One GetItem by merchantReference (our checkout id); the haloReference index is the fallback."""
        if reported.merchant_reference and reported.merchant_reference.startswith("chk_"):
            checkout = self.store.get(reported.merchant_reference)
            if checkout is not None:
                return checkout
        for halo_reference in (reported.halo_reference, reported.halo_transaction_id):
            if halo_reference:
                checkout = self.store.find_by_halo_reference(halo_reference)
                if checkout is not None:
                    return checkout
        return None

    def apply(
        self, checkout: Checkout, reported: ReportedOutcome, source: str, *, from_halo: bool = False
    ) -> ApplyResult | None:
        """Apply an outcome with a conditional write; on a lost race, re-read and decide again.

        A reported outcome is first confirmed with Halo, unless it was read from Halo (`from_halo`).
        Returns None when Halo shows nothing final yet.
        """
        confirmation = Confirmation(reported) if from_halo else self.confirmer.confirm(checkout, reported)
        confirmed = confirmation.outcome
        if confirmed is None:
            return None
        for _ in range(MAX_RACES):
            decision = decide(checkout.status, confirmed.disposition)
            try:
                return self._write(checkout, confirmed, decision, source, confirmation)
            except ConcurrentUpdate:
                fresh = self.store.get(checkout.id)
                assert fresh is not None  # checkouts are never deleted while events can arrive
                checkout = fresh
        raise ConcurrentUpdate(f"checkout {checkout.id} is changing too fast; the event will be retried")

    def _write(
        self,
        checkout: Checkout,
        outcome: ReportedOutcome,
        decision: Decision,
        source: str,
        confirmation: Confirmation,
    ) -> ApplyResult:
        at = iso(self.clock())
        disposition = outcome.disposition.value
        mismatches = confirmation.mismatches
        anomalies = []
        if mismatches:
            # A webhook that disagrees with Halo is recorded once per distinct disagreement.
            detail = "mismatch: " + confirmation.describe()
            if not any(e.type == "anomaly" and e.detail == detail for e in checkout.history):
                anomalies.append(
                    HistoryEntry(at=at, type="anomaly", source=source, disposition=disposition, detail=detail)
                )
        if decision.verdict == Verdict.ANOMALY and not any(
            e.type == "anomaly" and e.detail == decision.reason for e in checkout.history
        ):
            anomalies.append(
                HistoryEntry(
                    at=at, type="anomaly", source=source, disposition=disposition, detail=decision.reason
                )
            )
        if decision.verdict != Verdict.TRANSITION:
            if not anomalies or len(checkout.history) >= MAX_HISTORY:
                return ApplyResult(decision.verdict, checkout, decision, mismatches=mismatches)
            updated = self.store.update(checkout, {}, anomalies)
            return ApplyResult(decision.verdict, updated, decision, mismatches)
        assert decision.new_status is not None
        changes: dict[str, Any] = {
            "status": decision.new_status.value,
            "updatedAt": at,
            "outcome": Outcome(
                disposition=disposition,
                authorisation_code=outcome.authorisation_code,
                response_code=outcome.response_code,
                halo_transaction_id=outcome.halo_transaction_id,
                payment_provider_reference=outcome.payment_provider_reference,
                decided_at=at,
            ).model_dump(mode="json", by_alias=True, exclude_none=True),
        }
        if decision.replaced_status is not None:
            changes["replacedStatus"] = decision.replaced_status.value
        entry = HistoryEntry(
            at=at,
            type="status_changed",
            source=source,
            from_status=checkout.status.value,
            to_status=decision.new_status.value,
            disposition=disposition,
            detail=decision.reason or None,
        )
        changes.update(outbox_changes(checkout, decision.new_status, self.clock()))
        updated = self.publish(self.store.update(checkout, changes, [*anomalies, entry]))
        return ApplyResult(decision.verdict, updated, decision, mismatches)

    # -- reconciliation's writes -------------------------------------------------------------------
    def expire(self, checkout: Checkout) -> Checkout:
        at = iso(self.clock())
        entry = HistoryEntry(
            at=at,
            type="status_changed",
            source="reconcile",
            from_status=checkout.status.value,
            to_status="expired",
        )
        changes = {
            "status": CheckoutStatus.EXPIRED.value,
            "updatedAt": at,
            **outbox_changes(checkout, CheckoutStatus.EXPIRED, self.clock()),
        }
        return self.publish(self.store.update(checkout, changes, [entry]))

    # -- the outbox ------------------------------------------------------------------------------
    def publish(self, checkout: Checkout) -> Checkout:
        """Queue the checkout's pending notifications, then mark them queued and take it off the due index.

        Any failure here is logged and left: the entries stay `pending` and the checkout stays due, so
        reconciliation queues them on its next run. The change itself is already safe in DynamoDB.
        """
        events = pending_events(checkout)
        if not events or self.notifications is None:
            return checkout
        try:
            for event in events:
                self.notifications.send(message(checkout, event, self.clock()))
            changes: dict[str, Any] = {f"notifications.{event}.status": "queued" for event in events}
            if checkout.status.is_final:
                changes["dueAt"] = None
            return self.store.update(checkout, changes, [])
        except Exception:  # the sweep is the retry; nothing may undo the committed change
            logger.warning(
                "notification not queued yet; reconciliation will",
                extra={"checkoutId": checkout.id},
                exc_info=True,
            )
            return checkout

    def reschedule(self, checkout: Checkout, due_at: datetime) -> Checkout:
        return self.store.update(checkout, {"dueAt": iso(due_at), "checks": checkout.checks + 1}, [])
