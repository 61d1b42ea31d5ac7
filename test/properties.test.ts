/**
 * @module Property tests of `receiver.handle` against hostile input, across the six providers.
 *
 * Default: about 12,600 generated cases (4,028 + 4,028 + 2,332 + 21, then 1,060 each for the timestamp parser and the base64 decoder). More: `npm run test:properties`
 * (TRADEHOOK_FC_RUNS sets the total, e.g. 200000).
 */
import { createHmac } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  apindicators,
  createReceiver,
  hmac,
  pipai,
  standardWebhooks,
  tickerapi,
  tradingview,
  type Delivery,
  type HandleResult,
  type Provider,
  type WebhookEvent,
} from "../src/index.js";
import { signDelivery } from "../src/testing/index.js";
import { parseIsoTimestamp } from "../src/timestamps.js";
import { decodeBase64 } from "../src/crypto/signature.js";

const TOTAL = Number(process.env.TRADEHOOK_FC_RUNS) || 10_600;
const runs = (share: number) => Math.max(1, Math.round(TOTAL * share));
const NOW_MS = Date.parse("2026-04-03T14:30:00Z");
const NOW_S = NOW_MS / 1000;
const TOLERANCE_S = 300;
const STATUSES = new Set([200, 400, 401, 403, 405, 409, 413, 422]);

type Headers = Record<string, string | string[]>;
type Alg = "sha256" | "sha512" | "sha1";

// ---------------------------------------------------------------------------
// A reference verifier, written from DESIGN §4 independently of src/: it says whether a
// delivery carries the real signature (or token) and a fresh timestamp. It is lenient
// (over-approximates "authentic"), so `2xx => authentic` can only fail on a real forgery.

// ignoreBOM keeps the BOM in the text, so exactly one is stripped below (DESIGN §1.6).
const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });
const bytesOf = (body: Delivery["body"]) =>
  typeof body === "string" ? Buffer.from(body, "utf8") : Buffer.from(body instanceof ArrayBuffer ? new Uint8Array(body) : body);

function values(headers: Delivery["headers"], name: string): string[] {
  const out: string[] = [];
  if (headers instanceof Headers) {
    const v = headers.get(name);
    return v === null ? [] : [v];
  }
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name.toLowerCase() || value === undefined) continue;
    out.push(...(Array.isArray(value) ? value.map(String) : [String(value)]));
  }
  return out;
}
const joined = (headers: Delivery["headers"], name: string) => {
  const v = values(headers, name);
  return v.length ? v.join(", ") : undefined;
};

function jsonOf(body: Delivery["body"]): unknown {
  try {
    return JSON.parse(utf8.decode(bytesOf(body)).replace(/^\uFEFF/, ""));
  } catch {
    return undefined;
  }
}
const record = (v: unknown) => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);

const within = (ms: number, nowMs: number) => Number.isFinite(ms) && Math.abs(ms - nowMs) <= TOLERANCE_S * 1000;
const freshSeconds = (raw: string | undefined, nowMs: number) => raw !== undefined && /^\s*\d{1,10}\s*$/.test(raw) && within(Number(raw.trim()) * 1000, nowMs);
const freshIso = (value: unknown, nowMs: number) => typeof value === "string" && within(Date.parse(value), nowMs);

const mac = (alg: Alg, key: Buffer, ...parts: (string | Uint8Array)[]) => {
  const h = createHmac(alg, key);
  for (const p of parts) h.update(p);
  return h.digest();
};
const b64norm = (s: string) => s.replace(/-/g, "+").replace(/_/g, "/").replace(/=+$/, "");

/** Every way an expected digest could be written: what must never appear in a response. */
const spellings = (digest: Buffer) => [digest.toString("hex"), digest.toString("hex").toUpperCase(), b64norm(digest.toString("base64")), digest.toString("base64url")];

interface Verdict {
  authentic: boolean;
  fresh: boolean;
  /** Expected signatures for this delivery's content under every secret. */
  expected: string[];
}

interface Spec {
  kind: string;
  /** Secrets as users configure them. */
  secret: fc.Arbitrary<string>;
  /** Extra provider options (generic hmac). */
  config: fc.Arbitrary<Record<string, unknown>>;
  make(secrets: string[], config: Record<string, unknown>): Provider;
  /** Payloads the provider's schemas accept. */
  payload: fc.Arbitrary<unknown>;
  /** Header names hostile headers are drawn from. */
  headerNames(config: Record<string, unknown>): string[];
  signatureHeader(config: Record<string, unknown>): string | undefined;
  timestampHeader(config: Record<string, unknown>): string | undefined;
  verdict(d: Delivery, secrets: string[], config: Record<string, unknown>, nowMs: number): Verdict;
  /** Key bytes of a configured secret. */
  key?(secret: string): Buffer;
}

