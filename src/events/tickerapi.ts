/**
 * @module Zod schemas of TickerAPI events: `watchlist.changes` and `data.ready`.
 */
import { z } from "zod";

const count = z.number().int().nonnegative();
const fieldValue = z.union([z.string(), z.boolean(), z.number()]);

/** One field that changed state for one ticker; `field` may be dotted (`fundamentals.analyst_consensus`). */
export const watchlistChangeSchema = z.looseObject({
  field: z.string().min(1),
  from: fieldValue,
  to: fieldValue,
  stability: z.string().optional(),
  periods_in_current_state: count.optional(),
  flips_recent: count.optional(),
  flips_lookback: z.string().optional(),
});

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
export const watchlistChangesSchema = z.looseObject({
  timeframe: z.string(),
  run_date: z.string(),
  changes: z.record(z.string(), z.array(watchlistChangeSchema)),
  tickers_checked: count,
  tickers_changed: count,
});

/** `data` of a TickerAPI `data.ready` delivery. */
export const dataReadySchema = z.looseObject({
  timeframe: z.string(),
  run_date: z.string(),
  tickers_computed: count,
});

/** The TickerAPI event catalogue. */
export const tickerapiEvents = {
  "watchlist.changes": watchlistChangesSchema,
  "data.ready": dataReadySchema,
};

export type WatchlistChanges = z.output<typeof watchlistChangesSchema>;
export type DataReady = z.output<typeof dataReadySchema>;
