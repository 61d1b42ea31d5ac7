/**
 * @module IP allowlists: single addresses and CIDRs, IPv4, IPv6 and IPv4-mapped IPv6.
 */

/** 16 bytes; IPv4 addresses are held in their IPv4-mapped form (::ffff:a.b.c.d). */
type Address = Uint8Array;

function parseIPv4(text: string): number[] | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || (p.length > 1 && p.startsWith("0"))) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out.push(n);
  }
  return out;
}

function mapped(v4: number[]): Address {
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  out.set(v4, 12);
  return out;
}

function parseIPv6(input: string): Address | undefined {
  let text = input;
  const zone = text.indexOf("%");
  if (zone !== -1) text = text.slice(0, zone);
  if (text.startsWith("[") && text.endsWith("]")) text = text.slice(1, -1);
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(":");
  if (lastColon !== -1 && text.includes(".", lastColon)) {
    const v4 = parseIPv4(text.slice(lastColon + 1));
    if (!v4) return undefined;
    tail = [(v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!];
    text = text.slice(0, lastColon + 1) + "0:0";
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const parse = (s: string) => (s === "" ? [] : s.split(":"));
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  const groups = [...head, ...rest];
  if (groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  if (halves.length === 1 ? groups.length !== 8 : groups.length > 7) return undefined;
  const words = [...head, ...Array<string>(8 - groups.length).fill("0"), ...rest].map((g) => Number.parseInt(g, 16));
  if (tail.length) words.splice(6, 2, ...tail);
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[i * 2] = w >> 8;
    out[i * 2 + 1] = w & 0xff;
  });
  return out;
}

/** Parses an IPv4 or IPv6 address (brackets and zone ids allowed) to 16 bytes; `undefined` if it is none. */
export function parseAddress(text: string): Address | undefined {
  const trimmed = text.trim();
  const v4 = parseIPv4(trimmed);
  return v4 ? mapped(v4) : trimmed.includes(":") ? parseIPv6(trimmed) : undefined;
}

interface Range {
  base: Address;
  bits: number;
}

function parseRange(entry: string): Range | undefined {
  const [addr, len, extra] = entry.trim().split("/");
  if (extra !== undefined || addr === undefined) return undefined;
  const isV4 = parseIPv4(addr) !== undefined;
  const base = parseAddress(addr);
  if (!base) return undefined;
  const max = isV4 ? 32 : 128;
  if (len !== undefined && (!/^\d{1,3}$/.test(len) || Number(len) > max)) return undefined;
  const bits = (len === undefined ? max : Number(len)) + (isV4 ? 96 : 0);
  return { base, bits };
}

function inRange(address: Address, { base, bits }: Range): boolean {
  const full = bits >> 3;
  for (let i = 0; i < full; i++) if (address[i] !== base[i]) return false;
  const rem = bits & 7;
  if (rem === 0) return true;
  const mask = (0xff << (8 - rem)) & 0xff;
  return (address[full]! & mask) === (base[full]! & mask);
}

/**
 * Compiles an allowlist. Throws a `TypeError` naming the bad entry at configuration time.
 * IPv4 entries also match their IPv4-mapped IPv6 form (`::ffff:52.89.214.238`).
 */
export function compileAllowlist(entries: readonly string[]): (ip: string | undefined) => boolean {
  const ranges = entries.map((entry) => {
    const range = typeof entry === "string" ? parseRange(entry) : undefined;
    if (!range) throw new TypeError(`createReceiver: allowIps entry ${JSON.stringify(entry)} is not an IP address or CIDR`);
    return range;
  });
  return (ip) => {
    if (!ip) return false;
    const address = parseAddress(ip);
    return address !== undefined && ranges.some((range) => inRange(address, range));
  };
}

/** TradingView's published webhook sender addresses, for `allowIps`. */
// Pure: a bundle that never reads the list drops it.
export const TRADINGVIEW_IPS: readonly string[] = /* @__PURE__ */ Object.freeze([
  "52.89.214.238",
  "34.212.75.30",
  "54.218.53.128",
  "52.32.178.7",
]);
