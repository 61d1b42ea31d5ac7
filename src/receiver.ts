/**
 * @module createReceiver: the delivery pipeline (method, size, source, authenticity, freshness, parse, idempotency, dispatch) and the router.
 */
import type { z } from "zod";
import { bodyBytes, decodeText, parseJson, readStreamCapped } from "./body.js";
import { platform } from "./crypto/index.js";
import {
  HandlerError,
  IdempotencyError,
  isWebhookError,
  MethodNotAllowedError,
  PayloadError,
  type PayloadIssue,
  PayloadTooLargeError,
  printable,
  SourceError,
  StoreError,
  WebhookError,
} from "./errors.js";
import { readHeaders } from "./headers.js";
import { compileAllowlist } from "./ip.js";
import type { Authenticated, DeliveryView, EventCatalogue, Provider } from "./providers/provider.js";
import { MemoryStore } from "./stores/memory.js";
import { checkFreshness, parseIsoTimestamp } from "./timestamps.js";
import type {
  Delivery,
  HandleResult,
  Handler,
  HandlerContext,
  IdempotencyStore,
  Logger,
  Outcome,
  WebhookEvent,
} from "./types.js";

// ---------------------------------------------------------------------------
// Types: what `receiver.on` accepts and what each handler receives.

type CatalogueOf<P> = P extends Provider<infer E, boolean> ? E : never;
type OpenOf<P> = P extends Provider<EventCatalogue, infer O> ? O : false;
type Merge<A, B> = Omit<A, keyof B> & B;

/** Event data types by event type, from a catalogue of schemas. */
export type DataMap<C extends EventCatalogue> = { [K in keyof C & string]: z.output<C[K]> };

type Parent<K extends string> = K extends `${infer H}.${infer T}` ? (T extends `${string}.${string}` ? `${H}.${Parent<T>}` : H) : never;
type WildcardOf<K extends string> = K extends string ? (Parent<K> extends never ? never : `${Parent<K>}.*`) : never;
type OneSegmentUnder<K extends string, P extends string> = K extends `${P}.${infer Rest}` ? (Rest extends `${string}.${string}` ? never : K) : never;
type EventsIn<M, K> = K extends keyof M & string ? WebhookEvent<K, M[K]> : never;
type Untyped<Open extends boolean> = Open extends true ? WebhookEvent<string, unknown> : never;

/** The patterns `on()` accepts: an event type, `prefix.*` (one segment) or `*`; any string for open providers. */
export type EventPattern<M, Open extends boolean> =
  | (keyof M & string)
  | WildcardOf<keyof M & string>
  | "*"
  | (Open extends true ? string & {} : never);

/** The event a handler for `K` receives: wildcards give the union of the events they match. */
export type EventFor<M, Open extends boolean, K extends string> = K extends "*"
  ? EventsIn<M, keyof M> | Untyped<Open>
  : K extends keyof M
    ? WebhookEvent<K, M[K]>
    : K extends `${infer P}.*`
      ? EventsIn<M, OneSegmentUnder<keyof M & string, P>> | Untyped<Open>
      : WebhookEvent<K, unknown>;

/** Any event the receiver can produce. */
export type AnyEvent<M, Open extends boolean> = EventsIn<M, keyof M> | Untyped<Open>;

/** Options of {@link createReceiver}. */
export interface ReceiverOptions<P extends Provider = Provider, U extends EventCatalogue = {}> {
  /** The provider preset: `apindicators({ secret })`, `tradingview({ token })`, ... */
  provider: P;
  /** Where delivery keys are claimed; default a new `MemoryStore()` (one process). */
  store?: IdempotencyStore;
  /** Freshness window in seconds, both ways; default the provider's (300). */
  tolerance?: number;
  /** Body cap in bytes; default 1 MiB. */
  maxBodyBytes?: number;
  /** How long a claim lasts while handlers run (extended every third of it); default 60 s. */
  leaseMs?: number;
  /** How long a completed key is kept; default the provider's (7 days; TradingView 60 s). */
  retainMs?: number;
  /** Add or override event schemas: `{ "my.event": z.object({...}) }`. */
  events?: U;
  /** Event types outside a fixed catalogue: `"ignore"` (200, default) or `"reject"` (400 UNKNOWN_EVENT). */
  unknownEvents?: "ignore" | "reject";
  /** Client addresses or CIDRs allowed to deliver; default any. */
  allowIps?: readonly string[];
  /** Clock in epoch ms; for tests. */
  now?: () => number;
  /** Receives a line per delivery: debug for 2xx, warn for 4xx, error for 5xx. Default: errors to `console.error`. */
  logger?: Logger;
}

