/**
 * @module tradehook/bullmq: a durable hand-off on BullMQ. The web process answers 202 at once; workers run the handlers with retries.
 */
import { type ConnectionOptions, type Job, Queue, UnrecoverableError, Worker } from "bullmq";
import { isWebhookError, PayloadError, type WebhookError } from "../errors.js";
import type { Receiver } from "../receiver/index.js";
import { QUEUED_DELIVERY, WORKER_HOOKS, type WorkerHooks } from "../receiver/worker.js";
import type { DeliveryQueue, QueuedEvent } from "../types.js";
import { DEFAULT_QUEUE_NAME } from "./jobs.js";

export {
  countJobs,
  DEFAULT_QUEUE_NAME,
  JOB_STATES,
  type JobDetail,
  type JobStateName,
  type JobSummary,
  listJobs,
  openJobsQueue,
  removeJob,
  retryFailedJobs,
  retryJob,
  showJob,
} from "./jobs.js";

const FAILED_RETAIN_SECONDS = 14 * 24 * 3600;

/** Options of {@link bullmqQueue}. */
export interface BullmqQueueOptions {
  /** Where Redis is: ioredis options (`{ host, port }`, `{ url }`) or a client. Run Redis with AOF and `maxmemory-policy noeviction`. */
  connection: ConnectionOptions;
  /** The BullMQ queue name; default `"tradehook"`. Workers and `tradehook jobs --queue` use the same. */
  name?: string;
  /** Retries of a failing handler: `attempts` in all (default 10), the first retry after `backoff` ms (default 1000), doubling. */
  jobs?: { attempts?: number; backoff?: number };
  /** How long an enqueue may take before the delivery is answered 503 QUEUE_UNAVAILABLE; default 2000 ms. */
  enqueueTimeoutMs?: number;
}

/** A {@link DeliveryQueue} on BullMQ, made by {@link bullmqQueue}. */
export interface BullmqDeliveryQueue extends DeliveryQueue {
  readonly name: string;
  /** The BullMQ `Queue` the events are added to. */
  readonly queue: Queue;
  /** The connection workers use unless `startWorker` is given another. */
  readonly connection: ConnectionOptions;
  /** The retry settings every job gets. */
  readonly jobs: { attempts: number; backoff: number };
  /** Closes the queue's Redis connection. */
  close(): Promise<void>;
}

function positiveInteger(where: string, value: unknown, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) throw new TypeError(`${where} must be an integer >= ${min}, got ${String(value)}`);
  return value;
}

/** Option objects get fail-fast settings: while Redis is unreachable an enqueue fails at once (503) instead of waiting in ioredis' offline queue. */
function failFast(connection: ConnectionOptions): ConnectionOptions {
  const isClient = typeof (connection as { duplicate?: unknown }).duplicate === "function";
  return isClient ? connection : { enableOfflineQueue: false, ...connection };
}

/**
 * A durable queue for `createReceiver({ queue })`: each verified, claimed event is added to
 * BullMQ with the hashed delivery key as job id and answered 202 `queued`; if Redis cannot
 * take it, 503 QUEUE_UNAVAILABLE and nothing is acknowledged. `startWorker` runs the handlers.
 *
 * @example
 * ```ts
 * import { createReceiver, apindicators } from "tradehook";
 * import { bullmqQueue } from "tradehook/bullmq";
 *
 * const queue = bullmqQueue({ connection: { host: "127.0.0.1", port: 6379 }, name: "signals" });
 * const receiver = createReceiver({ provider: apindicators({ secret }), queue });
 * ```
 */
