/**
 * @module Signature decoding and comparison shared by every platform: one implementation, one behaviour.
 */
import { type Chunk, type CryptoPlatform, DIGEST_BYTES, type HashAlgorithm } from "./platform.js";

/** How a signature is written in a header. */
export type SignatureEncoding = "hex" | "base64";

/** Decodes hex (either case); `undefined` when malformed. */
export function decodeHex(text: string): Uint8Array | undefined {
  if (text.length % 2 !== 0) return undefined;
  const out = new Uint8Array(text.length / 2);
  // Char codes, not slice + parseInt: no string per byte on the hot path, and no separate pass to validate.
  for (let i = 0; i < out.length; i++) {
    const high = nibble(text.charCodeAt(2 * i));
    const low = nibble(text.charCodeAt(2 * i + 1));
    if ((high | low) < 0) return undefined;
    out[i] = (high << 4) | low;
  }
  return out;
}

/** A hex digit's value (either case), or -1. */
function nibble(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  const lower = code | 32; // A-F to a-f; nothing else lands in a-f
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
// Sextet by char code for both alphabets (standard and URL-safe); -1 for anything else.
const B64_VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) B64_VALUES[B64.charCodeAt(i)] = i;
B64_VALUES[45] = 62; // -
B64_VALUES[95] = 63; // _

/**
 * Decodes standard or URL-safe base64, padded or not; `undefined` when malformed (or, with
 * `canonical`, when the pad bits are not zero). Padding, when present, completes the last
 * group of four: `xx==` or `xxx=`; a lone trailing character never decodes.
 */
export function decodeBase64(text: string, canonical = false): Uint8Array | undefined {
  let end = text.length;
  if (end > 0 && text.charCodeAt(end - 1) === 61 /* = */) {
    const pads = end > 1 && text.charCodeAt(end - 2) === 61 ? 2 : 1;
    end -= pads;
    if (text.length % 4 !== 0 || end % 4 !== 4 - pads) return undefined;
  } else if (end % 4 === 1) {
    return undefined;
  }
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  let bits = 0;
  let value = 0;
  let o = 0;
  for (let i = 0; i < end; i++) {
    const code = text.charCodeAt(i);
    const sextet = code < 128 ? B64_VALUES[code]! : -1;
    if (sextet < 0) return undefined;
    value = (value << 6) | sextet;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (value >> bits) & 0xff;
    }
  }
  // Nonzero pad bits spell the same bytes as another string: a signature must be canonical.
  if (canonical && (value & ((1 << bits) - 1)) !== 0) return undefined;
  return out;
}

/** Encodes bytes as standard padded base64. */
export function encodeBase64(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += B64[(n >> 18) & 63]! + B64[(n >> 12) & 63]!;
    out += i + 1 < bytes.length ? B64[(n >> 6) & 63]! : "=";
    out += i + 2 < bytes.length ? B64[n & 63]! : "=";
  }
  return out;
}

/** Encodes bytes as lowercase hex. */
export function encodeHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

/** Decodes a signature in the given encoding; `undefined` when malformed. */
export function decodeSignature(text: string, encoding: SignatureEncoding): Uint8Array | undefined {
  return encoding === "hex" ? decodeHex(text) : decodeBase64(text, true);
}

/** Never written to: the stand-in a malformed candidate is compared against. */
const ZERO: Record<HashAlgorithm, Uint8Array> = { sha256: new Uint8Array(32), sha512: new Uint8Array(64), sha1: new Uint8Array(20) };

// One compare buffer per digest size, every candidate copied into it, well-formed or not. Over
// an ArrayBuffer, so its bytes live outside the JS heap from the start: a fresh small
// Uint8Array lives on the heap and native code must first move it out (about 0.5 µs), and a
// buffer fresh for one case but reused for another timed differently (dudect |t| 38,
// test/timing/dudect.ts). Safe to share: each compare is synchronous, set then read at once.
const SCRATCH: Record<HashAlgorithm, Uint8Array> = {
  sha256: new Uint8Array(new ArrayBuffer(32)),
  sha512: new Uint8Array(new ArrayBuffer(64)),
  sha1: new Uint8Array(new ArrayBuffer(20)),
};

/**
 * Whether any candidate signature equals the HMAC of `content` under any key; synchronous
 * when the platform's HMAC is (node:crypto), so the common path takes no promise.
 *
 * Every key's digest is computed and every candidate compared (no early exit on a match),
 * and a candidate of the wrong length or encoding is compared against a zero buffer of the
 * digest's length, so neither position nor length nor content short-circuits the compare.
 */
export function matchHmac(
  crypto: CryptoPlatform,
  algorithm: HashAlgorithm,
  keys: readonly Uint8Array[],
  content: readonly Chunk[],
  candidates: readonly string[],
  encoding: SignatureEncoding,
): boolean | Promise<boolean> {
  const decoded = candidates.map((c) => decodeSignature(c, encoding));
  const digests = keys.map((key) => crypto.hmac(algorithm, key, content));
  const compare = (expected: readonly Uint8Array[]) => {
    const size = DIGEST_BYTES[algorithm];
    let ok = false;
    for (const digest of expected) {
      for (const candidate of decoded) {
        const wellFormed = candidate !== undefined && candidate.byteLength === size;
        const padded = SCRATCH[algorithm];
        padded.set(wellFormed ? candidate : ZERO[algorithm]);
        const equal = crypto.timingSafeEqual(padded, digest);
        ok = (equal && wellFormed) || ok;
      }
    }
    return ok;
  };
  return digests.every((d) => d instanceof Uint8Array) ? compare(digests as Uint8Array[]) : Promise.all(digests).then(compare);
}

// Made on first use, never at load: Cloudflare Workers refuse random values in global scope.
let tokenKey: Uint8Array | undefined;
const getTokenKey = () => (tokenKey ??= globalThis.crypto.getRandomValues(new Uint8Array(32)));

// The configured token's side of the compare never changes: digested once per token (and
// platform), not once per delivery. Keyed by the token's bytes, so a dropped provider frees it.
const expectedDigests = new WeakMap<Uint8Array, Map<CryptoPlatform, Uint8Array | Promise<Uint8Array>>>();

function expectedDigest(crypto: CryptoPlatform, expected: Uint8Array): Uint8Array | Promise<Uint8Array> {
  let byPlatform = expectedDigests.get(expected);
  if (!byPlatform) expectedDigests.set(expected, (byPlatform = new Map()));
  let digest = byPlatform.get(crypto);
  if (!digest) {
    const fresh = (digest = crypto.hmac("sha256", getTokenKey(), [expected]));
    byPlatform.set(crypto, fresh);
    // A failed Web Crypto call is not kept: the next delivery tries again.
    if (!(fresh instanceof Uint8Array)) fresh.catch(() => byPlatform.get(crypto) === fresh && byPlatform.delete(crypto));
  }
  return digest;
}

/**
 * Constant-time token compare: both sides are hashed to fixed-size digests first, so the
 * compare takes the same time whatever the lengths or the first differing byte. Synchronous
 * when the platform's HMAC is (node:crypto).
 */
export function tokenMatches(crypto: CryptoPlatform, expected: Uint8Array, given: string): boolean | Promise<boolean> {
  const a = expectedDigest(crypto, expected);
  const b = crypto.hmac("sha256", getTokenKey(), [given]);
  if (a instanceof Uint8Array && b instanceof Uint8Array) return crypto.timingSafeEqual(a, b);
  return Promise.all([a, b]).then(([x, y]) => crypto.timingSafeEqual(x, y));
}