const utf8Key = (s: string) => Buffer.from(s, "utf8");

/** Candidates in comma-separated headers, prefix stripped, lowercase. */
function hexCandidates(headers: Delivery["headers"], name: string) {
  return values(headers, name)
    .flatMap((v) => v.split(","))
    .map((v) => v.trim().replace(/^sha256=/i, "").toLowerCase());
}

const text = fc.string({ unit: "binary", maxLength: 40 });
const nonEmpty = fc.string({ unit: "binary", minLength: 1, maxLength: 40 });
const secretArb = fc.oneof(
  fc.string({ unit: "binary", minLength: 1, maxLength: 64 }),
  fc.string({ unit: "grapheme-ascii", minLength: 8, maxLength: 64 }),
  fc.constant("s"),
);
const extras = fc.dictionary(text, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });

function signalVerdict(d: Delivery, secrets: string[], nowMs: number): Verdict {
  const body = bytesOf(d.body);
  const digests = secrets.map((s) => mac("sha256", utf8Key(s), body));
  const candidates = hexCandidates(d.headers, "x-webhook-signature");
  return {
    authentic: digests.some((g) => candidates.includes(g.toString("hex"))),
    fresh: freshIso(record(jsonOf(d.body))?.timestamp, nowMs),
    expected: digests.flatMap(spellings),
  };
}

