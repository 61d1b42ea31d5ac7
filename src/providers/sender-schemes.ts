/**
 * @module What real senders' schemes need beyond one header of one signature: secret encodings, key=value signature lists, public URLs and form bodies.
 */
import { decodeText } from "../body.js";
import { decodeBase64, decodeHex } from "../crypto/signature.js";
import { PayloadError, SignatureError, printable } from "../errors.js";
import type { HeaderReader } from "../headers.js";

import type { DeliveryView } from "./provider.js";

const encoder = new TextEncoder();

/**
 * How a secret string becomes HMAC key bytes: its UTF-8 text (most senders), base64 (`whsec_`
 * stripped) or hex.
 *
 * @example
 * ```ts
 * hmac({ secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", secretEncoding: "base64", header: "X-Signature" });
 * ```
 */
export type SecretEncoding = "utf8" | "base64" | "hex";

/** A secret's key bytes in the given encoding (`whsec_` stripped for base64); a `TypeError` naming the problem. */
export function secretToKey(where: string, encoding: SecretEncoding): (secret: string) => Uint8Array {
  if (encoding === "utf8") return (s) => encoder.encode(s);
  if (encoding === "base64") {
    return (s) => {
      const key = decodeBase64(s.startsWith("whsec_") ? s.slice(6) : s);
      if (!key || key.length === 0) throw new TypeError(`${where}: secret is not base64 (secretEncoding is "base64")`);
      return key;
    };
  }
  if (encoding === "hex") {
    return (s) => {
      const key = decodeHex(s);
      if (!key || key.length === 0) throw new TypeError(`${where}: secret is not hex (secretEncoding is "hex")`);
      return key;
    };
  }
  throw new TypeError(`${where}: secretEncoding must be "utf8", "base64" or "hex"`);
}

/**
 * A signature header that is a key=value list: Stripe `t=1,v1=ab,v1=cd`, Paddle `ts=1;h1=ab`.
 *
 * @example
 * ```ts
 * const stripe: SignatureFormat = { pairs: ",", assign: "=", signature: "v1", timestamp: "t" };
 * ```
 */
export interface SignatureFormat {
  /** Separates the entries; default `","`. */
  pairs?: string;
  /** Separates a key from its value; default `"="`. */
  assign?: string;
  /** The key of every signature entry (each one is a candidate), e.g. `"v1"`, `"h1"`. */
  signature: string;
  /** The key of the timestamp entry, e.g. `"t"`, `"ts"`: read as the delivery timestamp. */
  timestamp?: string;
}

/** At most this many signatures in one header are tried; more is refused (401), so a sender can't make us hash without bound. */
export const MAX_SIGNATURE_CANDIDATES = 8;

/** Validates a `signatureFormat` option; returns it with its defaults filled in. */
export function checkSignatureFormat(where: string, format: unknown): Required<Omit<SignatureFormat, "timestamp">> & Pick<SignatureFormat, "timestamp"> {
  if (typeof format !== "object" || format === null) throw new TypeError(`${where}: signatureFormat must be an object such as { signature: "v1", timestamp: "t" }`);
  const f = format as Record<string, unknown>;
  for (const key of Object.keys(f)) {
    if (!["pairs", "assign", "signature", "timestamp"].includes(key)) {
      throw new TypeError(`${where}: signatureFormat has an unknown key ${JSON.stringify(key)} (expected pairs, assign, signature, timestamp)`);
    }
  }
  const text = (key: string, fallback?: string) => {
    const value = f[key] ?? fallback;
    if (value === undefined) return undefined;
    if (typeof value !== "string" || value === "" || /\s/.test(value)) {
      throw new TypeError(`${where}: signatureFormat.${key} must be a non-empty string without spaces`);
    }
    return value;
  };
  const pairs = text("pairs", ",")!;
  const assign = text("assign", "=")!;
  const signature = text("signature");
  if (signature === undefined) throw new TypeError(`${where}: signatureFormat.signature is required: the key of each signature entry, e.g. "v1"`);
  const timestamp = text("timestamp");
  if (pairs === assign) throw new TypeError(`${where}: signatureFormat.pairs and assign must differ`);
  if (timestamp === signature) throw new TypeError(`${where}: signatureFormat.signature and timestamp must differ`);
  return { pairs, assign, signature, timestamp };
}

/** What a key=value signature header holds. */
export interface SignatureList {
  candidates: string[];
  /** The timestamp entry's value, when the format names one. */
  timestamp: string | undefined;
}

/**
 * Reads a key=value signature header. Every value sent under the name is one list. Unknown
 * keys are skipped (Stripe's `v0`), but a key other than the signature's may appear once.
 */
