/**
 * @module The worker's side of a receiver with a queue: rebuild the typed event from a job and run the matching handlers.
 */
import { HandlerError, PayloadError, printable, type WebhookError } from "../errors.js";
import type { Delivery, DeliveryQueue, Handler, HandlerContext, Logger, QueuedEvent, WebhookEvent } from "../types.js";
import { validateData } from "./events.js";
import type { Settings } from "./options.js";
import { isThenable } from "./verify.js";

/** Where a receiver keeps what `startWorker` needs; `Symbol.for`, so two copies of the package agree. */
export const WORKER_HOOKS: unique symbol = Symbol.for("tradehook.receiver.worker") as never;

/** What a worker (e.g. `startWorker` in tradehook/bullmq) needs of a receiver. Internal. */
export interface WorkerHooks {
  queue: DeliveryQueue | undefined;
  retainMs: number;
  logger: Logger;
  /** Rebuilds the typed event; throws (or rejects with) a 400 `PayloadError` when the job's data no longer validates. */
  rebuild(job: unknown): WebhookEvent | Promise<WebhookEvent>;
  /** Runs the matching handlers in order; rejects with a `HandlerError` (the handler's error as `cause`). Resolves false when none matched. */
  run(event: WebhookEvent, attempt: number, signal: AbortSignal): Promise<boolean>;
  /** Tells the `onError` listeners. */
  notify(error: WebhookError, delivery: Delivery): void;
  log(level: keyof Logger, message: string, details?: Record<string, unknown>): void;
}

/** The delivery a worker's handlers and listeners see: a job stores the event, never the request. */
export const QUEUED_DELIVERY: Delivery = Object.freeze({ body: "", headers: Object.freeze({}), method: "POST" }) as Delivery;

const isoDate = (value: unknown): Date | undefined => {
  if (typeof value !== "string") return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
};

/** Builds the worker hooks of one receiver. */
export function createWorkerHooks(
  settings: Settings,
  handlersFor: (type: string) => Handler[],
  notify: WorkerHooks["notify"],
  log: WorkerHooks["log"],
): WorkerHooks {
  const { schemas, logger } = settings;
  const providerName = settings.provider.name;

  function rebuild(job: unknown): WebhookEvent | Promise<WebhookEvent> {
    const j = job as Partial<QueuedEvent> | null;
    const receivedAt = isoDate(j?.receivedAt);
    if (typeof j !== "object" || j === null || typeof j.id !== "string" || typeof j.type !== "string" || !receivedAt) {
      throw new PayloadError("INVALID_PAYLOAD", "the job's data is not a tradehook event ({ id, type, provider, timestamp, receivedAt, payload, data })");
    }
    if (j.provider !== providerName) {
      throw new PayloadError("INVALID_PAYLOAD", `the job holds a ${printable(String(j.provider))} event; this receiver's provider is ${providerName}`);
    }
    const schema = schemas.get(j.type);
    const build = (data: unknown): WebhookEvent => ({ id: j.id!, type: j.type!, timestamp: isoDate(j.timestamp), data, payload: j.payload, provider: providerName, receivedAt });
    return schema ? validateData(schema, j.type, j.data, [], build) : build(j.data);
  }

  async function run(event: WebhookEvent, attempt: number, signal: AbortSignal): Promise<boolean> {
    const matched = handlersFor(event.type);
    if (matched.length === 0) return false;
    const context: HandlerContext = { signal, logger, delivery: QUEUED_DELIVERY, attempt };
    try {
      for (const handler of matched) {
        const returned = handler(event, context);
        if (returned !== undefined && isThenable(returned)) await returned;
      }
    } catch (error) {
      throw new HandlerError(event.type, { cause: error });
    }
    return true;
  }

  return { queue: settings.queue, retainMs: settings.retainMs, logger, rebuild, run, notify, log };
}
