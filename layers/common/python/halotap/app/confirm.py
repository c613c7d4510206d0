"""Halo is the source of truth: a webhook's outcome is applied only as Halo's status endpoint confirms it.

Halo's webhook carries no signature, so anyone who learns the URL could claim "Approved". Before an
outcome is recorded, halotap reads the transaction from Halo with the merchant's own key and applies
what Halo says. Every field where the webhook and Halo (or the checkout) disagree is reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal

from halotap.app.ports import Halo, Secrets
from halotap.domain.halo import ReportedOutcome
from halotap.domain.models import Checkout


@dataclass(frozen=True)
class Confirmation:
    outcome: ReportedOutcome | None  # None while Halo shows nothing final (or does not know the payment)
    mismatches: dict[str, tuple[str, str]] = field(
        default_factory=dict
    )  # field -> (claimed, Halo or checkout)

    def describe(self) -> str:
        return "; ".join(
            f"{name}: webhook {claimed}, Halo {actual}"
            for name, (claimed, actual) in sorted(self.mismatches.items())
        )


def _same_amount(left: Decimal | None, right: Decimal | None) -> bool:
    return left is None or right is None or left == right


class ConfirmWithHalo:
    """The only confirmer: production and every test of the apply path read Halo's own status."""

    def __init__(self, halo: Halo, secret_store: Secrets) -> None:
        self._halo = halo
        self._secrets = secret_store

    def confirm(
        self, checkout: Checkout, reported: ReportedOutcome, halo_reference: str | None = None
    ) -> Confirmation:
        """`halo_reference`: the attempt the webhook is about (domain/attempts.py); else the current one."""
        reference = halo_reference or checkout.halo_reference
        if not reference:
            return Confirmation(None)
        merchant = self._secrets.merchant(checkout.merchant_id)
        transaction = self._halo.transaction(merchant, reference)
        if transaction is None or transaction.disposition is None:
            return Confirmation(None)
        mismatches: dict[str, tuple[str, str]] = {}
        if reported.disposition != transaction.disposition:
            mismatches["disposition"] = (reported.disposition.value, transaction.disposition.value)
        if not _same_amount(reported.amount, transaction.amount):
            mismatches["amount"] = (str(reported.amount), str(transaction.amount))
        if reported.currency and transaction.currency and reported.currency != transaction.currency:
            mismatches["currency"] = (reported.currency, transaction.currency)
        # Halo's own figures must also be the checkout's: an approval of another amount is not this payment.
        if not _same_amount(Decimal(checkout.amount), transaction.amount):
            mismatches["checkoutAmount"] = (checkout.amount, str(transaction.amount))
        confirmed = replace(
            reported,
            halo_transaction_id=transaction.transaction_id or reported.halo_transaction_id,
            disposition=transaction.disposition,
            authorisation_code=transaction.authorisation_code or reported.authorisation_code,
            response_code=transaction.response_code,
            amount=transaction.amount,
            currency=transaction.currency,
            error_code=transaction.error_code or reported.error_code,
        )
        return Confirmation(confirmed, mismatches)