const SPECS: Spec[] = [
  {
    kind: "apindicators",
    secret: secretArb,
    config: fc.constant({}),
    make: (secrets) => apindicators({ secret: secrets }),
    payload: fc.record({
      event: fc.constantFrom("signal.buy", "signal.sell"),
      data: fc.tuple(extras, fc.record({
        pair: nonEmpty,
        side: fc.constantFrom("buy", "sell"),
        score: fc.double({ min: 0, max: 1, noNaN: true }),
        market_type: text,
        interval: text,
      })).map(([x, d]) => ({ ...x, ...d })),
    }),
    headerNames: () => ["X-Webhook-Signature", "content-type"],
    signatureHeader: () => "x-webhook-signature",
    timestampHeader: () => undefined,
    verdict: (d, secrets, _c, nowMs) => signalVerdict(d, secrets, nowMs),
  },
  {
    kind: "tickerapi",
    secret: secretArb,
    config: fc.constant({}),
    make: (secrets) => tickerapi({ secret: secrets }),
    payload: fc.oneof(
      fc.record({ event: fc.constant("data.ready"), data: fc.record({ timeframe: text, run_date: text, tickers_computed: fc.nat() }) }),
      fc.record({
        event: fc.constant("watchlist.changes"),
        data: fc.record({
          timeframe: text,
          run_date: text,
          changes: fc.dictionary(text, fc.array(fc.record({ field: nonEmpty, from: fc.oneof(text, fc.boolean(), fc.integer()), to: fc.oneof(text, fc.boolean(), fc.double({ noNaN: true, noDefaultInfinity: true })) }), { maxLength: 3 }), { maxKeys: 3 }),
          tickers_checked: fc.nat(),
          tickers_changed: fc.nat(),
        }),
      }),
    ),
    headerNames: () => ["X-Webhook-Signature", "X-Webhook-Event", "content-type"],
    signatureHeader: () => "x-webhook-signature",
    timestampHeader: () => undefined,
    verdict: (d, secrets, _c, nowMs) => signalVerdict(d, secrets, nowMs),
  },
  {
    kind: "pipai",
    secret: secretArb,
    config: fc.constant({}),
    make: (secrets) => pipai({ secret: secrets }),
    payload: fc.oneof(
      fc.record({ event: fc.constant("strategy.deployed"), data: fc.record({ strategy_id: nonEmpty }) }),
      fc.record({
        event: fc.constant("account.balance_low"),
        data: fc.record({ asset: nonEmpty, available: fc.stringMatching(/^-?\d{1,12}(\.\d{1,8})?$/), threshold: fc.stringMatching(/^\d{1,6}$/) }),
      }),
      fc.record({ event: fc.constant("backtest.job_done"), data: fc.record({ job_id: nonEmpty, status: nonEmpty, metrics: fc.dictionary(text, fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }) }) }),
    ),
    headerNames: () => ["X-PipAI-Signature", "X-PipAI-Timestamp", "X-PipAI-Delivery"],
    signatureHeader: () => "x-pipai-signature",
    timestampHeader: () => "x-pipai-timestamp",
    verdict(d, secrets, _c, nowMs) {
      const ts = (joined(d.headers, "x-pipai-timestamp") ?? "").trim();
      const digests = secrets.map((s) => mac("sha256", utf8Key(s), `${ts}.`, bytesOf(d.body)));
      const candidates = hexCandidates(d.headers, "x-pipai-signature");
      return {
        authentic: digests.some((g) => candidates.includes(g.toString("hex"))),
        fresh: freshSeconds(joined(d.headers, "x-pipai-timestamp"), nowMs),
        expected: digests.flatMap(spellings),
      };
    },
  },
  {
    kind: "tradingview",
    secret: secretArb,
    config: fc.constant({}),
    make: (secrets) => tradingview({ token: secrets }),
    payload: fc.oneof(
      fc.dictionary(text, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 }).map((o) => {
        const { passphrase: _p, time: _t, timenow: _n, ...rest } = o;
        return rest;
      }),
      text,
    ),
    headerNames: () => ["content-type"],
    signatureHeader: () => undefined,
    timestampHeader: () => undefined,
    verdict(d, secrets, _c, nowMs) {
      let inUrl: string[] = [];
      try {
        inUrl = d.url ? new URL(d.url, "http://localhost").searchParams.getAll("token") : [];
      } catch {
        inUrl = [];
      }
      const body = record(jsonOf(d.body));
      const norm = (s: string) => Buffer.from(s, "utf8").toString("hex");
      const known = new Set(secrets.map(norm));
      const given = [...inUrl, ...(typeof body?.passphrase === "string" ? [body.passphrase] : [])];
      const field = body ? ["timenow", "time"].find((f) => body[f] !== undefined) : undefined;
      return {
        authentic: given.some((g) => known.has(norm(g))),
        fresh: field === undefined || freshIso(body![field], nowMs),
        expected: [],
      };
    },
  },
  {
    kind: "standard-webhooks",
    secret: fc.uint8Array({ minLength: 1, maxLength: 48 }).map((b) => `whsec_${Buffer.from(b).toString("base64")}`),
    config: fc.constant({}),
    make: (secrets) => standardWebhooks({ secret: secrets }),
    payload: fc.oneof(
      fc.record({ type: nonEmpty, data: fc.jsonValue({ maxDepth: 3 }) }),
      fc.record({ type: nonEmpty, timestamp: text }),
      fc.record({ test: fc.integer() }),
    ),
    headerNames: () => ["webhook-id", "webhook-timestamp", "webhook-signature"],
    signatureHeader: () => "webhook-signature",
    timestampHeader: () => "webhook-timestamp",
    key: (s) => Buffer.from(s.replace(/^whsec_/, ""), "base64"),
    verdict(d, secrets, _c, nowMs) {
      const id = (joined(d.headers, "webhook-id") ?? "").trim();
      const ts = (joined(d.headers, "webhook-timestamp") ?? "").trim();
      const digests = secrets.map((s) => mac("sha256", Buffer.from(s.replace(/^whsec_/, ""), "base64"), `${id}.${ts}.`, bytesOf(d.body)));
      const candidates = values(d.headers, "webhook-signature")
        .join(" ")
        .split(/\s+/)
        .filter((e) => e.startsWith("v1,"))
        .map((e) => b64norm(e.slice(3)));
      return {
        authentic: digests.some((g) => candidates.includes(b64norm(g.toString("base64")))),
        fresh: freshSeconds(joined(d.headers, "webhook-timestamp"), nowMs),
        expected: digests.flatMap(spellings),
      };
    },
  },
  {
    kind: "hmac",
    secret: secretArb,
    config: fc.record({
      encoding: fc.constantFrom("hex", "base64"),
      algorithm: fc.constantFrom("sha256", "sha512", "sha1"),
      prefix: fc.option(fc.constantFrom("sha256=", "v0="), { nil: undefined }),
      timestampHeader: fc.option(fc.constant("X-Timestamp"), { nil: undefined }),
      idHeader: fc.option(fc.constant("X-Id"), { nil: undefined }),
      tsDotBody: fc.boolean(),
    }),
    make(secrets, c) {
      return hmac({
        secret: secrets,
        header: "X-Signature",
        encoding: c.encoding as "hex",
        algorithm: c.algorithm as Alg,
        prefix: c.prefix as string | undefined,
        timestampHeader: c.timestampHeader as string | undefined,
        idHeader: c.idHeader as string | undefined,
        ...(c.tsDotBody && c.timestampHeader ? { signedContent: ({ body, timestamp }) => `${timestamp}.${body}` } : {}),
      });
    },
    payload: fc.tuple(extras, nonEmpty).map(([x, event]) => ({ ...x, event })),
    headerNames: (c) => ["X-Signature", ...(c.timestampHeader ? ["X-Timestamp"] : []), ...(c.idHeader ? ["X-Id"] : [])],
    signatureHeader: () => "x-signature",
    timestampHeader: (c) => (c.timestampHeader ? "x-timestamp" : undefined),
    verdict(d, secrets, c, nowMs) {
      const body = bytesOf(d.body);
      const ts = c.timestampHeader ? joined(d.headers, "x-timestamp")?.trim() : undefined;
      const content = c.tsDotBody && c.timestampHeader ? [`${ts}.${utf8.decode(body)}`] : [body];
      const digests = secrets.map((s) => mac(c.algorithm as Alg, utf8Key(s), ...content));
      const prefix = new RegExp(`^${String(c.prefix ?? "").replace(/[=]/g, "\\=")}`, "i");
      const candidates = values(d.headers, "x-signature")
        .flatMap((v) => v.split(","))
        .map((v) => v.trim().replace(prefix, ""));
      const written = (g: Buffer) => (c.encoding === "hex" ? g.toString("hex") : b64norm(g.toString("base64")));
      const norm = (v: string) => (c.encoding === "hex" ? v.toLowerCase() : b64norm(v));
      return {
        authentic: digests.some((g) => candidates.map(norm).includes(written(g))),
        fresh: c.timestampHeader ? freshSeconds(joined(d.headers, "x-timestamp"), nowMs) : true,
        expected: digests.flatMap(spellings),
      };
    },
  },
];

