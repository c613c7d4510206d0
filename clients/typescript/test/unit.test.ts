// The TypeScript SDK without a server: retries, Idempotency-Keys, errors, iterators and the webhook helper,
// against a fake fetch. lifecycle.test.ts runs it against the devstack.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { Webhook } from "standardwebhooks";

import {
  ConflictError,
  HalotapClient,
  HalotapError,
  NotFoundError,
  OPERATIONS,
  ServerError,
  WebhookVerificationError,
  Webhooks,
  retryDelay,
} from "../src/index.js";

type Answer = { status: number; body?: unknown; headers?: Record<string, string> };

function fake(answers: Answer[] | ((request: Request) => Answer)) {
  const requests: Request[] = [];
  const fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    requests.push(request);
    const answer = typeof answers === "function" ? answers(request) : answers.shift();
    assert.ok(answer, "more requests than answers");
    const body = answer.body === undefined ? null : JSON.stringify(answer.body);
    return new Response(body, { status: answer.status, headers: answer.headers });
  };
  const sleeps: number[] = [];
  const client = new HalotapClient({
    apiKey: "key",
    baseUrl: "http://api",
    fetch: fetch as typeof globalThis.fetch,
    sleep: async (seconds) => {
      sleeps.push(seconds);
    },
  });
  return { client, requests, sleeps };
}

const problem = (status: number, code: string, headers?: Record<string, string>): Answer => ({
  status,
  body: { type: `https://halotap.dev/problems/${code}`, title: code, status, code, detail: `the ${code} detail` },
  headers: { "content-type": "application/problem+json", ...headers },
});
const CREATE = { merchantId: "m", reference: "r", amount: "1.00", currency: "ZAR" } as const;

test("every operation in the PSP contract has a method on the client", () => {
  const spec = JSON.parse(readFileSync(new URL("../../../../docs/openapi.json", import.meta.url), "utf8"));
  const documented = Object.values(spec.paths as Record<string, Record<string, { operationId: string }>>).flatMap(
    (item) => Object.values(item).map((operation) => operation.operationId),
  );
  assert.deepEqual(
    documented.filter((id) => !(id in OPERATIONS)),
    [],
    "add the operation to clients/typescript (src/operations.ts)",
  );
  for (const method of Object.values(OPERATIONS)) {
    assert.equal(typeof (HalotapClient.prototype as unknown as Record<string, unknown>)[method], "function", method);
  }
});

test("a create without a key sends a fresh one, and every retry the same", async () => {
  const { client, requests, sleeps } = fake([
    problem(409, "idempotency_in_progress", { "retry-after": "1" }),
    problem(409, "idempotency_in_progress", { "retry-after": "1" }),
    { status: 201, body: { id: "chk_1" } },
  ]);
  assert.equal((await client.createCheckout(CREATE)).id, "chk_1");
  const keys = requests.map((r) => r.headers.get("idempotency-key"));
  assert.equal(new Set(keys).size, 1);
  assert.match(keys[0] ?? "", /^[0-9a-f-]{36}$/);
  assert.deepEqual(sleeps, [1, 1]);
  assert.equal(requests[0]?.headers.get("content-type"), "application/json");
  assert.deepEqual(await requests[0]?.json(), CREATE);
});

test("a given key is sent as is on create and refund, and a refund without one gets one", async () => {
  const { client, requests } = fake(() => ({ status: 201, body: {} }));
  await client.createCheckout({ ...CREATE, idempotencyKey: "order-1" });
  await client.createRefund("chk 1/x", { reference: "rf", idempotencyKey: "refund-1" });
  await client.createRefund("chk_1", { reference: "rf2" });
  assert.deepEqual(
    requests.slice(0, 2).map((r) => r.headers.get("idempotency-key")),
    ["order-1", "refund-1"],
  );
  assert.ok(requests[2]?.headers.get("idempotency-key"));
  assert.equal(new URL(requests[1]?.url ?? "").pathname, "/v1/checkouts/chk%201%2Fx/refunds");
  assert.deepEqual(await requests[1]?.json(), { reference: "rf" }); // the key is a header, not a field
});

for (const status of [429, 503]) {
  test(`${status} is retried until it passes`, async () => {
    const { client } = fake([problem(status, "x"), problem(status, "x"), { status: 200, body: { id: "chk_1" } }]);
    assert.equal((await client.getCheckout("chk_1")).id, "chk_1");
  });
}

test("retries stop after the policy's count, with the last error", async () => {
  const { client, requests } = fake(() => problem(503, "dependency_unavailable"));
  await assert.rejects(client.getCheckout("chk_1"), (error: unknown) => {
    assert.ok(error instanceof ServerError);
    assert.equal(error.code, "dependency_unavailable");
    return true;
  });
  assert.equal(requests.length, 4);
});

