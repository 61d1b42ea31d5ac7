// One worker process of the queue fault tests: startWorker over the built package. Each signal.buy
// handler waits HANDLER_MS, then appends the event id to the list RECORDS in RECORD_URL (shared Redis).
// Env: SECRET, QUEUE_URL, QUEUE, RECORD_URL, RECORDS, HANDLER_MS, LOCK_MS. Sends { ready: true } over IPC.
import { Redis } from "ioredis";
import { apindicators, createReceiver } from "../../dist/index.js";
import { bullmqQueue, startWorker } from "../../dist/bullmq.js";

const { SECRET, QUEUE_URL, QUEUE, RECORD_URL, RECORDS } = process.env;
const handlerMs = Number(process.env.HANDLER_MS ?? 0);
const records = new Redis(RECORD_URL, { maxRetriesPerRequest: null });
const queue = bullmqQueue({ connection: { url: QUEUE_URL }, name: QUEUE, jobs: { attempts: 20, backoff: 100 } });
const receiver = createReceiver({ provider: apindicators({ secret: SECRET }), queue, logger: {} });
receiver.on("signal.buy", async (event) => {
  if (handlerMs) await new Promise((resolve) => setTimeout(resolve, handlerMs));
  await records.rpush(RECORDS, event.id);
});
const worker = startWorker(receiver, { concurrency: 1, lockMs: Number(process.env.LOCK_MS ?? 4000), closeTimeoutMs: 2000 });
await worker.ready();
process.send?.({ ready: true });
process.on("SIGTERM", () => {
  worker.close().finally(() => process.exit(0));
});
