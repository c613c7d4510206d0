/** Verify and parse a delivery from halotap, over the `standardwebhooks` library. */

import { Webhook } from "standardwebhooks";

import { WebhookVerificationError } from "./errors.js";
import type { components } from "./schema.js";

/** A verified delivery: `id` is its webhook-id (deduplicate on it), the rest is its body. */
export interface WebhookEvent {
  id: string;
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
}

export type CheckoutEvent = WebhookEvent & { data: components["schemas"]["CheckoutView"] };

/**
 * `new Webhooks("whsec_...").verify(rawBody, request.headers)`: the event, or WebhookVerificationError.
 * Pass the body exactly as it arrived (a string or bytes, before any JSON parsing): the signature is over
 * those bytes. The timestamp must be within 5 minutes of your clock, which refuses replays.
 */
export class Webhooks {
  readonly #webhook: Webhook;

  constructor(secret: string) {
    this.#webhook = new Webhook(secret);
  }

  verify(body: string | Uint8Array, headers: Record<string, string | string[] | undefined> | Headers): WebhookEvent {
    const lowered: Record<string, string> = {};
    const entries = headers instanceof Headers ? [...headers.entries()] : Object.entries(headers);
    for (const [name, value] of entries) {
      if (value !== undefined) lowered[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
    }
    const text = typeof body === "string" ? body : new TextDecoder().decode(body);
    let parsed: unknown;
    try {
      parsed = this.#webhook.verify(text, lowered);
    } catch (error) {
      throw new WebhookVerificationError(error instanceof Error ? error.message : String(error));
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
      throw new WebhookVerificationError("the body is not a JSON object");
    }
    return { id: lowered["webhook-id"] ?? "", ...(parsed as Omit<WebhookEvent, "id">) };
  }
}
