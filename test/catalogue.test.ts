/**
 * @module The hostile-input catalogue: one row per attack or malformation, with the status and code DESIGN §1/§3/§4 require.
 */
import { createHmac } from "node:crypto";
import { once } from "node:events";
import { request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  apindicators,
  createReceiver,
  hmac,
  pipai,
  standardWebhooks,
  tickerapi,
  TRADINGVIEW_IPS,
  tradingview,
  type Delivery,
  type HandleResult,
  type WebhookEvent,
} from "../src/index.js";
import { expressWebhook } from "../src/adapters/express.js";
import { at, fixture, STANDARD_WEBHOOKS_VECTOR } from "./helpers.js";

const NOW = at("2026-04-03T14:30:00Z");
const NOW_S = NOW / 1000;
const SECRET = "catalogue-secret";
const OLD_SECRET = "catalogue-old-secret";
const TOKEN = "tv-catalogue-token";
const PIPAI_SECRET = "pipai-catalogue-secret";
const SW = STANDARD_WEBHOOKS_VECTOR;

const enc = new TextEncoder();
const BUY = fixture("apindicators.signal.buy.json");
const BUY_OBJ = JSON.parse(BUY) as { event: string; timestamp: string; data: Record<string, unknown> };
const READY = fixture("tickerapi.data.ready.json").replace("2026-03-27T21:30:00Z", "2026-04-03T14:30:00Z");

const hex = (secret: string | Buffer, ...parts: (string | Uint8Array)[]) => {
  const mac = createHmac("sha256", secret);
  for (const p of parts) mac.update(p);
  return mac.digest("hex");
};
const concat = (...parts: (string | Uint8Array)[]) => Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p) : Buffer.from(p))));

/** A signal.buy body: the fixture with `data` fields and top-level fields overridden. */
const buy = (data: Record<string, unknown> = {}, top: Record<string, unknown> = {}) =>
  JSON.stringify({ ...BUY_OBJ, ...top, data: { ...BUY_OBJ.data, ...data } });

/** An APIndicators delivery signed over exactly `body`. */
const api = (body: string | Uint8Array = BUY, headers: Record<string, string | string[]> = {}): Delivery => ({
  body,
  method: "POST",
  headers: { "content-type": "application/json", "x-webhook-signature": `sha256=${hex(SECRET, body)}`, ...headers },
});
const apiSig = (body: string | Uint8Array = BUY) => hex(SECRET, body);

const PIPAI_BODY = JSON.stringify({ event: "strategy.deployed", data: { strategy_id: "st_1" } });
/** A PipAI delivery whose signature covers `${timestamp.trim()}.${body}`. */
const pipaiAt = (timestamp: string | undefined, body = PIPAI_BODY): Delivery => ({
  body,
  method: "POST",
  headers: {
    "x-pipai-signature": hex(PIPAI_SECRET, `${(timestamp ?? "").trim()}.`, body),
    ...(timestamp === undefined ? {} : { "x-pipai-timestamp": timestamp }),
    "x-pipai-delivery": "dlv_1",
  },
});

const tvBody = (fields: Record<string, unknown>) => JSON.stringify({ passphrase: TOKEN, ticker: "BTCUSDT", ...fields });
const tv = (body: string | Uint8Array, url = "/tv", extra: Partial<Delivery> = {}): Delivery => ({ body, method: "POST", url, headers: { "content-type": "text/plain" }, ...extra });

type Kind = "apindicators" | "tickerapi" | "pipai" | "tradingview" | "standard" | "hmac" | "hmac-ts";

interface Row {
  name: string;
  kind: Kind;
  /** Extra createReceiver options for this row. */
  options?: Record<string, unknown>;
  delivery: () => Delivery;
  status: number;
  /** The error code, or the outcome for 2xx. */
  code: string;
  /** Further checks on the result and the events handlers saw. */
  check?: (result: HandleResult, seen: WebhookEvent[]) => void;
  /** Send over real HTTP to an Express 5 app (peer 127.0.0.1, no trusted proxy) instead of calling handle(). */
  express?: { chunked?: boolean; jsonFirst?: boolean };
}

const nested = (depth: number, leaf = "0") => "[".repeat(depth) + leaf + "]".repeat(depth);

