"""The checkout lifecycle: create, read, cancel, expire, and the outbox every status change fills. No AWS or HTTP here."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from halotap.app.ports import CheckoutRepository, EventRecorder, Halo, Queue, Secrets
from halotap.app.races import retry_on_conflict
from halotap.domain import timing
from halotap.domain.attempts import first_attempt
from halotap.domain.clock import iso, utc_now
from halotap.domain.errors import (
    CheckoutNotCancellable,
    CheckoutNotFound,
    ConcurrentUpdate,
    CurrencyNotSupported,
    HalotapError,
    InvalidRequest,
    MerchantNotFound,
)
from halotap.domain.events import event_from_checkout
from halotap.domain.ids import is_checkout_id, new_checkout_id
from halotap.domain.models import Checkout, Failure, HistoryEntry
from halotap.domain.notifications import (
    NotificationMessage,
    marked,
    notification_body,
    outbox_changes,
    pending_events,
)
from halotap.domain.parties import Caller
from halotap.domain.ssrf import UnsafeUrl
from halotap.domain.states import CheckoutStatus, Disposition, can_cancel
from halotap.domain.views import CheckoutCreated
from halotap.domain.watch import final_changes, next_due

if TYPE_CHECKING:
    from halotap.domain.requests import CreateCheckoutRequest

logger = logging.getLogger(__name__)


@dataclass
class CheckoutService:
    """Create, read and cancel checkouts, and the writes that reconciliation and Halo's outcomes share."""

    store: CheckoutRepository
    halo: Halo
    secret_store: Secrets
    notifications: Queue
    url_guard: Callable[[str], None]  # the SSRF guard for a per-checkout notificationUrl
    events: EventRecorder  # the clients' event feeds (GET /v1/events): every notification is also an event
    check_backoff: tuple[int, ...] = timing.RECONCILE_BACKOFF
    watch_schedule: tuple[int, ...] = timing.WATCH_SCHEDULE  # asking Halo again after final (domain/watch.py)
    attention_after: timedelta = timing.INDETERMINATE_ATTENTION_AFTER
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
        if not merchant.takes(client_request.currency):
            # Halo would take the call and fail later, or not at all: refuse before anything is stored.
            raise CurrencyNotSupported(
                f"merchant {merchant.merchant_id!r} takes {', '.join(merchant.currencies)}, "
                f"not {client_request.currency}",
                currencies=list(merchant.currencies),
            )
        now = self.clock()
        checkout = Checkout(
            id=self.new_id(),
            client_id=caller.client_id,
            merchant_id=client_request.merchant_id,
            merchant_name=merchant.display_name,
            merchant_locale=merchant.locale,
            reference=client_request.reference,
            amount=str(client_request.money),
            currency=client_request.currency,
            status=CheckoutStatus.CREATING,
            return_url=client_request.return_url,
            notification_url=client_request.notification_url,
            fallback_url=client_request.fallback_url,
            locale=client_request.locale,
            is_consumer_app=client_request.is_consumer_app,
            metadata=client_request.metadata,
            wants_qr_code=client_request.qr_code,
            max_attempts=client_request.max_attempts or 1,
            expires_at=iso(now + timedelta(seconds=client_request.expires_in_seconds)),
            created_at=iso(now),
            updated_at=iso(now),
            history=(HistoryEntry(at=iso(now), type="created", source="api", to_status="creating"),),
            due_at=iso(now + timing.CREATING_TIMEOUT),  # found by reconciliation if this call never finishes
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
            opened = self.store.save(
                checkout,
                checkout.but(
                    status=CheckoutStatus.OPEN,
                    deep_link=link.url,
                    halo_reference=link.reference,
                    attempts=(first_attempt(checkout.id, link, opened_at),),
                    updated_at=opened_at,
                    due_at=iso(moment + timedelta(seconds=self.check_backoff[0])),
                ),
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
            # Name the checkout this left failed, so the PSP can find it (GET /v1/checkouts/{id}).
            error.extensions.setdefault("checkoutId", checkout.id)
            raise
        qr_code = None
        if client_request.qr_code:
            from halotap.domain.qr import svg_data_uri

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
            self.store.save(
                checkout,
                checkout.but(
                    status=CheckoutStatus.FAILED,
                    updated_at=at,
                    due_at=None,
                    failure=Failure(code=code, detail=detail),
                ),
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
        checkout = self.store.get(checkout_id) if is_checkout_id(checkout_id) else None
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

    def for_shopper(self, checkout_id: str) -> Checkout | None:
        """The hosted page's read: one GetItem with no caller scope, since whoever holds the link may pay."""
        return self.store.get(checkout_id) if is_checkout_id(checkout_id) else None

    # -- cancel -----------------------------------------------------------------------------------
    def cancel(self, caller: Caller, checkout_id: str) -> Checkout:
        def attempt(checkout: Checkout) -> Checkout:
            if not can_cancel(checkout.status):
                raise CheckoutNotCancellable(
                    f"checkout {checkout_id} is {checkout.status.value}", currentStatus=checkout.status.value
                )
            moment = self.clock()
            at = iso(moment)
            cancelled = checkout.but(
                status=CheckoutStatus.CANCELLED,
                updated_at=at,
                **self.final_changes(checkout, CheckoutStatus.CANCELLED, None, moment),
                **outbox_changes(checkout, CheckoutStatus.CANCELLED, moment),
            )
            entry = HistoryEntry(
                at=at, type="status_changed", source="api", from_status="open", to_status="cancelled"
            )
            return self.store.save(checkout, cancelled, [entry])

        # A webhook that wins the race is read again and decided again: it may have made cancelling moot.
        cancelled = retry_on_conflict(
            self.get(caller, checkout_id),
            attempt,
            self.store.get,
            gave_up=f"checkout {checkout_id} is changing too fast; retry",
        )
        return self.publish(cancelled)

    # -- reconciliation's writes -------------------------------------------------------------------
    def final_changes(
        self, checkout: Checkout, status: CheckoutStatus, disposition: Disposition | None, at: datetime
    ) -> dict[str, Any]:
        """What a change to a final status writes beside it: the watch after final and, for an
        Indeterminate outcome, the deadline by which a person must look (domain/watch.py)."""
        return final_changes(
            checkout,
            status,
            disposition,
            at,
            schedule=self.watch_schedule,
            attention_after=self.attention_after,
        )

    def expire(self, checkout: Checkout) -> Checkout:
        moment = self.clock()
        at = iso(moment)
        entry = HistoryEntry(
            at=at,
            type="status_changed",
            source="reconcile",
            from_status=checkout.status.value,
            to_status="expired",
        )
        expired = checkout.but(
            status=CheckoutStatus.EXPIRED,
            updated_at=at,
            **self.final_changes(checkout, CheckoutStatus.EXPIRED, None, moment),
            **outbox_changes(checkout, CheckoutStatus.EXPIRED, moment),
        )
        return self.publish(self.store.save(checkout, expired, [entry]))

    # -- the outbox ------------------------------------------------------------------------------
    def publish(self, checkout: Checkout) -> Checkout:
        """Record the checkout's pending notifications as events, queue them, then mark them queued and take
        the checkout off the due index.

        Each event is placed in its client's feed before it is queued, so whatever the PSP is sent it can
        also pull; a second publish of the same event finds it recorded and queues that same body. Any
        failure here is logged and left: the entries stay `pending` and the checkout stays due, so
        reconciliation queues them on its next run. The change itself is already safe in DynamoDB.
        """
        events = pending_events(checkout)
        if not events:
            return checkout
        try:
            for event in events:
                body = notification_body(checkout, event, self.clock())
                recorded = self.events.record(
                    event_from_checkout(checkout.id, checkout.client_id, event, body)
                )
                self.notifications.send(NotificationMessage.of_event(recorded, replay=False).to_json())
            queued = checkout.but(notifications=marked(checkout, events, "queued"))
            if checkout.status.is_final:
                # None unless a refund awaits its retry, a watch check is due or an Indeterminate its deadline
                queued = queued.but(due_at=next_due(checkout))
            return self.store.save(checkout, queued)
        except ConcurrentUpdate:
            # An expected race (a duplicate webhook, reconciliation), not a fault: one line, no traceback.
            logger.info(
                "notifications queued, but the checkout changed before they were marked queued; "
                "reconciliation settles them on its next run",
                extra={"checkoutId": checkout.id, "events": events},
            )
            return checkout
        except Exception:  # the sweep is the retry; nothing may undo the committed change
            logger.warning(
                "notification not queued yet; reconciliation will",
                extra={"checkoutId": checkout.id},
                exc_info=True,
            )
            return checkout

    def reschedule(self, checkout: Checkout, due_at: datetime) -> Checkout:
        return self.store.save(checkout, checkout.but(due_at=iso(due_at), checks=checkout.checks + 1))