// ---------------------------------------------------------------------------
// Shared checks on every result.

function build(spec: Spec, secrets: string[], config: Record<string, unknown>, options: Record<string, unknown> = {}) {
  const seen: WebhookEvent[] = [];
  const receiver = createReceiver({
    provider: spec.make(secrets, config),
    now: () => NOW_MS,
    logger: {},
    ...options,
  } as Parameters<typeof createReceiver>[0]);
  receiver.on("*", (event) => {
    seen.push(event);
  });
  return { receiver, seen };
}

/** The strings a response must never contain: the secrets and the expected signatures. */
function forbidden(spec: Spec, secrets: string[], verdict: Verdict): string[] {
  const out = [...verdict.expected];
  for (const s of secrets) {
    const forms = [s, JSON.stringify(s).slice(1, -1)];
    if (spec.key) forms.push(spec.key(s).toString("base64"), spec.key(s).toString("hex"));
    // A secret of a few characters can occur in any text by chance ("ok"); longer ones can't.
    out.push(...forms.filter((f) => f.length >= 8));
  }
  return out;
}

async function handleChecked(
  spec: Spec,
  receiver: ReturnType<typeof build>["receiver"],
  delivery: Delivery,
  secrets: string[],
  config: Record<string, unknown>,
): Promise<{ result: HandleResult; verdict: Verdict }> {
  let result: HandleResult;
  try {
    result = await receiver.handle(delivery);
  } catch (error) {
    throw new Error(`handle() threw: ${String(error)}`);
  }
  const verdict = spec.verdict(delivery, secrets, config, NOW_MS);
  // Only the sender's input varies here (store in memory, handlers succeed): never a 5xx.
  if (!STATUSES.has(result.status)) throw new Error(`unexpected status ${result.status}: ${result.body}`);
  if (result.status < 300 && !(verdict.authentic && verdict.fresh)) {
    throw new Error(`2xx for a delivery that is not authentic and fresh (${JSON.stringify(verdict)}): ${result.body}`);
  }
  const parsed = JSON.parse(result.body) as { ok: boolean; error?: { code: string } };
  if (parsed.ok !== result.status < 300) throw new Error(`ok disagrees with status ${result.status}`);
  const text = `${result.body}\n${JSON.stringify(result.headers)}`;
  for (const secret of forbidden(spec, secrets, verdict)) {
    if (text.includes(secret)) throw new Error(`response contains a secret or expected signature: ${result.body}`);
  }
  return { result, verdict };
}

