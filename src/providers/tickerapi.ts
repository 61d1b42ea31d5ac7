/**
 * @module The TickerAPI preset: `X-Webhook-Signature: <hex>` over the raw body, ISO `timestamp` in the body.
 */
import { tickerapiEvents } from "../events/tickerapi.js";
import type { Provider } from "./provider.js";
import type { SecretInput } from "./shared.js";
import { signalPlatform } from "./signal-platform.js";

/** Options of {@link tickerapi}. */
export interface TickerapiOptions {
  /** The webhook secret, or several while rotating. */
  secret: SecretInput;
}

/**
 * TickerAPI webhooks (`watchlist.changes`, `data.ready`). A `sha256=` prefix on the signature
 * is accepted too; an `X-Webhook-Event` header, when sent, must equal the body's `event`.
 *
 * @example
 * ```ts
 * const receiver = createReceiver({ provider: tickerapi({ secret: process.env.TICKERAPI_SECRET! }) });
 * receiver.on("data.ready", (event) => console.log(event.data.tickers_computed));
 * ```
 */
export function tickerapi(options: TickerapiOptions): Provider<typeof tickerapiEvents, false> {
  return signalPlatform(
    { name: "tickerapi", events: tickerapiEvents, prefixRequired: false, eventHeader: "X-Webhook-Event" },
    options,
  );
}
