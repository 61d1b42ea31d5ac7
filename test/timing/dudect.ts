/**
 * @module A dudect-style timing test of the signature and token compares: `npm run test:timing`.
 *
 * For each pair of candidate classes it times many interleaved calls in random order and runs
 * Welch's t-test on the timings, whole and cropped at several percentiles (as dudect does).
 * |t| below 4.5 on every crop means no detectable difference. Not part of `npm test`: it
 * takes about a minute and measures the machine as much as the code.
 *
 * TRADEHOOK_TIMING_SAMPLES sets the samples per class (default 60,000).
 */
import * as nodeBuffer from "node:buffer";
import * as nodeCrypto from "node:crypto";
import { createNodePlatform, createWebPlatform, type CryptoPlatform } from "../../src/crypto/index.js";
import { apindicators, createReceiver, tradingview, type Delivery } from "../../src/index.js";

const SAMPLES = Number(process.env.TRADEHOOK_TIMING_SAMPLES) || 60_000;
const THRESHOLD = 4.5;
const CROPS = [1, 0.99, 0.9, 0.5];

const NOW = Date.parse("2026-04-03T14:30:00Z");
const SECRET = "timing-secret-0123456789";
const TOKEN = "timing-token-abcdefghijklmnop";
const BODY = JSON.stringify({
  event: "signal.buy",
  timestamp: "2026-04-03T14:30:00Z",
  data: { pair: "BTCUSDT", side: "buy", score: 0.87, market_type: "trending", interval: "1h" },
});
const EXPECTED = nodeCrypto.createHmac("sha256", SECRET).update(BODY).digest("hex");

/** Welch's t statistic of two samples. */
function welch(a: Float64Array, b: Float64Array): number {
  const stats = (x: Float64Array) => {
    let mean = 0;
    for (const v of x) mean += v;
    mean /= x.length;
    let variance = 0;
    for (const v of x) variance += (v - mean) ** 2;
    return { mean, variance: variance / (x.length - 1), n: x.length };
  };
  const s = stats(a);
  const t = stats(b);
  return (s.mean - t.mean) / Math.sqrt(s.variance / s.n + t.variance / t.n);
}

/** |t| for the whole sample and for samples cropped below pooled percentiles; the largest is the verdict. */
function analyse(a: number[], b: number[]) {
  const pooled = [...a, ...b].sort((x, y) => x - y);
  const rows = CROPS.map((p) => {
    const cut = pooled[Math.min(pooled.length - 1, Math.floor(p * pooled.length))]!;
    const keep = (x: number[]) => Float64Array.from(x.filter((v) => v <= cut));
    return { crop: p, t: welch(keep(a), keep(b)) };
  });
  const median = (x: number[]) => [...x].sort((p, q) => p - q)[Math.floor(x.length / 2)]!;
  return { rows, max: Math.max(...rows.map((r) => Math.abs(r.t))), medians: [median(a), median(b)] };
}

