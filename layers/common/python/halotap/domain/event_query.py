"""What a PSP may ask GET /v1/events for: after a cursor (none: from the oldest kept), a page size, optional
event types. Validated by pydantic's core alone, as the request bodies are (domain/requests.py): a bad
query fails with pydantic's `ValidationError`, at the same locations and in the same words as the
`BaseModel` it replaces, without pydantic's Python layer on the events handler's cold start (about a
third of an `import boto3`; docs/performance.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic_core import CoreConfig, SchemaValidator
from pydantic_core import core_schema as cs

from halotap.domain.cursors import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from halotap.domain.notifications import ALL_EVENT_TYPES

# Every type the feed can hold. An unknown one is refused, as an unknown checkout status is: a filter that
# can match nothing is a typo, and answering an empty page would hide it.
KNOWN_EVENT_TYPES = ALL_EVENT_TYPES


def _known_event_type(value: str) -> str:
    if value not in KNOWN_EVENT_TYPES:
        allowed = ", ".join(repr(known) for known in KNOWN_EVENT_TYPES)
        raise ValueError(f"Input should be one of {allowed}")
    return value


_VALIDATOR = SchemaValidator(
    cs.typed_dict_schema(
        {
            "after": cs.typed_dict_field(
                cs.nullable_schema(cs.str_schema(min_length=1, max_length=512)), required=False
            ),
            "limit": cs.typed_dict_field(cs.int_schema(ge=1, le=MAX_PAGE_SIZE), required=False),
            "type": cs.typed_dict_field(
                cs.list_schema(cs.no_info_after_validator_function(_known_event_type, cs.str_schema())),
                required=False,
            ),
        },
        extra_behavior="forbid",
    ),
    CoreConfig(extra_fields_behavior="forbid"),
)


@dataclass(frozen=True)
class EventListQuery:
    after: str | None = None
    limit: int = DEFAULT_PAGE_SIZE
    type: tuple[str, ...] = ()

    @classmethod
    def validate(cls, query: Mapping[str, Any]) -> EventListQuery:
        """The query's parameters (the list's `type` repeated), or pydantic_core's ValidationError naming each."""
        valid = _VALIDATOR.validate_python(dict(query))
        types: Sequence[str] = valid.get("type", ())
        return cls(valid.get("after"), valid.get("limit", DEFAULT_PAGE_SIZE), tuple(types))
