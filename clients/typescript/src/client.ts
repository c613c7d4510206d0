/**
 * `HalotapClient`: every PSP operation of docs/openapi.json over fetch. It retries 429, 503 and
 * 409 idempotency_in_progress (honouring Retry-After, bounded), sends an Idempotency-Key on create and
 * refund (a fresh one when none is given, the same on each retry), throws a typed `HalotapError` for every
 * other non-2xx answer, and pages through both lists with async iterators.
 */

import { errorFrom } from "./errors.js";
import type { components, operations } from "./schema.js";

type Schemas = components["schemas"];
export type Checkout = Schemas["CheckoutView"];
export type CheckoutCreated = Schemas["CheckoutCreated"];
export type CheckoutList = Schemas["CheckoutList"];
export type Refund = Schemas["Refund"];
export type Event = Schemas["Event"];
export type EventList = Schemas["EventList"];
export type PingResult = Schemas["PingResult"];
export type LedgerReport = Schemas["LedgerReport"];
export type LedgerSummary = Schemas["LedgerSummary"];
export type ApiKey = Schemas["ApiKey"];
export type ApiKeyCreated = Schemas["ApiKeyCreated"];
export type ApiKeyRevoked = Schemas["ApiKeyRevoked"];
export type CreateCheckoutParams = Schemas["CreateCheckoutRequest"] & { idempotencyKey?: string };
export type CreateRefundParams = Schemas["CreateRefundRequest"] & { idempotencyKey?: string };
export type ListCheckoutsParams = Omit<NonNullable<operations["listCheckouts"]["parameters"]["query"]>, "reference">;
export type ListEventsParams = NonNullable<operations["listEvents"]["parameters"]["query"]>;
export type ResendResult = { id: string; status: "queued" };
export type WebhookEndpoint = Schemas["WebhookEndpoint"];
export type WebhookEndpointList = Schemas["WebhookEndpointList"];
export type CreateWebhookEndpointParams = Schemas["CreateWebhookEndpointRequest"];
export type UpdateWebhookEndpointParams = Schemas["UpdateWebhookEndpointRequest"];
export type DeliveryAttemptList = Schemas["DeliveryAttemptList"];
export type RecoverResult = { id: string; queued: number };

export const DEFAULT_BASE_URL = "http://127.0.0.1:3000"; // the devstack; pass your deployment's URL

export interface RetryPolicy {
  /** More tries after the first. */
  maxRetries: number;
  /** The first backoff, in seconds; it doubles with each retry (with jitter). */
  baseDelay: number;
  /** No wait is longer, whatever Retry-After says, so one answer cannot stall a caller. */
  maxDelay: number;
}

export interface ClientOptions {
  apiKey: string;
  baseUrl?: string;
  retry?: Partial<RetryPolicy>;
  /** Per request, in milliseconds. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  sleep?: (seconds: number) => Promise<void>;
}

interface Call {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  path: string;
  query?: Record<string, string | number | readonly string[] | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
}

const RETRIED = new Set([429, 503]);

/** A path parameter, escaped so that an id can never reach another route. */
const seg = (value: string): string => encodeURIComponent(value);

/** Retry-After in delay-seconds; an HTTP date (which halotap never sends) falls back to backoff. */
function retryAfterSeconds(value: string | null): number | undefined {
  if (value === null) return undefined;
  const seconds = Number(value);
  return Number.isFinite(seconds) ? Math.max(seconds, 0) : undefined;
}

export function retryDelay(policy: RetryPolicy, retryAfter: string | null, attempt: number): number {
  const given = retryAfterSeconds(retryAfter);
  if (given !== undefined) return Math.min(given, policy.maxDelay);
  const backoff = policy.baseDelay * 2 ** attempt;
  // Full jitter: clients that failed together do not retry together.
  return Math.min(backoff / 2 + (Math.random() * backoff) / 2, policy.maxDelay);
}

/** Events page by page (`after`) until a page is empty; `cursor` is where to resume later. */
export class EventIterator implements AsyncIterable<Event> {
  cursor: string | undefined;

  constructor(
    private readonly client: HalotapClient,
    private readonly params: Omit<ListEventsParams, "after">,
    after: string | undefined,
  ) {
    this.cursor = after;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Event> {
    while (true) {
      const page = await this.client.listEvents({ ...this.params, after: this.cursor });
      this.cursor = page.nextCursor;
      if (page.data.length === 0) return;
      yield* page.data;
    }
  }
}

export class HalotapClient {
  readonly retry: RetryPolicy;
  readonly #apiKey: string;
  readonly #baseUrl: string;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;
  readonly #sleep: (seconds: number) => Promise<void>;

