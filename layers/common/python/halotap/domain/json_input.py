"""JSON from outside (a PSP's request, Halo's webhook), parsed so that bad input is a 400, never a 500.

Python's `json` accepts what halotap must not store or compute with: nesting deep enough to raise
`RecursionError` (not a `ValueError`), the constants `NaN` and `Infinity`, and `\\ud800`-style escapes
that decode to lone surrogates, which no UTF-8 encoder (boto3's included) can write; and a key given
twice, where Python silently keeps the last (`"amount":"10.00","amount":"20.00"` would charge 20.00).
Each is refused here, once, with a message that says what is wrong.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from halotap.domain.errors import InvalidRequest

MAX_DEPTH = 32  # objects and arrays inside each other; halotap's own bodies need 3


def _refuse_constant(name: str) -> Any:
    raise InvalidRequest(f"the body contains {name}, which is not a number halotap accepts")


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for key, value in pairs:
        if key in body:
            raise _DuplicateKey(key)
        body[key] = value
    return body


def load(text: str | bytes, *, what: str = "the body") -> Any:
    """Parse `text` as JSON (floats as Decimal), refusing deep nesting, NaN/Infinity, lone surrogates and
    repeated keys."""
    try:
        value = json.loads(
            text, parse_float=Decimal, parse_constant=_refuse_constant, object_pairs_hook=_unique_keys
        )
    except _DuplicateKey as duplicate:
        raise InvalidRequest(
            f"{what} names {duplicate.key!r} more than once; send each field once",
            errors=[{"field": duplicate.key, "message": "is given more than once"}],
        ) from None
    except RecursionError:
        raise InvalidRequest(f"{what} nests deeper than {MAX_DEPTH} levels") from None
    except ValueError as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise InvalidRequest(f"{what} is not valid JSON: {error}") from None
    check(value, what=what)
    return value


def check(value: Any, *, what: str = "the body") -> None:
    """Walk `value` without recursion: refuse nesting past MAX_DEPTH and text that is not valid Unicode."""
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            if depth >= MAX_DEPTH:
                raise InvalidRequest(f"{what} nests deeper than {MAX_DEPTH} levels")
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
        elif isinstance(item, str):
            _check_text(item, what)
        elif isinstance(item, Decimal) and not item.is_finite():
            raise InvalidRequest(f"{what} contains a number that is not finite")


def _check_text(text: str, what: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidRequest(
            f"{what} contains text that is not valid Unicode (a lone surrogate such as \\ud800)"
        ) from None