/** Called with every rejected or failed delivery; a handler's own error is `error.cause`. */
export type ErrorListener = (error: WebhookError, delivery: Delivery) => void;

/** A receiver: verifies deliveries and dispatches typed events. */
export interface Receiver<M = Record<string, unknown>, Open extends boolean = boolean> {
  /** The provider preset. */
  readonly provider: Provider;
  /** The body cap in bytes, for adapters. */
  readonly maxBodyBytes: number;
  /**
   * Registers a handler: an exact type, `prefix.*` for one dotted segment, or `*`.
   * Handlers for a delivery run in registration order.
   */
  on<K extends EventPattern<M, Open>>(pattern: K, handler: Handler<EventFor<M, Open, K>>): this;
  /** Registers a listener for rejected and failed deliveries (logging, alerting). */
  onError(listener: ErrorListener): this;
  /** Runs the whole pipeline. Never throws: every outcome is a `HandleResult`. */
  handle(delivery: Delivery): Promise<HandleResult>;
  /** Runs steps 1 to 6 (no store, no handler): returns the event or throws a `WebhookError`. */
  verify(delivery: Delivery): Promise<AnyEvent<M, Open>>;
  /**
   * A bound fetch handler for Bun, Deno, Workers and Next.js. Pass `{ ip }` as the second
   * argument when `allowIps` is set (e.g. Bun's `server.requestIP(req)?.address`).
   */
  readonly fetch: (request: Request, info?: { ip?: string | undefined }) => Promise<Response>;
  /**
   * Answers a delivery an adapter refused before it could call `handle()` (e.g. 413 while
   * streaming), with the same response format, logging and `onError` as `handle()`.
   */
  reject(error: WebhookError, delivery: Delivery): Promise<HandleResult>;
}

/**
 * What an adapter needs of a receiver. Structural, so a receiver typed by one copy of the
 * package fits an adapter typed by another (e.g. when a framework's types pull in a second copy).
 */
export type AdapterReceiver = Pick<Receiver, "handle" | "reject" | "maxBodyBytes" | "fetch">;

// ---------------------------------------------------------------------------

const OPTION_NAMES = [
  "provider", "store", "tolerance", "maxBodyBytes", "leaseMs", "retainMs", "events", "unknownEvents", "allowIps", "now", "logger",
] as const;

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" } as const;
const DEFAULT_LOGGER: Logger = { error: (message, details) => console.error(`[tradehook] ${message}`, details ?? "") };

function fail(where: string, message: string): never {
  throw new TypeError(`createReceiver: ${where} ${message}`);
}

function checkNumber(name: string, value: unknown, min: number, integer: boolean): void {
  if (value === undefined) return;
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    fail(name, `must be a${integer ? "n integer" : " number"} >= ${min}, got ${String(value)}`);
  }
}

function validateOptions(options: ReceiverOptions<Provider, EventCatalogue>): void {
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
    if (typeof options.events !== "object" || options.events === null) fail("events", "must map event types to zod schemas");
    for (const [type, schema] of Object.entries(options.events)) {
      if (typeof (schema as Partial<z.ZodType>)?.safeParse !== "function") fail(`events[${JSON.stringify(type)}]`, "must be a zod schema");
    }
  }
}

/** A promise (or any thenable) rather than a value: only then is there anything to await. */
function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as PromiseLike<T> | null)?.then === "function";
}

function matches(pattern: string, type: string): boolean {
  if (pattern === "*") return true;
  if (!pattern.endsWith(".*")) return pattern === type;
  const prefix = pattern.slice(0, -1);
  return type.length > prefix.length && type.startsWith(prefix) && !type.includes(".", prefix.length);
}

