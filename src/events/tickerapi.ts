/**
 * @module Zod Mini schemas of TickerAPI events: `watchlist.changes` and `data.ready`.
 */
// zod/v4/mini: served by zod 3.25+ and 4 alike, and a bundle keeps only the checks it uses.
import * as z from "zod/v4/mini";

// Each schema is built in a pure-marked call: a bundle that never uses one drops it, and the zod code only it needs.

// Typed as a plain number schema: zod 3.25 has no ZodMiniInt type, and the .d.ts must name only types both majors export.
const count: z.ZodMiniNumber<number> = /* @__PURE__ */ (() => z.int().check(z.gte(0)))();
const fieldValue = /* @__PURE__ */ (() => z.union([z.string(), z.boolean(), z.number()]))();

/** One field that changed state for one ticker; `field` may be dotted (`fundamentals.analyst_consensus`). */
export const watchlistChangeSchema = /* @__PURE__ */ (() =>
  z.looseObject({
    field: z.string().check(z.minLength(1)),
    from: fieldValue,
    to: fieldValue,
    stability: z.optional(z.string()),
    periods_in_current_state: z.optional(count),
    flips_recent: z.optional(count),
    flips_lookback: z.optional(z.string()),
  }))();

/**
 * `data` of a TickerAPI `watchlist.changes` delivery: changes keyed by ticker.
 *
 * @example
 * ```ts
 * receiver.on("watchlist.changes", (event) => {
 *   for (const [ticker, changes] of Object.entries(event.data.changes)) console.log(ticker, changes.length);
 * });
 * ```
 */
export const watchlistChangesSchema = /* @__PURE__ */ (() =>
  z.looseObject({
    timeframe: z.string(),
    run_date: z.string(),
    changes: z.record(z.string(), z.array(watchlistChangeSchema)),
    tickers_checked: count,
    tickers_changed: count,
  }))();

/** `data` of a TickerAPI `data.ready` delivery. */
export const dataReadySchema = /* @__PURE__ */ (() =>
  z.looseObject({
    timeframe: z.string(),
    run_date: z.string(),
    tickers_computed: count,
  }))();

/** The TickerAPI event catalogue. */
export const tickerapiEvents = {
  "watchlist.changes": watchlistChangesSchema,
  "data.ready": dataReadySchema,
};

export type WatchlistChanges = z.output<typeof watchlistChangesSchema>;
export type DataReady = z.output<typeof dataReadySchema>;
