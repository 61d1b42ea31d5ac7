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
    const name = key.toLowerCase();
    const existing = map.get(name);
    if (existing) existing.push(...values);
    else map.set(name, values);
  }
  return map;
}

// Names already seen to be lower case. A record's names are the same few on every delivery
// (host, content-type, the signature header...), and a Set lookup costs far less than
// lower-casing each name to check it. Bounded in count and name length, so sender-chosen
// names can't make it hold more than 512 short strings.
const LOWER_NAMES = new Set<string>();
const MAX_LOWER_NAMES = 512;
const MAX_REMEMBERED_LENGTH = 64;

function hasUpperCaseName(record: Record<string, unknown>): boolean {
  for (const key in record) {
    if (LOWER_NAMES.has(key)) continue;
    if (key !== key.toLowerCase()) return true;
    if (LOWER_NAMES.size < MAX_LOWER_NAMES && key.length <= MAX_REMEMBERED_LENGTH) LOWER_NAMES.add(key);
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
    const lower = name.toLowerCase();
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
