"""What the simulator remembers: its transactions, refunds, ledger, request log, faults and settings.

One `SimState` behind one lock, changed by the Halo API (what halotap calls) and by the control API
(what a test calls). Neither keeps state of its own.
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal

from devstack.halo_sim.ledger import Ledger, LedgerRecord, charged_fee
from devstack.halo_sim.wire import ControlError, Json, amount_text, now
from devstack.http_server import FaultQueue

# Memory bounds for a long-running devstack (devstack/README.md, "Bounds"): the newest entries are kept.
MAX_LOGGED_REQUESTS = 1000
MAX_DELIVERIES_PER_TRANSACTION = 100
FAULT_MODES = ("timeout", "error500", "malformed", "slow", "applyThenTimeout", "statusUnknown500")
# Modes that make sense for one kind of call only: a refund applied then its answer lost, and the HTTP 500
# with error 201 Halo answers for a transaction it cannot find yet (halo-api-facts.md, "Status lookups").
FAULT_CALLS = {"applyThenTimeout": "refund", "statusUnknown500": "status"}
LINK_STATUSES = (200, 201)  # Halo's docs say 200; Halo's own app treats only 201 as success
CALL_KINDS = ("create", "status", "refund", "history")  # a fault may be aimed at one kind of Halo call


@dataclass
class Transaction:
    reference: str
    merchant_id: str
    payment_reference: str
    amount: Decimal
    currency: str
    endpoint: str
    url: str
    transaction_id: str = field(default_factory=lambda: str(uuid.uuid4()))  # Halo's backend transaction id
    consumer_id: str = field(default_factory=lambda: str(uuid.uuid4()))  # the webhook's `id`
    user_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    device_installation_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    created_at: str = field(default_factory=now)
    updated_at: str = field(default_factory=now)
    disposition: str | None = None
    authorisation_code: str | None = None
    payment_provider_reference: str = field(default_factory=lambda: secrets.token_hex(8))
    webhook_url: str | None = None
    webhook_deliveries: deque[Json] = field(
        default_factory=lambda: deque(maxlen=MAX_DELIVERIES_PER_TRANSACTION)
    )
    webhooks_pending: int = 0  # sends accepted by the control API whose outcome is not recorded yet
    approved_at: float | None = None  # monotonic time of the approval, for the refund window
    refunded: Decimal = Decimal(0)
    ledger_record: LedgerRecord | None = None  # from the first tap on: its record in the ledger

    def tap(self, disposition: str) -> None:
        self.disposition = disposition
        approved = disposition == "Approved"
        self.approved_at = time.monotonic() if approved else None
        self.authorisation_code = secrets.token_hex(4).upper() if approved else None
        self.payment_provider_reference = secrets.token_hex(8)
        self.updated_at = now()

    def status_view(self) -> Json:
        tapped = self.disposition is not None
        return {
            "qrCodeState": "ResponseReceivedByPhone" if tapped else "QRCodeGenerated",
            "transactionId": self.transaction_id,
            "merchantTransactionReference": self.payment_reference,
            "userId": self.user_id,
            "status": "AcknowledgedByPhone" if tapped else "RequestReceived",
            "disposition": self.disposition,
            "amount": amount_text(self.amount),
            "currency": self.currency,
            "type": "Purchase",
            "responseCode": None if not tapped else ("0" if self.disposition == "Approved" else "05"),
            "authorisationCode": self.authorisation_code,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "paymentReference": self.payment_reference,
        }

    def webhook_payload(self) -> Json:
        payload: Json = {
            "id": self.consumer_id,
            "merchantReference": self.payment_reference,
            "disposition": self.disposition,
            "paymentProviderReference": self.payment_provider_reference,
            "authorisationCode": self.authorisation_code,
            "amount": float(self.amount),  # Halo documents the webhook amount as a number
            "currency": self.currency,
            "haloReference": self.transaction_id,  # as documented: the backend transaction id
            "deviceInstallationId": self.device_installation_id,
        }
        if self.ledger_record is not None:  # the same keys and fee as the ledger shows for it
            payload["paymentProviderFields"] = self.ledger_record.provider_fields()
            payload["transactionFee"] = str(self.ledger_record.fee)
        if payload["authorisationCode"] is None:
            del payload["authorisationCode"]
        return payload


class SimState:
    """The simulator's memory. Every read or change of it holds `lock`."""

    def __init__(self, merchants: dict[str, str], webhook_url: str | None, halo_env: str) -> None:
        self.lock = threading.Lock()
        self.merchants = dict(merchants)  # x-api-key -> merchantId
        self.webhook_url = webhook_url
        self.halo_env = halo_env  # names the applink URL's hosts, as Halo's environment does
        self.transactions: dict[str, Transaction] = {}  # Halo's link reference -> its transaction
        self.references: set[tuple[str, str]] = set()  # (merchantId, paymentReference)
        self.requests: deque[Json] = deque(maxlen=MAX_LOGGED_REQUESTS)
        self.refunds: dict[str, Json] = {}  # refundReference -> the refund Halo made
        self.ledger = Ledger()  # GET /transactions: taps, approved refunds, and planted records
        self.refund_window: float | None = None  # seconds after an approval; later refunds answer 212
        self.faults = FaultQueue()  # of {"mode", "count", "calls"?}
        self.link_status = 200  # the HTTP status of a created deep link

    def transaction(self, reference: str) -> Transaction:
        """Looks up a transaction by its link reference. Call with the lock held."""
        tx = self.transactions.get(reference)
        if tx is None:
            raise ControlError(404, f"unknown reference {reference}")
        return tx

    def record_tap(self, tx: Transaction) -> None:
        """The tap's record in the ledger: added on the first tap, its disposition and fee kept up to date
        on another (Halo keeps one record per transaction). Call with the lock held."""
        fee = charged_fee("Purchase", tx.disposition or "", tx.amount, tx.currency)
        if tx.ledger_record is not None:
            tx.ledger_record.disposition = tx.disposition or ""
            tx.ledger_record.fee = fee
            return
        tx.ledger_record = LedgerRecord(
            id=tx.transaction_id,
            merchant_id=tx.merchant_id,
            merchant_reference=tx.payment_reference,
            transaction_type="Purchase",
            disposition=tx.disposition or "",
            amount=tx.amount,
            currency=tx.currency,
            created_at=tx.updated_at,
            fee=fee,
        )
        self.ledger.add(tx.ledger_record)

    def reset(self) -> None:
        """Forgets everything but the merchants and the webhook URL. Call with the lock held."""
        self.transactions.clear()
        self.references.clear()
        self.requests.clear()
        self.faults.clear()
        self.refunds.clear()
        self.ledger.clear()
        self.refund_window = None
        self.link_status = 200

    def config_view(self) -> Json:
        """Call with the lock held."""
        return {
            "webhookUrl": self.webhook_url,
            "refundWindowSeconds": self.refund_window,
            "linkSuccessStatus": self.link_status,
            "merchantIds": sorted(set(self.merchants.values())),
        }
