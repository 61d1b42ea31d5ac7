import { describe, expect, it, vi } from "vitest";
import { z } from "zod";
import {
  apindicators,
  createReceiver,
  hmac,
  type IdempotencyStore,
  isWebhookError,
  MemoryStore,
  pipai,
  type Receiver,
  type ReceiverOptions,
  standardWebhooks,
  tickerapi,
  tradingview,
  WebhookError,
} from "../src/index.js";
import { signDelivery } from "../src/testing/index.js";
import { at, fixtureJson } from "./helpers.js";

const SECRET = "unit-secret";
const NOW = at("2026-04-03T14:30:30Z");
const T0 = Math.floor(NOW / 1000);
const provider = apindicators({ secret: SECRET });
const signal = fixtureJson("apindicators.signal.buy.json");
const signed = (payload: unknown = signal, options = {}) => ({ ...signDelivery(provider, payload, { timestamp: T0, ...options }), method: "POST" });
const make = (options: Omit<ReceiverOptions<typeof provider>, "provider"> = {}) =>
  createReceiver({ provider, now: () => NOW, logger: {}, ...options });
const json = (body: string) => JSON.parse(body) as { ok: boolean; outcome?: string; id?: string; error?: { code: string; message: string; issues?: unknown[] } };

describe("HTTP contract", () => {
  it("200 processed: handlers ran; the body names the outcome and id", async () => {
    const receiver = make();
    const seen: unknown[] = [];
    receiver.on("signal.buy", (event) => void seen.push(event.data.pair));
    const result = await receiver.handle(signed());
    expect(result.status).toBe(200);
    expect(result.headers["content-type"]).toMatch(/^application\/json/);
    expect(json(result.body)).toEqual({ ok: true, outcome: "processed", id: result.event!.id });
    expect(seen).toEqual(["BTCUSDT"]);
  });

  it("200 duplicate: a completed key runs no handler", async () => {
    const receiver = make();
    const handler = vi.fn();
    receiver.on("signal.buy", handler);
    const delivery = signed();
    await receiver.handle(delivery);
    const again = await receiver.handle(delivery);
    expect(again.status).toBe(200);
    expect(json(again.body).outcome).toBe("duplicate");
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it("200 ignored: valid delivery without a handler, or an unknown event type by default", async () => {
    const receiver = make();
    expect(json((await receiver.handle(signed())).body).outcome).toBe("ignored");
    receiver.on("*", vi.fn());
    const unknown = await receiver.handle(signed({ ...signal, event: "signal.hold" }));
    expect(unknown.status).toBe(200);
    expect(unknown.outcome).toBe("ignored");
  });

  it("400 INVALID_JSON: after authentication, a body that is not JSON", async () => {
    const receiver = make();
    const result = await receiver.handle(signed("{not json"));
    expect(result.status).toBe(400);
    expect(json(result.body).error).toMatchObject({ code: "INVALID_JSON" });
    expect(json(result.body).error!.message).toMatch(/not valid JSON/);
  });

  it("400 INVALID_PAYLOAD: names the field and carries the schema issues", async () => {
    const receiver = make();
    const result = await receiver.handle(signed({ ...signal, data: { ...(signal.data as object), score: 1.7 } }));
    expect(result.status).toBe(400);
    const error = json(result.body).error!;
    expect(error.code).toBe("INVALID_PAYLOAD");
    expect(error.message).toMatch(/data\.score/);
    expect(error.issues).toEqual([expect.objectContaining({ path: ["data", "score"] })]);
  });

  it("400 UNKNOWN_EVENT with unknownEvents: reject", async () => {
    const result = await make({ unknownEvents: "reject" }).handle(signed({ ...signal, event: "signal.hold" }));
    expect(result.status).toBe(400);
    expect(json(result.body).error).toMatchObject({ code: "UNKNOWN_EVENT" });
    expect(json(result.body).error!.message).toMatch(/signal\.buy, signal\.sell/);
  });

  it("400 EVENT_MISMATCH: TickerAPI's X-Webhook-Event disagrees with the body", async () => {
    const tp = tickerapi({ secret: SECRET });
    const receiver = createReceiver({ provider: tp, now: () => at("2026-03-27T21:30:10Z") });
    const d = signDelivery(tp, fixtureJson("tickerapi.data.ready.json"));
    const result = await receiver.handle({ ...d, headers: { ...d.headers, "x-webhook-event": "watchlist.changes" } });
    expect(result.status).toBe(400);
    expect(json(result.body).error!.code).toBe("EVENT_MISMATCH");
  });

  it.each([
    ["MISSING_SIGNATURE", {}, /X-Webhook-Signature header is missing/],
    ["INVALID_SIGNATURE", { "x-webhook-signature": "sha256=" + "0".repeat(64) }, /does not match/],
    ["INVALID_SIGNATURE", { "x-webhook-signature": "0".repeat(64) }, /sha256=/],
  ])("401 %s", async (code, headers, message) => {
    const result = await make().handle({ body: signed().body, headers, method: "POST" });
    expect(result.status).toBe(401);
    expect(json(result.body).error).toMatchObject({ code });
    expect(json(result.body).error!.message).toMatch(message);
  });

  it("401 MISSING_TOKEN and INVALID_TOKEN (TradingView)", async () => {
    const receiver = createReceiver({ provider: tradingview({ token: "tv-token" }), logger: {} });
    const missing = await receiver.handle({ body: '{"ticker":"BTCUSDT"}', headers: {} });
    expect([missing.status, json(missing.body).error!.code]).toEqual([401, "MISSING_TOKEN"]);
    const wrong = await receiver.handle({ body: '{"ticker":"BTCUSDT","passphrase":"nope"}', headers: {} });
    expect([wrong.status, json(wrong.body).error!.code]).toEqual([401, "INVALID_TOKEN"]);
    expect(wrong.body).not.toContain("tv-token");
  });

  it.each([
    ["MISSING_TIMESTAMP", JSON.stringify({ ...signal, timestamp: undefined }), /timestamp.*missing/],
    ["TIMESTAMP_INVALID", { ...signal, timestamp: "2026-04-03 14:30" }, /ISO 8601/],
    ["TIMESTAMP_INVALID", { ...signal, timestamp: 1775226600 }, /ISO 8601/],
    ["TIMESTAMP_INVALID", { ...signal, timestamp: "2026-04-03T14:30:00" }, /zone/],
    ["TIMESTAMP_TOO_OLD", { ...signal, timestamp: "2026-04-03T13:30:30Z" }, /is 3600 s old, tolerance 300 s/],
    ["TIMESTAMP_IN_FUTURE", { ...signal, timestamp: "2026-04-03T14:40:30Z" }, /600 s in the future/],
  ])("401 %s (body timestamp)", async (code, payload, message) => {
    const result = await make().handle({ ...signDelivery(provider, payload), method: "POST" });
    expect(result.status).toBe(401);
    expect(json(result.body).error!.code).toBe(code);
    expect(json(result.body).error!.message).toMatch(message);
  });

  it("the message for a stale delivery reads as the contract shows", async () => {
    const receiver = make({ now: () => at("2026-04-03T15:30:00Z") });
    const result = await receiver.handle({ ...signDelivery(provider, signal), method: "POST" });
    expect(json(result.body).error!.message).toBe("timestamp 2026-04-03T14:30:00Z is 3600 s old, tolerance 300 s");
  });

  it("403 IP_NOT_ALLOWED, using the resolved address only", async () => {
    const receiver = make({ allowIps: ["10.0.0.0/8"] });
    receiver.on("signal.buy", vi.fn());
    const outside = await receiver.handle({ ...signed(), ip: "192.0.2.1", headers: { ...signed().headers, "x-forwarded-for": "10.1.1.1" } });
    expect([outside.status, json(outside.body).error!.code]).toEqual([403, "IP_NOT_ALLOWED"]);
    expect((await receiver.handle({ ...signed(), ip: undefined })).status).toBe(403);
    expect((await receiver.handle({ ...signed(), ip: "10.2.3.4" })).status).toBe(200);
  });

  it("405 METHOD_NOT_ALLOWED with Allow: POST", async () => {
    const result = await make().handle({ ...signed(), method: "GET" });
    expect(result.status).toBe(405);
    expect(result.headers.allow).toBe("POST");
    expect(json(result.body).error!.code).toBe("METHOD_NOT_ALLOWED");
  });

  it("409 in_progress with Retry-After while a handler runs", async () => {
    const receiver = make();
    let release!: () => void;
    receiver.on("signal.buy", () => new Promise<void>((resolve) => (release = resolve)));
    const first = receiver.handle(signed());
    await vi.waitFor(() => expect(release).toBeTypeOf("function"));
    const second = await receiver.handle(signed());
    expect(second.status).toBe(409);
    expect(second.outcome).toBe("in_progress");
    expect(Number(second.headers["retry-after"])).toBeGreaterThan(0);
    release();
    expect((await first).status).toBe(200);
  });

  it("413 PAYLOAD_TOO_LARGE before authentication", async () => {
    const receiver = make({ maxBodyBytes: 100 });
    const result = await receiver.handle({ body: "x".repeat(101), headers: {} });
    expect([result.status, json(result.body).error!.code]).toEqual([413, "PAYLOAD_TOO_LARGE"]);
  });

  it("422 KEY_REUSED: a known delivery id with another body runs no handler", async () => {
    const pp = pipai({ secret: SECRET });
    const receiver = createReceiver({ provider: pp, now: () => NOW, logger: {} });
    const handler = vi.fn();
    receiver.on("strategy.deployed", handler);
    const a = signDelivery(pp, { event: "strategy.deployed", data: { strategy_id: "a" } }, { id: "dlv-1", timestamp: T0 });
    const b = signDelivery(pp, { event: "strategy.deployed", data: { strategy_id: "b" } }, { id: "dlv-1", timestamp: T0 });
    expect((await receiver.handle(a)).status).toBe(200);
    const reused = await receiver.handle(b);
    expect([reused.status, json(reused.body).error!.code]).toEqual([422, "KEY_REUSED"]);
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it("the success body is valid JSON whatever printable characters a sender's delivery id holds", async () => {
    const pp = pipai({ secret: SECRET });
    const receiver = createReceiver({ provider: pp, now: () => NOW, logger: {} });
    receiver.on("strategy.deployed", () => {});
    for (const id of ['dlv"1', "dlv\\2", "d'l}v{3", "dlv-4_ok:.~"]) {
      const result = await receiver.handle(signDelivery(pp, { event: "strategy.deployed", data: { strategy_id: "a" } }, { id, timestamp: T0 }));
      expect(json(result.body)).toEqual({ ok: true, outcome: "processed", id });
    }
  });

  it("500 HANDLER_FAILED: the claim is released and the retry is processed; the handler's message stays private", async () => {
    const receiver = make();
    const errors: WebhookError[] = [];
    receiver.onError((error) => errors.push(error));
    let calls = 0;
    receiver.on("signal.buy", () => {
      calls++;
      if (calls === 1) throw new Error("exchange said: api key sk_live_123 rejected");
    });
    const failed = await receiver.handle(signed());
    expect(failed.status).toBe(500);
    expect(json(failed.body).error!.code).toBe("HANDLER_FAILED");
    expect(failed.body).not.toContain("sk_live_123");
    expect(failed.body).not.toMatch(/at .*\.ts:\d+/);
    expect((errors[0]!.cause as Error).message).toContain("sk_live_123");
    const retry = await receiver.handle(signed());
    expect([retry.status, retry.outcome]).toEqual([200, "processed"]);
    expect(calls).toBe(2);
  });

  it("503 STORE_UNAVAILABLE: no handler runs, and the store's error text stays private", async () => {
    const broken: IdempotencyStore = {
      claim: async () => {
        throw new Error("connect ECONNREFUSED redis://:hunter2@10.0.0.5");
      },
      extend: async () => false,
      complete: async () => {},
      release: async () => {},
    };
    const receiver = make({ store: broken });
    const handler = vi.fn();
    receiver.on("signal.buy", handler);
    const result = await receiver.handle(signed());
    expect([result.status, json(result.body).error!.code]).toEqual([503, "STORE_UNAVAILABLE"]);
    expect(result.body).not.toContain("hunter2");
    expect(handler).not.toHaveBeenCalled();
  });

  it("a store failure after the handlers succeeded still answers 200 and is logged", async () => {
    const memory = new MemoryStore();
    const store: IdempotencyStore = {
      claim: (...a) => memory.claim(...a),
      extend: (...a) => memory.extend(...a),
      release: (...a) => memory.release(...a),
      complete: async () => {
        throw new Error("connection reset");
      },
    };
    const logger = { error: vi.fn() };
    const receiver = createReceiver({ provider, store, now: () => NOW, logger });
    receiver.on("signal.buy", vi.fn());
    const result = await receiver.handle(signed());
    expect([result.status, result.outcome]).toEqual([200, "processed"]);
    expect(logger.error).toHaveBeenCalledWith(expect.stringMatching(/could not mark/), expect.anything());
  });
});

describe("rotation and freshness", () => {
  it("accepts every configured secret while rotating", async () => {
    const rotating = apindicators({ secret: ["new-secret", "old-secret"] });
    const receiver = createReceiver({ provider: rotating, now: () => NOW });
    for (const secret of ["new-secret", "old-secret"]) {
      const d = signDelivery(rotating, signal, { secret });
      await expect(receiver.verify(d)).resolves.toMatchObject({ type: "signal.buy" });
    }
    await expect(receiver.verify(signDelivery(rotating, signal, { secret: "other" }))).rejects.toMatchObject({ code: "INVALID_SIGNATURE" });
  });

  it("tolerance applies both ways, at the edge inclusive, for header timestamps too", async () => {
    const pp = pipai({ secret: SECRET });
    const payload = { event: "strategy.deployed", data: { strategy_id: "s" } };
    const receiver = createReceiver({ provider: pp, tolerance: 60, now: () => T0 * 1000 });
    for (const offset of [-60, 0, 60]) {
      await expect(receiver.verify(signDelivery(pp, payload, { timestamp: T0 + offset }))).resolves.toBeTruthy();
    }
    await expect(receiver.verify(signDelivery(pp, payload, { timestamp: T0 - 61 }))).rejects.toMatchObject({ code: "TIMESTAMP_TOO_OLD" });
    await expect(receiver.verify(signDelivery(pp, payload, { timestamp: T0 + 61 }))).rejects.toMatchObject({ code: "TIMESTAMP_IN_FUTURE" });
  });

  it("header timestamps are whole unix seconds: milliseconds are refused, never divided", async () => {
    const pp = pipai({ secret: SECRET });
    const receiver = createReceiver({ provider: pp, now: () => T0 * 1000 });
    const d = signDelivery(pp, { event: "strategy.deployed", data: { strategy_id: "s" } }, { timestamp: T0 });
    const ms = { ...d.headers, "x-pipai-timestamp": `${T0}000` };
    await expect(receiver.verify({ ...d, headers: ms })).rejects.toMatchObject({ code: "TIMESTAMP_INVALID", message: expect.stringMatching(/milliseconds/) });
    const { "x-pipai-timestamp": _drop, ...none } = d.headers;
    await expect(receiver.verify({ ...d, headers: none })).rejects.toMatchObject({ code: "MISSING_TIMESTAMP" });
  });

  it("ISO timestamps with offsets are honoured", async () => {
    const receiver = make();
    const event = await receiver.verify(signDelivery(provider, { ...signal, timestamp: "2026-04-03T16:30:00+02:00" }));
    expect(event.timestamp?.toISOString()).toBe("2026-04-03T14:30:00.000Z");
  });
});

describe("routing", () => {
  const pp = pipai({ secret: SECRET });
  const deliver = (receiver: { handle: Receiver["handle"] }, type: string, data: object) =>
    receiver.handle(signDelivery(pp, { event: type, data }, { timestamp: T0 }));

  it("runs exact, one-segment wildcard and * handlers in registration order", async () => {
    const receiver = createReceiver({ provider: pp, now: () => NOW });
    const calls: string[] = [];
    receiver
      .on("*", (e) => void calls.push(`* ${e.type}`))
      .on("strategy.*", (e) => void calls.push(`strategy.* ${e.type}`))
      .on("strategy.deployed", (e) => void calls.push(`exact ${e.data.strategy_id}`))
      .on("backtest.*", (e) => void calls.push(`backtest.* ${e.type}`));
    await deliver(receiver, "strategy.deployed", { strategy_id: "s1" });
    await deliver(receiver, "account.balance_low", { asset: "USDT", available: "10.5", threshold: "50" });
    expect(calls).toEqual(["* strategy.deployed", "strategy.* strategy.deployed", "exact s1", "* account.balance_low"]);
  });

  it("a wildcard matches one dotted segment only", async () => {
    const receiver = createReceiver({ provider: hmac({ secret: SECRET, header: "x-sig" }), now: () => NOW });
    const calls: string[] = [];
    receiver.on("a.*", (e) => void calls.push(e.type));
    const h = hmac({ secret: SECRET, header: "x-sig" });
    for (const type of ["a.b", "a.b.c", "a", "ab.c"]) await receiver.handle(signDelivery(h, { event: type }));
    expect(calls).toEqual(["a.b"]);
  });

  it("each handler finishes before the next starts, sync or async; a sync throw is a 500", async () => {
    const receiver = createReceiver({ provider: pp, now: () => NOW, logger: {} });
    const calls: string[] = [];
    receiver
      .on("strategy.deployed", async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        calls.push("async");
      })
      .on("strategy.deployed", () => void calls.push("sync"))
      .on("strategy.deployed", () => ({ then: (resolve: () => void) => setTimeout(() => (calls.push("thenable"), resolve()), 5) }) as never)
      .on("strategy.deployed", () => void calls.push("last"));
    expect((await deliver(receiver, "strategy.deployed", { strategy_id: "s1" })).status).toBe(200);
    expect(calls).toEqual(["async", "sync", "thenable", "last"]);
    receiver.on("strategy.deployed", () => {
      throw new Error("boom");
    });
    const failed = await deliver(receiver, "strategy.deployed", { strategy_id: "s2" });
    expect(failed.status).toBe(500);
    expect(failed.body).not.toContain("boom");
  });

  it("a handler registered after deliveries have arrived runs for the next one", async () => {
    const receiver = createReceiver({ provider: pp, now: () => NOW });
    const calls: string[] = [];
    receiver.on("strategy.deployed", () => void calls.push("first"));
    await deliver(receiver, "strategy.deployed", { strategy_id: "s1" });
    receiver.on("strategy.*", () => void calls.push("second"));
    await deliver(receiver, "strategy.deployed", { strategy_id: "s2" });
    expect(calls).toEqual(["first", "first", "second"]);
  });

  it("refuses malformed patterns at registration", () => {
    expect(() => make().on("signal*" as never, vi.fn())).toThrow(/not a pattern/);
    expect(() => make().on("*.buy" as never, vi.fn())).toThrow(/not a pattern/);
  });

  it("user schemas add and override events", async () => {
    const receiver = createReceiver({
      provider,
      now: () => NOW,
      events: { "signal.buy": z.object({ pair: z.literal("ETHUSDT") }).loose(), "signal.hold": z.object({ pair: z.string() }) },
    });
    const handler = vi.fn();
    receiver.on("signal.hold", handler);
    expect((await receiver.handle(signed())).status).toBe(400);
    expect((await receiver.handle(signed({ ...signal, event: "signal.hold" }))).status).toBe(200);
    expect(handler).toHaveBeenCalledWith(expect.objectContaining({ data: { pair: "BTCUSDT" } }), expect.anything());
  });
});

describe("exactly once", () => {
  it("50 concurrent identical deliveries run the handler once; the rest are duplicate or 409", async () => {
    const receiver = make();
    let runs = 0;
    receiver.on("signal.buy", async () => {
      runs++;
      await new Promise((r) => setTimeout(r, 20));
    });
    const results = await Promise.all(Array.from({ length: 50 }, () => receiver.handle(signed())));
    expect(runs).toBe(1);
    expect(results.filter((r) => r.outcome === "processed")).toHaveLength(1);
    expect(results.every((r) => r.outcome === "processed" || r.outcome === "duplicate" || r.status === 409)).toBe(true);
  });

  it("extends the lease while a long handler runs", async () => {
    const store = new MemoryStore();
    const extend = vi.spyOn(store, "extend");
    const receiver = make({ store, leaseMs: 1000 });
    receiver.on("signal.buy", () => new Promise((r) => setTimeout(r, 800)));
    expect((await receiver.handle(signed())).status).toBe(200);
    expect(extend.mock.calls.length).toBeGreaterThanOrEqual(1);
  });
});

describe("leases", () => {
  it("aborts context.signal and warns when the lease is lost while a handler runs", async () => {
    const memory = new MemoryStore();
    const store: IdempotencyStore = {
      claim: (...a) => memory.claim(...a),
      extend: async () => false, // another process took the key over
      complete: (...a) => memory.complete(...a),
      release: (...a) => memory.release(...a),
    };
    const logger = { warn: vi.fn() };
    const receiver = createReceiver({ provider, store, leaseMs: 1000, now: () => NOW, logger });
    let aborted = false;
    receiver.on("signal.buy", async (_event, context) => {
      await new Promise<void>((resolve) => {
        context.signal.addEventListener("abort", () => resolve());
        setTimeout(resolve, 2000);
      });
      aborted = context.signal.aborted;
    });
    expect((await receiver.handle(signed())).status).toBe(200);
    expect(aborted).toBe(true);
    expect(logger.warn).toHaveBeenCalledWith(expect.stringMatching(/lease lost/), expect.objectContaining({ type: "signal.buy" }));
  });

  it("one heartbeat renews every running claim, and stops when none runs", async () => {
    const store = new MemoryStore();
    const extend = vi.spyOn(store, "extend");
    const pp = pipai({ secret: SECRET });
    const parallel = createReceiver({ provider: pp, store, leaseMs: 1000, now: () => NOW, logger: {} });
    parallel.on("strategy.deployed", () => new Promise((r) => setTimeout(r, 800)));
    const runs = ["a", "b", "c"].map((id) =>
      parallel.handle(signDelivery(pp, { event: "strategy.deployed", data: { strategy_id: id } }, { id, timestamp: T0 })),
    );
    expect((await Promise.all(runs)).map((r) => r.status)).toEqual([200, 200, 200]);
    const keys = new Set(extend.mock.calls.map((call) => call[0]));
    expect(keys.size).toBe(3);
    const after = extend.mock.calls.length;
    await new Promise((r) => setTimeout(r, 700));
    expect(extend.mock.calls.length).toBe(after);
  });
});

describe("hostile and unusual input", () => {
  it("__proto__ and constructor keys pollute nothing", async () => {
    const receiver = make();
    let seen: Record<string, unknown> | undefined;
    receiver.on("signal.buy", (e) => void (seen = e.data as Record<string, unknown>));
    const body = `{"event":"signal.buy","timestamp":"2026-04-03T14:30:00Z","__proto__":{"polluted":1},"data":{"pair":"BTCUSDT","side":"buy","score":0.5,"market_type":"x","interval":"1h","__proto__":{"isAdmin":true},"constructor":{"prototype":{"polluted":2}}}}`;
    const result = await receiver.handle({ ...signDelivery(provider, body), method: "POST" });
    expect(result.status).toBe(200);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    expect(Object.getPrototypeOf(seen)).toBe(Object.prototype);
    expect(seen!.isAdmin).toBeUndefined();
  });

  it("reads headers in any case, from Headers objects and arrays", async () => {
    const d = signed();
    const sig = d.headers["x-webhook-signature"]!;
    const receiver = make();
    for (const headers of [
      { "X-WEBHOOK-SIGNATURE": sig },
      new Headers({ "x-Webhook-Signature": sig }),
      { "x-webhook-signature": ["sha256=" + "0".repeat(64), sig] },
    ]) {
      await expect(receiver.verify({ body: d.body, headers })).resolves.toMatchObject({ type: "signal.buy" });
    }
  });

  it("merges a name sent in two cases, also after lower-case records were read", async () => {
    const d = signed();
    const sig = d.headers["x-webhook-signature"]!;
    const receiver = make();
    const wrong = "sha256=" + "0".repeat(64);
    await expect(receiver.verify({ body: d.body, headers: { "x-webhook-signature": sig } })).resolves.toMatchObject({ type: "signal.buy" });
    // The lower-case name is now known; its upper-case twin must still be found and merged.
    for (const headers of [
      { "x-webhook-signature": wrong, "X-Webhook-Signature": sig },
      { "X-Webhook-Signature": wrong, "x-webhook-signature": sig },
    ]) {
      await expect(receiver.verify({ body: d.body, headers })).resolves.toMatchObject({ type: "signal.buy" });
    }
    await expect(receiver.verify({ body: d.body, headers: { "x-webhook-signature": wrong, "X-Webhook-Signature": wrong } })).rejects.toMatchObject({
      code: "INVALID_SIGNATURE",
    });
  });

  it("accepts the body as string, Uint8Array, ArrayBuffer and Buffer", async () => {
    const d = signed();
    const bytes = new TextEncoder().encode(d.body);
    const receiver = make();
    for (const body of [d.body, bytes, bytes.buffer.slice(0), Buffer.from(d.body)]) {
      await expect(receiver.verify({ body, headers: d.headers })).resolves.toMatchObject({ type: "signal.buy" });
    }
  });

  it("verifies the exact bytes: a re-serialised body fails", async () => {
    const d = signed();
    const pretty = JSON.stringify(JSON.parse(d.body), null, 2);
    await expect(make().verify({ body: pretty, headers: d.headers })).rejects.toMatchObject({ code: "INVALID_SIGNATURE" });
  });

  it("invalid UTF-8 is INVALID_JSON, never a silent U+FFFD", async () => {
    const bytes = new Uint8Array([...new TextEncoder().encode('{"event":"signal.buy","x":"'), 0xff, 0x22, 0x7d]);
    const sig = (await import("node:crypto")).createHmac("sha256", SECRET).update(bytes).digest("hex");
    await expect(make().verify({ body: bytes, headers: { "x-webhook-signature": `sha256=${sig}` } })).rejects.toMatchObject({
      code: "INVALID_JSON",
      message: expect.stringMatching(/UTF-8/),
    });
  });

  it("handle() never throws, even on nonsense input", async () => {
    const receiver = make();
    receiver.on("*", vi.fn());
    for (const delivery of [
      { body: 42 as never, headers: {} },
      { body: "", headers: null as never },
      { body: "{}", headers: { "x-webhook-signature": 5 as never } },
      { body: "{}", headers: {}, method: 7 as never },
    ]) {
      const result = await receiver.handle(delivery);
      expect(result.status).toBeGreaterThanOrEqual(400);
      expect(() => JSON.parse(result.body)).not.toThrow();
    }
  });

  it("no response carries a secret or the expected signature", async () => {
    const receiver = make();
    const d = signed();
    const expected = d.headers["x-webhook-signature"]!.slice(7);
    for (const delivery of [
      { ...d, body: d.body + " " },
      { ...d, headers: { "x-webhook-signature": "sha256=abc" } },
      { ...d, headers: {} },
    ]) {
      const result = await receiver.handle(delivery);
      expect(result.body).not.toContain(SECRET);
      expect(result.body).not.toContain(expected);
    }
  });
});

describe("configuration", () => {
  it("an option given as undefined is unset: every default applies", async () => {
    const receiver = createReceiver({
      provider,
      store: undefined,
      tolerance: undefined,
      maxBodyBytes: undefined,
      leaseMs: undefined,
      retainMs: undefined,
      queue: undefined,
      events: undefined,
      unknownEvents: undefined,
      allowIps: undefined,
      now: undefined,
      logger: undefined,
    });
    const ran: string[] = [];
    receiver.on("signal.buy", (event) => void ran.push(event.data.pair));
    const fresh = { ...signDelivery(provider, signal, { timestamp: Math.floor(Date.now() / 1000) }), method: "POST", ip: "203.0.113.9" };
    expect((await receiver.handle(fresh)).outcome).toBe("processed");
    expect((await receiver.handle(fresh)).outcome).toBe("duplicate");
    expect(ran).toEqual(["BTCUSDT"]);
    expect(receiver.maxBodyBytes).toBe(1_048_576);
    const stale = { ...signDelivery(provider, signal, { timestamp: Math.floor(Date.now() / 1000) - 301 }), method: "POST" };
    expect((await receiver.handle(stale)).error?.code).toBe("TIMESTAMP_TOO_OLD");
  });

  it.each([
    [() => apindicators({ secret: "" }), /secret is empty/],
    [() => apindicators({ secret: [] }), /array is empty/],
    [() => apindicators({} as never), /secret is required/],
    [() => tickerapi({ secret: ["ok", ""] }), /entry 1\) is empty/],
    [() => standardWebhooks({ secret: "whsec_!!!" }), /base64/],
    [() => tradingview({ token: "" }), /token is empty/],
    [() => hmac({ secret: "s", header: "" }), /header/],
    [() => hmac({ secret: "s", header: "x", encoding: "hex64" as never }), /encoding/],
    [() => createReceiver({} as never), /provider is required/],
    [() => createReceiver({ provider, tolerence: 10 } as never), /"tolerence" is unknown/],
    [() => createReceiver({ provider, allowIps: ["10.0.0.0/33"] }), /allowIps entry "10.0.0.0\/33"/],
    [() => createReceiver({ provider, tolerance: -1 }), /tolerance/],
    [() => createReceiver({ provider, unknownEvents: "drop" as never }), /unknownEvents/],
    [() => createReceiver({ provider, store: {} as never }), /store must implement/],
    [() => createReceiver({ provider, events: { x: {} as never } }), /Standard Schema v1 \(a zod/],
  ])("fails at configuration time with a clear message (%#)", (create, message) => {
    expect(create).toThrow(message);
  });

  it("runs a provider's steps as its methods: one whose methods use `this` works", async () => {
    // The receiver reads the steps off the provider once, at createReceiver; each must still
    // be called on the provider, as a provider written as a class expects.
    class Delegating {
      readonly name = provider.name;
      readonly events = provider.events;
      readonly open = provider.open;
      readonly tolerance = provider.tolerance;
      readonly retainMs = provider.retainMs;
      constructor(private readonly inner: typeof provider) {}
      authenticate(view: Parameters<typeof provider.authenticate>[0]) {
        return this.inner.authenticate(view);
      }
      parse(...args: Parameters<typeof provider.parse>) {
        return this.inner.parse(...args);
      }
      bodyTimestamp(payload: unknown) {
        return this.inner.bodyTimestamp(payload);
      }
      describe(...args: Parameters<typeof provider.describe>) {
        return this.inner.describe(...args);
      }
      sign(...args: Parameters<typeof provider.sign>) {
        return this.inner.sign(...args);
      }
    }
    const receiver = createReceiver({ provider: new Delegating(provider), now: () => NOW, logger: {} });
    const pairs: string[] = [];
    receiver.on("signal.buy", (event) => void pairs.push(event.data.pair));
    const result = await receiver.handle(signed());
    expect(json(result.body)).toMatchObject({ ok: true, outcome: "processed" });
    expect(pairs).toEqual(["BTCUSDT"]);
    expect(json((await receiver.handle({ ...signed(), headers: {} })).body).error?.code).toBe("MISSING_SIGNATURE");
  });

  it("logging the provider shows no secret", () => {
    const p = apindicators({ secret: "do-not-print" });
    expect(JSON.stringify(p)).not.toContain("do-not-print");
  });
});

describe("errors", () => {
  it("isWebhookError works across realms by name, and rejects look-alikes", async () => {
    const error = await make().verify({ body: "{}", headers: {} }).catch((e: unknown) => e);
    expect(isWebhookError(error)).toBe(true);
    expect(error).toBeInstanceOf(WebhookError);
    expect(isWebhookError({ name: "SignatureError", code: "INVALID_SIGNATURE", status: 401 })).toBe(true);
    expect(isWebhookError({ name: "Error", code: "INVALID_SIGNATURE", status: 401 })).toBe(false);
    expect(isWebhookError(new Error("x"))).toBe(false);
  });
});

describe("events", () => {
  it("verify() and handle() give events of the same shape: id first, in JSON, spreads and assignments", async () => {
    const receiver = make();
    let handled: Record<string, unknown> | undefined;
    receiver.on("signal.buy", (event) => void (handled = event as never));
    const delivery = signed();
    const verified = await receiver.verify(delivery);
    await receiver.handle(delivery);
    expect(Object.keys(verified)).toEqual(["id", "type", "timestamp", "data", "payload", "provider", "receivedAt"]);
    expect(Object.keys(verified)).toEqual(Object.keys(handled!));
    expect(JSON.parse(JSON.stringify(verified))).toEqual(JSON.parse(JSON.stringify(handled)));
    expect({ ...verified }.id).toMatch(/^[0-9a-f]{64}$/);
    verified.id = "mine";
    expect(verified.id).toBe("mine");
  });
});

describe("fetch", () => {
  it("is bound and answers Web Requests", async () => {
    const receiver = make();
    receiver.on("signal.buy", vi.fn());
    const { fetch } = receiver;
    const d = signed();
    const response = await fetch(new Request("http://localhost/hook", { method: "POST", body: d.body, headers: d.headers }));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ ok: true, outcome: "processed" });
    expect((await fetch(new Request("http://localhost/hook"))).status).toBe(405);
  });

  it("stops reading a stream at the cap", async () => {
    const receiver = make({ maxBodyBytes: 1024 });
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(512));
        if (pulled > 1000) controller.close();
      },
    });
    const response = await receiver.fetch(new Request("http://localhost/", { method: "POST", body, duplex: "half" } as RequestInit));
    expect(response.status).toBe(413);
    expect(pulled).toBeLessThan(10);
  });
});