export function bullmqQueue(options: BullmqQueueOptions): BullmqDeliveryQueue {
  if (typeof options !== "object" || options === null || typeof options.connection !== "object" || options.connection === null) {
    throw new TypeError("bullmqQueue: options.connection is required, e.g. { host: \"127.0.0.1\", port: 6379 }");
  }
  const name = options.name ?? DEFAULT_QUEUE_NAME;
  if (typeof name !== "string" || name === "" || name.includes(":")) throw new TypeError("bullmqQueue: name must be a non-empty string without ':'");
  const jobs = {
    attempts: positiveInteger("bullmqQueue: jobs.attempts", options.jobs?.attempts, 10),
    backoff: positiveInteger("bullmqQueue: jobs.backoff", options.jobs?.backoff, 1000, 0),
  };
  const timeoutMs = positiveInteger("bullmqQueue: enqueueTimeoutMs", options.enqueueTimeoutMs, 2000);
  const connection = options.connection;
  const queue = new Queue<QueuedEvent>(name, { connection: failFast(connection) });
  // Errors also reach each enqueue as a rejection: the listener only keeps them from crashing the process.
  queue.on("error", () => {});

  return {
    name,
    queue,
    connection,
    jobs,
    // The receiver bounds each enqueue by this (one timer, not one here and one there).
    timeoutMs,
    async enqueue(event, { jobId, retainMs }) {
      await queue.add(event.type, event, {
        jobId,
        attempts: jobs.attempts,
        backoff: { type: "exponential", delay: jobs.backoff },
        removeOnComplete: retainMs > 0 ? { age: Math.ceil(retainMs / 1000) } : true,
        removeOnFail: { age: FAILED_RETAIN_SECONDS },
      });
    },
    close: () => queue.close(),
  };
}

/** Options of {@link startWorker}. */
export interface StartWorkerOptions {
  /** Jobs run at once by this worker; default 1 (events then start in arrival order). */
  concurrency?: number;
  /** Redis for this worker; default the queue's connection. */
  connection?: ConnectionOptions;
  /** How long `close()` lets running handlers finish before aborting their `signal`; default 30 000 ms. */
  closeTimeoutMs?: number;
  /** How long a job's lock lasts (renewed while it runs): a killed worker's job runs again about this long after; default 30 000 ms. */
  lockMs?: number;
}

/** A running worker, made by {@link startWorker}. */
export interface TradehookWorker {
  /** The BullMQ `Worker`. */
  readonly worker: Worker;
  /** Resolves once the worker is connected and taking jobs. */
  ready(): Promise<void>;
  /** Stops taking jobs, lets running handlers finish up to `closeTimeoutMs`, then aborts them and closes. */
  close(): Promise<void>;
}

function hooksOf(receiver: unknown): WorkerHooks & { queue: BullmqDeliveryQueue } {
  const hooks = (receiver as Record<symbol, WorkerHooks | undefined> | null)?.[WORKER_HOOKS];
  if (!hooks) throw new TypeError("startWorker: the first argument must be a receiver from createReceiver()");
  const queue = hooks.queue as Partial<BullmqDeliveryQueue> | undefined;
  // Duck-typed, not instanceof: a second copy of bullmq (or of tradehook) must still fit.
  if (!queue || typeof queue.queue?.add !== "function" || typeof queue.name !== "string" || !queue.connection || !queue.jobs) {
    throw new TypeError("startWorker: the receiver has no BullMQ queue; create it with createReceiver({ ..., queue: bullmqQueue({ connection }) })");
  }
  return hooks as WorkerHooks & { queue: BullmqDeliveryQueue };
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref?.());

/**
 * Runs the receiver's handlers for the events its queue holds: the event is rebuilt and its
 * data validated again (a job that no longer validates fails at once, without retries), each
 * handler gets `context.attempt` (from 1) and `context.signal`. A throw fails the attempt; it
 * is retried with exponential backoff, and after the last one the job stays in BullMQ's failed
 * set and the receiver's `onError` listeners get the `HandlerError`.
 *
 * @example
 * ```ts
 * import { startWorker } from "tradehook/bullmq";
 * import { receiver } from "./receiver.js"; // createReceiver({ ..., queue: bullmqQueue(...) }) and its handlers
 *
 * const worker = startWorker(receiver, { concurrency: 1 });
 * process.on("SIGTERM", async () => {
 *   await worker.close();
 *   process.exit(0);
 * });
 * ```
 */
