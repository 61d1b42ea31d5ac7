/**
 * @module Benchmark bodies: APIndicators-like signals padded with a nested array of candles to an exact byte size.
 */

/** The payload sizes every comparison runs at. */
export const SIZES = [
  { label: "512 B", bytes: 512 },
  { label: "4 KiB", bytes: 4096 },
  { label: "64 KiB", bytes: 65_536 },
  { label: "1 MiB", bytes: 1_048_576 },
] as const;

export type Size = (typeof SIZES)[number];

/** The body shapes: one per provider catalogue; `signal` is shared by every scheme that allows it. */
export type Shape = "signal" | "tickerapi" | "pipai" | "tradingview";

/** Seconds as the ISO form providers sign (`2026-04-03T14:30:00Z`): fixed length, so sizes stay exact. */
export function isoSeconds(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
}

/** Deterministic OHLCV candles: numbers of realistic widths, so JSON.parse does realistic work. */
function candles(count: number): number[][] {
  const out: number[][] = [];
  let price = 84_210.5;
  let seed = 7;
  const next = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
  for (let i = 0; i < count; i++) {
    const open = price;
    const close = Math.round((open + (next() - 0.5) * 120) * 100) / 100;
    const high = Math.round((Math.max(open, close) + next() * 40) * 100) / 100;
    const low = Math.round((Math.min(open, close) - next() * 40) * 100) / 100;
    out.push([1_743_690_600_000 + i * 60_000, open, high, low, close, Math.round(next() * 1e6) / 1e4]);
    price = close;
  }
  return out;
}

/** The payload of one shape, with `candles` and a `note` padding field inside the event data. */
function payload(shape: Shape, seconds: number, token: string, rows: number[][], note: string): Record<string, unknown> {
  const timestamp = isoSeconds(seconds);
  switch (shape) {
    case "signal":
      return {
        event: "signal.buy",
        type: "signal.buy",
        timestamp,
        data: { pair: "BTCUSDT", side: "buy", score: 0.87, market_type: "trending", interval: "1h", candles: rows, note },
      };
    case "tickerapi":
      return {
        event: "data.ready",
        timestamp,
        data: { timeframe: "1d", run_date: "2026-04-03", tickers_computed: 500, candles: rows, note },
      };
    case "pipai":
      return {
        event: "strategy.position_opened",
        data: { strategy_id: "strat_8f3a", symbol: "BTCUSDT", side: "buy", quantity: "0.5", price: "84250.75", candles: rows, note },
      };
    case "tradingview":
      return { passphrase: token, ticker: "BTCUSDT", action: "buy", price: 84_250.75, timenow: timestamp, candles: rows, note };
  }
}

/**
 * A payload object whose `JSON.stringify` is exactly `bytes` long: as many candles as fit,
 * then the `note` string pads the rest. Every shape at one size carries the same candles.
 */
export function makePayload(shape: Shape, bytes: number, seconds: number, token = "tv-bench-token"): Record<string, unknown> {
  const length = (rows: number[][], note: string) => JSON.stringify(payload(shape, seconds, token, rows, note)).length;
  const empty = length([], "");
  if (empty > bytes) throw new Error(`makePayload: ${shape} needs at least ${empty} bytes`);
  // Every shape gets the candle count of the widest envelope, so JSON.parse work matches across shapes.
  const widest = Math.max(...(["signal", "tickerapi", "pipai", "tradingview"] as const).map((s) =>
    JSON.stringify(payload(s, seconds, token, [], "")).length));
  const all = candles(Math.ceil(bytes / 40));
  let lo = 0;
  let hi = all.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (length(all.slice(0, mid), "") - empty + widest <= bytes) lo = mid;
    else hi = mid - 1;
  }
  const rows = all.slice(0, lo);
  const note = "x".repeat(bytes - length(rows, ""));
  const result = payload(shape, seconds, token, rows, note);
  if (JSON.stringify(result).length !== bytes) throw new Error(`makePayload: ${shape} came out at the wrong size`);
  return result;
}