// ---------------------------------------------------------------------------
// Generators of hostile deliveries.

const specArb = fc.constantFrom(...SPECS);
const secretsOf = (spec: Spec) => fc.array(spec.secret, { minLength: 1, maxLength: 3 });

const timestampText = fc.oneof(
  fc.integer({ min: NOW_S - 400, max: NOW_S + 400 }).map(String),
  fc.constant(String(NOW_MS)),
  fc.constant(new Date(NOW_MS).toISOString()),
  fc.constantFrom("-1", "NaN", "0", "9999999999", "1e9", " ", "", "1775226600.0", "+1775226600", "١٧٧٥٢٢٦٦٠٠"),
  text,
);
const hexish = fc.oneof(
  fc.stringMatching(/^(sha256=)?[0-9a-fA-F]{0,130}$/),
  fc.stringMatching(/^v1,[A-Za-z0-9+/]{0,90}={0,2}$/),
  text,
);

function hostileHeaders(names: string[]): fc.Arbitrary<Headers> {
  const name = fc.oneof(fc.constantFrom(...names), fc.constantFrom(...names).map((n) => n.toUpperCase()), fc.constantFrom("__proto__", "constructor", "x-forwarded-for"), text);
  const value = fc.oneof(hexish, timestampText, text, fc.array(fc.oneof(hexish, text), { maxLength: 10 }));
  return fc.array(fc.tuple(name, value), { maxLength: 6 }).map((pairs) => {
    const out: Headers = {};
    for (const [k, v] of pairs) Object.defineProperty(out, k, { value: v, enumerable: true, configurable: true, writable: true });
    return out;
  });
}

const bodyArb = (spec: Spec) =>
  fc.oneof(
    text,
    fc.uint8Array({ maxLength: 200 }),
    fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? ""),
    spec.payload.map((p) => (typeof p === "string" ? p : JSON.stringify({ ...(p as object), timestamp: new Date(NOW_MS).toISOString() }))),
    fc.tuple(spec.payload, nonEmpty).map(([p, token]) => JSON.stringify({ ...(typeof p === "object" ? p : { p }), passphrase: token })),
  );

const methodArb = fc.oneof({ weight: 8, arbitrary: fc.constant("POST") }, { weight: 1, arbitrary: fc.constantFrom("post", "GET", "PUT", "", "POST ", "PoSt") }, { weight: 1, arbitrary: text });
const ipArb = fc.option(fc.oneof(fc.ipV4(), fc.ipV6(), fc.ipV4().map((a) => `::ffff:${a}`), text), { nil: undefined });
const urlArb = fc.option(fc.oneof(text.map((t) => `/hook?token=${encodeURIComponent(t)}`), text, fc.constant("/hook?token=a&token=b"), fc.constant("http://[::1")), { nil: undefined });