export function startWorker(receiver: Pick<Receiver, "handle">, options: StartWorkerOptions = {}): TradehookWorker {
  const hooks = hooksOf(receiver);
  const queue = hooks.queue;
  const concurrency = positiveInteger("startWorker: concurrency", options.concurrency, 1);
  const closeTimeoutMs = positiveInteger("startWorker: closeTimeoutMs", options.closeTimeoutMs, 30_000, 0);
  const lockMs = positiveInteger("startWorker: lockMs", options.lockMs, 30_000, 100);

  // Errors of last attempts, told to onError once BullMQ has moved the job to the failed set.
  const finalErrors = new Map<string, WebhookError>();
  const fail = (error: WebhookError, job: Job, last: boolean) => {
    const details = { code: error.code, type: job.data?.type, id: job.data?.id, job: job.id, cause: error.cause };
    hooks.log(last ? "error" : "warn", last ? `job failed for good: ${error.code}` : `job attempt failed: ${error.code}`, details);
    if (last && job.id) finalErrors.set(job.id, error);
  };

  // Three parameters: BullMQ then passes the signal it aborts on cancelJob().
  const processor = async (job: Job<QueuedEvent>, _token: string | undefined, signal?: AbortSignal): Promise<void> => {
    const attempt = job.attemptsMade + 1;
    let event;
    try {
      event = await hooks.rebuild(job.data);
    } catch (error) {
      const invalid = isWebhookError(error) ? error : new PayloadError("INVALID_PAYLOAD", "the job's data could not be validated");
      fail(invalid, job, true);
      const issues = (invalid as PayloadError).issues;
      throw new UnrecoverableError(issues ? `${invalid.message} ${JSON.stringify(issues)}` : invalid.message);
    }
    try {
      const ran = await hooks.run(event, attempt, signal ?? new AbortController().signal);
      if (!ran) hooks.log("debug", "job ignored: no handler for this event type", { type: event.type, id: event.id });
    } catch (error) {
      const failure = isWebhookError(error) ? error : new PayloadError("INVALID_PAYLOAD", "the handler failed");
      fail(failure, job, attempt >= (job.opts.attempts ?? 1));
      // BullMQ keeps this message as the job's failedReason, for `tradehook jobs`.
      const cause = failure.cause;
      throw cause instanceof Error ? cause : new Error(String(cause ?? failure.message));
    }
  };

  const worker = new Worker<QueuedEvent>(queue.name, processor, {
    connection: options.connection ?? queue.connection,
    concurrency,
    lockDuration: lockMs,
    stalledInterval: lockMs,
    // A worker killed mid-job is not the job's fault: let it run again, as often as it may fail.
    maxStalledCount: queue.jobs.attempts,
  });
  worker.on("error", (error) => hooks.log("warn", "BullMQ worker error", { error }));
  worker.on("failed", (job) => {
    const error = job?.id ? finalErrors.get(job.id) : undefined;
    if (!error || !job?.id) return;
    finalErrors.delete(job.id);
    hooks.notify(error, QUEUED_DELIVERY);
  });
  // A lost lock means another worker may run the job: tell the handler through its signal.
  worker.on("lockRenewalFailed", (jobIds: string[]) => {
    for (const id of jobIds) worker.cancelJob(id, "the job's lock was lost; another worker may run it");
  });

  let closing: Promise<void> | undefined;
  return {
    worker,
    ready: () => worker.waitUntilReady().then(() => undefined),
    close() {
      closing ??= (async () => {
        let drained = false;
        const draining = worker.pause(false).then(
          () => void (drained = true),
          () => void (drained = true),
        );
        await Promise.race([draining, wait(closeTimeoutMs)]);
        if (!drained) {
          worker.cancelAllJobs("the worker is closing");
          await Promise.race([draining, wait(1000)]);
        }
        await worker.close(!drained);
      })();
      return closing;
    },
  };
}
