/**
 * @module Strict timestamp parsing (unix seconds in headers, ISO 8601 with a zone in bodies) and the freshness window.
 */
import { TimestampError, printable } from "./errors.js";

const UNIX_SECONDS = /^\d{1,10}$/;
const UNIX_MILLISECONDS = /^\d{1,13}$/;
const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))$/;
const PLACEHOLDER = /\{\{[^}]*\}\}/;

/** A header timestamp: epoch milliseconds, and the seconds as sent (trimmed), for messages and signed content. */
export interface HeaderTimestamp {
  ms: number;
  shown: string;
}

/**
 * Reads a header (or signature-list) timestamp: whole unix seconds, or milliseconds when `unit`
 * is `"ms"`; never guessed from the number of digits, so a sender bug shows up instead of being
 * guessed around. `label` names where it came from (`X-PipAI-Timestamp header`, built once by
 * the provider); `msHint` is what a 13-digit value read as seconds is told.
 */
export function readTimestamp(value: string | undefined, label: string, unit: "s" | "ms" = "s", msHint = "unix seconds are expected"): HeaderTimestamp {
  const text = value?.trim();
  if (!text) throw new TimestampError("MISSING_TIMESTAMP", `${label} is missing`);
  if (!(unit === "ms" ? UNIX_MILLISECONDS : UNIX_SECONDS).test(text)) {
    const hint = unit === "s" && /^\d{13}$/.test(text) ? ` (it looks like milliseconds; ${msHint})` : "";
    throw new TimestampError("TIMESTAMP_INVALID", `${label} ${printable(text, 32)} is not unix ${unit === "ms" ? "milliseconds" : "seconds"}${hint}`);
  }
  return { ms: unit === "ms" ? Number(text) : Number(text) * 1000, shown: text };
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Two ASCII digits at `at` as a number, or NaN. */
function twoDigits(text: string, at: number): number {
  const a = text.charCodeAt(at) - 48, b = text.charCodeAt(at + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : Number.NaN;
}

/**
 * The forms senders use (`2026-04-03T14:30:00Z`, and `.000Z` as `toISOString()` writes it) read
 * by character codes: no match array, no check `Date`. Anything else, valid or not, returns
 * `undefined` and takes the full parser, which owns every error message.
 */
function parseCanonicalIso(text: string): number | undefined {
  const length = text.length;
  if ((length !== 20 && length !== 24) || text.charCodeAt(length - 1) !== 90 /* Z */) return undefined;
  if (text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(10) !== 84 /* T */) return undefined;
  if (text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return undefined;
  let ms = 0;
  if (length === 24) {
    if (text.charCodeAt(19) !== 46 /* . */) return undefined;
    const hundreds = text.charCodeAt(20) - 48, rest = twoDigits(text, 21);
    if (!(hundreds >= 0 && hundreds <= 9) || Number.isNaN(rest)) return undefined;
    ms = hundreds * 100 + rest;
  }
  const year = twoDigits(text, 0) * 100 + twoDigits(text, 2);
  const month = twoDigits(text, 5), day = twoDigits(text, 8);
  const hour = twoDigits(text, 11), minute = twoDigits(text, 14), second = twoDigits(text, 17);
  // NaN fails every comparison; years below 100 go to the full parser (Date.UTC maps them to 19xx).
  if (!(year >= 100 && month >= 1 && month <= 12 && day >= 1 && hour < 24 && minute < 60 && second < 60)) return undefined;
  const leap = month === 2 && (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0));
  if (day > DAYS_IN_MONTH[month - 1]! + (leap ? 1 : 0)) return undefined;
  return Date.UTC(year, month - 1, day, hour, minute, second, ms);
}

/** Parses an ISO 8601 date-time with a zone (`Z` or an offset). Returns epoch milliseconds. */
export function parseIsoTimestamp(value: unknown, field: string): number {
  const fast = typeof value === "string" ? parseCanonicalIso(value) : undefined;
  if (fast !== undefined) return fast;
  if (value === undefined || value === null || value === "") {
    throw new TimestampError("MISSING_TIMESTAMP", `body field ${field} (the delivery timestamp) is missing`);
  }
  if (typeof value !== "string") {
    throw new TimestampError("TIMESTAMP_INVALID", `body field ${field} must be an ISO 8601 string with a zone, got a ${typeof value}`);
  }
  if (PLACEHOLDER.test(value)) {
    throw new TimestampError(
      "TIMESTAMP_INVALID",
      `body field ${field} holds an unfilled TradingView placeholder ${printable(value, 32)}; check the alert message template`,
    );
  }
  const m = ISO_8601.exec(value);
  if (!m) {
    throw new TimestampError(
      "TIMESTAMP_INVALID",
      `body field ${field} ${printable(value, 40)} is not an ISO 8601 date-time with a zone (e.g. 2026-04-03T14:30:00Z)`,
    );
  }
  const [, y, mo, d, h, mi, s = "0", frac = "0", , sign, oh = "0", om = "0"] = m;
  const year = Number(y), month = Number(mo), day = Number(d), hour = Number(h), minute = Number(mi), second = Number(s);
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, Number(`0.${frac}`) * 1000);
  const check = new Date(Date.UTC(year, month - 1, day));
  const valid =
    check.getUTCFullYear() === year && check.getUTCMonth() === month - 1 && check.getUTCDate() === day &&
    hour < 24 && minute < 60 && second < 60 && Number(oh) < 24 && Number(om) < 60;
  if (!valid || !Number.isFinite(utc)) {
    throw new TimestampError("TIMESTAMP_INVALID", `body field ${field} ${printable(value, 40)} is not a real date-time`);
  }
  const offset = sign ? (sign === "-" ? -1 : 1) * (Number(oh) * 60 + Number(om)) * 60_000 : 0;
  return utc - offset;
}

/** Throws unless `timestampMs` lies within `toleranceSeconds` of `nowMs`, both ways. */
export function checkFreshness(timestampMs: number, nowMs: number, toleranceSeconds: number, shown: string): void {
  const ageSeconds = Math.round((nowMs - timestampMs) / 1000);
  if (nowMs - timestampMs > toleranceSeconds * 1000) {
    throw new TimestampError("TIMESTAMP_TOO_OLD", `timestamp ${shown} is ${ageSeconds} s old, tolerance ${toleranceSeconds} s`);
  }
  if (timestampMs - nowMs > toleranceSeconds * 1000) {
    throw new TimestampError(
      "TIMESTAMP_IN_FUTURE",
      `timestamp ${shown} is ${-ageSeconds} s in the future, tolerance ${toleranceSeconds} s (check the sender's or this server's clock)`,
    );
  }
}
