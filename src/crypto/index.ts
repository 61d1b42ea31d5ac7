/**
 * @module Chooses the crypto platform once at load: node:crypto where the runtime has it, Web Crypto elsewhere.
 */
import { createNodePlatform } from "./node.js";
import type { CryptoPlatform } from "./platform.js";
import { createWebPlatform } from "./web.js";

export type { Chunk, CryptoPlatform, HashAlgorithm } from "./platform.js";
export { DIGEST_BYTES, toBytes } from "./platform.js";
export { createNodePlatform } from "./node.js";
export { createWebPlatform } from "./web.js";

type GetBuiltin = (id: string) => unknown;

function loadPlatform(): CryptoPlatform {
  // process.getBuiltinModule (Node >= 20.16, Bun, Deno) keeps `node:` imports out of Edge bundles.
  const getBuiltin = (globalThis as { process?: { getBuiltinModule?: GetBuiltin } }).process?.getBuiltinModule;
  if (typeof getBuiltin === "function") {
    try {
      const crypto = getBuiltin("node:crypto") as typeof import("node:crypto") | undefined;
      const buffer = getBuiltin("node:buffer") as typeof import("node:buffer") | undefined;
      if (crypto?.createHmac && buffer?.isUtf8) return createNodePlatform(crypto, buffer);
    } catch {
      // fall through to Web Crypto
    }
  }
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new Error("tradehook needs node:crypto or Web Crypto (globalThis.crypto.subtle)");
  return createWebPlatform(subtle);
}

/** The platform in use, chosen once at load. */
export const platform: CryptoPlatform = loadPlatform();
