/// <reference types="vite/client" />
/**
 * @module One conformance suite over every adapter, over real HTTP on loopback.
 *
 * Rows are the files in ./transports/ (each exports `transport` or `transports`); adding a
 * file adds a row. Case ids a transport may name in `skip`: processed, duplicate, forged,
 * stale, oversized, oversized-chunked, method, text-plain, allow-ips, json-route, exact-bytes.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { apindicators } from "../../src/index.js";
import { signDelivery } from "../../src/testing/index.js";
import { fixtureJson } from "../helpers.js";
import { send, type Reply } from "./client.js";
import { MAX_BODY, SECRET, TV_TOKEN, type RunningServer, type Transport } from "./spec.js";

const modules = import.meta.glob<{ transport?: Transport; transports?: Transport[] }>("./transports/*.ts", { eager: true });
const rows = Object.values(modules)
  .flatMap((module) => module.transports ?? (module.transport ? [module.transport] : []))
  .sort((a, b) => a.name.localeCompare(b.name));

const provider = apindicators({ secret: SECRET });
const signal = fixtureJson("apindicators.signal.buy.json");
const nowSeconds = () => Math.floor(Date.now() / 1000);

function post(server: RunningServer, path: string, delivery: { body: string; headers: Record<string, string> }, framing?: "length" | "chunked") {
  return send(`${server.baseUrl}${path}`, { body: delivery.body, headers: delivery.headers, framing });
}

async function count(server: RunningServer): Promise<number> {
  const reply = await send(`${server.baseUrl}/count`, { method: "GET" });
  expect(reply.status).toBe(200);
  return reply.json().count as number;
}

function expectError(reply: Reply, status: number, code: string) {
  expect(reply.status).toBe(status);
  expect(reply.headers["content-type"]).toMatch(/^application\/json/);
  expect(reply.json()).toMatchObject({ ok: false, error: { code } });
}

test("the suite found the transports", () => {
  expect(rows.map((row) => row.name)).toEqual(expect.arrayContaining(["express 4", "express 5", "fastify 4", "fastify 5", "bun (receiver.fetch)"]));
});

describe.each(rows)("$name", (transport) => {
  let server: RunningServer;
  const check = (id: string, title: string, fn: () => Promise<void>) => {
    const reason = transport.skip?.[id];
    if (reason) test.skip(`${title} (skipped: ${reason})`, fn);
    else test(title, fn);
  };

  beforeAll(async () => {
    server = await transport.start();
  });
  afterAll(async () => {
    await server?.close();
  });

  // One delivery shared by "processed" and "duplicate", signed when first used.
  let first: { body: string; headers: Record<string, string> } | undefined;
  let firstSent = false;
  const firstDelivery = () => (first ??= signDelivery(provider, signal, { timestamp: nowSeconds() }));

  // With a queue, the first answer is 202 queued and the handler runs on a worker soon after.
  const firstOutcome = transport.queued ? "queued" : "processed";

  check("processed", "a signed delivery is processed and runs the handler once", async () => {
    const before = await count(server);
    const reply = await post(server, "/webhook", firstDelivery());
    firstSent = true;
    expect(reply.status).toBe(transport.queued ? 202 : 200);
    expect(reply.json()).toMatchObject({ ok: true, outcome: firstOutcome });
    if (transport.queued) await expect.poll(() => count(server), { timeout: 15_000 }).toBe(before + 1);
    expect(await count(server)).toBe(before + 1);
  });

  check("duplicate", "the same delivery again is a 200 duplicate and runs nothing", async () => {
    if (!firstSent) expect((await post(server, "/webhook", firstDelivery())).json().outcome).toBe(firstOutcome);
    const before = await count(server);
    const reply = await post(server, "/webhook", firstDelivery());
    expect(reply.status).toBe(200);
    expect(reply.json()).toMatchObject({ ok: true, outcome: "duplicate" });
    expect(await count(server)).toBe(before);
  });

  check("forged", "a delivery signed with another secret is 401 and leaks nothing", async () => {
    const timestamp = nowSeconds();
    const forged = signDelivery(provider, signal, { timestamp, secret: "not-the-secret" });
    const genuine = signDelivery(provider, signal, { timestamp });
    const reply = await post(server, "/webhook", forged);
    expectError(reply, 401, "INVALID_SIGNATURE");
    const expected = genuine.headers["x-webhook-signature"]!.replace("sha256=", "");
    expect(reply.text).not.toContain(SECRET);
    expect(reply.text).not.toContain(expected);
  });

  check("stale", "a delivery an hour old is 401 TIMESTAMP_TOO_OLD", async () => {
    const reply = await post(server, "/webhook", signDelivery(provider, signal, { timestamp: nowSeconds() - 3600 }));
    expectError(reply, 401, "TIMESTAMP_TOO_OLD");
  });

  const oversized = () => signDelivery(provider, { ...signal, padding: "x".repeat(MAX_BODY + 1000) }, { timestamp: nowSeconds() });

  check("oversized", "a body over maxBodyBytes with Content-Length is 413 and runs nothing", async () => {
    const before = await count(server);
    const reply = await post(server, "/webhook", oversized(), "length");
    expectError(reply, 413, "PAYLOAD_TOO_LARGE");
    expect(await count(server)).toBe(before);
  });

  check("oversized-chunked", "a chunked body over maxBodyBytes without Content-Length is 413 and runs nothing", async () => {
    const before = await count(server);
    const reply = await post(server, "/webhook", oversized(), "chunked");
    expectError(reply, 413, "PAYLOAD_TOO_LARGE");
    expect(await count(server)).toBe(before);
  });

  check("method", "GET on the webhook path is 405 in tradehook's format", async () => {
    const reply = await send(`${server.baseUrl}/webhook`, { method: "GET" });
    expectError(reply, 405, "METHOD_NOT_ALLOWED");
    expect(reply.headers.allow).toBe("POST");
  });

  check("text-plain", "a text/plain TradingView alert with a URL token is processed", async () => {
    const before = await count(server);
    const reply = await send(`${server.baseUrl}/tv?token=${TV_TOKEN}`, { body: "BUY BTCUSDT", headers: { "content-type": "text/plain" } });
    expect(reply.status).toBe(200);
    expect(reply.json()).toMatchObject({ ok: true, outcome: "processed" });
    expect(await count(server)).toBe(before + 1);
  });

  check("allow-ips", "allowIps uses the framework's client address: loopback is refused by /denied, let through by /local", async () => {
    const delivery = signDelivery(provider, signal, { timestamp: nowSeconds() });
    expectError(await post(server, "/denied", delivery), 403, "IP_NOT_ALLOWED");
    const reply = await post(server, "/local", delivery);
    expect(reply.status).toBe(200);
    expect(reply.json()).toMatchObject({ ok: true, outcome: "processed" });
  });

  check("json-route", "a JSON route beside the webhook routes still gets parsed JSON", async () => {
    const reply = await send(`${server.baseUrl}/json`, { body: '{"a":1,"b":[true,null,"x"]}', headers: { "content-type": "application/json" } });
    expect(reply.status).toBe(200);
    expect(reply.json()).toEqual({ received: { a: 1, b: [true, null, "x"] } });
  });

  check("exact-bytes", "a body with a BOM and unusual whitespace, signed as bytes, verifies", async () => {
    const iso = new Date(nowSeconds() * 1000).toISOString().replace(".000Z", "Z");
    const body = `\uFEFF \r\n{ "event" :\t"signal.buy",\n  "timestamp": "${iso}" , "data":{"pair":"ETHUSDT","side":"buy","score":0.5,"market_type":"ranging","interval":"4h"}  }\n\n`;
    const before = await count(server);
    const reply = await post(server, "/webhook", signDelivery(provider, body));
    expect(reply.status).toBe(transport.queued ? 202 : 200);
    expect(reply.json()).toMatchObject({ ok: true, outcome: firstOutcome });
    if (transport.queued) await expect.poll(() => count(server), { timeout: 15_000 }).toBe(before + 1);
    expect(await count(server)).toBe(before + 1);
  });
});
