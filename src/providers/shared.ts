/**
 * @module Helpers the provider presets share: secret checks, signature header parsing, payload fields.
 */
import { PayloadError, SignatureError, printable } from "../errors.js";
import { matchHmac, type SignatureEncoding } from "../crypto/signature.js";
import type { HashAlgorithm } from "../crypto/index.js";
import type { DeliveryView } from "./provider.js";

const encoder = new TextEncoder();

/** A secret, or several while rotating (every one is accepted; the first signs test deliveries). */
export type SecretInput = string | readonly string[];

/** Throws a `TypeError` naming any option `allowed` does not list. */
export function rejectUnknownOptions(where: string, options: object, allowed: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw new TypeError(`${where}: unknown option ${JSON.stringify(key)} (expected one of ${allowed.join(", ")})`);
    }
  }
}

/** Validates `secret` and turns each into key bytes; fails at configuration time with a clear message. */
export function secretKeys(
  where: string,
  secret: unknown,
  toKey: (secret: string) => Uint8Array = (s) => encoder.encode(s),
  option = "secret",
): Uint8Array[] {
  if (secret === undefined || secret === null) {
    throw new TypeError(`${where}: ${option} is required (a string, or an array of strings while rotating)`);
  }
  const list = typeof secret === "string" ? [secret] : Array.isArray(secret) ? (secret as unknown[]) : undefined;
  if (!list) throw new TypeError(`${where}: ${option} must be a string or an array of strings`);
  if (list.length === 0) throw new TypeError(`${where}: ${option} array is empty; give at least one secret`);
  return list.map((s, i) => {
    const at = list.length > 1 ? ` (entry ${i})` : "";
    if (typeof s !== "string") throw new TypeError(`${where}: ${option}${at} must be a string`);
    if (s.length === 0) throw new TypeError(`${where}: ${option}${at} is empty`);
    return toKey(s);
  });
}

const MAX_CANDIDATES = 8;

/**
 * Reads signature candidates from a header: every value sent under the name, split on commas.
 * Throws MISSING_SIGNATURE when there is none and INVALID_SIGNATURE when a required prefix
 * is absent or there are too many to try.
 */
export function signatureCandidates(
  view: DeliveryView,
  header: string,
  prefix: { text: string; required: boolean } | undefined,
): string[] {
  // One value without a comma is what every sender sends; skip the split and its arrays.
  // (Several values come joined with ", ", so they take the general path below.)
  const joined = view.headers.get(header);
  const single = joined !== undefined && !joined.includes(",") ? joined.trim() : undefined;
  const parts =
    single !== undefined
      ? single === "" ? [] : [single]
      : view.headers.getAll(header).flatMap((v) => v.split(",")).map((v) => v.trim()).filter((v) => v !== "");
  if (parts.length === 0) throw new SignatureError("MISSING_SIGNATURE", `${header} header is missing`);
  if (parts.length > MAX_CANDIDATES) {
    throw new SignatureError("INVALID_SIGNATURE", `${header} holds ${parts.length} signatures; at most ${MAX_CANDIDATES} are tried`);
  }
  if (!prefix) return parts;
  const lower = prefix.text.toLowerCase();
  return parts.map((part) => {
    if (part.startsWith(prefix.text) || part.slice(0, lower.length).toLowerCase() === lower) return part.slice(prefix.text.length);
    if (prefix.required) {
      throw new SignatureError("INVALID_SIGNATURE", `${header} must have the form ${prefix.text}<signature>`);
    }
    return part;
  });
}

/**
 * Checks candidates against the HMAC of `content` under every key; throws INVALID_SIGNATURE.
 * Synchronous on node:crypto (no promise on the hot path), a promise on Web Crypto.
 */
export function requireHmac(
  view: DeliveryView,
  header: string,
  algorithm: HashAlgorithm,
  keys: readonly Uint8Array[],
  content: readonly (Uint8Array | string)[],
  candidates: readonly string[],
  encoding: SignatureEncoding,
): void | Promise<void> {
  const settle = (ok: boolean) => {
    if (!ok) {
      throw new SignatureError(
        "INVALID_SIGNATURE",
        `${header} does not match the body for any configured secret (check the secret, and that the exact raw body reaches the receiver)`,
      );
    }
  };
  const ok = matchHmac(view.crypto, algorithm, keys, content, candidates, encoding);
  return typeof ok === "boolean" ? settle(ok) : ok.then(settle);
}

/**
 * `result()` once `check` has passed: at once when the check was synchronous (node:crypto),
 * so authentication adds no promise or microtask there; after the promise otherwise.
 */
export function whenChecked<T>(check: void | Promise<void>, result: () => T): T | Promise<T> {
  return check ? check.then(result) : result();
}

/** The payload as an object, or INVALID_PAYLOAD. */
export function asObject(payload: unknown): Record<string, unknown> {
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) {
    throw new PayloadError("INVALID_PAYLOAD", "body must be a JSON object", [
      { path: [], code: "invalid_type", message: "expected a JSON object" },
    ]);
  }
  return payload as Record<string, unknown>;
}

/** A string field naming the event type, or INVALID_PAYLOAD. */
export function eventField(payload: Record<string, unknown>, field: string): string {
  const value = payload[field];
  if (typeof value !== "string" || value === "") {
    const problem = value === undefined ? "is missing" : "must be a non-empty string";
    throw new PayloadError("INVALID_PAYLOAD", `body field ${field} (the event type) ${problem}`, [
      { path: [field], code: "invalid_type", message: `expected the event type as a string` },
    ]);
  }
  return value;
}

/** Sets a body timestamp field on a JSON object payload when asked, or when it has none. */
export function withTimestamp(payload: unknown, field: string, seconds: number, force: boolean): unknown {
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) return payload;
  const record = payload as Record<string, unknown>;
  if (!force && record[field] !== undefined) return payload;
  return { ...record, [field]: new Date(seconds * 1000).toISOString().replace(".000Z", "Z") };
}

/** JSON text of a payload; strings are sent as they are. */
export function serialize(payload: unknown): string {
  return typeof payload === "string" ? payload : JSON.stringify(payload);
}

/** A header id must be short printable ASCII to be used as a key and echoed back. */
export function readDeliveryId(view: DeliveryView, header: string): string | undefined {
  const value = view.headers.get(header)?.trim();
  if (value === undefined || value === "") return undefined;
  if (value.length > 256 || !/^[\x21-\x7e]+$/.test(value)) {
    throw new PayloadError("INVALID_PAYLOAD", `${header} header ${printable(value, 32)} is not a usable delivery id (1-256 printable ASCII characters)`);
  }
  return value;
}

export { printable };
