"""Each operationId of docs/openapi.json and the client method that calls it; a test fails when the
document has an operation this map (and so the client) lacks."""

from __future__ import annotations

OPERATIONS: dict[str, str] = {
    "createCheckout": "create_checkout",
    "getCheckout": "get_checkout",
    "listCheckouts": "list_checkouts",  # and find_checkout (with reference) and iter_checkouts
    "cancelCheckout": "cancel_checkout",
    "createCheckoutAttempt": "create_attempt",
    "createRefund": "create_refund",
    "getRefund": "get_refund",
    "listEvents": "list_events",  # and iter_events
    "getEvent": "get_event",
    "resendEvent": "resend_event",
    "pingWebhookEndpoint": "ping_webhook_endpoint",
    "getLedger": "get_ledger",
    "runLedger": "run_ledger",
    # webhook endpoints (halotap_client/endpoints.py)
    "createWebhookEndpoint": "create_webhook_endpoint",
    "listWebhookEndpoints": "list_webhook_endpoints",
    "getWebhookEndpoint": "get_webhook_endpoint",
    "updateWebhookEndpoint": "update_webhook_endpoint",
    "deleteWebhookEndpoint": "delete_webhook_endpoint",
    "rotateWebhookEndpointSecret": "rotate_webhook_endpoint_secret",
    "pingWebhookEndpointById": "ping_webhook_endpoint_by_id",
    "recoverWebhookEndpoint": "recover_webhook_endpoint",
    "listEventDeliveries": "list_event_deliveries",
    "listApiKeys": "list_api_keys",
    "createApiKey": "create_api_key",
    "revokeApiKey": "revoke_api_key",
}
