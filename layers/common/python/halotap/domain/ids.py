"""halotap's identifiers: their format, their randomness, and how an event id is derived."""

from __future__ import annotations

import base64
import re
import secrets

# `chk_` and 128 random bits in base32: unguessable, URL-safe, and usable as Halo's paymentReference.
CHECKOUT_ID = re.compile(r"chk_[a-z2-7]{26}")


def new_checkout_id() -> str:
    return "chk_" + base64.b32encode(secrets.token_bytes(16)).decode().rstrip("=").lower()


def is_checkout_id(value: str) -> bool:
    """True for a well-formed id: junk in a URL never costs a database read."""
    return CHECKOUT_ID.fullmatch(value) is not None


REFUND_ID = re.compile(r"rfd_[a-z2-7]{26}")


def new_refund_id() -> str:
    """`rfd_` and 128 random bits, like a checkout id; also the refundReference halotap sends Halo."""
    return "rfd_" + base64.b32encode(secrets.token_bytes(16)).decode().rstrip("=").lower()


def is_refund_id(value: str) -> bool:
    return REFUND_ID.fullmatch(value) is not None


def event_id(checkout_id: str, version: int) -> str:
    """`evt_` + the checkout + the version the change creates: the same on every retry of that change."""
    return f"evt_{checkout_id.removeprefix('chk_')}_{version}"


def refund_event_id(refund_id: str, event_type: str) -> str:
    """`evt_` + the refund + its outcome (refund.succeeded -> succeeded): a refund settles once."""
    return f"evt_{refund_id.removeprefix('rfd_')}_{event_type.removeprefix('refund.')}"
