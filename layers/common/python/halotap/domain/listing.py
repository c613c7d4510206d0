"""What a PSP may ask GET /v1/checkouts for: one merchant, optional statuses and creation window, a page size."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from halotap.domain.clock import iso
from halotap.domain.cursors import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

# GET /v1/events' query and the event types it accepts live in domain/event_query.py, with no pydantic
# model; re-exported here for the modules that import them from the listings.
from halotap.domain.event_query import KNOWN_EVENT_TYPES, EventListQuery
from halotap.domain.states import CheckoutStatus


class QueryModel(BaseModel):
    """A query string's parameters, camelCase; unknown ones are refused."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True)


class CheckoutListQuery(QueryModel):
    """The filters of one listing. A cursor is only valid for the same filters (see `binding`)."""

    merchant_id: Annotated[str, Field(min_length=1, max_length=64)]
    status: tuple[CheckoutStatus, ...] = ()
    created_from: AwareDatetime | None = None  # RFC 3339, inclusive
    created_to: AwareDatetime | None = None  # RFC 3339, inclusive
    limit: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE

    @model_validator(mode="after")
    def _window_is_ordered(self) -> CheckoutListQuery:
        if self.created_from and self.created_to and self.created_from > self.created_to:
            raise ValueError("createdFrom must not be after createdTo")
        return self

    @property
    def window(self) -> tuple[str | None, str | None]:
        """The window in the stored timestamps' own format, so it compares as the sort key does."""
        return _stamp(self.created_from), _stamp(self.created_to)

    def binding(self, client_id: str) -> str:
        """Who asked what: a cursor sealed for one binding opens for no other. The page size may change."""
        created_from, created_to = self.window
        return json.dumps(
            [client_id, self.merchant_id, sorted(s.value for s in self.status), created_from, created_to]
        )


def _stamp(moment: datetime | None) -> str | None:
    return iso(moment) if moment else None


__all__ = ["KNOWN_EVENT_TYPES", "CheckoutListQuery", "EventListQuery", "QueryModel"]
