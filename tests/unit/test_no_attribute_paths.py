"""The use cases and the domain speak checkouts, never the table's attribute paths: those live only in
halotap/adapters/dynamo/items.py, so a stored field changes in one place (app/ports.py says how)."""

from __future__ import annotations

import ast
import re
from dataclasses import fields
from pathlib import Path

import pytest

from halotap.domain.models import Checkout, wire_name

PACKAGE = Path(__file__).resolve().parents[2] / "layers" / "common" / "python" / "halotap"
SOURCES = sorted([*(PACKAGE / "app").glob("*.py"), *(PACKAGE / "domain").glob("*.py")])
# A path into one of the item's maps or records: "notifications.evt_x.status", f"refunds.{refund_id}".
DOTTED = re.compile(r"^(notifications|refunds|refundReferences|outcome|failure|settlement|history)\.")
# The checkout's attributes as stored (camelCase ones: a one-word name is just a word), and the due
# index's shard. Left out are the names that are also wire fields: of log lines, queued messages, API
# requests and answers, the ledger's report and the secrets' records.
WIRE_TOO = {
    *("clientId", "merchantId", "haloReference", "createdAt", "expiresAt", "deepLink", "returnUrl"),
    *("notificationUrl", "haloTransactionId", "needsAttention"),
}
STORED = {wire_name(f.name) for f in fields(Checkout) if "_" in f.name} - WIRE_TOO | {"dueShard"}


def attribute_paths(source: str) -> set[str]:
    """Every string constant (or an f-string's leading text) that names a stored attribute or a path."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        text = None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        elif isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
            text = str(node.values[0].value)
        if text is not None and (text in STORED or DOTTED.match(text)):
            found.add(text)
    return found


def test_the_check_finds_the_attribute_paths_the_store_once_took():
    old = 'store.update(c, {"dueAt": due, f"refunds.{rid}.status": "failed", "notifications.evt.status": 1}, [])'
    assert attribute_paths(old) == {"dueAt", "refunds.", "notifications.evt.status"}


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_no_use_case_or_domain_module_names_a_stored_attribute(path):
    assert attribute_paths(path.read_text()) == set()
