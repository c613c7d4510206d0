"""The checkout lifecycle: create, read, cancel, and apply Halo's outcomes. No AWS or HTTP detail here."""

from __future__ import annotations

import base64
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from halotap.errors import (
    CheckoutNotCancellable,
    CheckoutNotFound,
    ConcurrentUpdate,
    HalotapError,
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
from halotap.secrets import SecretStore
from halotap.states import CheckoutStatus, Decision, Verdict, can_cancel, decide
from halotap.store import CheckoutStore

logger = logging.getLogger(__name__)

MAX_HISTORY = (
    50  # anomalies beyond this are logged and counted but not stored: a forged flood cannot grow the item
)
MAX_RACES = 5


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
    """The seam where a reported outcome is checked with Halo before it is applied."""

    def confirm(self, checkout: Checkout, reported: ReportedOutcome) -> ReportedOutcome | None: ...


class TrustReported:
    """Applies what the webhook says. Replaced by confirmation against Halo's status endpoint."""

    def confirm(self, checkout: Checkout, reported: ReportedOutcome) -> ReportedOutcome | None:
        return reported


@dataclass(frozen=True)
class ApplyResult:
    verdict: Verdict
    checkout: Checkout
    decision: Decision
    anomaly_stored: bool = False


@dataclass
class CheckoutService:
    store: CheckoutStore
    halo: HaloClient
    secret_store: SecretStore
    confirmer: OutcomeConfirmer = field(default_factory=TrustReported)
    clock: Callable[[], datetime] = utc_now
    new_id: Callable[[], str] = new_checkout_id

    # -- create -----------------------------------------------------------------------------------
    def create(self, caller: Caller, client_request: CreateCheckoutRequest) -> CheckoutCreated:
        if not caller.may_use(client_request.merchant_id):
            raise MerchantNotFound(
                f"merchant {client_request.merchant_id!r} is not available to this API key"
            )
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
            is_consumer_app=client_request.is_consumer_app,
            metadata=client_request.metadata,
            expires_at=iso(now + timedelta(seconds=client_request.expires_in_seconds)),
            created_at=iso(now),
            updated_at=iso(now),
            history=(HistoryEntry(at=iso(now), type="created", source="api", to_status="creating"),),
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
            opened_at = iso(self.clock())
            opened = self.store.update(
                checkout,
                {
                    "status": CheckoutStatus.OPEN.value,
                    "deepLink": link.url,
                    "haloReference": link.reference,
                    "updatedAt": opened_at,
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
            self._abandon(checkout, error)
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

    def _abandon(self, checkout: Checkout, error: HalotapError) -> None:
        """Close a checkout whose deep link never reached the PSP, and free its reference for a retry."""
        at = iso(self.clock())
        try:
            self.store.update(
                checkout,
                {
                    "status": CheckoutStatus.FAILED.value,
                    "updatedAt": at,
                    "failure": Failure(code=error.code, detail=error.detail).model_dump(by_alias=True),
                },
                [
                    HistoryEntry(
                        at=at,
                        type="creation_failed",
                        source="api",
                        from_status="creating",
                        to_status="failed",
                        detail=error.code,
                    )
                ],
            )
            self.store.release_reference(checkout)
        except HalotapError:
            logger.exception(
                "could not close a checkout whose creation failed; it stays 'creating'",
                extra={"checkoutId": checkout.id},
            )
        logger.warning(
            "checkout creation failed",
            extra={"checkoutId": checkout.id, "code": error.code, "detail": error.detail},
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
            at = iso(self.clock())
            try:
                return self.store.update(
                    checkout,
                    {"status": CheckoutStatus.CANCELLED.value, "updatedAt": at},
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

    def apply(self, checkout: Checkout, reported: ReportedOutcome, source: str) -> ApplyResult | None:
        """Apply an outcome with a conditional write; on a lost race, re-read and decide again.

        Returns None when confirmation says there is nothing final to apply yet.
        """
        confirmed = self.confirmer.confirm(checkout, reported)
        if confirmed is None:
            return None
        for _ in range(MAX_RACES):
            decision = decide(checkout.status, confirmed.disposition)
            try:
                return self._write(checkout, confirmed, decision, source)
            except ConcurrentUpdate:
                fresh = self.store.get(checkout.id)
                assert fresh is not None  # checkouts are never deleted while events can arrive
                checkout = fresh
        raise ConcurrentUpdate(f"checkout {checkout.id} is changing too fast; the event will be retried")

    def _write(
        self, checkout: Checkout, outcome: ReportedOutcome, decision: Decision, source: str
    ) -> ApplyResult:
        at = iso(self.clock())
        disposition = outcome.disposition.value
        if decision.verdict in (Verdict.REPEAT, Verdict.STALE):
            return ApplyResult(decision.verdict, checkout, decision)
        if decision.verdict == Verdict.ANOMALY:
            seen = any(e.type == "anomaly" and e.disposition == disposition for e in checkout.history)
            if seen or len(checkout.history) >= MAX_HISTORY:
                return ApplyResult(decision.verdict, checkout, decision)
            entry = HistoryEntry(
                at=at, type="anomaly", source=source, disposition=disposition, detail=decision.reason
            )
            return ApplyResult(decision.verdict, self.store.update(checkout, {}, [entry]), decision, True)
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
        return ApplyResult(decision.verdict, self.store.update(checkout, changes, [entry]), decision)
