/**
 * @module Public types shared by the receiver, providers, stores and adapters.
 */
import type { WebhookError } from "./errors.js";

/** Incoming headers: a WHATWG `Headers`, or a plain record as Node and most frameworks give them. */
export type HeadersInput = Headers | Record<string, string | string[] | number | undefined>;

/**
 * One webhook delivery as received: `body` must be the exact bytes on the wire.
 *
 * @example
 * ```ts
 * const result = await receiver.handle({ body: rawBuffer, headers: req.headers, method: "POST", ip: req.ip });
 * ```
 */
export interface Delivery {
  body: Uint8Array | ArrayBuffer | string;
  headers: HeadersInput;
  /** Defaults to `"POST"`. */
  method?: string | undefined;
  /** Path and query (`/hook?token=...`) or an absolute URL; needed for URL tokens. */
  url?: string | undefined;
  /** Client address as the framework resolved it (never a raw X-Forwarded-For). */
  ip?: string | undefined;
}

/** A verified, validated event. `data` is typed by the event's schema. */
export interface WebhookEvent<TType extends string = string, TData = unknown> {
  /** The idempotency key: the provider's delivery id, or the SHA-256 of the body. */
  id: string;
  type: TType;
  /** The provider's timestamp for this delivery, when it sends one. */
  timestamp?: Date | undefined;
  data: TData;
  /** The whole parsed body (for TradingView, without the secret). */
  payload: unknown;
  /** The provider's name, e.g. `"apindicators"`. */
  provider: string;
  receivedAt: Date;
}

/** Where a delivery ended up. `queued`: handed to the receiver's `queue` (202); a worker runs the handlers. */
export type Outcome = "processed" | "duplicate" | "in_progress" | "ignored" | "queued" | "rejected" | "failed";

/** What `handle()` returns: adapters copy `status`, `headers` and `body` to the response. */
export interface HandleResult {
  status: number;
  headers: Record<string, string>;
  /** JSON text. */
  body: string;
  outcome: Outcome;
  event?: WebhookEvent | undefined;
  error?: WebhookError | undefined;
}

/** A logger; any subset of the four levels. `console` fits. */
export type Logger = Partial<Record<"debug" | "info" | "warn" | "error", (message: string, details?: Record<string, unknown>) => void>>;

/** What a handler receives besides the event. */
export interface HandlerContext {
  /** Aborted when the delivery's lease is lost (another process may then run it), or when a queue worker closes or loses the job's lock. */
  signal: AbortSignal;
  logger: Logger;
  /** The delivery as received. On a queue worker it carries no body or headers: a job stores the event, never the raw request. */
  delivery: Delivery;
  /** Which run of this event this is, from 1: always 1 inline; on a queue worker, 2 and up are retries. */
  attempt: number;
}

/** An event handler. A throw answers 500 and releases the claim so the sender's retry runs again. */
export type Handler<TEvent extends WebhookEvent = WebhookEvent> = (event: TEvent, context: HandlerContext) => void | Promise<void>;

/** Result of `IdempotencyStore.claim`. */
export type ClaimResult =
  | { state: "claimed"; token: string }
  | { state: "completed" }
  | { state: "in_progress" }
  | { state: "mismatch" };

/**
 * Where delivery keys are claimed so each delivery runs once. Keys arrive already hashed
 * (64 hex characters); `fingerprint` is the body's SHA-256 in hex.
 */
export interface IdempotencyStore {
  claim(key: string, fingerprint: string, leaseMs: number): Promise<ClaimResult>;
  extend(key: string, token: string, leaseMs: number): Promise<boolean>;
  complete(key: string, token: string, retainMs: number): Promise<void>;
  release(key: string, token: string): Promise<void>;
}

/**
 * What a {@link DeliveryQueue} stores for one verified event: JSON, and never a secret, a
 * signature or a header. `data` is the value the event's schema validates (a worker validates it
 * again), `timestamp` and `receivedAt` are ISO 8601.
 */
export interface QueuedEvent {
  id: string;
  type: string;
  provider: string;
  timestamp: string | null;
  receivedAt: string;
  payload: unknown;
  data: unknown;
}

/**
 * A durable queue the receiver hands verified events to (`createReceiver({ queue })`), so it
 * answers 202 at once and workers run the handlers. Structural: `bullmqQueue()` from
 * `tradehook/bullmq` is one; the core imports no queue client.
 *
 * @example
 * ```ts
 * import { bullmqQueue } from "tradehook/bullmq";
 * const receiver = createReceiver({ provider, store, queue: bullmqQueue({ connection: { host: "127.0.0.1", port: 6379 } }) });
 * ```
 */
export interface DeliveryQueue {
  /** Shown in QUEUE_UNAVAILABLE messages. */
  readonly name: string;
  /** How long an enqueue may take before it counts as failed (503); default 5000 ms. */
  readonly timeoutMs?: number | undefined;
  /**
   * Stores the event durably under `jobId` (the hashed delivery key) and resolves once it is
   * stored; an existing `jobId` is not added twice. Rejects (within a bounded time) when the
   * queue cannot be reached; one that takes over `timeoutMs` counts as failed. `retainMs`: how long a completed job is kept.
   */
  enqueue(event: QueuedEvent, options: { jobId: string; retainMs: number }): Promise<void>;
}
