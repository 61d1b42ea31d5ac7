/**
 * @module The sender schemes hmac() and standardWebhooks() express (DESIGN §4): key=value signature lists, secret encodings,
 * millisecond timestamps, signed URLs, form bodies, svix-* headers, raw secrets, v1a Ed25519, throwing user functions, and each bad input's answer.
 */
import { createHmac, generateKeyPairSync, sign as edSign } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createReceiver, hmac, standardWebhooks } from "../src/index.js";
import { createNodePlatform, createWebPlatform } from "../src/crypto/index.js";
import * as nodeCrypto from "node:crypto";
import * as nodeBuffer from "node:buffer";
import { signDelivery } from "../src/testing/index.js";
import { STANDARD_WEBHOOKS_VECTOR as SW } from "./helpers.js";

const T0 = 1_775_226_600; // 2026-04-03T14:30:00Z
const NOW = T0 * 1000;
const hex = (key: string | Buffer, content: string, alg = "sha256") => createHmac(alg, key).update(content).digest("hex");
const b64 = (key: string | Buffer, content: string, alg = "sha256") => createHmac(alg, key).update(content).digest("base64");

const stripeLike = () =>
  hmac({
    secret: "whsec_stripe_like",
    header: "Stripe-Signature",
    signatureFormat: { signature: "v1", timestamp: "t" },
    signedContent: ({ timestamp, body }) => `${timestamp}.${body}`,
  });

