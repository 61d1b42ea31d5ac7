/**
 * @module The conformance app every adapter serves: the same receivers on the same routes.
 *
 * Routes (all transports):
 *   POST /webhook  apindicators, secret SECRET, maxBodyBytes MAX_BODY, counts signal.buy runs
 *   POST /tv       tradingview, token TV_TOKEN (body passphrase or ?token=), counts alerts
 *   POST /denied   apindicators with allowIps [DENIED_ONLY_IP]: loopback clients get 403
 *   POST /local    apindicators with allowIps LOOPBACK: loopback clients get through
 *   POST /json     the framework's own JSON parser: answers {"received": <parsed body>}
 *   GET  /count    {"count": n}: handler runs so far in this server
 *
 * A transport's server builds its receivers with `buildApp()` so every row tests the same thing.
 */
import { apindicators, createReceiver, tradingview, type DeliveryQueue, type Receiver } from "../../src/index.js";

export const SECRET = "conformance-secret";
export const TV_TOKEN = "conformance-token";
export const MAX_BODY = 4096;
export const DENIED_ONLY_IP = "203.0.113.7";
export const LOOPBACK = ["127.0.0.1", "::1"];

export interface ConformanceApp {
  counter: { count: number };
  webhook: Receiver<any, any>;
  tv: Receiver<any, any>;
  denied: Receiver<any, any>;
  local: Receiver<any, any>;
}

/** Builds the receivers of the conformance app, with a counter of handler runs; with `queue`, /webhook enqueues (202) and a worker runs its handler. */
export function buildApp(options: { queue?: DeliveryQueue } = {}): ConformanceApp {
  const counter = { count: 0 };
  const count = () => {
    counter.count++;
  };
  const webhook = createReceiver({ provider: apindicators({ secret: SECRET }), maxBodyBytes: MAX_BODY, ...(options.queue ? { queue: options.queue } : {}) });
  webhook.on("signal.buy", count);
  const tv = createReceiver({ provider: tradingview({ token: TV_TOKEN }), maxBodyBytes: MAX_BODY });
  tv.on("tradingview.alert", count);
  const denied = createReceiver({ provider: apindicators({ secret: SECRET }), allowIps: [DENIED_ONLY_IP] });
  denied.on("signal.buy", count);
  const local = createReceiver({ provider: apindicators({ secret: SECRET }), allowIps: LOOPBACK });
  local.on("signal.buy", count);
  return { counter, webhook, tv, denied, local };
}

/** A running server of the conformance app over real HTTP on loopback. */
export interface RunningServer {
  /** e.g. http://127.0.0.1:43121 (no trailing slash) */
  baseUrl: string;
  close(): Promise<void>;
}

/**
 * One row of the conformance suite. Files in ./transports/ export `transport` (or
 * `transports`, an array) and the suite picks them up with import.meta.glob.
 */
export interface Transport {
  name: string;
  /** Start the server; may take long (e.g. next build). */
  start(): Promise<RunningServer>;
  /** /webhook answers 202 queued and a worker runs the handler (a receiver with a queue), instead of 200 processed. */
  queued?: boolean;
  /** Cases this transport cannot express, with the reason (printed as a skip). */
  skip?: Partial<Record<string, string>>;
}