function successBody(outcome: Outcome, id: string): string {
  return `{"ok":true,"outcome":"${outcome}","id":${JSON.stringify(id)}}`;
}

function errorBody(error: WebhookError): string {
  const issues = error instanceof PayloadError || (error as PayloadError).issues ? (error as PayloadError).issues : undefined;
  return JSON.stringify({ ok: false, error: { code: error.code, message: error.message, ...(issues ? { issues } : {}) } });
}

function toIssues(error: z.ZodError, prefix: (string | number)[]): PayloadIssue[] {
  return error.issues.slice(0, 20).map((issue) => ({
    path: [...prefix, ...issue.path.map((p) => (typeof p === "symbol" ? String(p) : p))],
    code: issue.code,
    message: issue.message,
  }));
}

function describeIssues(issues: PayloadIssue[], total: number): string {
  const first = issues[0];
  if (!first) return "";
  const where = first.path.length ? first.path.join(".") : "(root)";
  return `${where}: ${first.message}${total > 1 ? ` (and ${total - 1} more)` : ""}`;
}

/**
 * An event whose `id` (the body's SHA-256, synchronous on node:crypto) is hashed on first
 * read: `verify()` callers that never read it skip a second pass over the body. `id` stays an
 * own, enumerable property (it shows in `JSON.stringify`, spreads and logs); its getter and
 * setter are shared by every instance. An object literal with `get id()` cost about 0.7 µs per
 * event to create, more than hashing a 512-byte body; this costs about 0.15 µs.
 */
class ReceivedEvent {
  static readonly #id: PropertyDescriptor = {
    get(this: ReceivedEvent): string {
      return (this.#value ??= this.#hash());
    },
    set(this: ReceivedEvent, value: string) {
      this.#value = value;
    },
    enumerable: true,
    configurable: true,
  };
  declare id: string;
  declare type: string;
  declare timestamp: Date | undefined;
  declare data: unknown;
  declare payload: unknown;
  declare provider: string;
  declare receivedAt: Date;
  #value: string | undefined;
  readonly #hash: () => string;

  constructor(hash: () => string, type: string, timestamp: Date | undefined, data: unknown, payload: unknown, provider: string, receivedAt: Date) {
    Object.defineProperty(this, "id", ReceivedEvent.#id); // first, as in every other event
    this.type = type;
    this.timestamp = timestamp;
    this.data = data;
    this.payload = payload;
    this.provider = provider;
    this.receivedAt = receivedAt;
    this.#hash = hash;
  }
}

/**
 * What providers read of one delivery: the query string and the JSON parsed once, on first use.
 * A class, not an object literal with a getter and closures: with the literal, V8 kept each
 * parsed payload alive through young-generation GCs, and verify() cost 1.45x the floor at 64 KiB.
 */
class ReceivedDelivery implements DeliveryView {
  readonly crypto = platform;
  #parsed: { value: unknown } | { error: unknown } | undefined;
  #search: URLSearchParams | undefined | null = null;

  constructor(
    readonly body: Uint8Array,
    readonly headers: DeliveryView["headers"],
    readonly rawUrl: string | undefined,
  ) {}

  query(name: string): string[] {
    if (this.#search === null) {
      this.#search = undefined;
      // Most deliveries have no query string: then there is nothing to parse (about 0.7 µs saved).
      if (this.rawUrl?.includes("?")) {
        try {
          this.#search = new URL(this.rawUrl, "http://localhost").searchParams;
        } catch {
          // an unparsable URL has no usable query
        }
      }
    }
    return this.#search?.getAll(name) ?? [];
  }

