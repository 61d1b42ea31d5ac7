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
  const map = new Map<string, string[]>();
  if (input && typeof input === "object") {
    for (const key of Object.keys(input)) {
      const raw = (input as Record<string, unknown>)[key];
      if (raw === undefined || raw === null) continue;
      const values = Array.isArray(raw) ? raw.map(String) : [String(raw)];
      const name = key.toLowerCase();
      const existing = map.get(name);
      if (existing) existing.push(...values);
      else map.set(name, values);
    }
  }
  return {
    get: (name) => {
      const values = map.get(name.toLowerCase());
      return values === undefined || values.length === 0 ? undefined : values.join(", ");
    },
    getAll: (name) => map.get(name.toLowerCase()) ?? [],
  };
}
