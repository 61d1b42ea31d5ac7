/**
 * @module createReceiver: assembles the pipeline (options, verify, dispatch) and the router, and answers in the HTTP contract's format.
 */
import { readStreamCapped } from "../body.js";
import { isWebhookError, PayloadError, PayloadTooLargeError, WebhookError } from "../errors.js";
import type { EventCatalogue, Provider } from "../providers/provider.js";
import type { Delivery, HandleResult, Handler, Logger, Outcome, WebhookEvent } from "../types.js";
import { createDispatch, enqueue, type Pipeline, runInline } from "./dispatch.js";
import { type AnyEvent, type CatalogueOf, type DataMap, type EventFor, type EventPattern, matches, type Merge, type OpenOf } from "./events.js";
import { type ReceiverOptions, resolveOptions } from "./options.js";
import { createVerify, isThenable, type Verified } from "./verify.js";
import { createWorkerHooks, WORKER_HOOKS } from "./worker.js";

export type { AnyEvent, DataMap, EventFor, EventPattern } from "./events.js";
export type { ReceiverOptions } from "./options.js";

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

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" } as const;

function successBody(outcome: Outcome, id: string): string {
  return `{"ok":true,"outcome":"${outcome}","id":${JSON.stringify(id)}}`;
}

function errorBody(error: WebhookError): string {
  const issues = error instanceof PayloadError || (error as PayloadError).issues ? (error as PayloadError).issues : undefined;
  return JSON.stringify({ ok: false, error: { code: error.code, message: error.message, ...(issues ? { issues } : {}) } });
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
  const settings = resolveOptions(options as ReceiverOptions<Provider, EventCatalogue>);
  const { provider, maxBodyBytes, leaseMs, logger, schemas } = settings;
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
    const status = outcome === "queued" ? 202 : 200;
    return { status, headers: { "content-type": JSON_HEADERS["content-type"] }, body: successBody(outcome, event.id), outcome, event };
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

  const verifyDelivery = createVerify(settings);
  const pipeline: Pipeline = { reject, accept, log, notify, handlersFor };
  const queue = settings.queue;
  const step = queue ? enqueue(settings, pipeline, queue) : runInline(settings, pipeline);
  const dispatch = createDispatch(settings, pipeline, step, queue !== undefined);

  async function handle(delivery: Delivery): Promise<HandleResult> {
    let verified: Verified;
    try {
      const pending = verifyDelivery(delivery, true);
      verified = isThenable(pending) ? await pending : pending;
    } catch (error) {
      return reject(asWebhookError(error), delivery);
    }
    try {
      return await dispatch(verified, delivery);
    } catch (error) {
      return reject(asWebhookError(error), delivery, verified.event);
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
  // Not enumerable and symbol-keyed: what startWorker() reads, out of users' and loggers' way.
  Object.defineProperty(receiver, WORKER_HOOKS, { value: createWorkerHooks(settings, handlersFor, notify, log) });
  return receiver as unknown as Receiver<DataMap<Merge<CatalogueOf<P>, U>>, OpenOf<P>>;
}