  json(): unknown {
    if (!this.#parsed) {
      try {
        this.#parsed = { value: parseJson(decodeText(this.body)) };
      } catch (error) {
        this.#parsed = { error };
      }
    }
    if ("error" in this.#parsed) throw this.#parsed.error;
    return this.#parsed.value;
  }
}

/** A running claim the heartbeat renews: strings only, never the event or its payload. */
interface Lease {
  key: string;
  token: string;
  type: string;
  id: string;
  lost: boolean;
  controller: AbortController | undefined;
}

/**
 * The context handlers receive. `signal` is an own, enumerable getter shared by every
 * instance: an AbortSignal costs about 2 µs to create, so it is made only when a handler
 * reads it, and an object literal with its own getter cost about 0.7 µs per delivery.
 */
class DeliveryContext implements HandlerContext {
  static readonly #signal: PropertyDescriptor = {
    get(this: DeliveryContext): AbortSignal {
      const lease = this.#lease;
      if (!lease.controller) {
        lease.controller = new AbortController();
        if (lease.lost) lease.controller.abort();
      }
      return lease.controller.signal;
    },
    enumerable: true,
    configurable: true,
  };
  declare readonly signal: AbortSignal;
  declare logger: Logger;
  declare delivery: Delivery;
  readonly #lease: Lease;