describe("hmac signatureFormat (key=value lists)", () => {
  const provider = stripeLike();
  const receiver = createReceiver({ provider, now: () => NOW });
  const body = '{"type":"invoice.paid","id":"evt_1"}';
  const sig = hex("whsec_stripe_like", `${T0}.${body}`);

  it("takes every signature entry as a candidate, skips unknown keys, and reads the timestamp entry", async () => {
    const header = `t=${T0},v1=${"0".repeat(64)},v0=${"1".repeat(64)},v1=${sig}`;
    await expect(receiver.verify({ body, headers: { "stripe-signature": header } })).resolves.toMatchObject({
      type: "invoice.paid",
      timestamp: new Date(NOW),
    });
    // the timestamp is signed: moving it breaks the signature; an old one is stale
    await expect(receiver.verify({ body, headers: { "stripe-signature": `t=${T0 + 1},v1=${sig}` } })).rejects.toMatchObject({ code: "INVALID_SIGNATURE" });
    const old = T0 - 3600;
    await expect(receiver.verify({ body, headers: { "stripe-signature": `t=${old},v1=${hex("whsec_stripe_like", `${old}.${body}`)}` } })).rejects.toMatchObject({
      code: "TIMESTAMP_TOO_OLD",
    });
  });

  it("uses the pairs and assign separators given (Paddle: ts=..;h1=..)", async () => {
    const paddle = hmac({
      secret: "pdl_ntfset_secret",
      header: "Paddle-Signature",
      signatureFormat: { pairs: ";", assign: "=", signature: "h1", timestamp: "ts" },
      signedContent: ({ timestamp, body }) => `${timestamp}:${body}`,
    });
    const header = `ts=${T0};h1=${hex("pdl_ntfset_secret", `${T0}:${body}`)}`;
    await expect(createReceiver({ provider: paddle, now: () => NOW }).verify({ body, headers: { "paddle-signature": header } })).resolves.toMatchObject({
      type: "invoice.paid",
    });
    const signed = signDelivery(paddle, JSON.parse(body), { timestamp: T0 });
    expect(signed.headers["paddle-signature"]).toBe(header);
  });

  it.each([
    ["a duplicate timestamp key", `t=${T0},t=${T0},v1=${sig}`, 401, "INVALID_SIGNATURE", /key "t" twice/],
    ["an empty entry", `t=${T0},,v1=${sig}`, 401, "INVALID_SIGNATURE", /empty entry/],
    ["a trailing separator", `t=${T0},v1=${sig},`, 401, "INVALID_SIGNATURE", /empty entry/],
    ["an entry without =", `t=${T0},v1`, 401, "INVALID_SIGNATURE", /not key=value/],
    ["a timestamp that is not digits", `t=12ab,v1=${sig}`, 401, "TIMESTAMP_INVALID", /Stripe-Signature entry t .* is not unix seconds/],
    ["a millisecond timestamp", `t=${NOW},v1=${sig}`, 401, "TIMESTAMP_INVALID", /timestampUnit: "ms"/],
    ["no timestamp entry", `v1=${sig}`, 401, "MISSING_TIMESTAMP", /no t=<timestamp> entry/],
    ["no signature entry", `t=${T0},v0=${sig}`, 401, "INVALID_SIGNATURE", /no v1=<signature> entry/],
    ["nine candidates", `t=${T0},${Array(9).fill(`v1=${sig}`).join(",")}`, 401, "INVALID_SIGNATURE", /more than 8 v1 signatures; at most 8/],
    ["an empty header", "", 401, "MISSING_SIGNATURE", /Stripe-Signature header is missing/],
  ])("answers %s with its code and a message naming it", async (_name, header, status, code, message) => {
    const result = await receiver.handle({ body, headers: { "stripe-signature": header } });
    expect(result.status).toBe(status);
    expect(JSON.parse(result.body).error).toMatchObject({ code, message: expect.stringMatching(message) });
    expect(result.body).not.toContain(sig);
  });

  it("accepts eight candidates", async () => {
    const header = `t=${T0},${Array(7).fill(`v1=${"0".repeat(64)}`).join(",")},v1=${sig}`;
    await expect(receiver.verify({ body, headers: { "stripe-signature": header } })).resolves.toBeTruthy();
  });

  it("refuses option combinations that cannot mean anything, at construction", () => {
    expect(() => hmac({ secret: "s", header: "X", prefix: "v1=", signatureFormat: { signature: "v1" } })).toThrow(/prefix and signatureFormat/);
    expect(() => hmac({ secret: "s", header: "X", timestampHeader: "X-T", signatureFormat: { signature: "v1", timestamp: "t" } })).toThrow(/not both/);
    expect(() => hmac({ secret: "s", header: "X", signatureFormat: { signature: "v1", pairs: "=" } })).toThrow(/must differ/);
    expect(() => hmac({ secret: "s", header: "X", signatureFormat: {} as never })).toThrow(/signature is required/);
    expect(() => hmac({ secret: "s", header: "X", timestampUnit: "us" as never })).toThrow(/timestampUnit/);
    expect(() => hmac({ secret: "s", header: "X", bodyFormat: "xml" as never })).toThrow(/bodyFormat/);
    expect(() => hmac({ secret: "s", header: "X", publicUrl: "/relative" })).toThrow(/publicUrl/);
  });
});

