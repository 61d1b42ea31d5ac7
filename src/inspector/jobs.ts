/** @module The inspector's Jobs view, server side: counts per state and the failed jobs of a BullMQ queue, with retry; every Redis call bounded in time, BullMQ loaded only when used. */
import type { Queue } from "bullmq";
import { countJobs, listJobs, openJobsQueue, retryFailedJobs, retryJob } from "../queues/jobs.js";
import { shownRedisUrl } from "../cli/format.js";
import type { Redactor } from "./present.js";

/** Where the Jobs view reads: `tradehook listen --queue <redis url> [--queue-name <name>]`. */
export interface JobsSource {
  /** redis:// or rediss:// URL of the queue's Redis. */
  url: string;
  /** The queue name (bullmqQueue's `name`). */
  name: string;
}

/** At most this many failed jobs are listed (newest first); the count says how many there are. */
export const FAILED_LISTED = 100;
/** Every read of the Jobs view gives up after this long. */
export const JOBS_READ_TIMEOUT_MS = 3000;
/** Retrying every failed job gives up after this long (what was retried stays retried). */
export const JOBS_RETRY_ALL_TIMEOUT_MS = 15_000;

/** An answer for the page: an HTTP status and a JSON value. */
export interface JobsAnswer {
  status: number;
  body: unknown;
}


class Timeout extends Error {}

async function bounded<T>(what: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([what, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Timeout()), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** The Jobs view's reads and actions on one queue; the connection is opened on first use and again after a failure. */
export class JobsView {
  readonly #source: JobsSource;
  readonly #redact: Redactor;
  #queue: Promise<Queue> | undefined;
  #raw: Queue | undefined;
  #reading: Promise<JobsAnswer> | undefined;
  #closed = false;

  constructor(source: JobsSource, redact: Redactor) {
    this.#source = source;
    this.#redact = redact;
  }

  /** What the page's config says about the view. */
  get config(): { queue: string; redis: string; listed: number } {
    return { queue: this.#source.name, redis: shownRedisUrl(this.#source.url), listed: FAILED_LISTED };
  }

  #open(): Promise<Queue> {
    this.#queue ??= openJobsQueue(this.#source.url, this.#source.name).then(async (queue) => {
      this.#raw = queue;
      // Errors surface through the bounded calls; an unhandled 'error' event would end the listener.
      queue.on("error", () => {});
      await queue.waitUntilReady();
      return queue;
    });
    return this.#queue;
  }

  /** Drops the connection after an error (refused, closed), so the next request connects again: Redis may be back. */
  #reset(opened: Promise<Queue>): void {
    if (this.#queue !== opened) return;
    const raw = this.#raw;
    this.#raw = undefined;
    this.#queue = undefined;
    raw?.disconnect().catch(() => {});
  }

  /**
   * Runs `work` on the queue, answering within `ms`. A timeout keeps the connection and lets the
   * work finish in the background (a hung Redis answers once it wakes); opening a new connection
   * each poll instead would pile up sockets a hung server never closes.
   */
  async #run<T>(ms: number, work: Promise<T> | ((queue: Queue) => Promise<T>)): Promise<T | JobsAnswer> {
    if (this.#closed) return { status: 503, body: { ok: false, error: { message: "the listener is stopping" } } };
    const where = shownRedisUrl(this.#source.url);
    try {
      return await bounded(typeof work === "function" ? this.#attempt(work) : work, ms);
    } catch (error) {
      const message =
        error instanceof Timeout
          ? `Redis at ${where} did not answer within ${ms / 1000} s`
          : /bullmq package is not installed/.test(String((error as Error)?.message))
            ? "the bullmq package is not installed in this project: npm install bullmq ioredis"
            : `cannot reach Redis at ${where}`;
      return { status: 503, body: { ok: false, error: { message } } };
    }
  }

  #attempt<T>(work: (queue: Queue) => Promise<T>): Promise<T> {
    const opened = this.#open();
    const attempt = opened.then(work);
    attempt.catch(() => this.#reset(opened));
    return attempt;
  }

  async #read(): Promise<JobsAnswer> {
    const [counts, failed] = await this.#attempt((queue) => Promise.all([countJobs(queue), listJobs(queue, { state: "failed", limit: FAILED_LISTED })]));
    const rows = failed.map((job) => ({
      id: job.id,
      eventId: job.eventId,
      type: job.type,
      provider: job.provider,
      attemptsMade: job.attemptsMade,
      attempts: job.attempts,
      // A handler's own text: shown to this machine's operator only, any configured secret masked.
      failedReason: job.failedReason === undefined ? undefined : this.#redact.text(job.failedReason),
      createdAt: job.createdAt,
      processedAt: job.processedAt,
      finishedAt: job.finishedAt,
    }));
    return { status: 200, body: { ok: true, queue: this.#source.name, counts, failed: rows, listed: FAILED_LISTED, at: new Date().toISOString() } };
  }

  /** Counts per state and the newest failed jobs. Requests share one read until it settles, however long Redis takes. */
  snapshot(): Promise<JobsAnswer> {
    if (!this.#reading) {
      const reading = this.#read();
      this.#reading = reading;
      reading.then(
        () => (this.#reading = undefined),
        () => (this.#reading = undefined),
      );
    }
    return this.#run(JOBS_READ_TIMEOUT_MS, this.#reading);
  }

  /** Moves one failed job back to waiting. */
  async retry(id: string): Promise<JobsAnswer> {
    const result = await this.#run(JOBS_READ_TIMEOUT_MS, (queue) => retryJob(queue, id));
    if (typeof result !== "string") return result;
    if (result === "not_found") return { status: 404, body: { ok: false, error: { message: `no job ${JSON.stringify(id)} in queue ${JSON.stringify(this.#source.name)}` } } };
    if (result === "not_failed") return { status: 409, body: { ok: false, error: { message: `job ${JSON.stringify(id)} has not failed (any more); only failed jobs are retried` } } };
    return { status: 200, body: { ok: true, retried: id } };
  }

  /** Moves every failed job back to waiting. */
  async retryAll(): Promise<JobsAnswer> {
    const result = await this.#run(JOBS_RETRY_ALL_TIMEOUT_MS, (queue) => retryFailedJobs(queue));
    if (typeof result !== "number") return result;
    return { status: 200, body: { ok: true, retried: result } };
  }

  /** Closes the connection. */
  async close(): Promise<void> {
    this.#closed = true;
    const raw = this.#raw;
    this.#raw = undefined;
    this.#queue = undefined;
    // Bounded: a hung Redis must not keep the listener from stopping.
    if (raw) await bounded(raw.close(), JOBS_READ_TIMEOUT_MS).catch(() => raw.disconnect().catch(() => {}));
  }
}