describe("properties of handle() under hostile input", () => {
  it("arbitrary deliveries: never throws, never 5xx, never 2xx unless authentic and fresh, never leaks", async () => {
    const arb = specArb.chain((spec) =>
      fc.record({
        spec: fc.constant(spec),
        secrets: secretsOf(spec),
        config: spec.config,
        delivery: fc.record({
          body: bodyArb(spec),
          headers: hostileHeaders([...spec.headerNames({ timestampHeader: "X-Timestamp", idHeader: "X-Id" }), "content-type"]),
          method: methodArb,
          url: urlArb,
          ip: ipArb,
        }),
        allowIps: fc.option(fc.constantFrom(["127.0.0.1"], ["10.0.0.0/8", "2001:db8::/32"], ["52.89.214.238"]), { nil: undefined }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(arb, async ({ spec, secrets, config, delivery, allowIps }) => {
        const { receiver } = build(spec, secrets, config, allowIps ? { allowIps } : {});
        const d = delivery as Delivery;
        if (typeof d.body !== "string" && d.body instanceof Uint8Array && d.body.byteLength % 2 === 1) d.body = d.body.slice().buffer;
        await handleChecked(spec, receiver, d, secrets, config);
      }),
      { numRuns: runs(0.38) },
    );
  });

  it("signed deliveries, then mutated: only authentic, fresh ones are accepted, and never a 5xx", async () => {
    type Mutation = (d: { body: Uint8Array; headers: Headers; url?: string | undefined; method?: string }, spec: Spec, config: Record<string, unknown>) => void;
    const sigName = (spec: Spec, c: Record<string, unknown>) => spec.signatureHeader(c);
    const editSig = (f: (v: string) => string | string[]): Mutation => (d, spec, c) => {
      const name = sigName(spec, c);
      if (name && typeof d.headers[name] === "string") d.headers[name] = f(d.headers[name] as string);
    };
    const mutation: fc.Arbitrary<Mutation> = fc.oneof(
      fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })).map(([i, x]): Mutation => (d) => {
        if (d.body.byteLength === 0) return;
        const copy = d.body.slice();
        copy[i % copy.byteLength]! ^= x;
        d.body = copy;
      }),
      fc.constantFrom("\n", " ", "\u0000", "\r\n", "}").map((s): Mutation => (d) => {
        d.body = Buffer.concat([d.body, Buffer.from(s)]);
      }),
      fc.constant<Mutation>((d) => {
        d.body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), d.body]);
      }),
      fc.constant<Mutation>((d) => {
        const parsed = jsonOf(d.body);
        if (parsed !== undefined) d.body = Buffer.from(JSON.stringify(parsed, null, 2));
      }),
      fc.constant<Mutation>(editSig((v) => v.toUpperCase())),
      fc.nat({ max: 90 }).map((n): Mutation => editSig((v) => v.slice(0, n))),
      fc.oneof(hexish, fc.constantFrom("00", "0", "=", " ", "\t", ",", "\u0000", "é")).map((s): Mutation => editSig((v) => v + s)),
      fc.tuple(fc.nat(), fc.constantFrom("0", "f", "A", "+", "/", "-", "\u0660")).map(([i, ch]): Mutation => editSig((v) => {
        const at = i % Math.max(1, v.length);
        return v.slice(0, at) + ch + v.slice(at + 1);
      })),
      hexish.map((forged): Mutation => editSig((v) => [forged, v])),
      hexish.map((forged): Mutation => editSig((v) => `${forged},${v}`)),
      fc.constant<Mutation>(editSig((v) => [v, v, v, v, v, v, v, v, v].join(","))),
      fc.constant<Mutation>((d, spec, c) => {
        const name = sigName(spec, c);
        if (name) delete d.headers[name];
      }),
      fc.constant<Mutation>((d) => {
        for (const k of Object.keys(d.headers)) {
          const v = d.headers[k]!;
          delete d.headers[k];
          d.headers[k.toUpperCase()] = v;
        }
      }),
      timestampText.map((t): Mutation => (d, spec, c) => {
        const name = spec.timestampHeader(c);
        if (name) d.headers[name] = t;
      }),
      fc.oneof(text, fc.stringMatching(/^[!-~]{1,300}$/)).map((id): Mutation => (d) => {
        for (const name of ["webhook-id", "x-pipai-delivery", "x-id"]) if (name in d.headers) d.headers[name] = id;
      }),
      fc.tuple(text, fc.oneof(text, hexish)).map(([k, v]): Mutation => (d) => {
        if (!(k.toLowerCase() in d.headers) && k !== "__proto__") d.headers[k] = v;
      }),
      fc.oneof(text, fc.constant("")).map((t): Mutation => (d) => {
        d.url = `/tv?token=${encodeURIComponent(t)}`;
      }),
      fc.constant<Mutation>((d) => {
        if (d.url) d.url = `${d.url}&token=${d.url.split("token=")[1]}`;
      }),
      fc.oneof(text, fc.integer(), fc.constant(null)).map((v): Mutation => (d) => {
        const parsed = record(jsonOf(d.body));
        if (parsed) d.body = Buffer.from(JSON.stringify({ ...parsed, passphrase: v }));
      }),
      fc.oneof(timestampText, fc.constant("{{timenow}}"), fc.constant(NOW_MS)).map((v): Mutation => (d) => {
        const parsed = record(jsonOf(d.body));
        if (parsed) d.body = Buffer.from(JSON.stringify({ ...parsed, timenow: v, timestamp: v }));
      }),
      fc.constantFrom("GET", "HEAD", "post").map((m): Mutation => (d) => {
        d.method = m;
      }),
    );
    const arb = specArb.chain((spec) =>
      fc.record({
        spec: fc.constant(spec),
        secrets: secretsOf(spec),
        config: spec.config,
        payload: spec.payload,
        offset: fc.oneof(fc.integer({ min: -TOLERANCE_S, max: TOLERANCE_S }), fc.integer({ min: -100_000, max: 100_000 })),
        wrongSecret: fc.option(spec.secret, { freq: 4, nil: undefined }),
        via: fc.constantFrom("body" as const, "url" as const),
        mutations: fc.array(mutation, { maxLength: 3 }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(arb, async ({ spec, secrets, config, payload, offset, wrongSecret, via, mutations }) => {
        const provider = spec.make(secrets, config);
        const isText = typeof payload === "string";
        const signed = signDelivery(provider, payload, {
          timestamp: NOW_S + offset,
          id: "msg_property",
          ...(wrongSecret !== undefined ? { secret: wrongSecret } : {}),
          ...(spec.kind === "tradingview" ? { via: isText ? "url" : via, url: "/tv" } : {}),
        });
        const d = { body: Buffer.from(signed.body, "utf8") as Uint8Array, headers: { ...signed.headers } as Headers, url: signed.url, method: "POST" };
        for (const m of mutations) m(d, spec, config);
        const { receiver } = build(spec, secrets, config);
        const { result, verdict } = await handleChecked(spec, receiver, d, secrets, config);
        // Untouched, correctly signed and fresh: processed.
        if (mutations.length === 0 && wrongSecret === undefined && Math.abs(offset) <= TOLERANCE_S && verdict.authentic) {
          if (result.status !== 200) throw new Error(`valid delivery answered ${result.status}: ${result.body}`);
        }
      }),
      { numRuns: runs(0.38) },
    );
  });

  it("round trip: signDelivery -> handle is processed for arbitrary payloads and secrets, up to the size cap", async () => {
    const arb = specArb.chain((spec) =>
      fc.record({
        spec: fc.constant(spec),
        secrets: secretsOf(spec),
        config: spec.config,
        payload: spec.payload,
        offset: fc.integer({ min: -TOLERANCE_S, max: TOLERANCE_S }),
        id: fc.stringMatching(/^[!-~]{1,256}$/),
        pad: fc.oneof(fc.constant(""), fc.string({ unit: "binary", maxLength: 3000 })),
        slack: fc.oneof(fc.constant(0), fc.nat(4)),
        over: fc.integer({ min: 1, max: 64 }),
        as: fc.constantFrom("string", "bytes", "buffer", "arraybuffer", "Headers"),
      }),
    );
    await fc.assert(
      fc.asyncProperty(arb, async ({ spec, secrets, config, payload, offset, id, pad, slack, over, as }) => {
        const padded = pad && typeof payload === "object" && payload !== null ? { ...(payload as object), zz_pad: pad } : payload;
        const signed = signDelivery(spec.make(secrets, config), padded, { timestamp: NOW_S + offset, id, url: "/tv" });
        const size = Buffer.byteLength(signed.body, "utf8");
        const bytes = new TextEncoder().encode(signed.body);
        const body =
          as === "string" ? signed.body : as === "bytes" ? bytes : as === "buffer" ? Buffer.from(bytes) : as === "arraybuffer" ? bytes.buffer : signed.body;
        const headers = as === "Headers" ? new Headers(signed.headers) : signed.headers;
        const delivery: Delivery = { body, headers, url: signed.url, method: "POST" };

        const { receiver, seen } = build(spec, secrets, config, { maxBodyBytes: Math.max(1, size + slack) });
        const { result } = await handleChecked(spec, receiver, delivery, secrets, config);
        if (result.status !== 200 || result.outcome !== "processed") throw new Error(`expected processed, got ${result.status}: ${result.body}`);
        if (seen.length !== 1) throw new Error(`handler ran ${seen.length} times`);
        if (spec.kind === "tradingview" && typeof padded === "object") {
          expect(JSON.stringify(seen[0]!.payload)).not.toContain("passphrase");
        }
        // A second delivery of the same bytes is a duplicate, not a second run.
        const again = await receiver.handle(delivery);
        if (again.status !== 200 || again.outcome !== "duplicate" || seen.length !== 1) throw new Error(`replay answered ${again.status} ${again.outcome}`);

        if (size > over) {
          const capped = build(spec, secrets, config, { maxBodyBytes: size - over });
          const tooBig = await handleChecked(spec, capped.receiver, delivery, secrets, config);
          if (tooBig.result.status !== 413 || capped.seen.length !== 0) throw new Error(`over the cap answered ${tooBig.result.status}`);
        }
      }),
      { numRuns: runs(0.22) },
    );
  });

  it("round trip near the default 1 MiB cap", async () => {
    const MiB = 1_048_576;
    const spec = SPECS[0]!;
    await fc.assert(
      fc.asyncProperty(secretsOf(spec), spec.payload, fc.integer({ min: -2, max: 2 }), fc.constantFrom("a", "é", "€", "😀"), async (secrets, payload, delta, unit) => {
        const provider = spec.make(secrets, {});
        const base = Buffer.byteLength(signDelivery(provider, { ...(payload as object), zz_pad: "" }, { timestamp: NOW_S }).body);
        const remaining = MiB + delta - base;
        const unitBytes = Buffer.byteLength(unit);
        const pad = unit.repeat(Math.floor(remaining / unitBytes)) + "a".repeat(remaining % unitBytes);
        const signed = signDelivery(provider, { ...(payload as object), zz_pad: pad }, { timestamp: NOW_S });
        const size = Buffer.byteLength(signed.body);
        expect(size).toBe(MiB + delta);
        const { receiver } = build(spec, secrets, {});
        const result = await receiver.handle({ body: signed.body, headers: signed.headers });
        expect(result.status).toBe(delta <= 0 ? 200 : 413);
      }),
      { numRuns: Math.max(20, runs(0.002)) },
    );
  });
});