const rows: Row[] = [
  // --- signature headers: repeats, arrays, several candidates -------------------------------
  { name: "valid signature (baseline)", kind: "apindicators", delivery: () => api(), status: 200, code: "processed" },
  {
    name: "signature header sent twice as an array, forged first, valid second",
    kind: "apindicators",
    delivery: () => api(BUY, { "x-webhook-signature": [`sha256=${"0".repeat(64)}`, `sha256=${apiSig()}`] }),
    status: 200,
    code: "processed",
  },
  {
    name: "signature header array of two forged values",
    kind: "apindicators",
    delivery: () => api(BUY, { "x-webhook-signature": [`sha256=${"0".repeat(64)}`, `sha256=${"1".repeat(64)}`] }),
    status: 401,
    code: "INVALID_SIGNATURE",
  },
  {
    name: "the same header under two spellings (X-Webhook-Signature and x-webhook-signature), one valid",
    kind: "apindicators",
    delivery: () => ({ body: BUY, headers: { "X-Webhook-Signature": `sha256=${"a".repeat(64)}`, "x-webhook-signature": `sha256=${apiSig()}` } }),
    status: 200,
    code: "processed",
  },
  {
    name: "several comma-separated signatures, one valid (rotation on the sender's side)",
    kind: "apindicators",
    delivery: () => api(BUY, { "x-webhook-signature": `sha256=${"f".repeat(64)}, sha256=${apiSig()}` }),
    status: 200,
    code: "processed",
  },
  {
    name: "nine signatures with the valid one last: too many to try",
    kind: "apindicators",
    delivery: () => api(BUY, { "x-webhook-signature": [...Array(8).fill(`sha256=${"f".repeat(64)}`), `sha256=${apiSig()}`].join(",") }),
    status: 401,
    code: "INVALID_SIGNATURE",
  },
  {
    name: "signed with the previous secret while rotating",
    kind: "apindicators",
    delivery: () => api(BUY, { "x-webhook-signature": `sha256=${hex(OLD_SECRET, BUY)}` }),
    status: 200,
    code: "processed",
  },
  { name: "no signature header", kind: "apindicators", delivery: () => ({ body: BUY, headers: {} }), status: 401, code: "MISSING_SIGNATURE" },
  {
    name: "empty signature header",
    kind: "apindicators",
    delivery: () => api(BUY, { "x-webhook-signature": "" }),
    status: 401,
    code: "MISSING_SIGNATURE",
  },
  { name: "prefix only: sha256=", kind: "apindicators", delivery: () => api(BUY, { "x-webhook-signature": "sha256=" }), status: 401, code: "INVALID_SIGNATURE" },
  {
    name: "APIndicators signature without its required sha256= prefix",
    kind: "apindicators",
    delivery: () => api(BUY, { "x-webhook-signature": apiSig() }),
    status: 401,
    code: "INVALID_SIGNATURE",
  },
  {
    name: "TickerAPI bare hex and a sha256= prefix both verify",
    kind: "tickerapi",
    delivery: () => ({ body: READY, headers: { "x-webhook-signature": [hex(SECRET, READY), `sha256=${hex(SECRET, READY)}`] } }),
    status: 200,
    code: "processed",
  },
  // --- hex shape ---------------------------------------------------------------------------
  {
    name: "uppercase hex (and an uppercase prefix)",
    kind: "apindicators",
    delivery: () => api(BUY, { "x-webhook-signature": `SHA256=${apiSig().toUpperCase()}` }),
    status: 200,
    code: "processed",
  },
  {
    name: "truncated hex: the valid signature minus its last byte",
    kind: "apindicators",
    delivery: () => api(BUY, { "x-webhook-signature": `sha256=${apiSig().slice(0, 62)}` }),
    status: 401,
    code: "INVALID_SIGNATURE",
  },
  {
    name: "overlong hex: the valid signature plus one byte",
    kind: "apindicators",
    delivery: () => api(BUY, { "x-webhook-signature": `sha256=${apiSig()}00` }),
    status: 401,
    code: "INVALID_SIGNATURE",
  },
  {
    name: "odd-length hex: the valid signature plus one digit",
    kind: "apindicators",
    delivery: () => api(BUY, { "x-webhook-signature": `sha256=${apiSig()}0` }),
    status: 401,
    code: "INVALID_SIGNATURE",
  },
  {
    name: "the valid signature twice, concatenated",
    kind: "apindicators",
    delivery: () => api(BUY, { "x-webhook-signature": `sha256=${apiSig()}${apiSig()}` }),
    status: 401,
    code: "INVALID_SIGNATURE",
  },
  {
    name: "non-hex letters of the right length",
    kind: "apindicators",
    delivery: () => api(BUY, { "x-webhook-signature": `sha256=${"zz".repeat(32)}` }),
    status: 401,
    code: "INVALID_SIGNATURE",
  },
  // --- non-ASCII and whitespace in header values ------------------------------------------
  {
    name: "non-ASCII look-alike digit in the hex (Arabic-Indic zero)",
    kind: "apindicators",
    delivery: () => api(BUY, { "x-webhook-signature": `sha256=${apiSig().slice(0, 63)}\u0660` }),
    status: 401,
    code: "INVALID_SIGNATURE",
  },
  {
    name: "fullwidth sha256= prefix",
    kind: "apindicators",
    delivery: () => api(BUY, { "x-webhook-signature": `ｓｈａ２５６=${apiSig()}` }),
    status: 401,
    code: "INVALID_SIGNATURE",
  },
  {
    name: "surrounding whitespace around the value (HTTP optional whitespace)",
    kind: "apindicators",
    delivery: () => api(BUY, { "x-webhook-signature": ` \tsha256=${apiSig()}\t ` }),
    status: 200,
    code: "processed",
  },
  {
    name: "a space inside the hex",
    kind: "apindicators",
    delivery: () => api(BUY, { "x-webhook-signature": `sha256=${apiSig().slice(0, 32)} ${apiSig().slice(32)}` }),
    status: 401,
    code: "INVALID_SIGNATURE",
  },
  {
    name: "NUL byte appended to the signature header",
    kind: "apindicators",
    delivery: () => api(BUY, { "x-webhook-signature": `sha256=${apiSig()}\u0000` }),
    status: 401,
    code: "INVALID_SIGNATURE",
  },
  {
    name: "header name in mixed case",
    kind: "apindicators",
    delivery: () => ({ body: BUY, headers: { "x-WEBHOOK-Signature": `sha256=${apiSig()}` } }),
    status: 200,
    code: "processed",
  },
  // --- header timestamps (PipAI): whole unix seconds only ----------------------------------
  { name: "PipAI timestamp in unix seconds (baseline)", kind: "pipai", delivery: () => pipaiAt(String(NOW_S)), status: 200, code: "processed" },
  { name: "PipAI timestamp in milliseconds", kind: "pipai", delivery: () => pipaiAt(String(NOW)), status: 401, code: "TIMESTAMP_INVALID" },
  { name: "PipAI timestamp as ISO 8601", kind: "pipai", delivery: () => pipaiAt("2026-04-03T14:30:00Z"), status: 401, code: "TIMESTAMP_INVALID" },
  { name: "PipAI negative timestamp", kind: "pipai", delivery: () => pipaiAt(`-${NOW_S}`), status: 401, code: "TIMESTAMP_INVALID" },
  { name: "PipAI timestamp NaN", kind: "pipai", delivery: () => pipaiAt("NaN"), status: 401, code: "TIMESTAMP_INVALID" },
  { name: "PipAI timestamp with a fraction", kind: "pipai", delivery: () => pipaiAt(`${NOW_S}.5`), status: 401, code: "TIMESTAMP_INVALID" },
  { name: "PipAI timestamp in exponent form", kind: "pipai", delivery: () => pipaiAt("1.7752266e9"), status: 401, code: "TIMESTAMP_INVALID" },
  { name: "PipAI timestamp in hex", kind: "pipai", delivery: () => pipaiAt(`0x${NOW_S.toString(16)}`), status: 401, code: "TIMESTAMP_INVALID" },
  { name: "PipAI timestamp far in the future (9999999999), validly signed", kind: "pipai", delivery: () => pipaiAt("9999999999"), status: 401, code: "TIMESTAMP_IN_FUTURE" },
  { name: "PipAI timestamp 0 (1970), validly signed", kind: "pipai", delivery: () => pipaiAt("0"), status: 401, code: "TIMESTAMP_TOO_OLD" },
  { name: "PipAI timestamp 301 s old, validly signed", kind: "pipai", delivery: () => pipaiAt(String(NOW_S - 301)), status: 401, code: "TIMESTAMP_TOO_OLD" },
  { name: "PipAI timestamp header missing", kind: "pipai", delivery: () => pipaiAt(undefined), status: 401, code: "MISSING_TIMESTAMP" },
  {
    name: "PipAI timestamp header sent twice (fresh, and fresh again)",
    kind: "pipai",
    delivery: () => {
      const d = pipaiAt(String(NOW_S));
      (d.headers as Record<string, unknown>)["x-pipai-timestamp"] = [String(NOW_S), String(NOW_S)];
      return d;
    },
    status: 401,
    code: "TIMESTAMP_INVALID",
  },
  {
    name: "PipAI timestamp with Arabic-Indic digits",
    kind: "pipai",
    delivery: () => pipaiAt("١٧٧٥٢٢٦٦٠٠"),
    status: 401,
    code: "TIMESTAMP_INVALID",
  },
  // --- body timestamps (APIndicators): ISO 8601 with a zone ---------------------------------
  { name: "body timestamp as unix seconds (a number)", kind: "apindicators", delivery: () => api(buy({}, { timestamp: NOW_S })), status: 401, code: "TIMESTAMP_INVALID" },
  { name: "body timestamp as milliseconds (a string)", kind: "apindicators", delivery: () => api(buy({}, { timestamp: String(NOW) })), status: 401, code: "TIMESTAMP_INVALID" },
  { name: "body timestamp without a zone", kind: "apindicators", delivery: () => api(buy({}, { timestamp: "2026-04-03T14:30:00" })), status: 401, code: "TIMESTAMP_INVALID" },
  { name: "body timestamp with an offset, same instant", kind: "apindicators", delivery: () => api(buy({}, { timestamp: "2026-04-03T16:30:00+02:00" })), status: 200, code: "processed" },
  { name: "body timestamp that is no real date (Feb 30)", kind: "apindicators", delivery: () => api(buy({}, { timestamp: "2026-02-30T14:30:00Z" })), status: 401, code: "TIMESTAMP_INVALID" },
  { name: "body timestamp far in the future (year 9999)", kind: "apindicators", delivery: () => api(buy({}, { timestamp: "9999-12-31T23:59:59Z" })), status: 401, code: "TIMESTAMP_IN_FUTURE" },
  { name: "body timestamp NaN", kind: "apindicators", delivery: () => api(buy({}, { timestamp: "NaN" })), status: 401, code: "TIMESTAMP_INVALID" },
  { name: "body timestamp missing", kind: "apindicators", delivery: () => api(JSON.stringify({ event: "signal.buy", data: BUY_OBJ.data })), status: 401, code: "MISSING_TIMESTAMP" },
  // --- body bytes ------------------------------------------------------------------------------
  {
    name: "body with a UTF-8 BOM, signed over the BOM",
    kind: "apindicators",
    delivery: () => api(concat(new Uint8Array([0xef, 0xbb, 0xbf]), BUY)),
    status: 200,
    code: "processed",
  },
  {
    name: "body with two BOMs (only one is stripped)",
    kind: "apindicators",
    delivery: () => api(concat(new Uint8Array([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf]), BUY)),
    status: 400,
    code: "INVALID_JSON",
  },
  {
    name: "invalid UTF-8 (a lone 0xFF) inside a string, validly signed",
    kind: "apindicators",
    delivery: () => {
      const [head, tail] = buy({ pair: "BTC@@" }).split("@@");
      return api(concat(head!, new Uint8Array([0xff]), tail!));
    },
    status: 400,
    code: "INVALID_JSON",
  },
  {
    name: "UTF-8-encoded surrogate (CESU bytes ED A0 80), validly signed",
    kind: "apindicators",
    delivery: () => {
      const [head, tail] = buy({ pair: "@@" }).split("@@");
      return api(concat(head!, new Uint8Array([0xed, 0xa0, 0x80]), tail!));
    },
    status: 400,
    code: "INVALID_JSON",
  },
  {
    name: "overlong UTF-8 encoding of '/' (C0 AF), validly signed",
    kind: "apindicators",
    delivery: () => {
      const [head, tail] = buy({ pair: "@@" }).split("@@");
      return api(concat(head!, new Uint8Array([0xc0, 0xaf]), tail!));
    },
    status: 400,
    code: "INVALID_JSON",
  },
  {
    name: "JSON arrays nested 100,000 deep as the whole body",
    kind: "standard",
    delivery: () => sw(nested(100_000)),
    status: 400,
    code: "INVALID_PAYLOAD",
  },
  {
    name: "JSON nested 100,000 deep in an extra field, with a \\u escape (forces the __proto__ scan)",
    kind: "apindicators",
    delivery: () => api(buy().replace('"data":{', `"deep":${nested(100_000, '"\\u0041"')},"data":{`)),
    status: 200,
    code: "processed",
  },
  {
    name: "objects nested 100,000 deep in a TradingView alert",
    kind: "tradingview",
    delivery: () => tv(`{"passphrase":"${TOKEN}","deep":${'{"a":'.repeat(100_000)}1${"}".repeat(100_000)}}`),
    status: 200,
    code: "processed",
  },
  {
    name: "huge number where the schema wants 0..1 (1e400 parses to Infinity)",
    kind: "apindicators",
    delivery: () => api(buy({ score: "@@" }).replace('"@@"', "1e400")),
    status: 400,
    code: "INVALID_PAYLOAD",
  },
  {
    name: "huge integer in an extra field is kept as JSON.parse reads it",
    kind: "apindicators",
    delivery: () => api(buy({ volume: "@@" }).replace('"@@"', "123456789012345678901234567890")),
    status: 200,
    code: "processed",
    check: (_r, seen) => expect((seen[0]!.data as { volume: number }).volume).toBe(1.2345678901234568e29),
  },
  {
    name: "duplicate keys: last wins (event sell then buy is a buy)",
    kind: "apindicators",
    delivery: () => api(buy().replace('"event":"signal.buy"', '"event":"signal.sell"').replace(/}$/, ',"event":"signal.buy"}')),
    status: 200,
    code: "processed",
    check: (_r, seen) => expect(seen.map((e) => e.type)).toEqual(["signal.buy"]),
  },
  {
    name: "duplicate keys: a valid score then an invalid one (last wins, so invalid)",
    kind: "apindicators",
    delivery: () => api(buy().replace('"score":0.87', '"score":0.87,"score":5')),
    status: 400,
    code: "INVALID_PAYLOAD",
  },
  {
    name: "__proto__ keys at the top, in data, and spelled with \\u escapes",
    kind: "apindicators",
    delivery: () =>
      api(
        buy()
          .replace('{"event"', '{"__proto__":{"polluted":"top"},"event"')
          .replace('"data":{', '"data":{"__proto__":{"polluted":"data","score":9},"\\u005f_proto__":{"polluted":"esc"},'),
      ),
    status: 200,
    code: "processed",
    check: (_r, seen) => {
      const event = seen[0]!;
      for (const value of [event.payload, event.data]) {
        expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
        expect((value as Record<string, unknown>).polluted).toBeUndefined();
        expect(Object.hasOwn(value as object, "__proto__")).toBe(false);
      }
      expect((event.data as { score: number }).score).toBe(0.87);
    },
  },
  {
    name: "constructor.prototype keys",
    kind: "apindicators",
    delivery: () => api(buy({ constructor: { prototype: { polluted: "ctor" } } }, { constructor: { prototype: { polluted: "ctor" } } })),
    status: 200,
    code: "processed",
    check: (_r, seen) => expect(Object.getPrototypeOf(seen[0]!.payload)).toBe(Object.prototype),
  },
  {
    name: "__proto__ key in a TradingView alert (payload copied without the token)",
    kind: "tradingview",
    delivery: () => tv(`{"__proto__":{"polluted":"tv"},"passphrase":"${TOKEN}","ticker":"X"}`),
    status: 200,
    code: "processed",
    check: (_r, seen) => {
      expect(Object.getPrototypeOf(seen[0]!.data)).toBe(Object.prototype);
      expect((seen[0]!.data as Record<string, unknown>).polluted).toBeUndefined();
    },
  },
  { name: "event type __proto__ is an unknown event, ignored", kind: "apindicators", delivery: () => api(buy({}, { event: "__proto__" })), status: 200, code: "ignored" },
  {
    name: "event type constructor is an unknown event, rejected with unknownEvents: reject",
    kind: "apindicators",
    options: { unknownEvents: "reject" },
    delivery: () => api(buy({}, { event: "constructor" })),
    status: 400,
    code: "UNKNOWN_EVENT",
  },
  {
    name: "open provider with event type __proto__ and a handler on *",
    kind: "standard",
    delivery: () => sw(JSON.stringify({ type: "__proto__", data: {} })),
    status: 200,
    code: "processed",
  },
  {
    name: "escaped NUL (\\u0000) inside a string value is data",
    kind: "apindicators",
    delivery: () => api(buy({ pair: "BTC\u0000USDT" })),
    status: 200,
    code: "processed",
    check: (_r, seen) => expect((seen[0]!.data as { pair: string }).pair).toBe("BTC\u0000USDT"),
  },
  {
    name: "raw NUL byte inside a JSON string",
    kind: "apindicators",
    delivery: () => api(buy({ pair: "@@" }).replace("@@", "BTC\u0000USDT")),
    status: 400,
    code: "INVALID_JSON",
  },
  {
    name: "NUL byte after the JSON",
    kind: "apindicators",
    delivery: () => api(`${BUY}\u0000`),
    status: 400,
    code: "INVALID_JSON",
  },
  { name: "empty body, validly signed", kind: "apindicators", delivery: () => api(""), status: 400, code: "INVALID_JSON" },
  { name: "JSON by content: text/plain Content-Type still parses", kind: "apindicators", delivery: () => api(BUY, { "content-type": "text/plain" }), status: 200, code: "processed" },
  { name: "body is a JSON array", kind: "apindicators", delivery: () => api("[1,2]"), status: 400, code: "INVALID_PAYLOAD" },
  {
    name: "TickerAPI X-Webhook-Event disagrees with the body",
    kind: "tickerapi",
    delivery: () => ({ body: READY, headers: { "x-webhook-signature": hex(SECRET, READY), "x-webhook-event": "watchlist.changes" } }),
    status: 400,
    code: "EVENT_MISMATCH",
  },
  // --- TradingView: placeholders and the token ------------------------------------------------
  {
    name: "TradingView {{close}} left in a number field a user schema validates",
    kind: "tradingview",
    options: { events: { "tradingview.alert": z.looseObject({ price: z.number() }) } },
    delivery: () => tv(tvBody({ price: "{{close}}" })),
    status: 400,
    code: "INVALID_PAYLOAD",
  },
  {
    name: "TradingView empty string in a number field a user schema validates",
    kind: "tradingview",
    options: { events: { "tradingview.alert": z.looseObject({ price: z.number() }) } },
    delivery: () => tv(tvBody({ price: "" })),
    status: 400,
    code: "INVALID_PAYLOAD",
  },
  {
    name: "TradingView unquoted {{close}} makes the JSON invalid: the body token cannot be read",
    kind: "tradingview",
    delivery: () => tv(`{"passphrase":"${TOKEN}","price":{{close}}}`),
    status: 401,
    code: "MISSING_TOKEN",
  },
  {
    name: "TradingView unquoted {{close}} with the token in the URL: text, rejected by a user object schema",
    kind: "tradingview",
    options: { events: { "tradingview.alert": z.looseObject({ price: z.number() }) } },
    delivery: () => tv(`{"price":{{close}}}`, `/tv?token=${TOKEN}`),
    status: 400,
    code: "INVALID_PAYLOAD",
  },
  { name: "TradingView {{time}} left in the time field", kind: "tradingview", delivery: () => tv(tvBody({ time: "{{time}}" })), status: 401, code: "TIMESTAMP_INVALID" },
  { name: "TradingView {{timenow}} left in the timenow field", kind: "tradingview", delivery: () => tv(tvBody({ timenow: "{{timenow}}" })), status: 401, code: "TIMESTAMP_INVALID" },
  { name: "TradingView time in milliseconds", kind: "tradingview", delivery: () => tv(tvBody({ time: NOW })), status: 401, code: "TIMESTAMP_INVALID" },
  { name: "TradingView token in the body (baseline)", kind: "tradingview", delivery: () => tv(tvBody({ time: "2026-04-03T14:29:30Z" })), status: 200, code: "processed" },
  {
    name: "TradingView token: valid in the URL, wrong in the body",
    kind: "tradingview",
    delivery: () => tv(tvBody({ passphrase: "wrong" }), `/tv?token=${TOKEN}`),
    status: 401,
    code: "INVALID_TOKEN",
  },
  {
    name: "TradingView token: wrong in the URL, valid in the body",
    kind: "tradingview",
    delivery: () => tv(tvBody({}), "/tv?token=wrong"),
    status: 401,
    code: "INVALID_TOKEN",
  },
  {
    name: "TradingView token twice in the URL, valid then wrong",
    kind: "tradingview",
    delivery: () => tv("alert text", `/tv?token=${TOKEN}&token=wrong`),
    status: 401,
    code: "INVALID_TOKEN",
  },
  { name: "TradingView token as a number", kind: "tradingview", delivery: () => tv(tvBody({ passphrase: 12345 })), status: 401, code: "INVALID_TOKEN" },
  { name: "TradingView token with a trailing space", kind: "tradingview", delivery: () => tv(tvBody({ passphrase: `${TOKEN} ` })), status: 401, code: "INVALID_TOKEN" },
  { name: "TradingView token prefix", kind: "tradingview", delivery: () => tv(tvBody({ passphrase: TOKEN.slice(0, -1) })), status: 401, code: "INVALID_TOKEN" },
  { name: "TradingView token in a different case", kind: "tradingview", delivery: () => tv(tvBody({ passphrase: TOKEN.toUpperCase() })), status: 401, code: "INVALID_TOKEN" },
  {
    name: "TradingView text alert with the token in the URL",
    kind: "tradingview",
    delivery: () => tv("BTCUSDT crossed 70000", `/tv?token=${TOKEN}`),
    status: 200,
    code: "processed",
    check: (_r, seen) => expect(seen[0]!.data).toBe("BTCUSDT crossed 70000"),
  },
  {
    name: "TradingView text alert with two BOMs: only one is stripped",
    kind: "tradingview",
    delivery: () => tv(concat(new Uint8Array([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf]), '{"timenow":"2026-04-03T10:00:00Z"}'), `/tv?token=${TOKEN}`),
    status: 200,
    code: "processed",
    check: (_r, seen) => expect(seen[0]!.data).toBe('\uFEFF{"timenow":"2026-04-03T10:00:00Z"}'),
  },
  // --- IP allowlists ---------------------------------------------------------------------------
  {
    name: "IPv4-mapped IPv6 ::ffff:52.89.214.238 against TRADINGVIEW_IPS",
    kind: "tradingview",
    options: { allowIps: TRADINGVIEW_IPS },
    delivery: () => tv(tvBody({}), "/tv", { ip: "::ffff:52.89.214.238" }),
    status: 200,
    code: "processed",
  },
  {
    name: "IPv4-mapped in hex form ::ffff:3459:d6ee against TRADINGVIEW_IPS",
    kind: "tradingview",
    options: { allowIps: TRADINGVIEW_IPS },
    delivery: () => tv(tvBody({}), "/tv", { ip: "::ffff:3459:d6ee" }),
    status: 200,
    code: "processed",
  },
  {
    name: "IPv4-compatible ::52.89.214.238 is not the IPv4 address",
    kind: "tradingview",
    options: { allowIps: TRADINGVIEW_IPS },
    delivery: () => tv(tvBody({}), "/tv", { ip: "::52.89.214.238" }),
    status: 403,
    code: "IP_NOT_ALLOWED",
  },
  {
    name: "neighbouring address 52.89.214.239",
    kind: "tradingview",
    options: { allowIps: TRADINGVIEW_IPS },
    delivery: () => tv(tvBody({}), "/tv", { ip: "52.89.214.239" }),
    status: 403,
    code: "IP_NOT_ALLOWED",
  },
  {
    name: "allowed address with leading zeros (052.089.214.238)",
    kind: "tradingview",
    options: { allowIps: TRADINGVIEW_IPS },
    delivery: () => tv(tvBody({}), "/tv", { ip: "052.089.214.238" }),
    status: 403,
    code: "IP_NOT_ALLOWED",
  },
  {
    name: "allowed address with a port appended",
    kind: "tradingview",
    options: { allowIps: TRADINGVIEW_IPS },
    delivery: () => tv(tvBody({}), "/tv", { ip: "52.89.214.238:443" }),
    status: 403,
    code: "IP_NOT_ALLOWED",
  },
  {
    name: "no client address at all while allowIps is set",
    kind: "tradingview",
    options: { allowIps: TRADINGVIEW_IPS },
    delivery: () => tv(tvBody({}), "/tv"),
    status: 403,
    code: "IP_NOT_ALLOWED",
  },
  {
    name: "spoofed X-Forwarded-For naming a TradingView address, real client elsewhere",
    kind: "tradingview",
    options: { allowIps: TRADINGVIEW_IPS },
    delivery: () => tv(tvBody({}), "/tv", { ip: "198.51.100.9", headers: { "x-forwarded-for": "52.89.214.238", forwarded: "for=52.89.214.238", "x-real-ip": "52.89.214.238" } }),
    status: 403,
    code: "IP_NOT_ALLOWED",
  },
  {
    name: "IPv4 CIDR 10.0.0.0/8 admits 10.255.1.2",
    kind: "apindicators",
    options: { allowIps: ["10.0.0.0/8"] },
    delivery: () => ({ ...api(), ip: "10.255.1.2" }),
    status: 200,
    code: "processed",
  },
  {
    name: "IPv4 CIDR 10.0.0.0/8 admits the mapped ::ffff:10.1.2.3",
    kind: "apindicators",
    options: { allowIps: ["10.0.0.0/8"] },
    delivery: () => ({ ...api(), ip: "::ffff:10.1.2.3" }),
    status: 200,
    code: "processed",
  },
  {
    name: "IPv4 CIDR 10.0.0.0/8 refuses 11.0.0.1",
    kind: "apindicators",
    options: { allowIps: ["10.0.0.0/8"] },
    delivery: () => ({ ...api(), ip: "11.0.0.1" }),
    status: 403,
    code: "IP_NOT_ALLOWED",
  },
  {
    name: "IPv6 CIDR 2001:db8::/32 admits 2001:DB8:ffff::1 (uppercase)",
    kind: "apindicators",
    options: { allowIps: ["2001:db8::/32"] },
    delivery: () => ({ ...api(), ip: "2001:DB8:ffff::1" }),
    status: 200,
    code: "processed",
  },
  {
    name: "IPv6 CIDR 2001:db8::/32 refuses 2001:db9::1",
    kind: "apindicators",
    options: { allowIps: ["2001:db8::/32"] },
    delivery: () => ({ ...api(), ip: "2001:db9::1" }),
    status: 403,
    code: "IP_NOT_ALLOWED",
  },
  {
    name: "IPv6 with a zone id (fe80::1%eth0) against fe80::/10",
    kind: "apindicators",
    options: { allowIps: ["fe80::/10"] },
    delivery: () => ({ ...api(), ip: "fe80::1%eth0" }),
    status: 200,
    code: "processed",
  },
  {
    name: "IPv6 CIDR ::/0 does not admit a malformed address",
    kind: "apindicators",
    options: { allowIps: ["::/0"] },
    delivery: () => ({ ...api(), ip: "1:2:3:4:5:6:7:8:9" }),
    status: 403,
    code: "IP_NOT_ALLOWED",
  },
  // --- method and size ---------------------------------------------------------------------------
  { name: "GET", kind: "apindicators", delivery: () => ({ ...api(), method: "GET" }), status: 405, code: "METHOD_NOT_ALLOWED" },
  { name: "lowercase post", kind: "apindicators", delivery: () => ({ ...api(), method: "post" }), status: 200, code: "processed" },
  {
    name: "body exactly at maxBodyBytes",
    kind: "apindicators",
    options: { maxBodyBytes: enc.encode(BUY).byteLength },
    delivery: () => api(),
    status: 200,
    code: "processed",
  },
  {
    name: "body one byte over maxBodyBytes",
    kind: "apindicators",
    options: { maxBodyBytes: enc.encode(BUY).byteLength - 1 },
    delivery: () => api(),
    status: 413,
    code: "PAYLOAD_TOO_LARGE",
  },
  // --- Standard Webhooks -----------------------------------------------------------------------
  { name: "Standard Webhooks known-answer vector", kind: "standard", delivery: () => sw(SW.body), status: 200, code: "processed" },
  {
    name: "Standard Webhooks: several signatures, the valid one among forged and v2 entries",
    kind: "standard",
    delivery: () => sw(SW.body, { "webhook-signature": `v2,${SW.signature.slice(3)} v1,${"A".repeat(43)}= ${SW.signature}` }),
    status: 200,
    code: "processed",
  },
  {
    name: "Standard Webhooks: the valid signature under v2 only",
    kind: "standard",
    delivery: () => sw(SW.body, { "webhook-signature": `v2,${SW.signature.slice(3)}` }),
    status: 401,
    code: "INVALID_SIGNATURE",
  },
  {
    name: "Standard Webhooks: signature in URL-safe base64 without padding",
    kind: "standard",
    delivery: () => sw(SW.body, { "webhook-signature": SW.signature.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "") }),
    status: 200,
    code: "processed",
  },
  {
    name: "Standard Webhooks: the valid signature respelled with nonzero base64 pad bits (…1OF= for …1OE=)",
    kind: "standard",
    delivery: () => sw(SW.body, { "webhook-signature": SW.signature.replace(/E=$/, "F=") }),
    status: 401,
    code: "INVALID_SIGNATURE",
  },
  {
    name: "Standard Webhooks: webhook-id changed (it is signed)",
    kind: "standard",
    delivery: () => sw(SW.body, { "webhook-id": "msg_other" }),
    status: 401,
    code: "INVALID_SIGNATURE",
  },
  {
    name: "Standard Webhooks: timestamp in milliseconds",
    kind: "standard",
    delivery: () => sw(SW.body, { "webhook-timestamp": `${SW.timestamp}000` }),
    status: 401,
    code: "TIMESTAMP_INVALID",
  },
  {
    name: "generic hmac: base64 signature of the wrong algorithm's length",
    kind: "hmac",
    delivery: () => ({ body: BUY, headers: { "x-signature": createHmac("sha512", SECRET).update(BUY).digest("base64") } }),
    status: 401,
    code: "INVALID_SIGNATURE",
  },
  {
    name: "generic hmac: valid base64 signature",
    kind: "hmac",
    delivery: () => ({ body: BUY, headers: { "x-signature": createHmac("sha256", SECRET).update(BUY).digest("base64") } }),
    status: 200,
    code: "processed",
  },
  {
    name: "generic hmac with a text signedContent: a BOM-prefixed copy is not the signed body (no replay under a new key)",
    kind: "hmac-ts",
    delivery: () => ({
      body: concat(new Uint8Array([0xef, 0xbb, 0xbf]), BUY),
      headers: { "x-timestamp": String(NOW_S), "x-signature": hex(SECRET, `${NOW_S}.${BUY}`) },
    }),
    status: 401,
    code: "INVALID_SIGNATURE",
  },
  {
    name: "generic hmac with a text signedContent: the signed body itself",
    kind: "hmac-ts",
    delivery: () => ({ body: BUY, headers: { "x-timestamp": String(NOW_S), "x-signature": hex(SECRET, `${NOW_S}.${BUY}`) } }),
    status: 200,
    code: "processed",
  },
  // --- over real HTTP, through the Express adapter ---------------------------------------------
  {
    name: "Express: spoofed X-Forwarded-For naming a TradingView address, no trusted proxy",
    kind: "tradingview",
    express: {},
    options: { allowIps: TRADINGVIEW_IPS },
    delivery: () => tv(tvBody({}), "/tv", { headers: { "content-type": "application/json", "x-forwarded-for": "52.89.214.238", "x-real-ip": "52.89.214.238" } }),
    status: 403,
    code: "IP_NOT_ALLOWED",
  },
  {
    name: "Express: X-Forwarded-For naming a stranger does not block the real loopback peer",
    kind: "apindicators",
    express: {},
    options: { allowIps: ["127.0.0.1", "::1"] },
    delivery: () => api(BUY, { "x-forwarded-for": "203.0.113.7" }),
    status: 200,
    code: "processed",
  },
  {
    name: "Express: body over the cap sent chunked (no Content-Length)",
    kind: "apindicators",
    express: { chunked: true },
    options: { maxBodyBytes: 4096 },
    delivery: () => api(buy({ pad: "x".repeat(256 * 1024) })),
    status: 413,
    code: "PAYLOAD_TOO_LARGE",
  },
  {
    name: "Express: signature header line sent twice, forged first",
    kind: "apindicators",
    express: {},
    delivery: () => api(BUY, { "x-webhook-signature": [`sha256=${"0".repeat(64)}`, `sha256=${apiSig()}`] }),
    status: 200,
    code: "processed",
  },
  {
    name: "Express: express.json() mounted first consumed the raw bytes (body-parser bypass)",
    kind: "apindicators",
    express: { jsonFirst: true },
    delivery: () => api(),
    status: 500,
    code: "BODY_ALREADY_PARSED",
  },
];