describe("hmac secretEncoding, timestampUnit", () => {
  it("decodes base64 (whsec_ stripped) and hex secrets into key bytes", async () => {
    const bytes = Buffer.from("00112233445566778899aabbccddeeff", "hex");
    const body = '{"type":"a"}';
    for (const [secretEncoding, secret] of [["base64", `whsec_${bytes.toString("base64")}`], ["hex", bytes.toString("hex")]] as const) {
      const p = hmac({ secret, secretEncoding, header: "X-Sig" });
      const r = createReceiver({ provider: p });
      await expect(r.verify({ body, headers: { "x-sig": hex(bytes, body) } })).resolves.toMatchObject({ type: "a" });
      await expect(r.verify({ body, headers: { "x-sig": hex(secret, body) } })).rejects.toMatchObject({ code: "INVALID_SIGNATURE" });
      await expect(r.verify(signDelivery(p, { type: "a" }))).resolves.toBeTruthy();
    }
    expect(() => hmac({ secret: "zz", secretEncoding: "hex", header: "X" })).toThrow(/not hex/);
    expect(() => hmac({ secret: "!!", secretEncoding: "base64", header: "X" })).toThrow(/not base64/);
  });

  it("reads millisecond timestamps when told, and never guesses", async () => {
    const p = hmac({ secret: "s", header: "X-Sig", timestampHeader: "X-Ts", timestampUnit: "ms", signedContent: ({ timestamp, body }) => `${timestamp}${body}` });
    const r = createReceiver({ provider: p, now: () => NOW });
    const body = '{"type":"a"}';
    const ms = String(NOW + 250);
    await expect(r.verify({ body, headers: { "x-sig": hex("s", ms + body), "x-ts": ms } })).resolves.toMatchObject({ timestamp: new Date(NOW + 250) });
    await expect(r.verify({ body, headers: { "x-sig": hex("s", `${T0}${body}`), "x-ts": String(T0) } })).rejects.toMatchObject({ code: "TIMESTAMP_TOO_OLD" });
    await expect(r.verify({ body, headers: { "x-sig": "00", "x-ts": "1.5e12" } })).rejects.toMatchObject({ code: "TIMESTAMP_INVALID", message: expect.stringMatching(/not unix milliseconds/) });
    const signed = signDelivery(p, { type: "a" }, { timestamp: T0 });
    expect(signed.headers["x-ts"]).toBe(String(NOW));
    await expect(r.verify(signed)).resolves.toBeTruthy();
    const seconds = createReceiver({ provider: hmac({ secret: "s", header: "X-Sig", timestampHeader: "X-Ts" }), now: () => NOW });
    await expect(seconds.verify({ body, headers: { "x-sig": hex("s", body), "x-ts": String(NOW) } })).rejects.toMatchObject({
      code: "TIMESTAMP_INVALID",
      message: expect.stringMatching(/looks like milliseconds; set timestampUnit: "ms"/),
    });
  });
});

