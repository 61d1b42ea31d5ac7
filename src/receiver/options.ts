/**
 * @module Receiver options: what `createReceiver` accepts, how it checks them, and the settings it resolves once.
 */
import { compileAllowlist } from "../ip.js";
import type { EventCatalogue, Provider } from "../providers/provider.js";
import { MemoryStore } from "../stores/memory.js";
import type { StandardSchemaV1 } from "../standard-schema.js";
import type { DeliveryQueue, IdempotencyStore, Logger } from "../types.js";
import { isStandardSchema } from "./events.js";

/**
 * Options of {@link createReceiver}. Each optional one may also be `undefined`, which means unset (its
 * default), so `allowIps: production ? TRADINGVIEW_IPS : undefined` compiles under `exactOptionalPropertyTypes`.
 */
export interface ReceiverOptions<P extends Provider = Provider, U extends EventCatalogue = {}> {
  /** The provider preset: `apindicators({ secret })`, `tradingview({ token })`, ... */
  provider: P;
  /** Where delivery keys are claimed; default a new `MemoryStore()` (one process). */
  store?: IdempotencyStore | undefined;
  /** Freshness window in seconds, both ways; default the provider's (300). */
  tolerance?: number | undefined;
  /** Body cap in bytes; default 1 MiB. */
  maxBodyBytes?: number | undefined;
  /** How long a claim lasts while handlers run (extended every third of it); default 60 s. */
  leaseMs?: number | undefined;
  /** How long a completed key is kept; default the provider's (7 days; TradingView 60 s). */
  retainMs?: number | undefined;
  /**
   * A durable queue (e.g. `bullmqQueue()` from `tradehook/bullmq`): verified, claimed events are
   * enqueued and answered 202 `queued` at once; `startWorker(receiver)` runs the handlers.
   */
  queue?: DeliveryQueue | undefined;
  /** Add or override event schemas: any Standard Schema v1 (zod 3.25+/4, valibot, arktype), e.g. `{ "my.event": z.object({...}) }`. */
  events?: U | undefined;
  /** Event types outside a fixed catalogue: `"ignore"` (200, default) or `"reject"` (400 UNKNOWN_EVENT). */
  unknownEvents?: "ignore" | "reject" | undefined;
  /** Client addresses or CIDRs allowed to deliver; default any. */
  allowIps?: readonly string[] | undefined;
  /** Clock in epoch ms; for tests. */
  now?: (() => number) | undefined;
  /** Receives a line per delivery: debug for 2xx, warn for 4xx, error for 5xx. Default: errors to `console.error`. */
  logger?: Logger | undefined;
}

const OPTION_NAMES = [
  "provider", "store", "tolerance", "maxBodyBytes", "leaseMs", "retainMs", "queue", "events", "unknownEvents", "allowIps", "now", "logger",
] as const;

const DEFAULT_LOGGER: Logger = { error: (message, details) => console.error(`[tradehook] ${message}`, details ?? "") };

function fail(where: string, message: string): never {
  throw new TypeError(`createReceiver: ${where} ${message}`);
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object without a Standard Schema \"~standard\" (version 1, validate)";
  return typeof value === "function" ? "a function" : `a ${typeof value}`;
}

function checkNumber(name: string, value: unknown, min: number, integer: boolean): void {
  if (value === undefined) return;
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    fail(name, `must be a${integer ? "n integer" : " number"} >= ${min}, got ${String(value)}`);
  }
}

