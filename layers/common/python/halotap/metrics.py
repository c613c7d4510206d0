"""Every custom metric halotap publishes, named once: the functions emit these and infra/monitoring.py alarms
and graphs on them, so a rename cannot leave an alarm watching a metric nothing sends.

Namespace `halotap`, dimension `service=halotap` (Powertools EMF). What each means at 3 a.m. is in
docs/operations.md, "Alarms and metrics"; tests/unit/test_metric_names.py keeps the three in step.
Plain string constants only: every handler imports this module on its cold start.
"""

from __future__ import annotations

from typing import Final

# create_checkout / cancel_checkout
CHECKOUT_CREATED: Final = "CheckoutCreated"  # a checkout was created and Halo gave its deep link
CHECKOUT_CANCELLED: Final = "CheckoutCancelled"  # a PSP cancelled an open checkout
HALO_CREATE_FAILED: Final = "HaloCreateFailed"  # Halo failed a create (timeout, 5xx, auth)
HALO_AUTH_FAILED: Final = "HaloAuthFailed"  # Halo refused a merchant's x-api-key (alarm)

# create_refund: one asked for, then what Halo's first answer made of it
REFUND_CREATED: Final = "RefundCreated"
REFUND_PENDING: Final = "RefundPending"  # Halo's answer is not known yet
REFUND_SUCCEEDED: Final = "RefundSucceeded"
REFUND_FAILED: Final = "RefundFailed"
REFUND_BY_STATUS: Final = {  # keyed by RefundStatus's values
    "pending": REFUND_PENDING,
    "succeeded": REFUND_SUCCEEDED,
    "failed": REFUND_FAILED,
}

# authorizer
AUTHORIZATION_DENIED: Final = "AuthorizationDenied"  # a PSP request with an unknown key

# api_keys: a PSP made or revoked one of its own keys
API_KEY_CREATED: Final = "ApiKeyCreated"
API_KEY_REVOKED: Final = "ApiKeyRevoked"

# halo_webhook
HALO_WEBHOOK_BAD_TOKEN: Final = "HaloWebhookBadToken"  # noqa: S105 - a metric name: webhooks with a wrong path token
HALO_WEBHOOK_QUEUED: Final = "HaloWebhookQueued"  # a webhook accepted and queued

# apply_halo_event: what each applied webhook did (one per Verdict), and what could not be applied
HALO_EVENT_TRANSITION: Final = "HaloEventTransition"  # a real change of status
HALO_EVENT_REPEAT: Final = "HaloEventRepeat"  # the checkout already said this
HALO_EVENT_STALE: Final = "HaloEventStale"  # an older outcome after a newer one
HALO_EVENT_ANOMALY: Final = "HaloEventAnomaly"  # contradicts a final status, or an undocumented disposition
HALO_EVENT_BY_VERDICT: Final = {  # keyed by Verdict's values
    "transition": HALO_EVENT_TRANSITION,
    "repeat": HALO_EVENT_REPEAT,
    "stale": HALO_EVENT_STALE,
    "anomaly": HALO_EVENT_ANOMALY,
}
HALO_EVENT_UNKNOWN_CHECKOUT: Final = "HaloEventUnknownCheckout"  # an event for no checkout halotap knows
HALO_EVENT_LEFT_TO_RECONCILE: Final = "HaloEventLeftToReconcile"  # Halo's API still showed nothing final
HALO_WEBHOOK_MISMATCH: Final = "HaloWebhookMismatch"  # a webhook disagreed with Halo's status API (alarm)
LATE_APPROVAL: Final = "LateApproval"  # approved after the checkout was already final

# deliver_notification: one per outcome of an attempt
NOTIFICATION_RETRY: Final = "NotificationRetry"  # failed, scheduled again
NOTIFICATION_DELIVERED: Final = "NotificationDelivered"
NOTIFICATION_GONE: Final = "NotificationGone"  # the PSP answered 410: no more attempts
NOTIFICATION_SKIPPED: Final = "NotificationSkipped"  # a duplicate of a settled notification
NOTIFICATION_EXHAUSTED: Final = "NotificationExhausted"  # every attempt failed; parked in the DLQ (alarm)
NOTIFICATION_FANNED_OUT: Final = "NotificationFannedOut"  # an event split into one copy per endpoint
NOTIFICATION_BY_OUTCOME: Final = {  # keyed by DeliveryResult.outcome
    "retry": NOTIFICATION_RETRY,
    "delivered": NOTIFICATION_DELIVERED,
    "gone": NOTIFICATION_GONE,
    "skipped": NOTIFICATION_SKIPPED,
    "exhausted": NOTIFICATION_EXHAUSTED,
    "fanned": NOTIFICATION_FANNED_OUT,
}
WEBHOOK_ENDPOINT_DISABLED: Final = "WebhookEndpointDisabled"  # an endpoint failed for days: disabled (alarm)

# events
WEBHOOK_PING: Final = "WebhookPing"  # a PSP asked for a test notification
EVENT_RESENT: Final = "EventResent"  # a PSP asked for an event's notification again
WEBHOOK_ENDPOINT_RECOVERED: Final = "WebhookEndpointRecovered"  # a PSP recovered an endpoint's missed events

# reconcile: one run's counts
RECONCILE_EXAMINED: Final = "ReconcileExamined"  # checkouts looked at
RECONCILE_APPLIED: Final = "ReconcileApplied"  # outcomes found by asking Halo (webhooks that never came)
RECONCILE_EXPIRED: Final = "ReconcileExpired"  # unpaid checkouts expired
RECONCILE_RESCHEDULED: Final = "ReconcileRescheduled"  # open checkouts checked again later
RECONCILE_ABANDONED: Final = "ReconcileAbandoned"  # interrupted creates closed as failed
RECONCILE_PUBLISHED: Final = "ReconcilePublished"  # notifications whose publish was finished by reconcile
RECONCILE_ERRORS: Final = "ReconcileErrors"  # checkouts that could not be checked (alarm)
RECONCILE_BY_COUNT: Final = {  # keyed by the ReconcileReport field each counts
    "examined": RECONCILE_EXAMINED,
    "applied": RECONCILE_APPLIED,
    "expired": RECONCILE_EXPIRED,
    "rescheduled": RECONCILE_RESCHEDULED,
    "abandoned": RECONCILE_ABANDONED,
    "published": RECONCILE_PUBLISHED,
    "errors": RECONCILE_ERRORS,
}
RECONCILE_LAG_SECONDS: Final = "ReconcileLagSeconds"  # how long the oldest due checkout had waited (alarm)
REFUND_RETRIED: Final = "RefundRetried"  # pending refunds sent to Halo again
REFUND_PENDING_TOO_LONG: Final = "RefundPendingTooLong"  # refunds 15 min without Halo's answer (alarm)
WATCH_CHECKS: Final = "WatchChecks"  # final checkouts asked about again
WATCH_CHANGES: Final = "WatchChanges"  # changes at Halo to final checkouts that no webhook brought
INDETERMINATE_NEEDS_ATTENTION: Final = "IndeterminateNeedsAttention"  # Indeterminate nothing replaced (alarm)

# ledger
LEDGER_DIFFERENCES: Final = "LedgerDifferences"  # records halotap and Halo's ledger disagree on (alarm)
LEDGER_HEALED: Final = "LedgerHealed"  # mismatches the ledger applied through the confirmed path
