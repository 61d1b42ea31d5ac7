/**
 * @module The receiver on Web Crypto, as on an Edge runtime: every provider's asynchronous path.
 *
 * On Node the pipeline runs synchronously (node:crypto); where `process.getBuiltinModule` is
 * missing it falls back to Web Crypto, whose every hash and HMAC is a promise. This file hides
 * `getBuiltinModule` before loading the package, so the same deliveries take that path here.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixtureJson } from "./helpers.js";

type Core = typeof import("../src/index.js");
type Testing = typeof import("../src/testing/index.js");

const NOW_S = 1_775_226_630; // 2026-04-03T14:30:30Z
const NOW = NOW_S * 1000;
const hidden = (process as { getBuiltinModule?: unknown }).getBuiltinModule;
let core: Core;
let testing: Testing;

beforeAll(async () => {
  (process as { getBuiltinModule?: unknown }).getBuiltinModule = undefined;
  try {
    core = await import("../src/index.js");
    testing = await import("../src/testing/index.js");
  } finally {
    (process as { getBuiltinModule?: unknown }).getBuiltinModule = hidden;
  }
});
afterAll(() => {
  (process as { getBuiltinModule?: unknown }).getBuiltinModule = hidden;
});

describe("the receiver on Web Crypto", () => {
  it("loaded the Web Crypto platform", async () => {
    const { platform } = await import("../src/crypto/index.js");
    expect(platform.name).toBe("web");
  });

  it("processes, dedupes and refuses deliveries of every provider", async () => {
    const signal = { ...fixtureJson("apindicators.signal.buy.json"), timestamp: new Date(NOW).toISOString() };
    const cases: [string, import("../src/index.js").Provider, unknown, string][] = [
      ["apindicators", core.apindicators({ secret: ["old", "s1"] }), signal, "signal.buy"],
      ["tickerapi", core.tickerapi({ secret: "s1" }), { ...fixtureJson<Record<string, unknown>>("tickerapi.data.ready.json"), timestamp: new Date(NOW).toISOString() }, "data.ready"],
      ["pipai", core.pipai({ secret: "s1" }), { event: "strategy.deployed", data: { strategy_id: "st_1" } }, "strategy.deployed"],
      ["tradingview", core.tradingview({ token: ["old-token", "tv-token"] }), { ticker: "BTCUSDT", passphrase: "tv-token" }, "tradingview.alert"],
      ["standardWebhooks", core.standardWebhooks({ secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }), { type: "order.filled", data: { qty: 2 } }, "order.filled"],
      ["hmac", core.hmac({ secret: "s1", header: "x-sig", encoding: "base64", event: "custom.ping" }), { hello: "world" }, "custom.ping"],
    ];
    for (const [name, provider, payload, type] of cases) {
      const receiver = core.createReceiver({ provider, now: () => NOW, logger: {} });
      const seen: unknown[] = [];
      receiver.on("*" as never, (event: { id: string; type: string }) => void seen.push([event.type, event.id]));
      const delivery = { ...testing.signDelivery(provider, payload, { timestamp: NOW_S, id: `msg_${name}` }), method: "POST" };

      const event = await receiver.verify(delivery);
      expect(event.type, name).toBe(type);
      expect(event.id, name).toMatch(/^(msg_|[0-9a-f]{64}$)/);

      const first = await receiver.handle(delivery);
      expect([name, first.status, first.outcome]).toEqual([name, 200, "processed"]);
      expect(seen, name).toEqual([[type, event.id]]);
      const again = await receiver.handle(delivery);
      expect([name, again.outcome]).toEqual([name, "duplicate"]);

      const forged = name === "tradingview"
        ? { ...delivery, body: JSON.stringify({ ...(payload as object), passphrase: "nope" }) }
        : { ...delivery, body: `${delivery.body} ` };
      const refused = await receiver.handle(forged);
      expect([name, refused.status]).toEqual([name, 401]);
    }
  });

  it("sender schemes on Web Crypto: a key=value list header, millisecond timestamps, a form body, and v1a Ed25519", async () => {
    const { generateKeyPairSync } = await import("node:crypto");
    const { publicKey, privateKey } = generateKeyPairSync("ed25519");
    const whpk = `whpk_${Buffer.from(publicKey.export({ format: "jwk" }).x!, "base64url").toString("base64")}`;
    const whsk = `whsk_${Buffer.from(privateKey.export({ format: "jwk" }).d!, "base64url").toString("base64")}`;
    const cases: [string, import("../src/index.js").Provider, unknown, Record<string, string>][] = [
      ["stripe-like", core.hmac({ secret: "s", header: "Stripe-Signature", signatureFormat: { signature: "v1", timestamp: "t" }, signedContent: ({ timestamp, body }) => `${timestamp}.${body}` }), { type: "a" }, {}],
      ["ms + form", core.hmac({ secret: "s", header: "X-Sig", timestampHeader: "X-Ts", timestampUnit: "ms", bodyFormat: "form", event: "f", signedContent: ({ timestamp, body }) => `${timestamp}${body}` }), { a: "1" }, {}],
      ["v1a", core.standardWebhooks({ publicKey: whpk }), { type: "a" }, { privateKey: whsk }],
    ];
    for (const [name, provider, payload, options] of cases) {
      const receiver = core.createReceiver({ provider, now: () => NOW, logger: {} });
      const delivery = testing.signDelivery(provider, payload, { timestamp: NOW_S, ...options });
      await expect(receiver.verify(delivery), name).resolves.toBeTruthy();
      expect((await receiver.handle({ ...delivery, body: `${delivery.body}&x` })).status, name).toBe(401);
      const stale = testing.signDelivery(provider, payload, { timestamp: NOW_S - 3600, ...options });
      await expect(receiver.verify(stale), name).rejects.toMatchObject({ code: "TIMESTAMP_TOO_OLD" });
    }
  });

  it("a stale delivery and a bad payload are refused with their codes", async () => {
    const provider = core.apindicators({ secret: "s1" });
    const receiver = core.createReceiver({ provider, now: () => NOW, logger: {} });
    const stale = testing.signDelivery(provider, { ...fixtureJson<Record<string, unknown>>("apindicators.signal.buy.json"), timestamp: "2026-04-03T13:00:00Z" });
    await expect(receiver.verify(stale)).rejects.toMatchObject({ code: "TIMESTAMP_TOO_OLD" });
    const bad = testing.signDelivery(provider, { event: "signal.buy", timestamp: new Date(NOW).toISOString(), data: { pair: "" } });
    expect(JSON.parse((await receiver.handle(bad)).body).error.code).toBe("INVALID_PAYLOAD");
  });
});