describe("hmac url, publicUrl and bodyFormat: form", () => {
  const twilioLike = (publicUrl?: string) =>
    hmac({
      secret: "12345",
      header: "X-Twilio-Signature",
      encoding: "base64",
      algorithm: "sha1",
      bodyFormat: "form",
      event: "call",
      ...(publicUrl ? { publicUrl } : {}),
      signedContent: ({ url, body }) => url + [...new URLSearchParams(body)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => k + v).join(""),
    });
  const body = "To=%2B18005551212&From=%2B14158675309&Digits=1234";
  const signedFor = (url: string) => b64("12345", `${url}Digits1234From+14158675309To+18005551212`, "sha1");

  it("gives signedContent the URL the delivery came to, and parses the form into strings", async () => {
    const r = createReceiver({ provider: twilioLike() });
    const url = "https://example.com/twilio?x=1";
    await expect(r.verify({ body, url, headers: { "x-twilio-signature": signedFor(url) } })).resolves.toMatchObject({
      type: "call",
      data: { To: "+18005551212", From: "+14158675309", Digits: "1234" },
    });
    await expect(r.verify({ body, url: "https://example.com/other?x=1", headers: { "x-twilio-signature": signedFor(url) } })).rejects.toMatchObject({
      code: "INVALID_SIGNATURE",
    });
  });

  it("publicUrl replaces what a proxy rewrote, keeping the received query string", async () => {
    const r = createReceiver({ provider: twilioLike("https://public.example/hooks/twilio") });
    const headers = { "x-twilio-signature": signedFor("https://public.example/hooks/twilio?x=1") };
    await expect(r.verify({ body, url: "http://10.0.0.5:3000/internal?x=1", headers })).resolves.toMatchObject({ type: "call" });
    const signed = signDelivery(twilioLike("https://public.example/hooks/twilio"), { Digits: "1" }, { url: "http://10.0.0.5:3000/internal?x=1" });
    expect(signed.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    await expect(r.verify({ ...signed, url: "http://other/internal?x=1" })).resolves.toMatchObject({ data: { Digits: "1" } });
  });

  it.each([
    ["a repeated key", "a=1&a=2", "INVALID_PAYLOAD", /form field "a" is repeated/],
    ["invalid percent-encoding", "a=%zz", "INVALID_JSON", /invalid percent-encoding/],
    ["percent-encoded bytes that are not UTF-8", "a=%ff", "INVALID_JSON", /invalid percent-encoding/],
  ])("answers a form with %s 400 naming the problem", async (_name, formBody, code, message) => {
    const p = hmac({ secret: "s", header: "X-Sig", bodyFormat: "form", event: "f" });
    const result = await createReceiver({ provider: p }).handle({ body: formBody, headers: { "x-sig": hex("s", formBody) } });
    expect(result.status).toBe(400);
    expect(JSON.parse(result.body).error).toMatchObject({ code, message: expect.stringMatching(message) });
  });

  it("keeps a __proto__ field a plain field", async () => {
    const p = hmac({ secret: "s", header: "X-Sig", bodyFormat: "form", event: "f" });
    const event = await createReceiver({ provider: p }).verify({ body: "__proto__=x&b=c+d", headers: { "x-sig": hex("s", "__proto__=x&b=c+d") } });
    expect(Object.getPrototypeOf(event.data)).toBe(Object.prototype);
    expect(Object.keys(event.data as object)).toEqual(["__proto__", "b"]);
    expect((event.data as Record<string, string>).b).toBe("c d");
  });
});

describe("throwing user functions", () => {
  it("a throwing signedContent (or publicUrl) is 401 INVALID_SIGNATURE, a throwing event is 400; never 500", async () => {
    const body = '{"type":"a"}';
    const thrower = () => {
      throw new Error("user secret detail");
    };
    const cases = [
      [hmac({ secret: "s", header: "X-Sig", signedContent: thrower }), 401, "INVALID_SIGNATURE", /signedContent function threw/],
      [hmac({ secret: "s", header: "X-Sig", signedContent: () => 42 as never }), 401, "INVALID_SIGNATURE", /signedContent function threw/],
      [hmac({ secret: "s", header: "X-Sig", publicUrl: thrower, signedContent: ({ url }) => `${url}` }), 401, "INVALID_SIGNATURE", /threw/],
      [hmac({ secret: "s", header: "X-Sig", event: thrower }), 400, "INVALID_PAYLOAD", /event function threw/],
    ] as const;
    for (const [provider, status, code, message] of cases) {
      const result = await createReceiver({ provider }).handle({ body, headers: { "x-sig": hex("s", body) } });
      expect(result.status).toBe(status);
      expect(JSON.parse(result.body).error).toMatchObject({ code, message: expect.stringMatching(message) });
      expect(result.body).not.toContain("user secret detail");
    }
  });

  it("a signedContent that throws on bad JSON (sorted-JSON senders) rejects an unauthenticated request with 401", async () => {
    const p = hmac({ secret: "s", header: "X-Sig", signedContent: ({ body }) => JSON.stringify(JSON.parse(body)) });
    const result = await createReceiver({ provider: p }).handle({ body: "{not json", headers: { "x-sig": "00" } });
    expect(result.status).toBe(401);
  });
});

describe("standardWebhooks: svix-* headers, raw secrets, v1a Ed25519", () => {
  const vectorHeaders = (family: string) => ({
    [`${family}-id`]: SW.id,
    [`${family}-timestamp`]: SW.timestamp,
    [`${family}-signature`]: SW.signature,
  });
  const receiver = createReceiver({ provider: standardWebhooks({ secret: SW.secret }), now: () => Number(SW.timestamp) * 1000 });

  it("reads svix-* headers when webhook-* are absent (the spec's vector)", async () => {
    await expect(receiver.verify({ body: SW.body, headers: vectorHeaders("svix") })).resolves.toMatchObject({ id: SW.id });
    await expect(receiver.verify({ body: SW.body, headers: vectorHeaders("webhook") })).resolves.toMatchObject({ id: SW.id });
    const { "svix-id": _id, ...noId } = vectorHeaders("svix");
    await expect(receiver.verify({ body: SW.body, headers: noId })).rejects.toMatchObject({ code: "MISSING_SIGNATURE", message: expect.stringMatching(/svix-id/) });
  });

  it("takes a raw (non-whsec_) secret as bytes with secretEncoding: raw", async () => {
    const p = standardWebhooks({ secret: "a raw secret!", secretEncoding: "raw" });
    const r = createReceiver({ provider: p, now: () => NOW });
    const body = '{"type":"x.y"}';
    const sig = b64("a raw secret!", `m1.${T0}.${body}`);
    await expect(r.verify({ body, headers: { "webhook-id": "m1", "webhook-timestamp": String(T0), "webhook-signature": `v1,${sig}` } })).resolves.toMatchObject({ type: "x.y" });
    await expect(r.verify(signDelivery(p, { type: "x.y" }, { timestamp: T0 }))).resolves.toBeTruthy();
    expect(() => standardWebhooks({ secret: "a raw secret!" })).toThrow(/secretEncoding: "raw"/);
  });

  const pair = () => {
    const { publicKey, privateKey } = generateKeyPairSync("ed25519");
    const x = Buffer.from(publicKey.export({ format: "jwk" }).x!, "base64url");
    const d = Buffer.from(privateKey.export({ format: "jwk" }).d!, "base64url");
    return { publicKey, privateKey, whpk: `whpk_${x.toString("base64")}`, whsk: `whsk_${d.toString("base64")}` };
  };

  it("verifies v1a Ed25519 signatures with publicKey, on node:crypto and Web Crypto alike", async () => {
    const keys = pair();
    const body = '{"type":"order.filled","data":{"qty":2}}';
    const content = Buffer.from(`msg_1.${T0}.${body}`);
    const signature = `v1a,${edSign(null, content, keys.privateKey).toString("base64")}`;
    const headers = { "webhook-id": "msg_1", "webhook-timestamp": String(T0), "webhook-signature": signature };
    const p = standardWebhooks({ publicKey: keys.whpk });
    const r = createReceiver({ provider: p, now: () => NOW });
    await expect(r.verify({ body, headers })).resolves.toMatchObject({ type: "order.filled", data: { qty: 2 } });
    await expect(r.verify({ body: body.replace("2", "3"), headers })).rejects.toMatchObject({ code: "INVALID_SIGNATURE" });
    await expect(r.verify({ body, headers: { ...headers, "webhook-signature": "v1a,AAAA" } })).rejects.toMatchObject({
      code: "INVALID_SIGNATURE",
      message: "webhook-signature's v1a signatures are not Ed25519 signatures (64 bytes, base64)",
    });
    const other = pair();
    await expect(createReceiver({ provider: standardWebhooks({ publicKey: other.whpk }), now: () => NOW }).verify({ body, headers })).rejects.toMatchObject({
      code: "INVALID_SIGNATURE",
    });
    // signDelivery signs v1a with the private key
    const signed = signDelivery(p, { type: "order.filled", data: { qty: 2 } }, { privateKey: keys.whsk, timestamp: T0 });
    expect(signed.headers["webhook-signature"]).toMatch(/^v1a,/);
    await expect(r.verify(signed)).resolves.toBeTruthy();
    // both platforms give the same answers
    const raw = Buffer.from(keys.whpk.slice(5), "base64");
    const sig = edSign(null, content, keys.privateKey);
    for (const platform of [createNodePlatform(nodeCrypto, nodeBuffer), createWebPlatform(globalThis.crypto.subtle)]) {
      expect(await platform.verifyEd25519(raw, sig, [`msg_1.${T0}.`, body])).toBe(true);
      expect(await platform.verifyEd25519(raw, sig, [`msg_1.${T0}.`, `${body} `])).toBe(false);
      expect(await platform.verifyEd25519(raw.subarray(0, 31), sig, [body])).toBe(false);
      expect(await platform.verifyEd25519(raw, sig.subarray(0, 63), [body])).toBe(false);
    }
  });

  it("says which key is missing, and refuses an Ed25519 key of the wrong length at construction", async () => {
    const keys = pair();
    expect(() => standardWebhooks({ publicKey: `whpk_${Buffer.alloc(31).toString("base64")}` })).toThrow(/32-byte Ed25519 key, got 31 bytes/);
    expect(() => standardWebhooks({} as never)).toThrow(/secret is required/);
    const onlyV1a = { body: SW.body, headers: { ...vectorHeaders("webhook"), "webhook-signature": "v1a,AAAA" } };
    await expect(receiver.verify(onlyV1a)).rejects.toMatchObject({ code: "INVALID_SIGNATURE", message: expect.stringMatching(/configure publicKey/) });
    const edOnly = createReceiver({ provider: standardWebhooks({ publicKey: keys.whpk }), now: () => Number(SW.timestamp) * 1000 });
    await expect(edOnly.verify({ body: SW.body, headers: vectorHeaders("webhook") })).rejects.toMatchObject({ message: expect.stringMatching(/configure the secret/) });
  });

  it("accepts either signature when both a secret and a public key are configured", async () => {
    const keys = pair();
    const p = standardWebhooks({ secret: SW.secret, publicKey: keys.whpk });
    const r = createReceiver({ provider: p, now: () => NOW });
    await expect(r.verify(signDelivery(p, { type: "a" }, { timestamp: T0 }))).resolves.toBeTruthy();
    await expect(r.verify(signDelivery(p, { type: "a" }, { timestamp: T0, privateKey: keys.whsk }))).resolves.toBeTruthy();
  });
});

describe("signDelivery signs as the senders' own SDKs verify", () => {
  it("Stripe-style signatureFormat: stripe's constructEvent accepts it", async () => {
    const { default: Stripe } = await import("stripe");
    const signed = signDelivery(stripeLike(), { id: "evt_1", object: "event", type: "invoice.paid" });
    const event = new Stripe("sk_test_x").webhooks.constructEvent(signed.body, signed.headers["stripe-signature"]!, "whsec_stripe_like");
    expect(event.type).toBe("invoice.paid");
    expect(signed.headers["stripe-signature"]).toMatch(/^t=\d{10},v1=[0-9a-f]{64}$/);
  });

  it("Paddle-style: the Paddle SDK accepts it", async () => {
    const { Paddle } = await import("@paddle/paddle-node-sdk");
    const paddle = hmac({
      secret: "pdl_ntfset_x",
      header: "Paddle-Signature",
      signatureFormat: { pairs: ";", signature: "h1", timestamp: "ts" },
      signedContent: ({ timestamp, body }) => `${timestamp}:${body}`,
    });
    const signed = signDelivery(paddle, { event_type: "transaction.completed" });
    await expect(new Paddle("k").webhooks.isSignatureValid(signed.body, "pdl_ntfset_x", signed.headers["paddle-signature"]!)).resolves.toBe(true);
  });

  it("standardWebhooks: svix's Webhook.verify accepts it (webhook-* headers renamed svix-*)", async () => {
    const { Webhook } = await import("svix");
    const signed = signDelivery(standardWebhooks({ secret: SW.secret }), { type: "user.created" });
    const svixHeaders = Object.fromEntries(Object.entries(signed.headers).map(([k, v]) => [k.replace(/^webhook-/, "svix-"), v]));
    expect(new Webhook(SW.secret).verify(signed.body, svixHeaders)).toEqual({ type: "user.created" });
  });

  it("GitHub-style prefix: @octokit/webhooks-methods' verify accepts it", async () => {
    const { verify } = await import("@octokit/webhooks-methods");
    const signed = signDelivery(hmac({ secret: "gh", header: "X-Hub-Signature-256", prefix: "sha256=" }), { action: "opened", type: "issues" });
    await expect(verify("gh", signed.body, signed.headers["x-hub-signature-256"]!)).resolves.toBe(true);
  });
});
