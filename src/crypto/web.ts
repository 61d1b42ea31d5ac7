/**
 * @module Web Crypto implementation of the crypto platform, for Workers, Deno, Bun and Edge runtimes.
 */
import { type Chunk, type CryptoPlatform, concatBytes, type HashAlgorithm, toBytes } from "./platform.js";

const HASH_NAMES: Record<HashAlgorithm, string> = { sha256: "SHA-256", sha512: "SHA-512", sha1: "SHA-1" };

const concat = concatBytes;

function hex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

/** Builds the platform from a Web Crypto `SubtleCrypto`. */
export function createWebPlatform(subtle: SubtleCrypto): CryptoPlatform {
  // importKey is costly; providers keep the same key arrays for their lifetime.
  const keys = new WeakMap<Uint8Array, Map<HashAlgorithm, Promise<CryptoKey>>>();
  const importKey = (algorithm: HashAlgorithm, key: Uint8Array) => {
    let byAlg = keys.get(key);
    if (!byAlg) keys.set(key, (byAlg = new Map()));
    let cached = byAlg.get(algorithm);
    if (!cached) {
      cached = subtle.importKey("raw", key as BufferSource, { name: "HMAC", hash: HASH_NAMES[algorithm] }, false, ["sign"]);
      byAlg.set(algorithm, cached);
    }
    return cached;
  };
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  const edKeys = new WeakMap<Uint8Array, Promise<CryptoKey>>();
  const importEdKey = (key: Uint8Array) => {
    let cached = edKeys.get(key);
    if (!cached) edKeys.set(key, (cached = subtle.importKey("raw", key as BufferSource, { name: "Ed25519" }, false, ["verify"])));
    return cached;
  };
  return {
    name: "web",
    async hmac(algorithm, key, parts) {
      const signature = await subtle.sign("HMAC", await importKey(algorithm, key), concat(parts) as BufferSource);
      return new Uint8Array(signature);
    },
    async sha256Hex(data) {
      return hex(new Uint8Array(await subtle.digest("SHA-256", toBytes(data) as BufferSource)));
    },
    timingSafeEqual(a, b) {
      if (a.byteLength !== b.byteLength) return false;
      let diff = 0;
      for (let i = 0; i < a.byteLength; i++) diff |= a[i]! ^ b[i]!;
      return diff === 0;
    },
    decodeUtf8(bytes) {
      try {
        return decoder.decode(bytes);
      } catch {
        return undefined;
      }
    },
    async verifyEd25519(publicKey, signature, message) {
      if (publicKey.byteLength !== 32 || signature.byteLength !== 64) return false;
      try {
        return await subtle.verify("Ed25519", await importEdKey(publicKey), signature as BufferSource, concat(message) as BufferSource);
      } catch {
        return false;
      }
    },
  };
}
