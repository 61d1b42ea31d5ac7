/**
 * @module node:crypto implementation of the crypto platform: createHmac and timingSafeEqual.
 */
import { type Chunk, type CryptoPlatform, concatBytes, type HashAlgorithm } from "./platform.js";

type NodeCrypto = typeof import("node:crypto");
type NodeBuffer = typeof import("node:buffer");

/** Builds the platform from node:crypto and node:buffer, however they were loaded. */
export function createNodePlatform(crypto: NodeCrypto, buffer: NodeBuffer): CryptoPlatform {
  const { Buffer, isUtf8 } = buffer;
  const oneShot = (crypto as { hash?: (algorithm: string, data: Chunk, encoding: "hex") => string }).hash;
  const view = (bytes: Uint8Array) =>
    Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // A KeyObject per public key, made once: createPublicKey parses the key on every call.
  const edKeys = new WeakMap<Uint8Array, import("node:crypto").KeyObject | null>();
  const edKey = (key: Uint8Array) => {
    let cached = edKeys.get(key);
    if (cached === undefined) {
      try {
        const x = Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString("base64url");
        cached = crypto.createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x }, format: "jwk" });
      } catch {
        cached = null;
      }
      edKeys.set(key, cached);
    }
    return cached;
  };
  return {
    name: "node",
    hmac(algorithm: HashAlgorithm, key: Uint8Array, parts: readonly Chunk[]) {
      const mac = crypto.createHmac(algorithm, key);
      for (const part of parts) mac.update(part);
      return mac.digest();
    },
    sha256Hex(data: Chunk) {
      // crypto.hash (Node >= 20.12) is one-shot: no Hash object, about twice as fast on small bodies.
      return oneShot ? oneShot("sha256", data, "hex") : crypto.createHash("sha256").update(data).digest("hex");
    },
    timingSafeEqual(a: Uint8Array, b: Uint8Array) {
      return a.byteLength === b.byteLength && crypto.timingSafeEqual(a, b);
    },
    decodeUtf8(bytes: Uint8Array) {
      const buf = view(bytes);
      return isUtf8(buf) ? buf.toString("utf8") : undefined;
    },
    verifyEd25519(publicKey: Uint8Array, signature: Uint8Array, message: readonly Chunk[]) {
      if (publicKey.byteLength !== 32 || signature.byteLength !== 64) return false;
      const key = edKey(publicKey);
      if (!key) return false;
      try {
        return crypto.verify(null, concatBytes(message), key, signature);
      } catch {
        return false;
      }
    },
  };
}
