/**
 * @module Case-insensitive reading of headers from `Headers` objects or plain records.
 */
import type { HeadersInput } from "./types.js";

/** Case-insensitive header access. */
export interface HeaderReader {
  /** The value, several values joined with ", " as `Headers` does; `undefined` when absent. */
  get(name: string): string | undefined;
  /** Every value sent under `name`, in order. */
  getAll(name: string): string[];
}

function isHeaders(value: HeadersInput): value is Headers {
  return typeof (value as Headers).get === "function" && typeof (value as Headers).forEach === "function";
}

/** Every value by lower-cased name, in the record's order. */
function foldNames(record: Record<string, unknown>): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const key of Object.keys(record)) {
    const raw = record[key];
    if (raw === undefined || raw === null) continue;
    const values = Array.isArray(raw) ? raw.map(String) : [String(raw)];
    const name = lowerCase(key);
    const existing = map.get(name);
    if (existing) existing.push(...values);
    else map.set(name, values);
  }
  return map;
}

// Header names in lower case, by name: the same few on every delivery, both the names a record
// holds (host, content-type, the signature header...) and the names providers ask for
// ("X-PipAI-Signature"). A lookup costs less than lower-casing again, and the string it returns
// is the same one each time: a freshly lower-cased name used as a property key is hashed and
// looked up in V8's string table on every read. Bounded in count and name length, so
// sender-chosen names can't make it hold more than 512 short strings.
const LOWER_CASE = new Map<string, string>();
const MAX_REMEMBERED_NAMES = 512;
const MAX_REMEMBERED_LENGTH = 64;

function lowerCase(name: string): string {
  let lower = LOWER_CASE.get(name);
  if (lower === undefined) {
    lower = name.toLowerCase();
    if (LOWER_CASE.size < MAX_REMEMBERED_NAMES && name.length <= MAX_REMEMBERED_LENGTH) LOWER_CASE.set(name, lower);
  }
  return lower;
}

function hasUpperCaseName(record: Record<string, unknown>): boolean {
  for (const key in record) {
    if (lowerCase(key) !== key) return true;
  }
  return false;
}

/** Wraps any supported header input in a case-insensitive reader. */
export function readHeaders(input: HeadersInput | undefined | null): HeaderReader {
  if (input && isHeaders(input)) {
    return {
      get: (name) => input.get(name) ?? undefined,
      getAll: (name) => {
        const value = input.get(name);
        return value === null ? [] : [value];
      },
    };
  }
  const record = (input && typeof input === "object" ? input : {}) as Record<string, unknown>;
  // Node and most frameworks hand over lower-case names: then a name is one property read,
  // and the case-folding map is built only for a record that has upper-case names.
  let map: Map<string, string[]> | undefined;
  let folded = false;
  /** The raw value under `name`, or the folded values when the record has upper-case names. */
  const lookup = (name: string): unknown => {
    if (!folded) {
      folded = true;
      if (hasUpperCaseName(record)) map = foldNames(record);
    }
    const lower = lowerCase(name);
    if (map) return map.get(lower);
    return Object.hasOwn(record, lower) ? record[lower] : undefined;
  };
  return {
    get: (name) => {
      const raw = lookup(name);
      if (raw === undefined || raw === null) return undefined;
      if (!Array.isArray(raw)) return String(raw); // the usual case: one value, no array made
      return raw.length === 0 ? undefined : raw.map(String).join(", ");
    },
    getAll: (name) => {
      const raw = lookup(name);
      if (raw === undefined || raw === null) return [];
      return Array.isArray(raw) ? raw.map(String) : [String(raw)];
    },
  };
}
