/**
 * @module The small crypto interface the core runs on, with one implementation per platform.
 */

/** HMAC hash algorithms providers may use. */
export type HashAlgorithm = "sha256" | "sha512" | "sha1";

/** Bytes or text (text is hashed as UTF-8). */
export type Chunk = Uint8Array | string;

/**
 * The primitives the core needs. Node's run synchronously (about 8x faster than Web Crypto's
 * async `subtle.sign` for small bodies); Web Crypto's return promises. Callers `await` both.
 */
export interface CryptoPlatform {
  readonly name: "node" | "web";
  hmac(algorithm: HashAlgorithm, key: Uint8Array, parts: readonly Chunk[]): Uint8Array | Promise<Uint8Array>;
  sha256Hex(data: Chunk): string | Promise<string>;
  /** Constant-time equality of two buffers of the same length. */
  timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean;
  /** Fatal UTF-8 decode: `undefined` when the bytes are not valid UTF-8. A BOM is kept. */
  decodeUtf8(bytes: Uint8Array): string | undefined;
  /**
   * Whether `signature` (64 bytes) is an Ed25519 signature of `message` under the 32-byte
   * `publicKey`. False, never a throw, for a malformed signature or key.
   */
  verifyEd25519(publicKey: Uint8Array, signature: Uint8Array, message: readonly Chunk[]): boolean | Promise<boolean>;
}

export const DIGEST_BYTES: Record<HashAlgorithm, number> = { sha256: 32, sha512: 64, sha1: 20 };

const encoder = new TextEncoder();

export function toBytes(chunk: Chunk): Uint8Array {
  return typeof chunk === "string" ? encoder.encode(chunk) : chunk;
}

/** Chunks as one byte array (a single byte chunk is returned as it is). */
export function concatBytes(parts: readonly Chunk[]): Uint8Array {
  if (parts.length === 1) return toBytes(parts[0]!);
  const bytes = parts.map(toBytes);
  const out = new Uint8Array(bytes.reduce((n, b) => n + b.byteLength, 0));
  let offset = 0;
  for (const b of bytes) {
    out.set(b, offset);
    offset += b.byteLength;
  }
  return out;
}