/** Times `run(class)` SAMPLES times per class, classes interleaved in random order. */
async function measure(run: (cls: 0 | 1) => Promise<unknown> | unknown, repeat = 1): Promise<[number[], number[]]> {
  const order = new Uint8Array(SAMPLES * 2);
  for (let i = 0; i < order.length; i++) order[i] = i % 2;
  for (let i = order.length - 1; i > 0; i--) {
    const j = nodeCrypto.randomInt(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const out: [number[], number[]] = [[], []];
  // Warm up both paths so the JIT has settled before anything is recorded.
  for (let i = 0; i < 2000; i++) await run((i % 2) as 0 | 1);
  for (const cls of order) {
    const c = cls as 0 | 1;
    const start = process.hrtime.bigint();
    for (let r = 0; r < repeat; r++) await run(c);
    out[c].push(Number(process.hrtime.bigint() - start));
  }
  return out;
}

const flipHex = (hex: string, at: number) => hex.slice(0, at) + ((Number.parseInt(hex[at]!, 16) ^ 1).toString(16)) + hex.slice(at + 1);

function signalDelivery(signature: string): Delivery {
  return { body: BODY, method: "POST", headers: { "x-webhook-signature": `sha256=${signature}` } };
}

function tokenDelivery(token: string): Delivery {
  return { body: JSON.stringify({ passphrase: token, ticker: "BTCUSDT" }), method: "POST", headers: {} };
}

interface Case {
  name: string;
  classes: [string, string];
  run: (cls: 0 | 1) => Promise<unknown> | unknown;
  repeat?: number;
}

const signals = createReceiver({ provider: apindicators({ secret: SECRET }), now: () => NOW, logger: {} });
const tv = createReceiver({ provider: tradingview({ token: TOKEN }), now: () => NOW, logger: {} });
const swallow = (p: Promise<unknown>) => p.catch(() => undefined);

function verifyCase(name: string, classes: [string, string], deliveries: [Delivery, Delivery], receiver: { verify(d: Delivery): Promise<unknown> } = signals): Case {
  return { name, classes, run: (cls) => swallow(receiver.verify(deliveries[cls])) };
}

function compareCase(label: string, platform: CryptoPlatform): Case {
  const expected = Buffer.from(EXPECTED, "hex");
  const lateDiff = Buffer.from(flipHex(EXPECTED, 63), "hex");
  const earlyDiff = Buffer.from(flipHex(EXPECTED, 0), "hex");
  const candidates = [new Uint8Array(lateDiff), new Uint8Array(earlyDiff)];
  const a = new Uint8Array(expected);
  return {
    name: `${label} timingSafeEqual, 32-byte digests (x256 per sample)`,
    classes: ["differs in the last byte", "differs in the first byte"],
    run: (cls) => {
      let r = false;
      for (let i = 0; i < 256; i++) r = platform.timingSafeEqual(candidates[cls]!, a) || r;
      return r;
    },
  };
}

const cases: Case[] = [
  // A/A control: two copies of one candidate. Its |t| shows what the machine's noise alone gives.
  verifyCase("control: the same wrong signature in both classes", ["first byte wrong", "first byte wrong (a copy)"], [
    signalDelivery(flipHex(EXPECTED, 0)),
    signalDelivery(flipHex(EXPECTED, 0)),
  ]),
  verifyCase("receiver.verify, HMAC signature: matching prefix vs none", ["first 31 bytes right", "first byte wrong"], [
    signalDelivery(flipHex(EXPECTED, 63)),
    signalDelivery(flipHex(EXPECTED, 0)),
  ]),
  verifyCase("receiver.verify, HMAC signature: right length vs short", ["64 hex, wrong", "62 hex, a right prefix"], [
    signalDelivery(flipHex(EXPECTED, 0)),
    signalDelivery(EXPECTED.slice(0, 62)),
  ]),
  verifyCase("receiver.verify, HMAC signature: short vs long", ["62 hex, a right prefix", "66 hex, right + 00"], [
    signalDelivery(EXPECTED.slice(0, 62)),
    signalDelivery(`${EXPECTED}00`),
  ]),
  verifyCase(
    "receiver.verify, TradingView token: matching prefix vs none",
    ["all but the last character right", "first character wrong"],
    [tokenDelivery(`${TOKEN.slice(0, -1)}X`), tokenDelivery(`X${TOKEN.slice(1)}`)],
    tv,
  ),
  verifyCase(
    "receiver.verify, TradingView token: right length vs other lengths",
    [`${TOKEN.length} chars, wrong`, `${TOKEN.length + 1} chars, token + x`],
    [tokenDelivery(`X${TOKEN.slice(1)}`), tokenDelivery(`${TOKEN}x`)],
    tv,
  ),
  verifyCase(
    "receiver.verify, TradingView token: short vs long",
    [`${TOKEN.length - 1} chars, a prefix`, `${TOKEN.length + 1} chars, token + x`],
    [tokenDelivery(TOKEN.slice(0, -1)), tokenDelivery(`${TOKEN}x`)],
    tv,
  ),
  compareCase("node:crypto", createNodePlatform(nodeCrypto, nodeBuffer)),
  compareCase("Web Crypto", createWebPlatform(globalThis.crypto.subtle)),
];

let failed = 0;
console.log(`dudect-style timing test: ${SAMPLES} samples per class, Welch's t, threshold |t| < ${THRESHOLD}\n`);
for (const c of cases) {
  const [a, b] = await measure(c.run, c.repeat);
  const { rows, max, medians } = analyse(a, b);
  const ok = max < THRESHOLD;
  if (!ok) failed++;
  console.log(`${ok ? "ok  " : "LEAK"} ${c.name}`);
  console.log(`     classes: ${c.classes[0]} | ${c.classes[1]}; medians ${medians[0]} ns | ${medians[1]} ns`);
  console.log(`     t by crop: ${rows.map((r) => `${r.crop === 1 ? "all" : `p${Math.round(r.crop * 100)}`} ${r.t.toFixed(2)}`).join(", ")}; max |t| ${max.toFixed(2)}\n`);
}
console.log(failed === 0 ? "no detectable timing difference" : `${failed} case(s) with |t| >= ${THRESHOLD}`);
process.exitCode = failed === 0 ? 0 : 1;
