/**
 * Each operationId of docs/openapi.json and the client method that calls it. A test (test/operations.test.ts,
 * and tests/unit/test_sdk_typescript.py) fails when the document has an operation this map lacks.
 */
export const OPERATIONS = {
  createCheckout: "createCheckout",
  getCheckout: "getCheckout",
  listCheckouts: "listCheckouts", // and findCheckout (with reference) and iterCheckouts
  cancelCheckout: "cancelCheckout",
  createCheckoutAttempt: "createAttempt",
  createRefund: "createRefund",
  getRefund: "getRefund",
  listEvents: "listEvents", // and iterEvents
  getEvent: "getEvent",
  resendEvent: "resendEvent",
  pingWebhookEndpoint: "pingWebhookEndpoint",
  getLedger: "getLedger",
  runLedger: "runLedger",
  createWebhookEndpoint: "createWebhookEndpoint",
  listWebhookEndpoints: "listWebhookEndpoints",
  getWebhookEndpoint: "getWebhookEndpoint",
  updateWebhookEndpoint: "updateWebhookEndpoint",
  deleteWebhookEndpoint: "deleteWebhookEndpoint",
  rotateWebhookEndpointSecret: "rotateWebhookEndpointSecret",
  pingWebhookEndpointById: "pingWebhookEndpointById",
  recoverWebhookEndpoint: "recoverWebhookEndpoint",
  listEventDeliveries: "listEventDeliveries",
  listApiKeys: "listApiKeys",
  createApiKey: "createApiKey",
  revokeApiKey: "revokeApiKey",
} as const;

export type OperationId = keyof typeof OPERATIONS;
