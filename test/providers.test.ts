import { createHash, createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { apindicators, createReceiver, hmac, pipai, standardWebhooks, tickerapi, tradingview, TRADINGVIEW_IPS } from "../src/index.js";
import { signDelivery } from "../src/testing/index.js";
import { at, fixture, fixtureJson } from "./helpers.js";

const NOW = at("2026-04-03T14:30:30Z");
const T0 = Math.floor(NOW / 1000);
const hex = (secret: string | Buffer, content: string, alg = "sha256") => createHmac(alg, secret).update(content).digest("hex");
const b64 = (secret: string | Buffer, content: string, alg = "sha256") => createHmac(alg, secret).update(content).digest("base64");

describe("apindicators", () => {
  it("requires the sha256= prefix", async () => {
    const body = fixture("apindicators.signal.buy.json");
    const receiver = createReceiver({ provider: apindicators({ secret: "s" }), now: () => NOW });
    await expect(receiver.verify({ body, headers: { "x-webhook-signature": hex("s", body) } })).rejects.toMatchObject({ code: "INVALID_SIGNATURE" });
    await expect(receiver.verify({ body, headers: { "x-webhook-signature": `SHA256=${hex("s", body)}` } })).resolves.toBeTruthy();
  });

  it("uses the SHA-256 of the raw body as the event id", async () => {
    const body = fixture("apindicators.signal.buy.json");
    const receiver = createReceiver({ provider: apindicators({ secret: "s" }), now: () => NOW });
    const event = await receiver.verify({ body, headers: { "x-webhook-signature": `sha256=${hex("s", body)}` } });
    expect(event.id).toBe(createHash("sha256").update(body).digest("hex"));
  });
});

describe("tickerapi", () => {
  it("accepts bare hex and the sha256= prefix, and types watchlist changes", async () => {
    const body = fixture("tickerapi.watchlist.changes.json");
    const receiver = createReceiver({ provider: tickerapi({ secret: "t" }), now: () => at("2026-03-27T21:30:00Z") });
    for (const sig of [hex("t", body), `sha256=${hex("t", body)}`]) {
      const event = await receiver.verify({ body, headers: { "x-webhook-signature": sig, "x-webhook-event": "watchlist.changes" } });
      expect(event.type).toBe("watchlist.changes");
      const data = event.data as { changes: Record<string, { field: string }[]> };
      expect(data.changes.TSLA!.map((c) => c.field)).toContain("fundamentals.analyst_consensus");
    }
  });
});

describe("pipai", () => {
  const payload = { event: "account.balance_low", data: { asset: "USDT", available: "12.50", threshold: "100.00" } };

  it("uses X-PipAI-Delivery as the id when sent, else the body hash", async () => {
    const p = pipai({ secret: "p" });
    const receiver = createReceiver({ provider: p, now: () => NOW });
    expect((await receiver.verify(signDelivery(p, payload, { id: "dlv_42", timestamp: T0 }))).id).toBe("dlv_42");
    const d = signDelivery(p, payload, { timestamp: T0 });
    const { "x-pipai-delivery": _omit, ...headers } = d.headers;
    expect((await receiver.verify({ body: d.body, headers })).id).toMatch(/^[0-9a-f]{64}$/);
  });

  it("keeps decimals as strings and refuses numbers for them", async () => {
    const p = pipai({ secret: "p" });
    const receiver = createReceiver({ provider: p, now: () => NOW });
    const event = await receiver.verify(signDelivery(p, payload, { timestamp: T0 }));
    expect(event.data).toEqual({ asset: "USDT", available: "12.50", threshold: "100.00" });
    const numeric = { ...payload, data: { ...payload.data, available: 12.5 } };
    await expect(receiver.verify(signDelivery(p, numeric, { timestamp: T0 }))).rejects.toMatchObject({ code: "INVALID_PAYLOAD" });
  });

  it("honours custom header names", async () => {
    const p = pipai({ secret: "p", signatureHeader: "X-Sig", timestampHeader: "X-Ts", idHeader: "X-Id" });
    const d = signDelivery(p, payload, { timestamp: T0, id: "a1" });
    expect(Object.keys(d.headers).sort()).toEqual(["content-type", "x-id", "x-sig", "x-ts"]);
    await expect(createReceiver({ provider: p, now: () => NOW }).verify(d)).resolves.toMatchObject({ id: "a1" });
  });
});

describe("tradingview", () => {
  const tv = tradingview({ token: "tv-secret" });
  const receiver = createReceiver({ provider: tv, now: () => NOW });

  it("alert data is any JSON object or the alert's text, nothing else", async () => {
    const { tradingviewAlertSchema } = await import("../src/index.js");
    for (const value of [{}, { ticker: "BTCUSDT", close: 1 }, { nested: { a: [1] } }, "text alert", ""]) {
      expect(tradingviewAlertSchema.safeParse(value)).toMatchObject({ success: true, data: value });
    }
    for (const value of [[], [1, 2], 42, null, true, undefined]) {
      expect(tradingviewAlertSchema.safeParse(value).success, JSON.stringify(value)).toBe(false);
    }
    // A message that is JSON but not an object (token in the URL) is delivered as its text.
    expect((await receiver.verify({ body: "[1,2]", headers: {}, url: "/tv?token=tv-secret" })).data).toBe("[1,2]");
  });

  it("reads the token from a URL that has other parameters, a fragment or an absolute form", async () => {
    for (const url of ["/tv?x=1&token=tv-secret", "http://example.test/tv?token=tv-secret#frag", "/tv?token=tv-secret&y="]) {
      const event = await receiver.verify({ body: "BTCUSDT crossed 67000", headers: {}, url });
      expect(event.data, url).toBe("BTCUSDT crossed 67000");
    }
    for (const url of ["/tv", "/tv#?token=tv-secret", "/tv?", "/tv?tok=tv-secret"]) {
      await expect(receiver.verify({ body: "BTCUSDT crossed 67000", headers: {}, url }), url).rejects.toMatchObject({ code: "MISSING_TOKEN" });
    }
  });

  it("takes the token from the URL and then accepts a plain-text alert", async () => {
    const event = await receiver.verify({ body: "BTCUSDT crossed 67000", headers: { "content-type": "text/plain" }, url: "/tv?token=tv-secret" });
    expect(event.data).toBe("BTCUSDT crossed 67000");
    await expect(receiver.verify({ body: "BTCUSDT crossed 67000", headers: {}, url: "/tv?token=nope" })).rejects.toMatchObject({ code: "INVALID_TOKEN" });
    await expect(receiver.verify({ body: "BTCUSDT crossed 67000", headers: {} })).rejects.toMatchObject({ code: "MISSING_TOKEN" });
  });

  it("refuses a URL token and a body token that disagree", async () => {
    const body = JSON.stringify({ passphrase: "other", ticker: "X" });
    await expect(receiver.verify({ body, headers: {}, url: "/tv?token=tv-secret" })).rejects.toMatchObject({ code: "INVALID_TOKEN" });
  });

  it("checks freshness from timenow/time when present, and names unfilled placeholders", async () => {
    const stale = JSON.stringify({ passphrase: "tv-secret", timenow: "2026-04-03T13:00:00Z" });
    await expect(receiver.verify({ body: stale, headers: {} })).rejects.toMatchObject({ code: "TIMESTAMP_TOO_OLD" });
    const placeholder = JSON.stringify({ passphrase: "tv-secret", time: "{{time}}" });
    await expect(receiver.verify({ body: placeholder, headers: {} })).rejects.toMatchObject({
      code: "TIMESTAMP_INVALID",
      message: expect.stringMatching(/unfilled TradingView placeholder/),
    });
    await expect(receiver.verify({ body: JSON.stringify({ passphrase: "tv-secret" }), headers: {} })).resolves.toBeTruthy();
  });

  it("never coerces a leftover {{placeholder}} into a number", async () => {
    const typed = createReceiver({ provider: tv, now: () => NOW, events: { "tradingview.alert": z.object({ close: z.number() }).loose() } });
    const body = JSON.stringify({ passphrase: "tv-secret", close: "{{close}}" });
    await expect(typed.verify({ body, headers: {} })).rejects.toMatchObject({ code: "INVALID_PAYLOAD" });
    await expect(typed.verify({ body: JSON.stringify({ passphrase: "tv-secret", close: "" }), headers: {} })).rejects.toMatchObject({ code: "INVALID_PAYLOAD" });
  });

  it("signDelivery puts the token in the body or the URL", async () => {
    const inBody = signDelivery(tv, fixtureJson("tradingview.strategy-fill.json"), { timestamp: T0 });
    expect(JSON.parse(inBody.body).passphrase).toBe("tv-secret");
    const inUrl = signDelivery(tv, "plain alert", { url: "http://127.0.0.1:8787/tv" });
    expect(inUrl.url).toBe("http://127.0.0.1:8787/tv?token=tv-secret");
    await expect(receiver.verify(inBody)).resolves.toBeTruthy();
    await expect(receiver.verify(inUrl)).resolves.toMatchObject({ data: "plain alert" });
  });

  it("keeps duplicates for 60 s by default", () => {
    expect(tv.retainMs).toBe(60_000);
    expect(TRADINGVIEW_IPS).toEqual(["52.89.214.238", "34.212.75.30", "54.218.53.128", "52.32.178.7"]);
  });
});

describe("standardWebhooks", () => {
  const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  const sw = standardWebhooks({ secret });
  const receiver = createReceiver({ provider: sw, now: () => NOW });
  const payload = { type: "invoice.paid", timestamp: "2026-04-03T14:30:00Z", data: { amount: 10 } };

  it("accepts one valid signature among several, and ignores other versions", async () => {
    const d = signDelivery(sw, payload, { timestamp: T0, id: "msg_1" });
    const headers = { ...d.headers, "webhook-signature": `v2,abc v1,${"A".repeat(44)} ${d.headers["webhook-signature"]}` };
    await expect(receiver.verify({ body: d.body, headers })).resolves.toMatchObject({ type: "invoice.paid", data: { amount: 10 }, id: "msg_1" });
    await expect(receiver.verify({ body: d.body, headers: { ...d.headers, "webhook-signature": "v2,abc" } })).rejects.toMatchObject({ code: "INVALID_SIGNATURE" });
  });

  it("requires webhook-id, which is part of the signed content", async () => {
    const d = signDelivery(sw, payload, { timestamp: T0, id: "msg_1" });
    await expect(receiver.verify({ body: d.body, headers: { ...d.headers, "webhook-id": "msg_2" } })).rejects.toMatchObject({ code: "INVALID_SIGNATURE" });
    const { "webhook-id": _drop, ...rest } = d.headers;
    await expect(receiver.verify({ body: d.body, headers: rest })).rejects.toMatchObject({ code: "MISSING_SIGNATURE", message: expect.stringMatching(/webhook-id/) });
  });

  it("decodes whsec_ secrets; a raw secret used as bytes does not verify", async () => {
    const d = signDelivery(sw, payload, { timestamp: T0, id: "m" });
    const wrongKey = b64(secret, `m.${T0}.${d.body}`);
    await expect(receiver.verify({ body: d.body, headers: { ...d.headers, "webhook-signature": `v1,${wrongKey}` } })).rejects.toMatchObject({ code: "INVALID_SIGNATURE" });
  });
});

describe("hmac", () => {
  it("supports base64, sha512, a prefix, a timestamp header and an id header", async () => {
    const p = hmac({ secret: "g", header: "X-Sig", prefix: "v0=", encoding: "base64", algorithm: "sha512", timestampHeader: "X-Ts", idHeader: "X-Id" });
    const body = JSON.stringify({ type: "order.filled", qty: 1 });
    const headers = { "x-sig": `v0=${b64("g", body, "sha512")}`, "x-ts": String(T0), "x-id": "ord_1" };
    const receiver = createReceiver({ provider: p, now: () => NOW });
    await expect(receiver.verify({ body, headers })).resolves.toMatchObject({ id: "ord_1", type: "order.filled", timestamp: new Date(T0 * 1000) });
    await expect(receiver.verify({ body, headers: { ...headers, "x-ts": String(T0 - 3600) } })).rejects.toMatchObject({ code: "TIMESTAMP_TOO_OLD" });
    await expect(receiver.verify(signDelivery(p, JSON.parse(body), { timestamp: T0, id: "ord_1" }))).resolves.toMatchObject({ id: "ord_1" });
  });

  it("signs custom content such as Slack-style v0:timestamp:body", async () => {
    const p = hmac({
      secret: "slack",
      header: "X-Slack-Signature",
      prefix: "v0=",
      timestampHeader: "X-Slack-Request-Timestamp",
      signedContent: ({ body, timestamp }) => `v0:${timestamp}:${body}`,
      event: (payload) => (payload as { type: string }).type,
    });
    const body = '{"type":"event_callback"}';
    const headers = { "x-slack-signature": `v0=${hex("slack", `v0:${T0}:${body}`)}`, "x-slack-request-timestamp": String(T0) };
    await expect(createReceiver({ provider: p, now: () => NOW }).verify({ body, headers })).resolves.toMatchObject({ type: "event_callback" });
  });

  it("reads the event from `event` or `type` by default and says so when neither is there", async () => {
    const p = hmac({ secret: "g", header: "X-Sig" });
    const receiver = createReceiver({ provider: p });
    await expect(receiver.verify(signDelivery(p, { event: "a.b" }))).resolves.toMatchObject({ type: "a.b" });
    await expect(receiver.verify(signDelivery(p, { type: "c.d" }))).resolves.toMatchObject({ type: "c.d" });
    await expect(receiver.verify(signDelivery(p, { kind: "x" }))).rejects.toMatchObject({ code: "INVALID_PAYLOAD" });
  });
});
