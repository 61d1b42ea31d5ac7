/**
 * @module tradehook/testing: sign deliveries exactly as each provider does, for your own tests.
 */
import * as nodeCrypto from "node:crypto";
import type { Provider, SignedDelivery, SyncEd25519Sign, SyncHmac } from "../providers/provider.js";

export type { SignedDelivery } from "../providers/provider.js";

/** Options of {@link signDelivery}. */
export interface SignDeliveryOptions {
  /** When the delivery was sent: unix seconds, or a `Date`. Default now. Body timestamps are overwritten when given. */
  timestamp?: number | Date;
  /** Sign with this secret instead of the provider's first one (e.g. to test rotation or a forged delivery). */
  secret?: string;
  /** Delivery id for providers that send one (PipAI, Standard Webhooks, `hmac` with `idHeader`). Default random. */
  id?: string;
  /** TradingView: put the token in the `body` (default for objects) or the `url` (default for text). */
  via?: "body" | "url";
  /**
   * The URL the delivery is sent to. TradingView adds `?token=` to it (default `/`); `hmac`
   * signs it when its `signedContent` reads `url` (Twilio, Square), after `publicUrl`.
   */
  url?: string;
  /** Standard Webhooks: sign `v1a` (Ed25519) with this `whsk_` private key instead of `v1` with the secret. */
  privateKey?: string;
}

const hmac: SyncHmac = (algorithm, key, parts) => {
  const mac = nodeCrypto.createHmac(algorithm, key);
  for (const part of parts) mac.update(part);
  return new Uint8Array(mac.digest());
};

// PKCS#8 framing of a raw 32-byte Ed25519 seed (RFC 8410).
const ED25519_PKCS8 = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);

const signEd25519: SyncEd25519Sign = (seed, message) => {
  const der = new Uint8Array(ED25519_PKCS8.length + seed.length);
  der.set(ED25519_PKCS8);
  der.set(seed, ED25519_PKCS8.length);
  const key = nodeCrypto.createPrivateKey({ key: Buffer.from(der), format: "der", type: "pkcs8" });
  return new Uint8Array(nodeCrypto.sign(null, message, key));
};

/**
 * Signs a payload as the provider would send it: returns the exact body, the headers and,
 * for URL tokens, the URL. Works with the same provider object your receiver uses.
 *
 * @example
 * ```ts
 * import { signDelivery } from "tradehook/testing";
 *
 * const provider = apindicators({ secret: "test-secret" });
 * const receiver = createReceiver({ provider });
 * const { body, headers } = signDelivery(provider, { event: "signal.buy", data: { pair: "BTCUSDT", side: "buy", score: 0.9, market_type: "trending", interval: "1h" } });
 * const result = await receiver.handle({ body, headers, method: "POST" });
 * // result.status === 200
 *
 * // Stripe-style (hmac with signatureFormat), a stale delivery:
 * const stale = signDelivery(stripeProvider, { type: "invoice.paid" }, { timestamp: Math.floor(Date.now() / 1000) - 3600 });
 * ```
 */
export function signDelivery(provider: Provider, payload: unknown, options: SignDeliveryOptions = {}): SignedDelivery {
  if (!provider || typeof provider.sign !== "function") throw new TypeError("signDelivery: the first argument must be a provider, e.g. apindicators({ secret })");
  const given = options.timestamp;
  const seconds =
    given === undefined ? Math.floor(Date.now() / 1000) : given instanceof Date ? Math.floor(given.getTime() / 1000) : Math.floor(given);
  if (!Number.isFinite(seconds)) throw new TypeError("signDelivery: timestamp must be unix seconds or a valid Date");
  return provider.sign(
    {
      payload,
      timestamp: seconds,
      timestampGiven: given !== undefined,
      secret: options.secret,
      id: options.id ?? `msg_${nodeCrypto.randomUUID().replaceAll("-", "")}`,
      via: options.via,
      url: options.url,
      privateKey: options.privateKey,
    },
    hmac,
    signEd25519,
  );
}