export function readSignatureList(view: DeliveryView, header: string, format: ReturnType<typeof checkSignatureFormat>): SignatureList {
  const values = view.headers.getAll(header);
  if (values.length === 0 || values.every((v) => v.trim() === "")) throw new SignatureError("MISSING_SIGNATURE", `${header} header is missing`);
  const candidates: string[] = [];
  const seen = new Set<string>();
  let timestamp: string | undefined;
  for (const entry of values.flatMap((v) => v.split(format.pairs))) {
    const trimmed = entry.trim();
    if (trimmed === "") {
      throw new SignatureError("INVALID_SIGNATURE", `${header} has an empty entry (entries are key${format.assign}value separated by ${JSON.stringify(format.pairs)})`);
    }
    const at = trimmed.indexOf(format.assign);
    if (at <= 0) {
      throw new SignatureError("INVALID_SIGNATURE", `${header} entry ${printable(trimmed, 24)} is not key${format.assign}value`);
    }
    const key = trimmed.slice(0, at).trim();
    const value = trimmed.slice(at + format.assign.length).trim();
    if (key === format.signature) {
      candidates.push(value);
      if (candidates.length > MAX_SIGNATURE_CANDIDATES) {
        throw new SignatureError("INVALID_SIGNATURE", `${header} holds more than ${MAX_SIGNATURE_CANDIDATES} ${key} signatures; at most ${MAX_SIGNATURE_CANDIDATES} are tried`);
      }
      continue;
    }
    if (seen.has(key)) throw new SignatureError("INVALID_SIGNATURE", `${header} has the key ${printable(key, 24)} twice`);
    seen.add(key);
    if (key === format.timestamp) timestamp = value;
  }
  if (candidates.length === 0) {
    throw new SignatureError("INVALID_SIGNATURE", `${header} has no ${format.signature}${format.assign}<signature> entry`);
  }
  return { candidates, timestamp };
}


/**
 * The URL a sender calls, when a proxy rewrites it: a string (the received query string is kept
 * when it has none), or a function of the received URL and headers.
 *
 * @example
 * ```ts
 * const publicUrl: PublicUrl = "https://example.com/webhooks/twilio";
 * // the host a trusted proxy saw, with the path and query as received
 * const fromProxy: PublicUrl = (received, headers) => `https://${headers.get("x-forwarded-host")}${received?.replace(/^https?:\/\/[^/]+/, "") ?? "/"}`;
 * ```
 */
export type PublicUrl = string | ((received: string | undefined, headers: HeaderReader) => string);

/** Validates `publicUrl`: an absolute http(s) URL, or a function. */
export function checkPublicUrl(where: string, value: unknown): PublicUrl | undefined {
  if (value === undefined || typeof value === "function") return value as PublicUrl | undefined;
  if (typeof value !== "string" || !/^https?:\/\/[^/?#]+/i.test(value)) {
    throw new TypeError(`${where}: publicUrl must be the absolute URL the sender calls, e.g. "https://example.com/webhooks/twilio", or a function`);
  }
  return value;
}

/**
 * The URL for signed content. A `publicUrl` string keeps the received query string when it
 * has none of its own (Twilio signs the query too).
 */
export function signedUrl(received: string | undefined, publicUrl: PublicUrl | undefined, headers: HeaderReader): string | undefined {
  if (publicUrl === undefined) return received;
  if (typeof publicUrl === "function") return publicUrl(received, headers);
  if (publicUrl.includes("?") || !received) return publicUrl;
  const query = received.indexOf("?");
  return query === -1 ? publicUrl : publicUrl + received.slice(query);
}

/** Runs a user function of the provider's options: a throw is the delivery's failure, never a 500. */
export function runUserFunction<T>(what: string, before: "authentication" | "parsing", fn: () => T): T {
  try {
    return fn();
  } catch {
    if (before === "authentication") throw new SignatureError("INVALID_SIGNATURE", `the ${what} function threw, so the signature could not be checked`);
    throw new PayloadError("INVALID_PAYLOAD", `the ${what} function threw on this payload`);
  }
}

/**
 * Parses an `application/x-www-form-urlencoded` body into an object of strings (Slack slash
 * commands, Twilio). A repeated key or invalid percent-encoding is a 400 naming the problem.
 */
export function parseForm(body: Uint8Array): Record<string, string> {
  const text = decodeText(body);
  const entries: [string, string][] = [];
  const seen = new Set<string>();
  let position = 0;
  for (const part of text.split("&")) {
    const start = position;
    position += part.length + 1;
    if (part === "") continue;
    const at = part.indexOf("=");
    const rawKey = at === -1 ? part : part.slice(0, at);
    const rawValue = at === -1 ? "" : part.slice(at + 1);
    let key: string, value: string;
    try {
      key = decodeURIComponent(rawKey.replaceAll("+", " "));
      value = decodeURIComponent(rawValue.replaceAll("+", " "));
    } catch {
      throw new PayloadError("INVALID_JSON", `body is not valid form encoding: invalid percent-encoding in the field at position ${start}`);
    }
    if (seen.has(key)) {
      throw new PayloadError("INVALID_PAYLOAD", `form field ${printable(key, 40)} is repeated; a form body must name each field once`, [
        { path: [key], code: "duplicate_key", message: "the field is repeated" },
      ]);
    }
    seen.add(key);
    entries.push([key, value]);
  }
  // fromEntries defines own properties: a "__proto__" field stays a plain field.
  return Object.fromEntries(entries);
}

/** A payload as a form body: an object's fields in order (strings as they are, others as JSON), or a string as it is. */
export function serializeForm(payload: unknown): string {
  if (typeof payload === "string") return payload;
  if (typeof payload !== "object" || payload === null) return "";
  return Object.entries(payload as Record<string, unknown>)
    .map(([k, v]) => `${encodeForm(k)}=${encodeForm(typeof v === "string" ? v : JSON.stringify(v))}`)
    .join("&");
}

function encodeForm(text: string): string {
  return encodeURIComponent(text).replace(/%20/g, "+").replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