/** A Standard Webhooks delivery of the known-answer id and timestamp, signed over `body`. */
function sw(body: string, override: Record<string, string> = {}): Delivery {
  const key = Buffer.from(SW.secret.slice(6), "base64");
  const signature = `v1,${createHmac("sha256", key).update(`${SW.id}.${SW.timestamp}.${body}`).digest("base64")}`;
  return { body, headers: { "webhook-id": SW.id, "webhook-timestamp": SW.timestamp, "webhook-signature": signature, ...override } };
}

/** Serves the receiver with the Express adapter on loopback and sends the delivery over HTTP. */
async function overExpress(receiver: ReturnType<typeof receiverFor>["receiver"], delivery: Delivery, how: NonNullable<Row["express"]>): Promise<HandleResult> {
  const app = express();
  if (how.jsonFirst) app.use(express.json({ type: "*/*" }));
  app.all(/.*/, expressWebhook(receiver));
  const server: Server = app.listen(0, "127.0.0.1");
  await once(server, "listening");
  try {
    const body = Buffer.from(typeof delivery.body === "string" ? delivery.body : new Uint8Array(delivery.body as ArrayBuffer));
    const headers = { ...(delivery.headers as Record<string, string | string[]>) };
    if (!how.chunked) headers["content-length"] = String(body.byteLength);
    let answered = false;
    const { status, text, responseHeaders } = await new Promise<{ status: number; text: string; responseHeaders: Record<string, string> }>((resolve, reject) => {
      const req = httpRequest(
        { host: "127.0.0.1", port: (server.address() as AddressInfo).port, path: delivery.url ?? "/hook", method: delivery.method ?? "POST", headers },
        (res) => {
          answered = true;
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (d: string) => (text += d));
          res.on("end", () => resolve({ status: res.statusCode!, text, responseHeaders: res.headers as Record<string, string> }));
        },
      );
      // A server that answered 413 may close while the body is still being written.
      req.on("error", (error) => (answered ? undefined : reject(error)));
      if (how.chunked) {
        // Several writes without a Content-Length: Node sends Transfer-Encoding: chunked.
        for (let i = 0; i < body.byteLength; i += 16_384) req.write(body.subarray(i, i + 16_384));
        req.end();
      } else req.end(body);
    });
    const parsed = JSON.parse(text) as { ok: boolean; outcome?: string; error?: { code: string } };
    const outcome = (parsed.outcome ?? (status >= 500 ? "failed" : "rejected")) as HandleResult["outcome"];
    return { status, headers: responseHeaders, body: text, outcome, error: parsed.error as HandleResult["error"] };
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
}