describe("properties of the body timestamp parser", () => {
  // The usual forms (`...:00Z`, `...:00.000Z`) take a character-code fast path; any other
  // spelling of the same instant (`z`, `+00:00`) takes the general parser. Both must agree.
  const two = (n: number) => String(n).padStart(2, "0");
  it("the fast path and the general parser agree on every date-time, real or not", () => {
    const parse = (text: string) => {
      try {
        return parseIsoTimestamp(text, "timestamp");
      } catch (error) {
        return (error as { code?: string }).code;
      }
    };
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 9999 }),
        fc.integer({ min: 0, max: 13 }),
        fc.integer({ min: 0, max: 32 }),
        fc.integer({ min: 0, max: 25 }),
        fc.integer({ min: 0, max: 61 }),
        fc.integer({ min: 0, max: 61 }),
        fc.option(fc.integer({ min: 0, max: 999 })),
        (year, month, day, hour, minute, second, ms) => {
          const stem = `${String(year).padStart(4, "0")}-${two(month)}-${two(day)}T${two(hour)}:${two(minute)}:${two(second)}`;
          const fraction = ms === null ? "" : `.${String(ms).padStart(3, "0")}`;
          const fast = parse(`${stem}${fraction}Z`);
          expect(parse(`${stem}${fraction}+00:00`)).toBe(fast);
          expect(parse(`${stem}${fraction}z`)).toBe(fast);
          const real = new Date(Date.UTC(year, month - 1, day, hour, minute, second, ms ?? 0));
          const exists = year >= 100 && real.getUTCFullYear() === year && real.getUTCMonth() === month - 1 && real.getUTCDate() === day &&
            hour < 24 && minute < 60 && second < 60;
          expect(fast).toBe(exists ? real.getTime() : "TIMESTAMP_INVALID");
        },
      ),
      { numRuns: runs(0.1) },
    );
  });
});

