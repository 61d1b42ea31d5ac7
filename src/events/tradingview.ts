/**
 * @module The TradingView alert schema: any JSON object, or the alert's text.
 */
import { z } from "zod";

/**
 * `data` of a `tradingview.alert`: the alert message parsed as JSON (minus the secret), or its
 * text when the message is not JSON. Pass your own schema to type it:
 *
 * @example
 * ```ts
 * createReceiver({
 *   provider: tradingview({ token: process.env.TV_TOKEN! }),
 *   events: { "tradingview.alert": z.object({ ticker: z.string(), close: z.number() }) },
 * });
 * ```
 */
export const tradingviewAlertSchema = z.union([z.record(z.string(), z.unknown()), z.string()]);

/** The TradingView event catalogue: one event type. */
export const tradingviewEvents = {
  "tradingview.alert": tradingviewAlertSchema,
};
