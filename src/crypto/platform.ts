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
}

export const DIGEST_BYTES: Record<HashAlgorithm, number> = { sha256: 32, sha512: 64, sha1: 20 };

const encoder = new TextEncoder();

export function toBytes(chunk: Chunk): Uint8Array {
  return typeof chunk === "string" ? encoder.encode(chunk) : chunk;
}
