/**
 * @module One process of the queue benchmark: `node --import tsx bench/queue-server.ts <kind>` with kind
 * `tradehook` (Express + expressWebhook + bullmqQueue), `hand-written` (Express, raw body, HMAC,
 * JSON.parse, queue.add) or `worker` (startWorker; reports when each handler started). Runs the built dist/.
 * Env: REDIS_URL, QUEUE. Sends { port } or { ready } over IPC; a worker answers "report" with its start times.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { AddressInfo } from "node:net";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { Queue } from "bullmq";
import express from "express";
// The built package, as users run it, typed by its sources so the typecheck does not need dist/ built first.
const dist = (file: string) => new URL(`../dist/${file}`, import.meta.url).href;
const { apindicators, createReceiver } = (await import(dist("index.js"))) as typeof import("../src/index.js");
const { bullmqQueue, startWorker } = (await import(dist("bullmq.js"))) as typeof import("../src/queues/bullmq.js");
const { expressWebhook } = (await import(dist("express.js"))) as typeof import("../src/adapters/express.js");
import { SECRET } from "./cases.js";

const kind = process.argv[2];
const connection = { url: process.env.REDIS_URL ?? "redis://127.0.0.1:6379" };
const name = process.env.QUEUE!;
const KEY = Buffer.from(SECRET);
const now = () => performance.timeOrigin + performance.now();
// How late this process's event loop ran (descheduled, GC, long tasks): reported with the timings.
const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();
const loopDelay = () => ({ p50: loop.percentile(50) / 1e6, p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 });

if (kind === "tradehook") {
  const queue = bullmqQueue({ connection, name });
  await queue.queue.waitUntilReady();
  // MemoryStore (the default): one web process, so the claim needs no round trip; the hand-written route has no store at all.
  const receiver = createReceiver({ provider: apindicators({ secret: SECRET }), queue, logger: {} });
  // When each 202 was ready (the adapter writes it at once), for the ack-to-start delay: on the web's clock, not a slow client's.
  const acked = new Map<string, number>();
  const handle = receiver.handle;
  const timed = { ...receiver, handle: async (delivery: Parameters<typeof handle>[0]) => {
    const result = await handle(delivery);
    if (result.status === 202 && process.env.RECORD_ACKS) acked.set(result.event!.id, now());
    return result;
  } };
  process.on("message", (message) => {
    if (message === "report") process.send!({ acked: [...acked], loop: loopDelay() });
  });
  const app = express();
  app.post("/webhook", expressWebhook(timed));
  const server = app.listen(0, "127.0.0.1", () => process.send!({ port: (server.address() as AddressInfo).port }));
} else if (kind === "hand-written") {
  const queue = new Queue(name, { connection: { ...connection, enableOfflineQueue: false } });
  await queue.waitUntilReady();
  const app = express();
  // What a careful hand-written route does: exact bytes, HMAC in constant time, JSON.parse, add with a stable job id.
  app.post("/webhook", express.raw({ type: "*/*", limit: "1mb" }), async (req, res) => {
    const body = req.body as Buffer;
    const header = String(req.headers["x-webhook-signature"] ?? "");
    const expected = Buffer.from(`sha256=${createHmac("sha256", KEY).update(body).digest("hex")}`);
    const given = Buffer.from(header);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      res.status(401).json({ ok: false });
      return;
    }
    const payload = JSON.parse(body.toString("utf8")) as { event: string; data: unknown };
    const id = createHash("sha256").update(body).digest("hex");
    try {
      await queue.add(payload.event, { id, type: payload.event, payload, data: payload.data }, { jobId: id, attempts: 10, backoff: { type: "exponential", delay: 1000 } });
      res.status(202).json({ ok: true, outcome: "queued", id });
    } catch {
      res.status(503).json({ ok: false });
    }
  });
  const server = app.listen(0, "127.0.0.1", () => process.send!({ port: (server.address() as AddressInfo).port }));
} else if (kind === "worker") {
  const queue = bullmqQueue({ connection, name });
  const receiver = createReceiver({ provider: apindicators({ secret: SECRET }), queue, logger: {} });
  const started = new Map<string, number>();
  receiver.on("signal.buy", (event) => {
    started.set(event.id, now());
  });
  const worker = startWorker(receiver, { concurrency: Number(process.env.CONCURRENCY ?? 1) });
  await worker.ready();
  loop.reset();
  process.on("message", (message) => {
    if (message === "report") process.send!({ started: [...started], loop: loopDelay() });
  });
  process.send!({ ready: true });
} else {
  throw new Error(`unknown kind ${kind}`);
}