test("Retry-After is honoured up to the policy's bound; without it, jittered backoff", () => {
  const policy = { maxRetries: 3, baseDelay: 0.5, maxDelay: 2 };
  assert.equal(retryDelay(policy, "1.5", 0), 1.5);
  assert.equal(retryDelay(policy, "3600", 0), 2);
  const backoff = retryDelay(policy, null, 1);
  assert.ok(backoff >= 0.5 && backoff <= 1, String(backoff));
});

test("other conflicts are not retried and throw a typed error carrying the problem", async () => {
  const { client, requests } = fake(() => problem(409, "reference_already_used"));
  await assert.rejects(client.createCheckout(CREATE), (error: unknown) => {
    assert.ok(error instanceof ConflictError && error instanceof HalotapError);
    assert.deepEqual([error.status, error.code, error.detail], [409, "reference_already_used", "the reference_already_used detail"]);
    assert.equal(error.problem.type, "https://halotap.dev/problems/reference_already_used");
    return true;
  });
  assert.equal(requests.length, 1);
});

test("a 404 is a NotFoundError, and an answer that is not JSON is still a HalotapError", async () => {
  await assert.rejects(fake([problem(404, "checkout_not_found")]).client.getCheckout("x"), NotFoundError);
  const { client } = fake(() => ({ status: 502, body: undefined }));
  await assert.rejects(client.getCheckout("x"), (error: unknown) => error instanceof ServerError && error.code === "http_502");
});

test("iterCheckouts follows cursor until nextCursor is null", async () => {
  const pages: Record<string, [string[], string | null]> = { "": [["a", "b"], "c1"], c1: [["c"], "c2"], c2: [[], null] };
  const { client, requests } = fake((request) => {
    const [ids, nextCursor] = pages[new URL(request.url).searchParams.get("cursor") ?? ""] ?? [[], null];
    return { status: 200, body: { data: ids.map((id) => ({ id })), nextCursor } };
  });
  const found: string[] = [];
  for await (const checkout of client.iterCheckouts({ merchantId: "m", status: ["open", "approved"] })) found.push(checkout.id);
  assert.deepEqual(found, ["a", "b", "c"]);
  assert.deepEqual(new URL(requests[0]?.url ?? "").searchParams.getAll("status"), ["open", "approved"]);
  assert.equal(requests.length, 3);
});

test("iterEvents follows after until a page is empty, and keeps the cursor to resume from", async () => {
  const pages: Record<string, [string[], string]> = { "": [["e1", "e2"], "k1"], k1: [["e3"], "k2"], k2: [[], "k2"] };
  const { client } = fake((request) => {
    const [ids, nextCursor] = pages[new URL(request.url).searchParams.get("after") ?? ""] ?? [[], "k2"];
    return { status: 200, body: { data: ids.map((id) => ({ id })), nextCursor } };
  });
  const events = client.iterEvents({ type: ["checkout.approved"] });
  const found: string[] = [];
  for await (const event of events) found.push(event.id);
  assert.deepEqual(found, ["e1", "e2", "e3"]);
  assert.equal(events.cursor, "k2");
});

const SECRET = "whsec_" + Buffer.from("k".repeat(32)).toString("base64");

function signed(body: string, secret = SECRET, at = new Date()): Record<string, string> {
  return {
    "webhook-id": "evt_1",
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": new Webhook(secret).sign("evt_1", at, body),
  };
}

test("the webhook helper verifies and parses a delivery", () => {
  const body = JSON.stringify({ type: "checkout.approved", timestamp: "2026-11-27T12:00:00Z", data: { id: "chk_1" } });
  const event = new Webhooks(SECRET).verify(body, signed(body));
  assert.deepEqual([event.id, event.type, event.data.id], ["evt_1", "checkout.approved", "chk_1"]);
});

test("the webhook helper refuses a changed body, another secret, an old timestamp and no signature", () => {
  const body = JSON.stringify({ type: "checkout.approved", data: { id: "chk_1" } });
  const other = "whsec_" + Buffer.from("x".repeat(32)).toString("base64");
  const { "webhook-signature": _, ...unsigned } = signed(body);
  const cases: [string, Record<string, string>][] = [
    [body.replace("chk_1", "chk_2"), signed(body)],
    [body, signed(body, other)],
    [body, signed(body, SECRET, new Date(Date.now() - 3600_000))],
    [body, unsigned],
  ];
  for (const [sent, headers] of cases) {
    assert.throws(() => new Webhooks(SECRET).verify(sent, headers), WebhookVerificationError);
  }
});