  constructor(options: ClientOptions) {
    this.#apiKey = options.apiKey;
    this.#baseUrl = (options.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, "");
    this.retry = { maxRetries: 3, baseDelay: 0.5, maxDelay: 10, ...options.retry };
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#sleep = options.sleep ?? ((s) => new Promise((resolve) => setTimeout(resolve, s * 1000)));
  }

  async #send<T>(call: Call): Promise<T> {
    const url = new URL(this.#baseUrl + call.path);
    for (const [name, value] of Object.entries(call.query ?? {})) {
      if (value === undefined) continue;
      for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(name, String(item));
    }
    const headers: Record<string, string> = {
      Authorization: `Bearer ${this.#apiKey}`,
      Accept: "application/json",
      ...call.headers,
    };
    if (call.body !== undefined) headers["Content-Type"] = "application/json";
    for (let attempt = 0; ; attempt++) {
      const response = await this.#fetch(url, {
        method: call.method,
        headers,
        body: call.body === undefined ? undefined : JSON.stringify(call.body),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      const text = await response.text();
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON: kept as text for the error
      }
      if (response.ok) return body as T;
      const code = body !== null && typeof body === "object" ? (body as { code?: unknown }).code : undefined;
      const retried = RETRIED.has(response.status) || (response.status === 409 && code === "idempotency_in_progress");
      if (!retried || attempt >= this.retry.maxRetries) throw errorFrom(response.status, body);
      await this.#sleep(retryDelay(this.retry, response.headers.get("retry-after"), attempt));
    }
  }

  // -- checkouts ---------------------------------------------------------------------------------------

