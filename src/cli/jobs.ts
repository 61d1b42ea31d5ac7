/** @module `tradehook jobs`: the queue's jobs from the terminal (list, show, retry, remove), the dead letter first (DESIGN §9). */
import type { Queue } from "bullmq";
import { countJobs, DEFAULT_QUEUE_NAME, JOB_STATES, type JobStateName, listJobs, openJobsQueue, removeJob, retryFailedJobs, retryJob, showJob } from "../queues/jobs.js";
import { parseCommand, requireOption, stringOption, UsageError } from "./args.js";
import { type Io, shownRedisUrl, table } from "./format.js";

const HELP = `Usage: tradehook jobs --redis <url> [--queue <name>] <action>

The jobs of a tradehook queue (bullmqQueue) in Redis: what waits, what runs, what failed for good.

Actions:
  list [--state <state>] [--limit 50]   counts per state, then the newest jobs (state: ${JOB_STATES.join(", ")})
  show <id>                             one job: its state, attempts, last error and stored event
  retry <id> | retry --failed           move one failed job (or every one) back to waiting, attempts reset
  remove <id>                           delete a job

Options:
  --redis <url>     redis:// URL of the queue's Redis (or TRADEHOOK_REDIS_URL)
  --queue <name>    queue name (default ${DEFAULT_QUEUE_NAME})
  --json            print JSON instead of text

Examples:
  tradehook jobs --redis redis://127.0.0.1:6379 --queue signals list --state failed
  tradehook jobs --redis redis://127.0.0.1:6379 --queue signals retry --failed`;

const OPTIONS = {
  redis: { type: "string" },
  queue: { type: "string" },
  state: { type: "string" },
  limit: { type: "string" },
  failed: { type: "boolean" },
  json: { type: "boolean" },
} as const;


async function withTimeout<T>(what: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([what, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `tradehook jobs`; returns the exit code (1 when a job is not found or Redis cannot be reached). */
export async function runJobs(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand("jobs", argv, OPTIONS, true);
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  const redis = stringOption(values, "redis") ?? io.env.TRADEHOOK_REDIS_URL;
  if (!redis) requireOption("jobs", values, "redis", " <url> (or TRADEHOOK_REDIS_URL)");
  const name = stringOption(values, "queue") ?? DEFAULT_QUEUE_NAME;
  const [action, id, ...extra] = positionals;
  if (extra.length > 0) throw new UsageError(`jobs: unexpected argument ${JSON.stringify(extra[0])}`);
  const state = stringOption(values, "state");
  if (state !== undefined && !(JOB_STATES as readonly string[]).includes(state)) {
    throw new UsageError(`jobs: --state must be one of ${JOB_STATES.join(", ")}`);
  }
  const limit = Number(stringOption(values, "limit") ?? 50);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError("jobs: --limit must be a whole number >= 1");
  const needsId = action === "show" || action === "remove" || (action === "retry" && !values.failed);
  if (action === undefined) throw new UsageError("jobs: missing action: list, show <id>, retry <id> | --failed, remove <id>");
  if (!["list", "show", "retry", "remove"].includes(action)) throw new UsageError(`jobs: unknown action ${JSON.stringify(action)}; actions: list, show, retry, remove`);
  if (needsId && !id) throw new UsageError(`jobs: ${action} needs a job id${action === "retry" ? " (or --failed)" : ""}`);
  if (!needsId && id) throw new UsageError(`jobs: unexpected argument ${JSON.stringify(id)}`);

  let queue: Queue;
  try {
    queue = await openJobsQueue(redis!, name);
  } catch (error) {
    throw new UsageError(`jobs: ${(error as Error).message}`);
  }
  queue.on("error", () => {});
  try {
    const unreachable = `cannot reach Redis at ${shownRedisUrl(redis!)}`;
    await withTimeout(queue.waitUntilReady(), 5000, unreachable).catch(() => {
      throw new Error(unreachable);
    });
    return await withTimeout(act(queue, io, name, action, id, { state: state as JobStateName | undefined, limit, json: values.json === true }), 30_000, `Redis at ${shownRedisUrl(redis!)} did not answer`);
  } catch (error) {
    io.err(io.errStyle.red(`tradehook jobs: ${(error as Error).message}`));
    return 1;
  } finally {
    await queue.close().catch(() => {});
  }
}

async function act(queue: Queue, io: Io, name: string, action: string, id: string | undefined, o: { state: JobStateName | undefined; limit: number; json: boolean }): Promise<number> {
  const { style } = io;
  const notFound = () => {
    io.err(io.errStyle.red(`tradehook jobs: no job ${JSON.stringify(id)} in queue ${JSON.stringify(name)}`));
    return 1;
  };
  switch (action) {
    case "list": {
      const counts = await countJobs(queue);
      const jobs = await listJobs(queue, { state: o.state, limit: o.limit });
      if (o.json) {
        io.out(JSON.stringify({ queue: name, counts, jobs }, null, 2));
        return 0;
      }
      io.out(`${style.bold(`queue ${name}`)}: ${JOB_STATES.map((s) => `${s} ${counts[s]}`).join(", ")}`);
      if (jobs.length === 0) {
        io.out(style.dim(o.state ? `no ${o.state} jobs` : "no jobs"));
        return 0;
      }
      const rows = jobs.map((j) => [j.id, j.state, j.type ?? "?", `${j.attemptsMade}/${j.attempts}`, j.createdAt, j.failedReason ?? ""]);
      for (const line of table([["JOB", "STATE", "TYPE", "ATTEMPTS", "CREATED", "LAST ERROR"], ...rows])) io.out(line);
      return 0;
    }
    case "show": {
      const job = await showJob(queue, id!);
      if (!job) return notFound();
      if (o.json) {
        io.out(JSON.stringify(job, null, 2));
        return 0;
      }
      io.out(`${style.bold(`job ${job.id}`)} (${job.state})`);
      io.out(`event     ${job.type ?? "?"} ${job.eventId ?? ""} from ${job.provider ?? "?"}`);
      io.out(`attempts  ${job.attemptsMade} of ${job.attempts}`);
      io.out(`created   ${job.createdAt}${job.processedAt ? `, last started ${job.processedAt}` : ""}${job.finishedAt ? `, finished ${job.finishedAt}` : ""}`);
      if (job.failedReason) io.out(`error     ${style.red(job.failedReason)}`);
      io.out("data");
      io.out(JSON.stringify(job.data, null, 2));
      return 0;
    }
    case "retry": {
      if (!id) {
        const retried = await retryFailedJobs(queue);
        io.out(`retried ${retried} failed job${retried === 1 ? "" : "s"} in queue ${name}`);
        return 0;
      }
      const result = await retryJob(queue, id);
      if (result === "not_found") return notFound();
      if (result === "not_failed") {
        io.err(io.errStyle.red(`tradehook jobs: job ${JSON.stringify(id)} has not failed; only failed jobs are retried`));
        return 1;
      }
      io.out(`retried ${id}`);
      return 0;
    }
    default: {
      if (!(await removeJob(queue, id!))) return notFound();
      io.out(`removed ${id}`);
      return 0;
    }
  }
}