describe("properties of the base64 signature decoder", () => {
  // The accepted forms, as a grammar: groups of four, then 2 chars (+ "==") or 3 chars (+ "="),
  // standard or URL-safe alphabet. The decoder reads character codes; this is its oracle.
  const FORM = /^(?:[A-Za-z0-9+/_-]{4})*(?:[A-Za-z0-9+/_-]{2}(?:==)?|[A-Za-z0-9+/_-]{3}=?)?$/;
  const ALPHABET = [..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_", "=", "=", " ", "é", "\n"];

  it("decodes every spelling Node writes, and nothing outside the grammar", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70 }), fc.array(fc.constantFrom(...ALPHABET), { maxLength: 14 }), (bytes, chars) => {
        const buffer = Buffer.from(bytes);
        for (const text of [buffer.toString("base64"), buffer.toString("base64url"), buffer.toString("base64").replace(/=+$/, "")]) {
          expect(decodeBase64(text, true)).toEqual(new Uint8Array(bytes));
        }
        const text = chars.join("");
        const decoded = decodeBase64(text);
        expect(decoded !== undefined).toBe(FORM.test(text));
        if (decoded) expect(Buffer.from(decoded)).toEqual(Buffer.from(text.replace(/-/g, "+").replace(/_/g, "/"), "base64"));
      }),
      { numRuns: runs(0.1) },
    );
  });
});
