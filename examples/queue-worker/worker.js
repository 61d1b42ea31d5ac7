// The worker process: runs the handlers for queued events, with retries; run as many as you need.
import { startWorker } from "tradehook/bullmq";
import { queue, receiver, redis } from "./receiver.js";

const worker = startWorker(receiver, { concurrency: 1 });
await worker.ready();
console.log(`worker ready on queue ${queue.name}`);

process.on("SIGTERM", async () => {
  await worker.close(); // running orders finish (up to 30 s), then the process exits
  await queue.close();
  redis.disconnect();
});
