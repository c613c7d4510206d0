// A checkout's life through the SDK against a running devstack (tests/e2e/test_sdk_typescript.py starts
// this with the devstack's addresses): create with an automatic Idempotency-Key, read, list by iterator,
// approve through Halo's simulator, refund, read the events by iterator, and verify a webhook delivery
// the sink captured. Without HALOTAP_API_URL it is skipped.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";

import { HalotapClient, NotFoundError, Webhooks } from "../src/index.js";

const env = process.env;
const ready = Boolean(env.HALOTAP_API_URL && env.HALOTAP_API_KEY && env.HALOTAP_HALO_URL && env.HALOTAP_SINK_URL);
const MERCHANT = "demo-merchant";

async function until<T>(what: string, found: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await found();
    if (value) return value;
    assert.ok(Date.now() < deadline, what);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

test("a checkout's life through the TypeScript SDK", { skip: !ready && "HALOTAP_API_URL and friends are not set" }, async () => {
  const client = new HalotapClient({ apiKey: env.HALOTAP_API_KEY ?? "", baseUrl: env.HALOTAP_API_URL });
  const reference = `sdk-ts-${randomUUID().slice(0, 10)}`;
  const created = await client.createCheckout({ merchantId: MERCHANT, reference, amount: "25.00", currency: "ZAR" });
  assert.deepEqual([created.status, created.reference], ["open", reference]);
  assert.equal((await client.getCheckout(created.id)).id, created.id);
  assert.equal((await client.findCheckout(MERCHANT, reference)).id, created.id);
  const listed: string[] = [];
  for await (const checkout of client.iterCheckouts({ merchantId: MERCHANT, createdFrom: created.createdAt, limit: 2 })) {
    listed.push(checkout.id);
  }
  assert.ok(listed.includes(created.id));

  const tap = await fetch(`${env.HALOTAP_HALO_URL}/_sim/transactions/${created.haloReference}/tap`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ disposition: "Approved" }),
  });
  assert.equal(tap.status, 200, await tap.text());
  await until("never approved", async () => (await client.getCheckout(created.id)).status === "approved");

  const refund = await client.createRefund(created.id, { reference: "sdk-ts-refund-1", amount: "10.00" });
  assert.deepEqual([refund.status, refund.amount], ["succeeded", "10.00"]);
  assert.equal((await client.getRefund(created.id, refund.id)).id, refund.id);

  const events = await until("the events never appeared", async () => {
    const ours: Record<string, string> = {};
    for await (const event of client.iterEvents({ type: ["checkout.approved", "refund.succeeded"] })) {
      if (event.data.id === created.id || event.data.id === refund.id) ours[event.type] = event.id;
    }
    return Object.keys(ours).length === 2 && ours;
  });
  const approvedId = events["checkout.approved"] ?? "";
  assert.equal((await client.getEvent(approvedId)).data.status, "approved");
  assert.deepEqual(await client.resendEvent(approvedId), { id: approvedId, status: "queued" });
  assert.equal((await client.pingWebhookEndpoint()).delivered, true);

  // The approval as the PSP's endpoint received it, verified by the SDK's helper.
  const [delivery] = await until("the approval never reached the sink", async () => {
    const answer = await fetch(`${env.HALOTAP_SINK_URL}/_sink/deliveries?webhookId=${encodeURIComponent(approvedId)}`);
    const found = (await answer.json()) as { body: string; headers: Record<string, string> }[];
    return found.length > 0 && found;
  });
  assert.ok(delivery);
  const event = new Webhooks(env.HALOTAP_SIGNING_SECRET ?? "").verify(delivery.body, delivery.headers);
  assert.deepEqual([event.id, event.type, event.data.id], [approvedId, "checkout.approved", created.id]);

  const day = new Date().toISOString().slice(0, 10);
  assert.equal((await client.runLedger(MERCHANT, day)).merchantId, MERCHANT);
  assert.equal((await client.getLedger(MERCHANT, day)).date, day);
  await assert.rejects(client.getCheckout("chk_does_not_exist"), (error: unknown) => {
    return error instanceof NotFoundError && error.code === "checkout_not_found";
  });
  const made = await client.createApiKey({ label: "sdk-ts" });
  assert.ok((await client.listApiKeys()).some((key) => key.id === made.id));
  const own = new HalotapClient({ apiKey: made.key, baseUrl: env.HALOTAP_API_URL });
  assert.equal((await own.revokeApiKey(made.id)).status, "revoked");
  const other = await client.createCheckout({ merchantId: MERCHANT, reference: `${reference}-b`, amount: "3.00", currency: "ZAR" });
  assert.equal((await client.cancelCheckout(other.id)).status, "cancelled");
});