  constructor(lease: Lease, logger: Logger, delivery: Delivery) {
    Object.defineProperty(this, "signal", DeliveryContext.#signal);
    this.logger = logger;
    this.delivery = delivery;
    this.#lease = lease;
  }
}

interface Verified {
  event: WebhookEvent;
  known: boolean;
  bodyHash: () => string | Promise<string>;
}

/**
 * Creates a receiver for one provider.
 *
 * @example
 * ```ts
 * import { createReceiver, apindicators } from "tradehook";
 *
 * const receiver = createReceiver({ provider: apindicators({ secret: process.env.APINDICATORS_SECRET! }) });
 * receiver.on("signal.buy", async (event) => {
 *   await placeOrder(event.data.pair, event.data.score);
 * });
 * export default { fetch: receiver.fetch }; // or an adapter: expressWebhook(receiver)
 * ```
 */
export function createReceiver<P extends Provider, U extends EventCatalogue = {}>(
  options: ReceiverOptions<P, U>,
): Receiver<DataMap<Merge<CatalogueOf<P>, U>>, OpenOf<P>> {
  validateOptions(options as ReceiverOptions<Provider, EventCatalogue>);
  const provider: Provider = options.provider;
  // Read once, not per delivery: the pipeline's code is shared by every receiver in the process,
  // and reading these off providers of many shapes on each delivery made the reads megamorphic
  // (0.7% of verify()'s instructions at 512 B once six providers had run).
  const { authenticate, parse, bodyTimestamp: bodyTimestampOf, describe } = provider;
  const providerName = provider.name;
  const open = provider.open;
  const store = options.store ?? new MemoryStore();
  const tolerance = options.tolerance ?? provider.tolerance;
  const maxBodyBytes = options.maxBodyBytes ?? 1_048_576;
  const leaseMs = options.leaseMs ?? 60_000;
  const retainMs = options.retainMs ?? provider.retainMs;
  const unknownEvents = options.unknownEvents ?? "ignore";
  const allowed = options.allowIps ? compileAllowlist(options.allowIps) : undefined;
  const now = options.now ?? Date.now;
  const logger = options.logger ?? DEFAULT_LOGGER;
  // A Map, not an object: event types are sender-controlled ("constructor", "__proto__").
  const schemas = new Map<string, z.ZodType>(Object.entries({ ...provider.events, ...(options.events ?? {}) }));
  const handlers: { pattern: string; handler: Handler }[] = [];
  const errorListeners: ErrorListener[] = [];

  const log = (level: keyof Logger, message: string, details?: Record<string, unknown>) => {
    try {
      logger[level]?.(message, details);
    } catch {
      // a broken logger must not break delivery
    }
  };

  const notify = (error: WebhookError, delivery: Delivery) => {
    for (const listener of errorListeners) {
      try {
        listener(error, delivery);
      } catch (listenerError) {
        log("error", "onError listener threw", { error: listenerError });
      }
    }
  };

  /**
   * Steps 1 to 6: throws, or rejects, with the failing step's error. A value on node:crypto,
   * where every step is synchronous (no promise, no microtask); a promise on Web Crypto.
   * `eagerId`: the caller reads `event.id` anyway (handle() does), so hash now.
   */
  function verifyDelivery(delivery: Delivery, eagerId: boolean): Verified | Promise<Verified> {
    const method = (delivery.method ?? "POST").toUpperCase();
    if (method !== "POST") throw new MethodNotAllowedError(method);
    const body = bodyBytes(delivery.body);
    if (body.byteLength > maxBodyBytes) throw new PayloadTooLargeError(maxBodyBytes);
    if (allowed && !allowed(delivery.ip)) {
      throw new SourceError(delivery.ip ? `client address ${printable(delivery.ip, 45)} is not in allowIps` : "client address is unknown and allowIps is set");
    }
    const headers = readHeaders(delivery.headers);
    const view = new ReceivedDelivery(body, headers, delivery.url);
    const auth = authenticate.call(provider, view);
    return isThenable(auth) ? auth.then((value) => checkAndDescribe(view, value, eagerId)) : checkAndDescribe(view, auth, eagerId);
  }

  /** Steps 5 and 6 of an authenticated delivery: freshness, parsing, the event's type and data. */
  function checkAndDescribe(view: ReceivedDelivery, auth: Authenticated, eagerId: boolean): Verified | Promise<Verified> {
    const { body, headers } = view;
    const nowMs = now();
    if (auth.timestamp) checkFreshness(auth.timestamp.ms, nowMs, tolerance, auth.timestamp.shown);
    const payload = parse.call(provider, view, auth);
    let timestampMs = auth.timestamp?.ms;
    const bodyTimestamp = bodyTimestampOf.call(provider, payload);
    if (bodyTimestamp && (bodyTimestamp.required || bodyTimestamp.value !== undefined)) {
      timestampMs = parseIsoTimestamp(bodyTimestamp.value, bodyTimestamp.field);
      checkFreshness(timestampMs, nowMs, tolerance, String(bodyTimestamp.value));
    }

    const described = describe.call(provider, payload, headers);
    const schema = schemas.get(described.type);
    let data = described.data;
    let known = true;
    if (schema) {
      let result: ReturnType<z.ZodType["safeParse"]>;
      try {
        result = schema.safeParse(described.data);
      } catch {
        throw new PayloadError("INVALID_PAYLOAD", `${printable(described.type)} payload could not be validated (its schema threw)`);
      }
      if (!result.success) {
        const issues = toIssues(result.error, described.dataPath);
        throw new PayloadError(
          "INVALID_PAYLOAD",
          `${printable(described.type)} payload is invalid: ${describeIssues(issues, result.error.issues.length)}`,
          issues,
        );
      }
      data = result.data;
    } else if (!open) {
      if (unknownEvents === "reject") {
        const list = [...schemas.keys()].join(", ");
        throw new PayloadError("UNKNOWN_EVENT", `event type ${printable(described.type)} is not one ${providerName} sends (known: ${list})`);
      }
      known = false;
    }

    let hash: string | Promise<string> | undefined;
    const bodyHash = () => (hash ??= platform.sha256Hex(body));
    const timestamp = timestampMs === undefined ? undefined : new Date(timestampMs);
    const receivedAt = new Date(nowMs);
    if (auth.id === undefined && platform.name === "node" && !eagerId) {
      const event = new ReceivedEvent(bodyHash as () => string, described.type, timestamp, data, described.payload, providerName, receivedAt);
      return { event, known, bodyHash };
    }
    const withId = (id: string): Verified => ({
      event: { id, type: described.type, timestamp, data, payload: described.payload, provider: providerName, receivedAt },
      known,
      bodyHash,
    });
    const id = auth.id ?? bodyHash();
    return typeof id === "string" ? withId(id) : id.then(withId);
  }

  const asWebhookError = (error: unknown): WebhookError => {
    if (isWebhookError(error)) return error;
    if (error instanceof TypeError && /delivery\.body/.test(error.message)) {
      return new PayloadError("INVALID_JSON", "the delivery body is not bytes or text");
    }
    return new WebhookError("INTERNAL_ERROR", "the receiver failed unexpectedly", { cause: error });
  };

  async function reject(error: WebhookError, delivery: Delivery, event?: WebhookEvent): Promise<HandleResult> {
    const outcome: Outcome = error.status >= 500 ? "failed" : error.code === "IN_PROGRESS" ? "in_progress" : "rejected";
    const details = { code: error.code, status: error.status, message: error.message, ...(event ? { type: event.type, id: event.id } : {}) };
    if (error.status >= 500) log("error", `delivery ${outcome}: ${error.code}`, { ...details, cause: error.cause });
    else log(error.code === "IN_PROGRESS" ? "info" : "warn", `delivery ${outcome}: ${error.code}`, details);
    notify(error, delivery);
    const headers: Record<string, string> = { ...JSON_HEADERS };
    if (error.code === "METHOD_NOT_ALLOWED") headers.allow = "POST";
    if (error.code === "IN_PROGRESS") headers["retry-after"] = String(Math.max(1, Math.ceil(leaseMs / 3000)));
    return { status: error.status, headers, body: errorBody(error), outcome, event, error };
  }

  function accept(outcome: Outcome, event: WebhookEvent): HandleResult {
    if (logger.debug) log("debug", `delivery ${outcome}`, { type: event.type, id: event.id });
    return { status: 200, headers: { "content-type": JSON_HEADERS["content-type"] }, body: successBody(outcome, event.id), outcome, event };
  }

  // Handlers by event type, for the catalogue's types only: an open provider's types are
  // sender-controlled, and caching them would let a sender grow this map without bound.
  const matchedByType = new Map<string, Handler[]>();
  const handlersFor = (type: string): Handler[] => {
    let matched = matchedByType.get(type);
    if (!matched) {
      matched = handlers.filter((h) => matches(h.pattern, type)).map((h) => h.handler);
      if (schemas.has(type)) matchedByType.set(type, matched);
    }
    return matched;
  };

  // One heartbeat per receiver renews every running claim. A timer per delivery whose closure
  // held the event kept each payload alive through young GCs (handle() 1.4x slower at 64 KiB).
  const leases = new Set<Lease>();
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  const renewLeases = () => {
    // Stopped on an idle tick rather than after each delivery: back-to-back deliveries share
    // one timer, and a receiver that is dropped still lets go of it within one period.
    if (leases.size === 0 && heartbeat) {
      clearInterval(heartbeat);
      heartbeat = undefined;
    }
    for (const lease of leases) {
      store.extend(lease.key, lease.token, leaseMs).then(
        (held) => {
          if (held || !leases.has(lease)) return;
          log("warn", "lease lost while handlers ran; another process may run this delivery", { type: lease.type, id: lease.id });
          lease.lost = true;
          lease.controller?.abort();
        },
        (error) => log("warn", "could not extend the lease", { type: lease.type, id: lease.id, error }),
      );
    }
  };

  async function dispatch(event: WebhookEvent, matched: Handler[], key: string, token: string, delivery: Delivery) {
    const lease: Lease = { key, token, type: event.type, id: event.id, lost: false, controller: undefined };
    leases.add(lease);
    if (!heartbeat) {
      heartbeat = setInterval(renewLeases, Math.max(100, Math.floor(leaseMs / 3)));
      (heartbeat as { unref?: () => void }).unref?.();
    }
    const context = new DeliveryContext(lease, logger, delivery);
    try {
      for (const handler of matched) {
        const returned = handler(event, context);
        // A synchronous handler's undefined is not awaited: that would only add a microtask hop.
        if (returned !== undefined && isThenable(returned)) await returned;
      }
    } finally {
      leases.delete(lease);
    }
  }

  async function handle(delivery: Delivery): Promise<HandleResult> {
    let verified: Verified;
    try {
      const pending = verifyDelivery(delivery, true);
      verified = isThenable(pending) ? await pending : pending;
    } catch (error) {
      return reject(asWebhookError(error), delivery);
    }
    const { event, known } = verified;
    try {
      const matched = known ? handlersFor(event.type) : [];
      if (matched.length === 0) return accept("ignored", event);

      // Synchronous on node:crypto: awaiting a plain string would only add a microtask hop.
      const keyHash = platform.sha256Hex(`${providerName}\n${event.id}`);
      const key = typeof keyHash === "string" ? keyHash : await keyHash;
      const bodyHash = verified.bodyHash();
      const fingerprint = typeof bodyHash === "string" ? bodyHash : await bodyHash;
      let claim: Awaited<ReturnType<IdempotencyStore["claim"]>>;
      try {
        claim = await store.claim(key, fingerprint, leaseMs);
      } catch (error) {
        return reject(new StoreError("the idempotency store is unavailable; no handler ran, retry later", { cause: error }), delivery, event);
      }
      switch (claim.state) {
        case "completed":
          return accept("duplicate", event);
        case "in_progress":
          return reject(new IdempotencyError("IN_PROGRESS", "this delivery is being processed right now; retry later"), delivery, event);
        case "mismatch":
          return reject(
            new IdempotencyError("KEY_REUSED", `delivery id ${printable(event.id, 80)} was already used with a different body; no handler ran`),
            delivery,
            event,
          );
        case "claimed":
          break;
        default:
          return reject(new StoreError("the idempotency store answered with an unknown state; no handler ran"), delivery, event);
      }

      try {
        await dispatch(event, matched, key, claim.token, delivery);
      } catch (error) {
        try {
          await store.release(key, claim.token);
        } catch (releaseError) {
          log("error", "could not release the claim after a handler failed; the retry waits for the lease to expire", { error: releaseError });
        }
        return reject(new HandlerError(event.type, { cause: error }), delivery, event);
      }
      try {
        await store.complete(key, claim.token, retainMs);
      } catch (error) {
        // The handlers succeeded: a 5xx would make the sender run them again.
        const storeError = new StoreError("handlers succeeded but the store could not mark the delivery completed", { cause: error });
        log("error", storeError.message, { type: event.type, id: event.id, cause: error });
        notify(storeError, delivery);
      }
      return accept("processed", event);
    } catch (error) {
      return reject(asWebhookError(error), delivery, event);
    }
  }

  async function verify(delivery: Delivery) {
    try {
      const pending = verifyDelivery(delivery, false);
      return (isThenable(pending) ? await pending : pending).event;
    } catch (error) {
      throw asWebhookError(error);
    }
  }

  async function fetchHandler(request: Request, info?: { ip?: string | undefined }): Promise<Response> {
    const delivery: Delivery = { body: new Uint8Array(0), headers: request.headers, method: request.method, url: request.url, ip: info?.ip };
    let result: HandleResult;
    if (request.method.toUpperCase() !== "POST") {
      result = await handle(delivery);
    } else {
      const declared = Number(request.headers.get("content-length") ?? Number.NaN);
      try {
        if (declared > maxBodyBytes) throw new PayloadTooLargeError(maxBodyBytes);
        delivery.body = await readStreamCapped(request.body, maxBodyBytes);
        result = await handle(delivery);
      } catch (error) {
        result = await reject(isWebhookError(error) ? error : new PayloadError("INVALID_JSON", "the request body could not be read"), delivery);
      }
    }
    return new Response(result.body, { status: result.status, headers: result.headers });
  }

  const receiver: Receiver<Record<string, unknown>, boolean> = {
    provider,
    maxBodyBytes,
    on(pattern, handler) {
      if (typeof pattern !== "string" || pattern === "") throw new TypeError("receiver.on: pattern must be an event type, prefix.* or *");
      if (pattern.includes("*") && pattern !== "*" && !/^[^*]+\.\*$/.test(pattern)) {
        throw new TypeError(`receiver.on: ${JSON.stringify(pattern)} is not a pattern; use "type", "prefix.*" or "*"`);
      }
      if (typeof handler !== "function") throw new TypeError("receiver.on: handler must be a function");
      handlers.push({ pattern, handler: handler as Handler });
      matchedByType.clear();
      return receiver;
    },
    onError(listener) {
      if (typeof listener !== "function") throw new TypeError("receiver.onError: listener must be a function");
      errorListeners.push(listener);
      return receiver;
    },
    handle,
    verify,
    fetch: fetchHandler,
    reject: (error, delivery) => reject(error, delivery),
  };
  return receiver as unknown as Receiver<DataMap<Merge<CatalogueOf<P>, U>>, OpenOf<P>>;
}
