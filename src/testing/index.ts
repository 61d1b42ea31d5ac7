/**
 * @module tradehook/testing: sign deliveries exactly as each provider does, for your own tests.
 */
import * as nodeCrypto from "node:crypto";
import type { Provider, SignedDelivery, SyncHmac } from "../providers/provider.js";

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
  /** TradingView: the webhook URL to add `?token=` to. Default `/`. */
  url?: string;
}

const hmac: SyncHmac = (algorithm, key, parts) => {
  const mac = nodeCrypto.createHmac(algorithm, key);
  for (const part of parts) mac.update(part);
  return new Uint8Array(mac.digest());
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
    },
    hmac,
  );
}
