/** @module Sample payloads for every event of every provider, for `tradehook send` and the demo; the documented ones are copied byte-for-byte in value from the provider fixtures (test/fixtures/providers). */
import type { ProviderName } from "./provider-options.js";

/** APIndicators' documented `signal.buy` delivery (fixtures/apindicators.signal.buy.json). */
export const APINDICATORS_SIGNAL_BUY = {
  event: "signal.buy",
  timestamp: "2026-04-03T14:30:00Z",
  data: { pair: "BTCUSDT", side: "buy", score: 0.87, market_type: "trending", interval: "1h" },
};

/** A `signal.sell` in the same shape. */
export const APINDICATORS_SIGNAL_SELL = {
  event: "signal.sell",
  timestamp: "2026-04-03T15:00:00Z",
  data: { pair: "ETHUSDT", side: "sell", score: 0.74, market_type: "ranging", interval: "4h" },
};

/** TickerAPI's documented `watchlist.changes` delivery (fixtures/tickerapi.watchlist.changes.json). */
export const TICKERAPI_WATCHLIST_CHANGES = {
  event: "watchlist.changes",
  timestamp: "2026-03-27T21:30:00Z",
  data: {
    timeframe: "daily",
    run_date: "2026-03-27",
    changes: {
      AAPL: [
        { field: "rsi_zone", from: "neutral", to: "oversold", stability: "fresh", periods_in_current_state: 1, flips_recent: 3, flips_lookback: "30d" },
        { field: "divergence_detected", from: false, to: true },
      ],
      TSLA: [
        { field: "macd_state", from: "bearish", to: "bullish_cross", stability: "fresh", periods_in_current_state: 1, flips_recent: 2, flips_lookback: "30d" },
        { field: "accumulation_state", from: "neutral", to: "accumulation" },
        { field: "fundamentals.analyst_consensus", from: "hold", to: "buy" },
      ],
    },
    tickers_checked: 15,
    tickers_changed: 2,
  },
};

/** TickerAPI's documented `data.ready` delivery (fixtures/tickerapi.data.ready.json). */
export const TICKERAPI_DATA_READY = {
  event: "data.ready",
  timestamp: "2026-03-27T21:30:00Z",
  data: { timeframe: "daily", run_date: "2026-03-27", tickers_computed: 9847 },
};

/** A TradingView strategy-fill alert (fixtures/tradingview.strategy-fill.json); the passphrase is replaced by the token when sent. */
export const TRADINGVIEW_STRATEGY_FILL = {
  passphrase: "abcdefgh",
  time: "2026-04-03T14:30:05Z",
  exchange: "BINANCE",
  ticker: "BTCUSDT",
  bar: { time: "2026-04-03T14:00:00Z", open: 67100.0, high: 67500.0, low: 67000.0, close: 67432.5, volume: 1234.56 },
  strategy: {
    position_size: 0.1,
    order_action: "buy",
    order_contracts: 0.1,
    order_price: 67432.5,
    order_id: "Long Entry",
    market_position: "long",
    market_position_size: 0.1,
    prev_market_position: "flat",
    prev_market_position_size: 0,
  },
};

// PipAI documents signed deliveries but no example bodies: these follow the field names of DESIGN §5, decimals as strings.
/** PipAI sample deliveries by event type. */
export const PIPAI_SAMPLES: Record<string, unknown> = {
  "strategy.deployed": {
    event: "strategy.deployed",
    data: { strategy_id: "strat_7Hq2kLw9", name: "BTC mean reversion 1h", exchange: "binance", mode: "paper", version: 3 },
  },
  "strategy.position_opened": {
    event: "strategy.position_opened",
    data: { strategy_id: "strat_7Hq2kLw9", symbol: "BTCUSDT", side: "long", quantity: "0.0150", price: "67432.50", order_id: "ord_5Fz81Qd" },
  },
  "strategy.error": {
    event: "strategy.error",
    data: { strategy_id: "strat_7Hq2kLw9", message: "order rejected by the exchange: insufficient margin", code: "INSUFFICIENT_MARGIN" },
  },
  "backtest.job_done": {
    event: "backtest.job_done",
    data: {
      job_id: "bt_3Nc8xVp2",
      status: "completed",
      strategy_id: "strat_7Hq2kLw9",
      metrics: { total_return: "0.1842", sharpe: "1.37", max_drawdown: "-0.0921", win_rate: "0.56", trades: 214 },
    },
  },
  "account.balance_low": {
    event: "account.balance_low",
    data: { asset: "USDT", available: "42.18", threshold: "100.00" },
  },
};

/** Standard Webhooks sample messages (`{ type, timestamp, data }`, as the spec recommends). */
export const STANDARD_WEBHOOKS_SAMPLES: Record<string, unknown> = {
  "order.filled": {
    type: "order.filled",
    timestamp: "2026-04-03T14:30:00Z",
    data: { order_id: "ord_9fK2mQ", symbol: "BTC-USD", side: "buy", quantity: "0.0150", price: "67432.50", status: "filled" },
  },
  "position.closed": {
    type: "position.closed",
    timestamp: "2026-04-03T16:05:00Z",
    data: { position_id: "pos_4hT7wZ", symbol: "BTC-USD", side: "long", realized_pnl: "38.21", currency: "USD" },
  },
};

/** Generic HMAC sender samples (`{ event, data }`). */
export const HMAC_SAMPLES: Record<string, unknown> = {
  "order.filled": {
    event: "order.filled",
    data: { order_id: "ord_9fK2mQ", symbol: "BTCUSDT", side: "buy", quantity: "0.0150", price: "67432.50" },
  },
};

const CATALOGUE: Record<ProviderName, Record<string, unknown>> = {
  apindicators: { "signal.buy": APINDICATORS_SIGNAL_BUY, "signal.sell": APINDICATORS_SIGNAL_SELL },
  tickerapi: { "watchlist.changes": TICKERAPI_WATCHLIST_CHANGES, "data.ready": TICKERAPI_DATA_READY },
  pipai: PIPAI_SAMPLES,
  tradingview: { "tradingview.alert": TRADINGVIEW_STRATEGY_FILL },
  "standard-webhooks": STANDARD_WEBHOOKS_SAMPLES,
  hmac: HMAC_SAMPLES,
};

/** Providers whose event types are open: any type gets a generic sample. */
const OPEN: readonly ProviderName[] = ["standard-webhooks", "hmac"];

/** The event types a provider has samples for. */
export function sampleEvents(provider: ProviderName): string[] {
  return Object.keys(CATALOGUE[provider]);
}

/**
 * A sample payload for `type`, as a fresh copy; `undefined` when a provider with a fixed
 * catalogue has no such event. Body timestamps are set to `seconds` where the signer does not do it.
 */
export function samplePayload(provider: ProviderName, type: string, seconds: number): Record<string, unknown> | undefined {
  const known = Object.hasOwn(CATALOGUE[provider], type) ? CATALOGUE[provider][type] : undefined;
  if (known === undefined && !OPEN.includes(provider)) return undefined;
  const iso = new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
  if (provider === "standard-webhooks") {
    const base = (known ?? { type, data: { id: "obj_1Xy2Za" } }) as Record<string, unknown>;
    return { ...structuredClone(base), type, timestamp: iso };
  }
  if (provider === "hmac") {
    const base = (known ?? { event: type, data: { id: "obj_1Xy2Za" } }) as Record<string, unknown>;
    return { ...structuredClone(base), event: type };
  }
  return structuredClone(known) as Record<string, unknown>;
}
