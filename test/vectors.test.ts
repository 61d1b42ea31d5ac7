import * as nodeCrypto from "node:crypto";
import * as nodeBuffer from "node:buffer";
import { describe, expect, it } from "vitest";
import { createNodePlatform, createWebPlatform, type CryptoPlatform } from "../src/crypto/index.js";
import { decodeBase64, encodeBase64, matchHmac, tokenMatches } from "../src/crypto/signature.js";
import { apindicators, createReceiver, hmac, pipai, standardWebhooks, tickerapi, tradingview } from "../src/index.js";
import { signDelivery } from "../src/testing/index.js";
import { at, fixture, STANDARD_WEBHOOKS_VECTOR } from "./helpers.js";

const platforms: [string, CryptoPlatform][] = [
  ["node:crypto", createNodePlatform(nodeCrypto, nodeBuffer)],
  ["Web Crypto", createWebPlatform(globalThis.crypto.subtle)],
];
const enc = new TextEncoder();
const hexHmac = (secret: string, content: string) => nodeCrypto.createHmac("sha256", secret).update(content).digest("hex");

const SW = STANDARD_WEBHOOKS_VECTOR;

describe.each(platforms)("crypto platform %s", (_name, platform) => {
  const swKey = decodeBase64(SW.secret.slice(6))!;

  it("reproduces the Standard Webhooks known-answer signature", async () => {
    const mac = await platform.hmac("sha256", swKey, [`${SW.id}.${SW.timestamp}.`, enc.encode(SW.body)]);
    expect(`v1,${encodeBase64(mac)}`).toBe(SW.signature);
  });

  it("reproduces the Coinify known-answer HMAC", async () => {
    const mac = await platform.hmac("sha256", enc.encode("my-shared-secret"), ['{"examplePayload":true}']);
    expect(Buffer.from(mac).toString("hex")).toBe("bcdbb89e3031905f3cc1a20d16b5f969a17a7d8fa0c26e4a807c2193402d66f4");
  });

  it("computes sha512 and sha1 HMACs like node:crypto", async () => {
    for (const alg of ["sha512", "sha1"] as const) {
      const mac = await platform.hmac(alg, enc.encode("k"), ["a", enc.encode("b")]);
      expect(Buffer.from(mac).toString("hex")).toBe(nodeCrypto.createHmac(alg, "k").update("ab").digest("hex"));
    }
  });

  it("hashes bodies with SHA-256", async () => {
    expect(await platform.sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  it("decodes UTF-8 fatally: invalid bytes give undefined, never U+FFFD", () => {
    expect(platform.decodeUtf8(enc.encode("héllo €"))).toBe("héllo €");
    expect(platform.decodeUtf8(new Uint8Array([0x7b, 0xff, 0x7d]))).toBeUndefined();
    expect(platform.decodeUtf8(new Uint8Array([0xed, 0xa0, 0x80]))).toBeUndefined(); // lone surrogate
  });

  it("treats malformed, truncated and wrong-length signatures as invalid without throwing", async () => {
    const key = enc.encode("secret");
    const good = Buffer.from(await platform.hmac("sha256", key, ["body"])).toString("hex");
    const cases = ["", "zz", good.slice(0, 63), good.slice(0, 62), `${good}00`, good.replace(/./, "g"), "💥".repeat(32), " ".repeat(64)];
    for (const candidate of cases) {
      await expect(Promise.resolve(matchHmac(platform, "sha256", [key], ["body"], [candidate], "hex"))).resolves.toBe(false);
    }
    await expect(Promise.resolve(matchHmac(platform, "sha256", [key], ["body"], [good], "hex"))).resolves.toBe(true);
    await expect(Promise.resolve(matchHmac(platform, "sha256", [key], ["body"], [good.toUpperCase()], "hex"))).resolves.toBe(true);
    await expect(Promise.resolve(matchHmac(platform, "sha256", [key], ["body"], ["not base64!", "QUJD"], "base64"))).resolves.toBe(false);
  });

  it("compares tokens of any length in constant-size digests", async () => {
    await expect(Promise.resolve(tokenMatches(platform, enc.encode("abcdefgh"), "abcdefgh"))).resolves.toBe(true);
    await expect(Promise.resolve(tokenMatches(platform, enc.encode("abcdefgh"), "abcdefg"))).resolves.toBe(false);
    await expect(Promise.resolve(tokenMatches(platform, enc.encode("abcdefgh"), ""))).resolves.toBe(false);
    await expect(Promise.resolve(tokenMatches(platform, enc.encode("abcdefgh"), "abcdefgh".repeat(1000)))).resolves.toBe(false);
  });

  it("answers alike every time for one configured token (its digest is computed once)", async () => {
    const token = enc.encode("tv-token");
    const answers = [];
    for (const given of ["tv-token", "tv-tokem", "tv-token", "", "tv-token"]) answers.push(await tokenMatches(platform, token, given));
    expect(answers).toEqual([true, false, true, false, true]);
    expect(await tokenMatches(platform, enc.encode("other"), "tv-token")).toBe(false);
  });
});

describe("provider vectors", () => {
  it("Standard Webhooks: the known-answer delivery verifies through the receiver", async () => {
    const receiver = createReceiver({ provider: standardWebhooks({ secret: SW.secret }), now: () => Number(SW.timestamp) * 1000 });
    const event = await receiver.verify({
      body: SW.body,
      headers: { "webhook-id": SW.id, "webhook-timestamp": SW.timestamp, "webhook-signature": SW.signature },
    });
    expect(event.id).toBe(SW.id);
    expect(event.payload).toEqual({ test: 2432232314 });
    expect(event.timestamp?.getTime()).toBe(1614265330_000);
  });

  it("Standard Webhooks: signDelivery produces the known-answer signature", () => {
    const signed = signDelivery(standardWebhooks({ secret: SW.secret }), SW.body, { id: SW.id, timestamp: Number(SW.timestamp) });
    expect(signed.headers["webhook-signature"]).toBe(SW.signature);
    expect(signed.body).toBe(SW.body);
  });

  it("APIndicators: the fixture is signed as sha256=<hex> of its exact bytes", async () => {
    const body = fixture("apindicators.signal.buy.json");
    const signed = signDelivery(apindicators({ secret: "apx" }), JSON.parse(body));
    expect(signed.body).toBe(body);
    expect(signed.headers["x-webhook-signature"]).toBe(`sha256=${hexHmac("apx", body)}`);
    const receiver = createReceiver({ provider: apindicators({ secret: "apx" }), now: () => at("2026-04-03T14:30:30Z") });
    const event = await receiver.verify({ body, headers: { "X-Webhook-Signature": `sha256=${hexHmac("apx", body)}` } });
    expect(event.data).toEqual({ pair: "BTCUSDT", side: "buy", score: 0.87, market_type: "trending", interval: "1h" });
  });

  it.each(["tickerapi.watchlist.changes.json", "tickerapi.data.ready.json"])("TickerAPI: %s verifies with a bare hex signature", async (name) => {
    const body = fixture(name);
    const receiver = createReceiver({ provider: tickerapi({ secret: "tk" }), now: () => at("2026-03-27T21:31:00Z") });
    const event = await receiver.verify({ body, headers: { "x-webhook-signature": hexHmac("tk", body) } });
    expect(event.type).toBe(JSON.parse(body).event);
    expect(signDelivery(tickerapi({ secret: "tk" }), JSON.parse(body)).headers["x-webhook-signature"]).toBe(hexHmac("tk", body));
  });

  it("PipAI: hex HMAC of `${timestamp}.${body}`", async () => {
    const body = '{"event":"strategy.deployed","data":{"strategy_id":"st_1"}}';
    const signed = signDelivery(pipai({ secret: "pp" }), JSON.parse(body), { timestamp: 1775226600, id: "dlv_1" });
    expect(signed.headers["x-pipai-signature"]).toBe(hexHmac("pp", `1775226600.${body}`));
    const receiver = createReceiver({ provider: pipai({ secret: "pp" }), now: () => 1775226600_000 });
    const event = await receiver.verify(signed);
    expect(event).toMatchObject({ id: "dlv_1", type: "strategy.deployed", data: { strategy_id: "st_1" } });
  });

  it("TradingView: the fixture's passphrase authenticates and is removed from data and payload", async () => {
    const receiver = createReceiver({ provider: tradingview({ token: "abcdefgh" }), now: () => at("2026-04-03T14:30:20Z") });
    const event = await receiver.verify({ body: fixture("tradingview.strategy-fill.json"), headers: {} });
    expect(event.type).toBe("tradingview.alert");
    expect(JSON.stringify(event.data)).not.toContain("abcdefgh");
    expect(JSON.stringify(event.payload)).not.toContain("abcdefgh");
    expect(event.data).toMatchObject({ ticker: "BTCUSDT", strategy: { order_action: "buy" } });
  });

  it("generic hmac: the Coinify vector verifies", async () => {
    const receiver = createReceiver({ provider: hmac({ secret: "my-shared-secret", header: "X-Coinify-Callback-Signature", event: "coinify" }) });
    const event = await receiver.verify({
      body: '{"examplePayload":true}',
      headers: { "X-Coinify-Callback-Signature": "bcdbb89e3031905f3cc1a20d16b5f969a17a7d8fa0c26e4a807c2193402d66f4" },
    });
    expect(event.payload).toEqual({ examplePayload: true });
  });
});