/** Throws a `TypeError` naming the first option that is unknown or malformed. */
export function validateOptions(options: ReceiverOptions<Provider, EventCatalogue>): void {
  if (typeof options !== "object" || options === null) fail("options", "are required: createReceiver({ provider })");
  for (const key of Object.keys(options)) {
    if (!(OPTION_NAMES as readonly string[]).includes(key)) {
      fail(`option ${JSON.stringify(key)}`, `is unknown (expected one of ${OPTION_NAMES.join(", ")})`);
    }
  }
  const p = options.provider as Partial<Provider> | undefined;
  if (!p || typeof p.authenticate !== "function" || typeof p.describe !== "function") {
    fail("provider", "is required: e.g. apindicators({ secret }) or tradingview({ token })");
  }
  const s = options.store as Partial<IdempotencyStore> | undefined;
  if (s !== undefined && (["claim", "extend", "complete", "release"] as const).some((m) => typeof s?.[m] !== "function")) {
    fail("store", "must implement claim, extend, complete and release");
  }
  const q = options.queue as Partial<DeliveryQueue> | undefined;
  if (q !== undefined && (typeof q?.enqueue !== "function" || typeof q.name !== "string")) {
    fail("queue", "must be a DeliveryQueue with a name and enqueue(), e.g. bullmqQueue({ connection }) from tradehook/bullmq");
  }
  checkNumber("tolerance", options.tolerance, 1, false);
  checkNumber("maxBodyBytes", options.maxBodyBytes, 1, true);
  checkNumber("leaseMs", options.leaseMs, 1000, true);
  checkNumber("retainMs", options.retainMs, 0, true);
  if (options.unknownEvents !== undefined && options.unknownEvents !== "ignore" && options.unknownEvents !== "reject") {
    fail("unknownEvents", 'must be "ignore" or "reject"');
  }
  if (options.allowIps !== undefined && !Array.isArray(options.allowIps)) fail("allowIps", "must be an array of addresses or CIDRs");
  if (options.now !== undefined && typeof options.now !== "function") fail("now", "must be a function returning epoch ms");
  if (options.logger !== undefined && (typeof options.logger !== "object" || options.logger === null)) fail("logger", "must be an object");
  if (options.events !== undefined) {
    if (typeof options.events !== "object" || options.events === null || Array.isArray(options.events)) {
      fail("events", "must map event types to schemas: { \"my.event\": schema }");
    }
    for (const [type, schema] of Object.entries(options.events)) {
      if (!isStandardSchema(schema)) {
        fail(
          `events[${JSON.stringify(type)}]`,
          `must be a Standard Schema v1 (a zod 3.25+/4, valibot or arktype schema, with a "~standard" property), got ${kindOf(schema)}`,
        );
      }
    }
  }
}

/** The options with their defaults applied: what every pipeline step reads. */
export interface Settings {
  provider: Provider;
  store: IdempotencyStore;
  tolerance: number;
  maxBodyBytes: number;
  leaseMs: number;
  retainMs: number;
  queue: DeliveryQueue | undefined;
  unknownEvents: "ignore" | "reject";
  allowed: ((ip: string | undefined) => boolean) | undefined;
  now: () => number;
  logger: Logger;
  /** Event schemas by type: the provider's, overridden by the user's. */
  schemas: Map<string, StandardSchemaV1>;
}

/** Checks the options and applies the defaults. */
export function resolveOptions(options: ReceiverOptions<Provider, EventCatalogue>): Settings {
  validateOptions(options);
  const provider = options.provider;
  return {
    provider,
    store: options.store ?? new MemoryStore(),
    tolerance: options.tolerance ?? provider.tolerance,
    maxBodyBytes: options.maxBodyBytes ?? 1_048_576,
    leaseMs: options.leaseMs ?? 60_000,
    retainMs: options.retainMs ?? provider.retainMs,
    queue: options.queue,
    unknownEvents: options.unknownEvents ?? "ignore",
    allowed: options.allowIps ? compileAllowlist(options.allowIps) : undefined,
    now: options.now ?? Date.now,
    logger: options.logger ?? DEFAULT_LOGGER,
    // A Map, not an object: event types are sender-controlled ("constructor", "__proto__").
    schemas: new Map<string, StandardSchemaV1>(Object.entries({ ...provider.events, ...(options.events ?? {}) })),
  };
}
