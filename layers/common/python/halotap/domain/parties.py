"""Who is involved in a payment: the PSP client calling the API, and the merchant Halo pays.

Typed records whose repr never shows a secret part, and the constant-time checks on presented keys.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any

from halotap.domain.rate_limit import RateLimit

ALL_MERCHANTS = "*"
LATE_APPROVALS_KEEP = "keep"
LATE_APPROVALS_REFUND = "refund"


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
        allowed = None if merchants == ALL_MERCHANTS else frozenset(m for m in merchants.split(",") if m)
        return cls(client_id=str(context["clientId"]), merchants=allowed)


DEFAULT_CURRENCIES = ("ZAR",)


@dataclass(frozen=True)
class MerchantCredentials:
    """A merchant as its secret describes it: Halo's credentials and how shoppers see the merchant."""

    merchant_id: str
    halo_merchant_id: str
    api_key: str = field(repr=False)
    # What the hosted page shows. Merchants onboarded before displayName existed show their id.
    display_name: str = ""
    # The currencies this merchant's Halo account takes; halotap refuses others before calling Halo.
    currencies: tuple[str, ...] = DEFAULT_CURRENCIES
    locale: str | None = None  # a BCP 47 tag such as en-ZA; the page falls back to the shopper's

    @classmethod
    def parse(cls, merchant_id: str, record: dict[str, Any]) -> MerchantCredentials:
        currencies = record.get("currencies") or DEFAULT_CURRENCIES
        locale = record.get("locale")
        return cls(
            merchant_id=merchant_id,
            halo_merchant_id=str(record["haloMerchantId"]),
            api_key=str(record["apiKey"]),
            display_name=str(record.get("displayName") or merchant_id),
            currencies=tuple(str(c).upper() for c in currencies),
            locale=str(locale) if locale else None,
        )

    def takes(self, currency: str) -> bool:
        return currency in self.currencies


@dataclass(frozen=True)
class Client:
    """A PSP client of this deployment, as the clients secret describes it."""

    client_id: str
    key_hashes: tuple[str, ...] = field(repr=False)
    merchants: frozenset[str] | None  # None: every merchant
    notification_url: str | None = None
    signing_secrets: tuple[str, ...] = field(default=(), repr=False)
    # What to do with an approval that lands on a cancelled or expired checkout: keep it (the PSP refunds),
    # or refund it in full at once (domain/refunds.py, LATE_APPROVAL_REFERENCE).
    late_approvals: str = LATE_APPROVALS_KEEP
    rate_limit: RateLimit = field(default_factory=RateLimit)
    # The value of this client's API Gateway API key, which the authorizer returns as usageIdentifierKey so
    # that API Gateway meters the client under its usage plan (tools/usage_plans.py makes both).
    usage_key: str | None = field(default=None, repr=False)

    @property
    def refunds_late_approvals(self) -> bool:
        return self.late_approvals == LATE_APPROVALS_REFUND

    @classmethod
    def parse(cls, client_id: str, record: dict[str, Any]) -> Client:
        merchants = record.get("merchants", [])
        return cls(
            client_id=client_id,
            key_hashes=tuple(str(h).lower() for h in record.get("keyHashes", [])),
            merchants=None if merchants == ALL_MERCHANTS else frozenset(merchants),
            notification_url=record.get("notificationUrl"),
            signing_secrets=tuple(record.get("signingSecrets", [])),
            late_approvals=_late_approvals(record.get("lateApprovals")),
            rate_limit=RateLimit.parse(record.get("rateLimit")),
            usage_key=str(record["usageKey"]) if record.get("usageKey") else None,
        )


def _late_approvals(value: Any) -> str:
    # Anything but "refund" keeps the approval, the documented default: the PSP is told and can refund.
    # A bad value must not fail the whole clients record, which every API key is checked against.
    return LATE_APPROVALS_REFUND if value == LATE_APPROVALS_REFUND else LATE_APPROVALS_KEEP


def hash_api_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def find_client(api_key: str, clients: list[Client]) -> Client | None:
    """The client owning `api_key`. Compares every hash in constant time, so timing says nothing."""
    presented = hash_api_key(api_key)
    found = None
    for candidate in clients:
        for stored in candidate.key_hashes:
            if hmac.compare_digest(presented, stored) and found is None:
                found = candidate
    return found


def token_matches(presented: str, tokens: list[str]) -> bool:
    """Constant-time check of a webhook path token against every currently valid token."""
    matched = False
    for token in tokens:
        matched |= hmac.compare_digest(presented.encode(), token.encode())
    return matched