  createCheckout(params: CreateCheckoutParams): Promise<CheckoutCreated> {
    const { idempotencyKey, ...body } = params;
    return this.#send({
      method: "POST",
      path: "/v1/checkouts",
      body,
      headers: { "Idempotency-Key": idempotencyKey ?? crypto.randomUUID() },
    });
  }

  getCheckout(checkoutId: string): Promise<Checkout> {
    return this.#send({ method: "GET", path: `/v1/checkouts/${seg(checkoutId)}` });
  }

  /** The merchant's checkout with this reference (NotFoundError if none). */
  findCheckout(merchantId: string, reference: string): Promise<Checkout> {
    return this.#send({ method: "GET", path: "/v1/checkouts", query: { merchantId, reference } });
  }

  listCheckouts(params: ListCheckoutsParams): Promise<CheckoutList> {
    return this.#send({ method: "GET", path: "/v1/checkouts", query: { ...params } });
  }

  /** Every matching checkout, newest first, page by page until `nextCursor` is null. */
  async *iterCheckouts(params: Omit<ListCheckoutsParams, "cursor">): AsyncGenerator<Checkout> {
    let cursor: string | undefined;
    do {
      const page = await this.listCheckouts({ limit: 100, ...params, cursor });
      yield* page.data;
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
  }

  cancelCheckout(checkoutId: string): Promise<Checkout> {
    return this.#send({ method: "POST", path: `/v1/checkouts/${seg(checkoutId)}/cancel` });
  }

  /** A new attempt after a failed one (checkout.attempt_failed): the checkout, with the new deep link. */
  createAttempt(checkoutId: string, params: { idempotencyKey?: string } = {}): Promise<Checkout> {
    return this.#send({
      method: "POST",
      path: `/v1/checkouts/${seg(checkoutId)}/attempts`,
      headers: { "Idempotency-Key": params.idempotencyKey ?? crypto.randomUUID() },
    });
  }

  // -- refunds -----------------------------------------------------------------------------------------

  createRefund(checkoutId: string, params: CreateRefundParams): Promise<Refund> {
    const { idempotencyKey, ...body } = params;
    return this.#send({
      method: "POST",
      path: `/v1/checkouts/${seg(checkoutId)}/refunds`,
      body,
      headers: { "Idempotency-Key": idempotencyKey ?? crypto.randomUUID() },
    });
  }

  getRefund(checkoutId: string, refundId: string): Promise<Refund> {
    return this.#send({ method: "GET", path: `/v1/checkouts/${seg(checkoutId)}/refunds/${seg(refundId)}` });
  }

  // -- events and the webhook endpoint -----------------------------------------------------------------

  listEvents(params: ListEventsParams = {}): Promise<EventList> {
    return this.#send({ method: "GET", path: "/v1/events", query: { ...params } });
  }

  /** Every event after `after`, oldest first, until a page is empty; the iterator's `cursor` resumes. */
  iterEvents(params: ListEventsParams = {}): EventIterator {
    const { after, ...rest } = params;
    return new EventIterator(this, { limit: 100, ...rest }, after);
  }

  getEvent(eventId: string): Promise<Event> {
    return this.#send({ method: "GET", path: `/v1/events/${seg(eventId)}` });
  }

  resendEvent(eventId: string): Promise<ResendResult> {
    return this.#send({ method: "POST", path: `/v1/events/${seg(eventId)}/resend` });
  }

  pingWebhookEndpoint(): Promise<PingResult> {
    return this.#send({ method: "POST", path: "/v1/webhook-endpoint/ping" });
  }

  // -- webhook endpoints and the delivery log -----------------------------------------------------------

  /** A new endpoint; its `secret` is in this answer only. */
  createWebhookEndpoint(params: CreateWebhookEndpointParams): Promise<WebhookEndpoint> {
    return this.#send({ method: "POST", path: "/v1/webhook-endpoints", body: params });
  }

  listWebhookEndpoints(): Promise<WebhookEndpointList> {
    return this.#send({ method: "GET", path: "/v1/webhook-endpoints" });
  }

  getWebhookEndpoint(endpointId: string): Promise<WebhookEndpoint> {
    return this.#send({ method: "GET", path: `/v1/webhook-endpoints/${seg(endpointId)}` });
  }

  updateWebhookEndpoint(endpointId: string, params: UpdateWebhookEndpointParams): Promise<WebhookEndpoint> {
    return this.#send({ method: "PATCH", path: `/v1/webhook-endpoints/${seg(endpointId)}`, body: params });
  }

  deleteWebhookEndpoint(endpointId: string): Promise<{ id: string; deleted: boolean }> {
    return this.#send({ method: "DELETE", path: `/v1/webhook-endpoints/${seg(endpointId)}` });
  }

  /** The new `secret`; the old one keeps signing beside it for the overlap (24 h deployed). */
  rotateWebhookEndpointSecret(endpointId: string): Promise<WebhookEndpoint> {
    return this.#send({ method: "POST", path: `/v1/webhook-endpoints/${seg(endpointId)}/rotate-secret` });
  }

  pingWebhookEndpointById(endpointId: string): Promise<PingResult> {
    return this.#send({ method: "POST", path: `/v1/webhook-endpoints/${seg(endpointId)}/ping` });
  }

  /** Enable the endpoint again and queue every event since `since` (RFC 3339) it did not get. */
  recoverWebhookEndpoint(endpointId: string, since: string): Promise<RecoverResult> {
    const path = `/v1/webhook-endpoints/${seg(endpointId)}/recover`;
    return this.#send({ method: "POST", path, body: { since } });
  }

  listEventDeliveries(eventId: string): Promise<DeliveryAttemptList> {
    return this.#send({ method: "GET", path: `/v1/events/${seg(eventId)}/deliveries` });
  }

  // -- the daily ledger --------------------------------------------------------------------------------

  getLedger(merchantId: string, date: string): Promise<LedgerReport> {
    return this.#send({ method: "GET", path: `/v1/merchants/${seg(merchantId)}/ledger/${seg(date)}` });
  }

  runLedger(merchantId: string, date: string): Promise<LedgerSummary> {
    return this.#send({ method: "POST", path: `/v1/merchants/${seg(merchantId)}/ledger/${seg(date)}/run` });
  }

  // -- API keys ----------------------------------------------------------------------------------------

  listApiKeys(): Promise<ApiKey[]> {
    return this.#send<Schemas["ApiKeyList"]>({ method: "GET", path: "/v1/api-keys" }).then((page) => page.data);
  }

  /** A new key for this client (at most 5 active: ConflictError key_limit_reached). Store `key` now: it is shown once. */
  createApiKey(params: { label?: string } = {}): Promise<ApiKeyCreated> {
    return this.#send({ method: "POST", path: "/v1/api-keys", body: params });
  }

  /** Refused everywhere within 60 s. The client's last key cannot be revoked: ConflictError last_key. */
  revokeApiKey(keyId: string): Promise<ApiKeyRevoked> {
    return this.#send({ method: "DELETE", path: `/v1/api-keys/${seg(keyId)}` });
  }
}
