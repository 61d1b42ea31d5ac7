/**
 * @module The cases that need only tradehook and node:crypto: the floor, `verify()` per provider and
 * `handle()`. Kept apart from the anchors (stripe, svix, ...) so a light process can load them.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { Provider } from "../src/index.js";
import type { Core, Testing } from "./build.js";
import type { Case } from "./harness.js";
import { makePayload, type Shape } from "./payloads.js";

export const SECRET = "bench-secret-0123456789abcdef";
export const WHSEC = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
export const TV_TOKEN = "tv-bench-token";

/** The bundled package under test. */
export interface Tradehook {
  core: Core;
  testing: Testing;
}

/** Headers a real sender's request carries besides the signature (Node lowercases them). */
export function wireHeaders(bytes: number, signed: Record<string, string>): Record<string, string> {
  return {
    host: "127.0.0.1:8787",
    "user-agent": "bench-sender/1.0",
    accept: "*/*",
    "accept-encoding": "gzip, deflate",
    "content-type": "application/json",
    "content-length": String(bytes),
    connection: "keep-alive",
    ...signed,
  };
}

/** The floor: what a hand-written receiver must do at least (HMAC, constant-time compare, parse). */
export function floorVerify(key: Buffer, body: Buffer, header: string, parse: boolean): unknown {
  const expected = createHmac("sha256", key).update(body).digest();
  const given = Buffer.from(header.startsWith("sha256=") ? header.slice(7) : header, "hex");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new Error("floor: bad signature");
  return parse ? JSON.parse(body.toString("utf8")) : undefined;
}

export interface ProviderCase {
  name: string;
  shape: Shape;
  provider: Provider;
  /** Handlers need a pattern the provider's events match. */
  pattern: string;
}

/** The two baselines, without and with JSON.parse: every ratio refers to the second. */
export const FLOOR_CASES = ["floor: HMAC + timingSafeEqual", "floor + JSON.parse"] as const;
/** The providers `verify()` is measured for, in table order. */
export const VERIFY_PROVIDERS = ["apindicators", "tickerapi", "pipai", "tradingview", "standardWebhooks", "hmac"] as const;
/** The providers `handle()` is measured for: one fixed catalogue, one open. */
export const HANDLE_PROVIDERS: readonly string[] = ["apindicators", "standardWebhooks"];

/** The name of every case this module builds, without building any (no package needed). */
export function caseNames(): string[] {
  return [
    ...FLOOR_CASES,
    ...VERIFY_PROVIDERS.map((p) => `tradehook ${p} verify()`),
    ...HANDLE_PROVIDERS.map((p) => `tradehook ${p} handle()`),
  ];
}

export function providers({ core }: Tradehook): ProviderCase[] {
  const { apindicators, hmac, pipai, standardWebhooks, tickerapi, tradingview } = core;
  // Keyed by VERIFY_PROVIDERS' names: the type checker holds the two lists to the same set.
  const cases: Record<(typeof VERIFY_PROVIDERS)[number], Omit<ProviderCase, "name">> = {
    apindicators: { shape: "signal", provider: apindicators({ secret: SECRET }), pattern: "signal.buy" },
    tickerapi: { shape: "tickerapi", provider: tickerapi({ secret: SECRET }), pattern: "data.ready" },
    pipai: { shape: "pipai", provider: pipai({ secret: SECRET }), pattern: "strategy.*" },
    tradingview: { shape: "tradingview", provider: tradingview({ token: TV_TOKEN }), pattern: "*" },
    standardWebhooks: { shape: "signal", provider: standardWebhooks({ secret: WHSEC }), pattern: "*" },
    hmac: { shape: "signal", provider: hmac({ secret: SECRET, header: "X-Signature", prefix: "sha256=" }), pattern: "*" },
  };
  return VERIFY_PROVIDERS.map((name) => ({ name, ...cases[name] }));
}

/** A signed delivery of the shape at the size, as a Node framework hands it over (Buffer body, plain headers). */
export function delivery(th: Tradehook, p: ProviderCase, bytes: number, seconds: number) {
  const signed = th.testing.signDelivery(p.provider, makePayload(p.shape, bytes, seconds, TV_TOKEN), { timestamp: seconds });
  const body = Buffer.from(signed.body);
  if (body.byteLength !== bytes) throw new Error(`${p.name}: body is ${body.byteLength} bytes, expected ${bytes}`);
  return { body, headers: wireHeaders(bytes, signed.headers), method: "POST", url: signed.url ?? "/webhook", ip: "127.0.0.1" };
}

/** The shared body every scheme that allows it verifies, signed for the floor. */
export function signalBody(bytes: number, seconds: number) {
  const body = Buffer.from(JSON.stringify(makePayload("signal", bytes, seconds, TV_TOKEN)));
  const header = `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`;
  return { body, header };
}

/** The floor without and with JSON.parse: the baselines every ratio refers to. */
export function floorCases(bytes: number, seconds: number): Case[] {
  const key = Buffer.from(SECRET);
  const { body, header } = signalBody(bytes, seconds);
  return [
    { name: FLOOR_CASES[0], fn: () => floorVerify(key, body, header, false) },
    { name: FLOOR_CASES[1], fn: () => floorVerify(key, body, header, true) },
  ];
}

/** `receiver.verify()` of every provider on a delivery of the size, signed as of `seconds`. */
export function tradehookVerifyCases(th: Tradehook, bytes: number, seconds: number): Case[] {
  return providers(th).map((p) => {
    const receiver = th.core.createReceiver({ provider: p.provider });
    const d = delivery(th, p, bytes, seconds);
    return { name: `tradehook ${p.name} verify()`, fn: () => receiver.verify(d) };
  });
}

/**
 * `handle()` on the processed path: a MemoryStore with `retainMs: 0`, so each completed key
 * has expired by the next call and every delivery is claimed, dispatched and completed.
 */
export function handleCases(th: Tradehook, bytes: number, seconds: number): Case[] {
  const cases: Case[] = floorCases(bytes, seconds).slice(1);
  for (const p of providers(th).filter((c) => HANDLE_PROVIDERS.includes(c.name))) {
    const verifier = th.core.createReceiver({ provider: p.provider });
    const receiver = th.core.createReceiver({ provider: p.provider, store: new th.core.MemoryStore(), retainMs: 0 });
    let calls = 0;
    receiver.on(p.pattern as never, () => {
      calls++;
    });
    const d = delivery(th, p, bytes, seconds);
    cases.push({ name: `tradehook ${p.name} verify()`, fn: () => verifier.verify(d) });
    cases.push({
      name: `tradehook ${p.name} handle()`,
      fn: async () => {
        const before = calls;
        const result = await receiver.handle(d);
        if (result.outcome !== "processed" || calls !== before + 1) throw new Error(`handle: ${result.outcome} ${result.body}`);
        return result;
      },
    });
  }
  return cases;
}
