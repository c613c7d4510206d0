"""Listing a merchant's checkouts page by page, with a cursor the client cannot bend to another query."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from halotap.app.ports import CheckoutIndex, Secrets
from halotap.domain import cursors
from halotap.domain.errors import InvalidCursor, MerchantNotFound
from halotap.domain.models import Checkout
from halotap.domain.parties import Caller
from halotap.domain.views import checkout_view

if TYPE_CHECKING:
    from halotap.domain.listing import CheckoutListQuery


@dataclass(frozen=True)
class CheckoutPage:
    checkouts: list[Checkout]
    next_cursor: str | None

    def to_api(self) -> dict[str, Any]:
        return {
            "data": [checkout_view(checkout) for checkout in self.checkouts],
            "nextCursor": self.next_cursor,
        }


@dataclass
class CheckoutListing:
    index: CheckoutIndex
    secret_store: Secrets

    def page(self, caller: Caller, query: CheckoutListQuery, cursor: str | None = None) -> CheckoutPage:
        # A merchant outside the key's scope is "not found", as a checkout of it would be.
        if not caller.may_use(query.merchant_id):
            raise MerchantNotFound(f"merchant {query.merchant_id!r} is not available to this API key")
        key = self.secret_store.cursor_key()
        binding = query.binding(caller.client_id)
        after = _position(cursors.unseal(key, binding, cursor)) if cursor else None
        checkouts, last = self.index.by_merchant(
            query.merchant_id,
            statuses=tuple(status.value for status in query.status),
            window=query.window,
            limit=query.limit,
            after=after,
        )
        return CheckoutPage(checkouts, cursors.seal(key, binding, last) if last else None)


def _position(sealed: dict[str, Any]) -> dict[str, str]:
    if not isinstance(sealed.get("id"), str) or not isinstance(sealed.get("createdAt"), str):
        raise InvalidCursor("the cursor was altered, or belongs to another API key or another query")
    return {"id": sealed["id"], "createdAt": sealed["createdAt"]}
