/**
 * @module Steps 7 and 8 of a delivery: claim its key in the store, then run the handlers inline (or, with a queue, enqueue the event).
 */
import { platform } from "../crypto/index.js";
import { HandlerError, IdempotencyError, printable, QueueError, StoreError, type WebhookError } from "../errors.js";
import type { Delivery, DeliveryQueue, HandleResult, Handler, HandlerContext, IdempotencyStore, Logger, Outcome, WebhookEvent } from "../types.js";
import type { Settings } from "./options.js";
import { isThenable, type Verified } from "./verify.js";

/** What the dispatch step needs of the receiver around it: its answers, logging and listeners. */
export interface Pipeline {
  reject(error: WebhookError, delivery: Delivery, event?: WebhookEvent): Promise<HandleResult>;
  /** A 2xx answer: 200, or 202 for `queued`. */
  accept(outcome: Outcome, event: WebhookEvent): HandleResult;
  log(level: keyof Logger, message: string, details?: Record<string, unknown>): void;
  notify(error: WebhookError, delivery: Delivery): void;
  /** The handlers matching an event type, in registration order. */
  handlersFor(type: string): Handler[];
}

/** A delivery whose key this process now holds. */
export interface Claimed {
  event: WebhookEvent;
  matched: Handler[];
  /** What the event's schema validated, for a queue to store. */
  input: unknown;
  /** The hashed delivery key. */
  key: string;
  token: string;
}

/**
 * Step 8: what happens to a claimed delivery. It owns the claim: it completes or releases it,
 * and answers. Two implementations: run the handlers here ({@link runInline}) or hand the
 * event to a durable queue ({@link enqueue}).
 */
export type DispatchStep = (claimed: Claimed, delivery: Delivery) => Promise<HandleResult>;

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
  declare attempt: number;
  readonly #lease: Lease;

  constructor(lease: Lease, logger: Logger, delivery: Delivery) {
    Object.defineProperty(this, "signal", DeliveryContext.#signal);
    this.logger = logger;
    this.delivery = delivery;
    this.attempt = 1;
    this.#lease = lease;
  }
}

/** Gives a claim back after a failure, so the sender's retry can take it; a store error is only logged (the lease then runs out). */
async function releaseClaim(store: IdempotencyStore, key: string, token: string, log: Pipeline["log"], after: string): Promise<void> {
  try {
    await store.release(key, token);
  } catch (releaseError) {
    log("error", `could not release the claim after ${after}; the retry waits for the lease to expire`, { error: releaseError });
  }
}

/**
 * The store could not mark a finished delivery completed: logged and told to `onError`, never
 * answered, since a 5xx would make the sender deliver it again.
 */
function reportUncompleted(pipeline: Pipeline, event: WebhookEvent, delivery: Delivery, message: string, cause: unknown): void {
  const storeError = new StoreError(message, { cause });
  pipeline.log("error", storeError.message, { type: event.type, id: event.id, cause });
  pipeline.notify(storeError, delivery);
}

/** Step 8 inline: runs every matching handler in this process, extending the lease while they run. */
export function runInline(settings: Settings, pipeline: Pipeline): DispatchStep {
  const { store, leaseMs, retainMs, logger } = settings;
  const { reject, accept, log } = pipeline;

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

  async function run(event: WebhookEvent, matched: Handler[], key: string, token: string, delivery: Delivery) {
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

  return async ({ event, matched, key, token }, delivery) => {
    try {
      await run(event, matched, key, token, delivery);
    } catch (error) {
      await releaseClaim(store, key, token, log, "a handler failed");
      return reject(new HandlerError(event.type, { cause: error }), delivery, event);
    }
    try {
      await store.complete(key, token, retainMs);
    } catch (error) {
      reportUncompleted(pipeline, event, delivery, "handlers succeeded but the store could not mark the delivery completed", error);
    }
    return accept("processed", event);
  };
}

/** How long an enqueue may take, unless the queue says (`timeoutMs`), before the answer is 503 QUEUE_UNAVAILABLE. */
const ENQUEUE_TIMEOUT_MS = 5_000;

/**
 * Step 8 with a queue: stores the event under the hashed delivery key (a second guard against
 * duplicates), then completes the claim and answers 202 `queued`. If the queue cannot store it,
 * the claim is released and the answer is 503 QUEUE_UNAVAILABLE: nothing is acknowledged.
 */
export function enqueue(settings: Settings, pipeline: Pipeline, queue: DeliveryQueue): DispatchStep {
  const { store, retainMs } = settings;
  const { reject, accept, log } = pipeline;
  const timeoutMs = queue.timeoutMs ?? ENQUEUE_TIMEOUT_MS;
  const timedOut = () => new Error(`enqueue took longer than ${timeoutMs} ms`);
  return async ({ event, input, key, token }, delivery) => {
    const job = {
      id: event.id,
      type: event.type,
      provider: event.provider,
      timestamp: event.timestamp ? event.timestamp.toISOString() : null,
      receivedAt: event.receivedAt.toISOString(),
      payload: event.payload,
      data: input,
    };
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        queue.enqueue(job, { jobId: key, retainMs }),
        new Promise((_, fail) => {
          timer = setTimeout(() => fail(timedOut()), timeoutMs);
        }),
      ]);
    } catch (error) {
      await releaseClaim(store, key, token, log, "the queue failed");
      const message = `the queue ${printable(queue.name)} could not be reached; nothing was acknowledged, retry later`;
      return reject(new QueueError(message, { cause: error }), delivery, event);
    } finally {
      clearTimeout(timer);
    }
    try {
      await store.complete(key, token, retainMs);
    } catch (error) {
      // The job id still guards a redelivery.
      reportUncompleted(pipeline, event, delivery, "the event was queued but the store could not mark the delivery completed", error);
    }
    return accept("queued", event);
  };
}

/**
 * Steps 7 and 8: claims the delivery key (the SHA-256 of provider and id) with the body's
 * SHA-256 as fingerprint, answers duplicates and conflicts, and hands a claimed delivery to `step`.
 */
export function createDispatch(settings: Settings, pipeline: Pipeline, step: DispatchStep, queued: boolean) {
  const { store, leaseMs } = settings;
  const providerName = settings.provider.name;
  const { reject, accept, handlersFor } = pipeline;

  return async function dispatch(verified: Verified, delivery: Delivery): Promise<HandleResult> {
    const { event, known } = verified;
    const matched = known ? handlersFor(event.type) : [];
    // With a queue the workers' handlers decide: a web process may register none.
    if (queued ? !known : matched.length === 0) return accept("ignored", event);

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
        return step({ event, matched, input: verified.input, key, token: claim.token }, delivery);
      default:
        return reject(new StoreError("the idempotency store answered with an unknown state; no handler ran"), delivery, event);
    }
  };
}
