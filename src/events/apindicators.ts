/**
 * @module Zod Mini schemas of APIndicators events: `signal.buy` and `signal.sell`.
 */
// zod/v4/mini: served by zod 3.25+ and 4 alike, and a bundle keeps only the checks it uses.
import * as z from "zod/v4/mini";

// Each schema is built in a pure-marked call: a bundle that never uses one drops it, and the zod code only it needs.

/**
 * `data` of an APIndicators `signal.buy` / `signal.sell` delivery. Unknown fields are kept.
 *
 * @example
 * ```ts
 * const signal = signalSchema.parse({ pair: "BTCUSDT", side: "buy", score: 0.87, market_type: "trending", interval: "1h" });
 * ```
 */
export const signalSchema = /* @__PURE__ */ (() =>
  z.looseObject({
    pair: z.string().check(z.minLength(1)),
    side: z.enum(["buy", "sell"]),
    score: z.number().check(z.gte(0), z.lte(1)),
    market_type: z.string(),
    interval: z.string(),
  }))();

/** The APIndicators event catalogue. */
export const apindicatorsEvents = {
  "signal.buy": signalSchema,
  "signal.sell": signalSchema,
};

export type Signal = z.output<typeof signalSchema>;
