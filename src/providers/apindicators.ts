/**
 * @module The APIndicators preset: `X-Webhook-Signature: sha256=<hex>` over the raw body, ISO `timestamp` in the body.
 */
import { apindicatorsEvents } from "../events/apindicators.js";
import type { Provider } from "./provider.js";
import type { SecretInput } from "./shared.js";
import { signalPlatform } from "./signal-platform.js";

/** Options of {@link apindicators}. */
export interface ApindicatorsOptions {
  /** The webhook secret, or several while rotating. */
  secret: SecretInput;
}

/**
 * APIndicators signal webhooks (`signal.buy`, `signal.sell`).
 *
 * @example
 * ```ts
 * const receiver = createReceiver({ provider: apindicators({ secret: process.env.APINDICATORS_SECRET! }) });
 * receiver.on("signal.buy", (event) => console.log(event.data.pair, event.data.score));
 * ```
 */
export function apindicators(options: ApindicatorsOptions): Provider<typeof apindicatorsEvents, false> {
  return signalPlatform({ name: "apindicators", events: apindicatorsEvents, prefixRequired: true }, options);
}
