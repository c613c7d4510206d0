"""The daily ledger's part of the OpenAPI document (infra/openapi.py merges it): its two routes, the
report's schema and the `ledger.completed` webhook."""

from __future__ import annotations

from typing import Any

from halotap.domain.ledger import CLASSES, CSV_HEADER
from halotap.domain.notifications import LEDGER_EVENT_TYPES
from infra.openapi_parts import REF
from infra.openapi_parts import problem as _problem

GET_REPORT = ("GET", "/v1/merchants/{merchantId}/ledger/{date}")
RUN = ("POST", "/v1/merchants/{merchantId}/ledger/{date}/run")


_AMOUNT = {"type": "string", "description": "A decimal string with the currency's minor digits"}
_BY_CURRENCY = {"type": "object", "additionalProperties": _AMOUNT}

SUMMARY: dict[str, Any] = {
    "type": "object",
    "required": ["merchantId", "date", "status"],
    "properties": {
        "merchantId": {"type": "string"},
        "date": {"type": "string", "format": "date"},
        "status": {"type": "string", "enum": ["running", "complete", "failed"]},
        "generatedAt": {"type": "string", "format": "date-time"},
        "counts": {
            "type": "object",
            "properties": {kind.value: {"type": "integer"} for kind in CLASSES},
            "description": "Halo records and halotap items in each class",
        },
        "notCompared": {
            "type": "integer",
            "description": "Halo records that moved no money and that halotap does not know (no difference)",
        },
        "totals": {
            "type": "object",
            "description": "By currency: net = haloApproved - refunded - fees, all as Halo's ledger shows them",
            "additionalProperties": {
                "type": "object",
                "properties": dict.fromkeys(
                    ("haloApproved", "halotapApproved", "refunded", "fees", "net"), _AMOUNT
                ),
            },
        },
        "sums": {
            "type": "object",
            "description": "The money in each class, by currency",
            "properties": {kind.value: _BY_CURRENCY for kind in CLASSES},
        },
        "report": {"type": "string", "description": "ledger.completed only: where the report is kept"},
    },
}

REPORT: dict[str, Any] = {
    **SUMMARY,
    "properties": {
        **SUMMARY["properties"],
        "differences": {
            "type": "array",
            "description": "One line per record not matched, naming both sides (at most 10,000)",
            "items": {
                "type": "object",
                "required": ["kind", "type"],
                "properties": {
                    "kind": {"type": "string", "enum": [k.value for k in CLASSES if k.value != "matched"]},
                    "type": {"type": "string", "enum": ["payment", "refund"]},
                    "checkoutId": {"type": "string"},
                    "refundId": {"type": "string"},
                    "haloTransactionId": {"type": "string"},
                    "haloAmount": _AMOUNT,
                    "halotapAmount": _AMOUNT,
                    "currency": {"type": "string"},
                    "haloStatus": {"type": "string"},
                    "halotapStatus": {"type": "string"},
                },
            },
        },
        "differencesCut": {
            "type": "integer",
            "description": "Difference lines past 10,000 (the CSV has all)",
        },
        "healed": {"type": "integer", "description": "Status mismatches Halo confirmed and halotap applied"},
        "csv": {"type": "string"},
    },
}

RESPONSES: dict[tuple[str, str], dict[str, Any]] = {
    GET_REPORT: {
        "200": {
            "description": "The report: JSON, or with `Accept: text/csv` one line per Halo record or halotap "
            f"item, columns {', '.join(CSV_HEADER)}",
            "content": {
                "application/json": {"schema": {"$ref": REF + "LedgerReport"}},
                "text/csv": {"schema": {"type": "string"}},
            },
        },
        "303": {"description": "The report is over 5 MB: Location is a link to it, valid 5 minutes"},
        "400": _problem("date is not a YYYY-MM-DD day, or is in the future"),
        "404": _problem("ledger_not_found before a run, or merchant_not_found for this API key"),
    },
    RUN: {
        "202": {
            "description": "Queued; GET shows status running, then complete",
            "content": {"application/json": {"schema": {"$ref": REF + "LedgerSummary"}}},
        },
        "400": _problem("date is not a YYYY-MM-DD day, or is in the future"),
        "404": _problem("merchant_not_found: not configured, or not available to this API key"),
    },
}
SCHEMAS = {"LedgerReport": REPORT, "LedgerSummary": SUMMARY}


def webhook(make: Any) -> dict[str, Any]:
    built: dict[str, Any] = make(
        "A merchant-day's ledger is complete; `data` is its summary",
        list(LEDGER_EVENT_TYPES),
        "LedgerSummary",
    )
    return built
