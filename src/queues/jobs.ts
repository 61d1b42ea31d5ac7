/**
 * @module Reading and repairing a tradehook queue in BullMQ (counts, listings, retry, remove): shared by `tradehook jobs` and the inspector.
 */
import type { Job, Queue } from "bullmq";
import type { QueuedEvent } from "../types.js";

/** The queue name `bullmqQueue()`, `tradehook jobs` and the inspector use when none is given. */
export const DEFAULT_QUEUE_NAME = "tradehook";

/** The job states a listing can ask for, as BullMQ names them. */
export const JOB_STATES = ["waiting", "active", "delayed", "prioritized", "completed", "failed"] as const;

/** One of {@link JOB_STATES}. */
export type JobStateName = (typeof JOB_STATES)[number];

/** One job, as a listing shows it: never the payload. */
export interface JobSummary {
  /** The BullMQ job id: the hashed delivery key. */
  id: string;
  /** The event's id (the delivery's idempotency key). */
  eventId: string | undefined;
  type: string | undefined;
  provider: string | undefined;
  state: string;
  /** Attempts that failed so far, and how many are allowed. */
  attemptsMade: number;
  attempts: number;
  /** The last failure's message (a handler's own error text: for operators, never sent to a sender). */
  failedReason: string | undefined;
  createdAt: string;
  processedAt: string | undefined;
  finishedAt: string | undefined;
}

/** A job in full: its summary, the stored event and the last failure's stack. */
export interface JobDetail extends JobSummary {
  data: Partial<QueuedEvent>;
  stacktrace: string[];
}

const iso = (ms: number | undefined) => (ms ? new Date(ms).toISOString() : undefined);

function summarize(job: Job, state: string): JobSummary {
  const data = (job.data ?? {}) as Partial<QueuedEvent>;
  return {
    id: String(job.id),
    eventId: typeof data.id === "string" ? data.id : undefined,
    type: typeof data.type === "string" ? data.type : undefined,
    provider: typeof data.provider === "string" ? data.provider : undefined,
    state,
    attemptsMade: job.attemptsMade ?? 0,
    attempts: job.opts?.attempts ?? 1,
    failedReason: job.failedReason || undefined,
    createdAt: iso(job.timestamp) ?? "",
    processedAt: iso(job.processedOn),
    finishedAt: iso(job.finishedOn),
  };
}

/**
 * The number of jobs in each state.
 *
 * @example
 * ```ts
 * const counts = await countJobs(queue); // { waiting: 0, active: 1, ..., failed: 2 }
 * ```
 */
export async function countJobs(queue: Queue): Promise<Record<JobStateName, number>> {
  const counts = await queue.getJobCounts(...JOB_STATES);
  return Object.fromEntries(JOB_STATES.map((state) => [state, counts[state] ?? 0])) as Record<JobStateName, number>;
}

/**
 * The newest jobs of one state (or of every state), at most `limit` (default 50).
 *
 * @example
 * ```ts
 * for (const job of await listJobs(queue, { state: "failed" })) console.log(job.id, job.type, job.failedReason);
 * ```
 */
export async function listJobs(queue: Queue, options: { state?: JobStateName | undefined; limit?: number } = {}): Promise<JobSummary[]> {
  const limit = Math.max(1, options.limit ?? 50);
  const states = options.state ? [options.state] : [...JOB_STATES];
  const rows: JobSummary[] = [];
  for (const state of states) {
    const jobs = await queue.getJobs([state], 0, limit - 1, false);
    for (const job of jobs) if (job) rows.push(summarize(job, state));
  }
  rows.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  return rows.slice(0, limit);
}

/**
 * One job with its stored event, or `undefined` when there is none with that id.
 *
 * @example
 * ```ts
 * const job = await showJob(queue, id);
 * if (job) console.log(job.state, job.data.type, job.failedReason);
 * ```
 */
export async function showJob(queue: Queue, id: string): Promise<JobDetail | undefined> {
  const job = await queue.getJob(id);
  if (!job) return undefined;
  const state = await job.getState();
  return { ...summarize(job, state), data: (job.data ?? {}) as Partial<QueuedEvent>, stacktrace: job.stacktrace ?? [] };
}

/**
 * Moves one failed job back to waiting, with a fresh set of attempts.
 *
 * @example
 * ```ts
 * const result = await retryJob(queue, id); // "retried" | "not_found" | "not_failed"
 * ```
 */
export async function retryJob(queue: Queue, id: string): Promise<"retried" | "not_found" | "not_failed"> {
  const job = await queue.getJob(id);
  if (!job) return "not_found";
  if ((await job.getState()) !== "failed") return "not_failed";
  await job.retry("failed", { resetAttemptsMade: true, resetAttemptsStarted: true });
  return "retried";
}

/**
 * Moves every failed job back to waiting; resolves to how many there were.
 *
 * @example
 * ```ts
 * const retried = await retryFailedJobs(queue);
 * ```
 */
export async function retryFailedJobs(queue: Queue): Promise<number> {
  let retried = 0;
  for (;;) {
    // Each retry leaves the failed set, so the first page is always the next one.
    const jobs = (await queue.getFailed(0, 99)).filter(Boolean);
    if (jobs.length === 0) return retried;
    for (const job of jobs) {
      await job.retry("failed", { resetAttemptsMade: true, resetAttemptsStarted: true });
      retried += 1;
    }
  }
}

/**
 * Deletes one job (any state but active); resolves false when there is none with that id.
 *
 * @example
 * ```ts
 * await removeJob(queue, id);
 * ```
 */
export async function removeJob(queue: Queue, id: string): Promise<boolean> {
  const job = await queue.getJob(id);
  if (!job) return false;
  await job.remove();
  return true;
}

/**
 * Opens a tradehook queue by Redis URL for reading and repair; BullMQ is loaded only now, so
 * tools that never open a queue do not need it installed. Commands fail at once while Redis is
 * unreachable. `reconnect: false` (the default, for one-shot commands) gives up on the first
 * connection error; a long-lived view (the inspector) passes `reconnect: true`. Close it when done.
 *
 * @example
 * ```ts
 * const queue = await openJobsQueue("redis://127.0.0.1:6379", "signals");
 * console.log(await countJobs(queue));
 * await queue.close();
 * ```
 */
export async function openJobsQueue(redisUrl: string, name: string = DEFAULT_QUEUE_NAME, options: { reconnect?: boolean } = {}): Promise<Queue> {
  let bullmq: typeof import("bullmq");
  try {
    bullmq = await import("bullmq");
  } catch {
    throw new Error("the bullmq package is not installed: npm install bullmq ioredis");
  }
  const url = new URL(redisUrl);
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") throw new Error(`--redis must be a redis:// or rediss:// URL, got ${url.protocol}`);
  const connection = { url: redisUrl, enableOfflineQueue: false, maxRetriesPerRequest: 1, ...(options.reconnect ? {} : { retryStrategy: () => null }) };
  return new bullmq.Queue(name, { connection });
}
