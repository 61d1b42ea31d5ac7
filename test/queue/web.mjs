// One web process of the queue fault tests: Express + expressWebhook + bullmqQueue, from the built package.
// Env: SECRET, QUEUE_URL (the queue's Redis), QUEUE (name), STORE_URL (shared RedisStore; else a MemoryStore), PREFIX.
// Sends { port } over IPC once it listens.
import express from "express";
import { Redis } from "ioredis";
import { apindicators, createReceiver, MemoryStore } from "../../dist/index.js";
import { bullmqQueue } from "../../dist/bullmq.js";
import { expressWebhook } from "../../dist/express.js";
import { RedisStore } from "../../dist/redis.js";

const { SECRET, QUEUE_URL, QUEUE, STORE_URL, PREFIX } = process.env;
let store = new MemoryStore();
if (STORE_URL) {
  const client = new Redis(STORE_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  client.on("error", () => {});
  await new Promise((resolve) => client.once("ready", resolve));
  store = RedisStore({ client, prefix: PREFIX });
}
const queue = bullmqQueue({ connection: { url: QUEUE_URL }, name: QUEUE, jobs: { attempts: 20, backoff: 100 }, enqueueTimeoutMs: 1500 });
await queue.queue.waitUntilReady();
const receiver = createReceiver({ provider: apindicators({ secret: SECRET }), store, queue, logger: {} });
const app = express();
app.post("/hook", expressWebhook(receiver));
const server = app.listen(0, "127.0.0.1", () => process.send?.({ port: server.address().port }));
server.keepAliveTimeout = 60_000;
process.on("SIGTERM", () => {
  server.close();
  queue.close().finally(() => process.exit(0));
});