function receiverFor(kind: Kind, options: Record<string, unknown> = {}) {
  const seen: WebhookEvent[] = [];
  const providers = {
    apindicators: () => apindicators({ secret: [SECRET, OLD_SECRET] }),
    tickerapi: () => tickerapi({ secret: SECRET }),
    pipai: () => pipai({ secret: PIPAI_SECRET }),
    tradingview: () => tradingview({ token: TOKEN }),
    standard: () => standardWebhooks({ secret: SW.secret }),
    hmac: () => hmac({ secret: SECRET, header: "X-Signature", encoding: "base64" }),
    "hmac-ts": () => hmac({ secret: SECRET, header: "X-Signature", timestampHeader: "X-Timestamp", signedContent: ({ timestamp, body }) => `${timestamp}.${body}` }),
  };
  const now = kind === "standard" ? Number(SW.timestamp) * 1000 : NOW;
  const receiver = createReceiver({ provider: providers[kind](), now: () => now, logger: {}, ...options } as Parameters<typeof createReceiver>[0]);
  receiver.on("*", (event) => {
    seen.push(event);
  });
  return { receiver, seen };
}

describe("hostile-input catalogue", () => {
  const prototypeNames = Object.getOwnPropertyNames(Object.prototype).sort();

  afterAll(() => {
    // No row may have reached Object.prototype.
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeNames);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("has at least 40 rows with unique names", () => {
    expect(rows.length).toBeGreaterThanOrEqual(40);
    expect(new Set(rows.map((r) => r.name)).size).toBe(rows.length);
  });

  it.each(rows.map((row) => [row.name, row] as const))("%s", async (_name, row) => {
    const { receiver, seen } = receiverFor(row.kind, row.options);
    const result = row.express ? await overExpress(receiver, row.delivery(), row.express) : await receiver.handle(row.delivery());
    const code = result.status < 300 ? result.outcome : result.error?.code;
    expect({ status: result.status, code }).toEqual({ status: row.status, code: row.code });
    const body = JSON.parse(result.body) as { ok: boolean; error?: { code: string } };
    expect(body.ok).toBe(result.status < 300);
    if (result.status >= 300) expect(body.error?.code).toBe(row.code);
    // a handler runs exactly when the delivery is processed
    expect(seen.length).toBe(result.outcome === "processed" ? 1 : 0);
    row.check?.(result, seen);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
