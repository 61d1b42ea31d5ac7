/**
 * @module Zod schemas of APIndicators events: `signal.buy` and `signal.sell`.
 */
import { z } from "zod";

/**
 * `data` of an APIndicators `signal.buy` / `signal.sell` delivery. Unknown fields are kept.
 *
 * @example
 * ```ts
 * const signal = signalSchema.parse({ pair: "BTCUSDT", side: "buy", score: 0.87, market_type: "trending", interval: "1h" });
 * ```
 */
export const signalSchema = z.looseObject({
  pair: z.string().min(1),
  side: z.enum(["buy", "sell"]),
  score: z.number().min(0).max(1),
  market_type: z.string(),
  interval: z.string(),
});

/** The APIndicators event catalogue. */
export const apindicatorsEvents = {
  "signal.buy": signalSchema,
  "signal.sell": signalSchema,
};

export type Signal = z.output<typeof signalSchema>;
