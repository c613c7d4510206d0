export * from "./client.js";
export * from "./errors.js";
export { OPERATIONS, type OperationId } from "./operations.js";
export { Webhooks, type WebhookEvent, type CheckoutEvent } from "./webhooks.js";
export type { components, operations, paths, webhooks } from "./schema.js";
