"""A stored value's two forms: a frozen dataclass in the domain, a camelCase dict in the table and on the wire.

`Record.to_dict` and `Record.from_dict` convert between them, field by field; the entity's own rules
(domain/models.py) and the API's view (domain/views.py) build on that.
"""

from __future__ import annotations

from dataclasses import fields, replace
from decimal import Decimal
from enum import Enum
from typing import Any, Self, TypeVar

# A field's name in the table and on the wire, where it is not the camelCase of its Python name.
_WIRE_NAMES = {"from_status": "from", "to_status": "to"}


def wire_name(name: str) -> str:
    """`halo_transaction_id` -> `haloTransactionId`; `from_status` -> `from`."""
    if name in _WIRE_NAMES:
        return _WIRE_NAMES[name]
    first, *rest = name.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)


def _plain(value: Any) -> Any:
    """A value as JSON (and DynamoDB) takes it: enums by value, records as dicts, tuples as lists."""
    if isinstance(value, Record):
        return value.to_dict()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (tuple, list)):
        return [_plain(item) for item in value]
    return value


class Record:
    """A stored value: `to_dict` and `from_dict` speak its camelCase form, leaving out what is None."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            key: _plain(value)
            for name, key in _wire_fields(type(self))
            if (value := getattr(self, name)) is not None
        }

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Self:
        """Read back a stored (or sent) dict. Keys may be camelCase or Python names; unknown keys are
        ignored, so an item written by a newer release still reads."""
        by_key = _by_key(cls)
        return cls(**{by_key[key]: value for key, value in values.items() if key in by_key})

    def but(self, **changes: Any) -> Self:
        """A copy with `changes` (the dataclass is frozen)."""
        return replace(self, **changes)  # type: ignore[type-var]


_WIRE_FIELDS: dict[type, tuple[tuple[str, str], ...]] = {}
_BY_KEY: dict[type, dict[str, str]] = {}


def _wire_fields(cls: type) -> tuple[tuple[str, str], ...]:
    """(Python name, wire name) of each field of a record class, worked out once per class."""
    found = _WIRE_FIELDS.get(cls)
    if found is None:
        found = _WIRE_FIELDS[cls] = tuple((f.name, wire_name(f.name)) for f in fields(cls))
    return found


def _by_key(cls: type) -> dict[str, str]:
    """Python name by wire name, and by itself (a dict may use either)."""
    found = _BY_KEY.get(cls)
    if found is None:
        pairs = _wire_fields(cls)
        found = _BY_KEY[cls] = {**{name: name for name, _ in pairs}, **{key: name for name, key in pairs}}
    return found


R = TypeVar("R", bound="Record")


def _int(value: Any) -> int:
    """DynamoDB gives numbers back as Decimal; counters are whole numbers."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    raise TypeError(f"expected a whole number, not {value!r}")


def _set(record: object, name: str, value: Any) -> None:
    object.__setattr__(record, name, value)


def _record(cls: type[R], value: R | dict[str, Any]) -> R:
    return cls.from_dict(value) if isinstance(value, dict) else value
