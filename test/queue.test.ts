/**
 * tradehook/bullmq over real Redis and a real Express app on loopback: 202 queued, duplicates,
 * worker retries and the dead letter, re-validation, an unreachable queue, and close().
 */
import { createHash, randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import express from "express";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { expressWebhook } from "../src/adapters/express.js";
import { apindicators, createReceiver, type HandlerContext, MemoryStore, tradingview, type WebhookError, type WebhookEvent } from "../src/index.js";
import { bullmqQueue, type BullmqDeliveryQueue, countJobs, listJobs, startWorker, type TradehookWorker } from "../src/queues/bullmq.js";
import { signDelivery } from "../src/testing/index.js";
import { closedPort, REDIS_URL, serviceAvailable } from "./services.js";

const redisUp = await serviceAvailable("redis");
const runId = randomBytes(4).toString("hex");
const SECRET = "queue-test-secret";
const connection = { url: REDIS_URL };
let seq = 0;

const buy = (pair = `Q${runId}${seq++}`) => ({
  event: "signal.buy",
  timestamp: new Date().toISOString(),
  data: { pair, side: "buy", score: 0.5, market_type: "trending", interval: "1h" },
});

interface Setup {
  queue: BullmqDeliveryQueue;
  receiver: ReturnType<typeof makeReceiver>;
  url: string;
  close: () => Promise<void>;
}

function makeReceiver(queue: BullmqDeliveryQueue, extra: { events?: Record<string, z.ZodType> } = {}) {
  return createReceiver({ provider: apindicators({ secret: SECRET }), store: new MemoryStore(), queue, logger: {}, ...extra });
}

async function setup(name: string, options: Parameters<typeof bullmqQueue>[0]["jobs"] = {}): Promise<Setup> {
  const queue = bullmqQueue({ connection, name: `th-test-${runId}-${name}`, jobs: options });
  const receiver = makeReceiver(queue);
  const app = express();
  app.post("/hook", expressWebhook(receiver));
  const server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return {
    queue,
    receiver,
    url,
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      await queue.queue.obliterate({ force: true }).catch(() => {});
      await queue.close();
    },
  };
}

async function post(url: string, payload: unknown) {
  const { body, headers } = signDelivery(apindicators({ secret: SECRET }), payload);
  const response = await fetch(url, { method: "POST", body, headers });
  return { status: response.status, json: (await response.json()) as Record<string, any>, body };
}

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe.skipIf(!redisUp)("tradehook/bullmq", () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const fn of cleanup.reverse()) await fn().catch(() => {});
  });

  it("answers 202 queued, stores the event under the hashed key without secrets, and a worker runs the typed handler", async () => {
    const s = await setup("basic");
    cleanup.push(s.close);
    const ran = deferred<{ event: WebhookEvent; context: HandlerContext }>();
    s.receiver.on("signal.buy", (event, context) => {
      ran.resolve({ event, context });
    });
    const payload = buy();
    const answer = await post(s.url, payload);
    expect(answer.status).toBe(202);
    expect(answer.json).toMatchObject({ ok: true, outcome: "queued" });
    const id = answer.json.id as string;
    expect(id).toBe(createHash("sha256").update(answer.body).digest("hex"));

    const jobId = createHash("sha256").update(`apindicators\n${id}`).digest("hex");
    const job = await s.queue.queue.getJob(jobId);
    expect(Object.keys(job!.data).sort()).toEqual(["data", "id", "payload", "provider", "receivedAt", "timestamp", "type"]);
    expect(job!.data).toMatchObject({ id, type: "signal.buy", provider: "apindicators", payload, data: payload.data, timestamp: payload.timestamp });
    const raw = JSON.stringify(job!.data) + JSON.stringify(job!.opts);
    expect(raw).not.toContain(SECRET);
    expect(raw).not.toMatch(/sha256=/);

    const worker = startWorker(s.receiver, { concurrency: 1, closeTimeoutMs: 1000 });
    cleanup.push(() => worker.close());
    const { event, context } = await ran.promise;
    expect(event).toMatchObject({ id, type: "signal.buy", provider: "apindicators", data: payload.data });
    expect(event.timestamp).toEqual(new Date(payload.timestamp));
    expect(event.receivedAt).toBeInstanceOf(Date);
    expect(context.attempt).toBe(1);
    expect(context.signal.aborted).toBe(false);
    await worker.close();
  });

  it("never stores the secret: a TradingView passphrase or URL token stays out of the job", async () => {
    const queue = bullmqQueue({ connection, name: `th-test-${runId}-tv` });
    cleanup.push(async () => {
      await queue.queue.obliterate({ force: true }).catch(() => {});
      await queue.close();
    });
    const token = "tv-passphrase-do-not-store";
    const receiver = createReceiver({ provider: tradingview({ token }), queue, logger: {} });
    const body = JSON.stringify({ passphrase: token, ticker: "BTCUSDT", action: "buy", n: seq++ });
    const inBody = await receiver.handle({ body, headers: { "content-type": "application/json" }, method: "POST" });
    const inUrl = await receiver.handle({ body: `BUY ETHUSDT ${seq++}`, headers: {}, method: "POST", url: `/tv?token=${token}` });
    expect([inBody.status, inUrl.status]).toEqual([202, 202]);
    const jobs = await queue.queue.getJobs(["waiting"]);
    expect(jobs).toHaveLength(2);
    for (const job of jobs) expect(JSON.stringify(job.data) + JSON.stringify(job.opts) + job.name).not.toContain(token);
    expect(jobs.map((job) => job.data.payload)).toEqual(expect.arrayContaining([{ ticker: "BTCUSDT", action: "buy", n: seq - 2 }, `BUY ETHUSDT ${seq - 1}`]));
  });

  it("enqueues a known event even when the web process has no handler; an unknown type is 200 ignored", async () => {
    const s = await setup("nohandler");
    cleanup.push(s.close);
    expect((await post(s.url, buy())).json).toMatchObject({ outcome: "queued" });
    const unknown = await post(s.url, { ...buy(), event: "signal.hold" });
    expect(unknown).toMatchObject({ status: 200, json: { ok: true, outcome: "ignored" } });
    expect((await countJobs(s.queue.queue)).waiting).toBe(1);
  });

  it("answers a second copy 200 duplicate and keeps one job", async () => {
    const s = await setup("dup");
    cleanup.push(s.close);
    s.receiver.on("signal.buy", () => {});
    const payload = buy();
    const answers = await Promise.all([post(s.url, payload), post(s.url, payload), post(s.url, payload)]);
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses.filter((x) => x === 202)).toHaveLength(1);
    const again = await post(s.url, payload);
    expect(again).toMatchObject({ status: 200, json: { ok: true, outcome: "duplicate" } });
    expect((await countJobs(s.queue.queue)).waiting).toBe(1);
  });

  it("retries a failing handler with attempt 1, 2, 3, then leaves the job in the failed set and tells onError once", async () => {
    const s = await setup("retry", { attempts: 3, backoff: 20 });
    cleanup.push(s.close);
    const attempts: number[] = [];
    const errors: WebhookError[] = [];
    const failedForGood = deferred();
    s.receiver.on("signal.buy", (_event, context) => {
      attempts.push(context.attempt);
      throw new Error(`exchange down (attempt ${context.attempt})`);
    });
    s.receiver.onError((error) => {
      errors.push(error);
      failedForGood.resolve();
    });
    const worker = startWorker(s.receiver, { closeTimeoutMs: 1000 });
    cleanup.push(() => worker.close());
    expect((await post(s.url, buy())).status).toBe(202);
    await failedForGood.promise;
    expect(attempts).toEqual([1, 2, 3]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ name: "HandlerError", code: "HANDLER_FAILED" });
    expect((errors[0]!.cause as Error).message).toBe("exchange down (attempt 3)");
    const [failed] = await listJobs(s.queue.queue, { state: "failed" });
    expect(failed).toMatchObject({ type: "signal.buy", attemptsMade: 3, attempts: 3, failedReason: "exchange down (attempt 3)" });
    const removeOnFail = (await s.queue.queue.getJob(failed!.id))!.opts.removeOnFail;
    expect(removeOnFail).toEqual({ age: 14 * 24 * 3600 });
    await worker.close();
  });

  it("fails a job whose data no longer validates at once, without retries, naming the schema's issues", async () => {
    const name = `th-test-${runId}-invalid`;
    const webQueue = bullmqQueue({ connection, name, jobs: { attempts: 5, backoff: 10 } });
    cleanup.push(async () => {
      await webQueue.queue.obliterate({ force: true }).catch(() => {});
      await webQueue.close();
    });
    const web = makeReceiver(webQueue);
    web.on("signal.buy", () => {});
    const { body, headers } = signDelivery(apindicators({ secret: SECRET }), buy());
    expect((await web.handle({ body, headers, method: "POST" })).status).toBe(202);

    // The worker's deployment tightened the schema since the event was queued.
    const strict = z.looseObject({ pair: z.string().min(40), side: z.literal("buy") });
    const workerReceiver = makeReceiver(webQueue, { events: { "signal.buy": strict } });
    let ran = 0;
    const errors: WebhookError[] = [];
    const told = deferred();
    workerReceiver.on("signal.buy", () => void ran++);
    workerReceiver.onError((error) => {
      errors.push(error);
      told.resolve();
    });
    const worker = startWorker(workerReceiver);
    cleanup.push(() => worker.close());
    await told.promise;
    expect(ran).toBe(0);
    expect(errors[0]).toMatchObject({ code: "INVALID_PAYLOAD", issues: [{ path: ["pair"] }] });
    const failed = await listJobs(webQueue.queue, { state: "failed" });
    expect(failed[0]).toMatchObject({ attemptsMade: 1 });
    expect(failed[0]!.failedReason).toMatch(/signal\.buy" payload is invalid: pair: .*"path":\["pair"\]/);
    await worker.close();
  });

  it("answers 503 QUEUE_UNAVAILABLE naming the queue when Redis cannot be reached, and releases the claim", async () => {
    const port = await closedPort();
    const queue = bullmqQueue({ connection: { host: "127.0.0.1", port, retryStrategy: () => 200 }, name: "orders-down", enqueueTimeoutMs: 300 });
    cleanup.push(() => queue.close());
    const store = new MemoryStore();
    const receiver = createReceiver({ provider: apindicators({ secret: SECRET }), store, queue, logger: {} });
    let ran = 0;
    receiver.on("signal.buy", () => void ran++);
    const { body, headers } = signDelivery(apindicators({ secret: SECRET }), buy());
    for (let i = 0; i < 2; i++) {
      // The second copy is 503 again, not 409 in_progress: the first one's claim was released.
      const result = await receiver.handle({ body, headers, method: "POST" });
      expect(result.status).toBe(503);
      const json = JSON.parse(result.body);
      expect(json.error.code).toBe("QUEUE_UNAVAILABLE");
      expect(json.error.message).toContain('"orders-down"');
      expect(result.outcome).toBe("failed");
    }
    expect(ran).toBe(0);
  });

  it("aborts context.signal when the worker loses the job's lock (another worker may run it)", async () => {
    const s = await setup("lock");
    cleanup.push(s.close);
    const started = deferred<string>();
    const aborted = deferred<string>();
    s.receiver.on("signal.buy", (event, context) => {
      started.resolve(event.id);
      return new Promise<void>((resolve) => {
        context.signal.addEventListener("abort", () => {
          aborted.resolve(String(context.signal.reason));
          resolve();
        });
      });
    });
    const worker = startWorker(s.receiver, { lockMs: 1000, closeTimeoutMs: 1000 });
    cleanup.push(() => worker.close());
    expect((await post(s.url, buy())).status).toBe(202);
    const id = await started.promise;
    const jobId = createHash("sha256").update(`apindicators\n${id}`).digest("hex");
    const redis = new Redis(REDIS_URL);
    try {
      // What a lock that lapsed (a stalled event loop, a network split) looks like to the worker.
      expect(await redis.del(`bull:${s.queue.name}:${jobId}:lock`)).toBe(1);
    } finally {
      redis.disconnect();
    }
    expect(await aborted.promise).toMatch(/lock was lost/);
    await worker.close();
  });

  it("close() lets a running handler finish; past closeTimeoutMs it aborts context.signal", async () => {
    const s = await setup("close", { attempts: 2, backoff: 10 });
    cleanup.push(s.close);
    const started = deferred();
    const release = deferred();
    let finished = false;
    s.receiver.on("signal.buy", async () => {
      started.resolve();
      await release.promise;
      finished = true;
    });
    const worker = startWorker(s.receiver, { closeTimeoutMs: 10_000 });
    expect((await post(s.url, buy())).status).toBe(202);
    await started.promise;
    const closed = worker.close();
    setTimeout(() => release.resolve(), 200);
    await closed;
    expect(finished).toBe(true);
    expect((await countJobs(s.queue.queue)).completed).toBe(1);

    const s2 = await setup("abort", { attempts: 2, backoff: 10 });
    cleanup.push(s2.close);
    const aborted = deferred<string>();
    const started2 = deferred();
    s2.receiver.on("signal.buy", (_event, context) => {
      started2.resolve();
      return new Promise<void>((_, reject) => {
        context.signal.addEventListener("abort", () => {
          aborted.resolve(String(context.signal.reason));
          reject(new Error("aborted"));
        });
      });
    });
    const worker2: TradehookWorker = startWorker(s2.receiver, { closeTimeoutMs: 100 });
    expect((await post(s2.url, buy())).status).toBe(202);
    await started2.promise;
    await worker2.close();
    expect(await aborted.promise).toMatch(/closing/);
  });
});

describe("the core without bullmq", () => {
  it("imports bullmq only from the tradehook/bullmq entry", () => {
    const dist = new URL("../dist/", import.meta.url);
    const importers = readdirSync(dist)
      .filter((file) => /\.(c?js)$/.test(file) && /from ["']bullmq["']|require\(["']bullmq["']\)/.test(readFileSync(new URL(file, dist), "utf8")))
      .sort();
    expect(importers).toEqual(["bullmq.cjs", "bullmq.js"]);
  });

  it("startWorker names what is missing: a receiver, or a BullMQ queue on it", () => {
    expect(() => startWorker({} as never)).toThrow(/first argument must be a receiver from createReceiver/);
    const inline = createReceiver({ provider: apindicators({ secret: SECRET }) });
    expect(() => startWorker(inline)).toThrow(/the receiver has no BullMQ queue; create it with createReceiver\(\{ \.\.\., queue: bullmqQueue/);
    expect(() => bullmqQueue({} as never)).toThrow(/options\.connection is required/);
    expect(() => bullmqQueue({ connection: {}, jobs: { attempts: 0 } })).toThrow(/jobs\.attempts must be an integer >= 1, got 0/);
  });

  it("refuses a queue option that is not a DeliveryQueue, naming the fix", () => {
    expect(() => createReceiver({ provider: apindicators({ secret: SECRET }), queue: {} as never })).toThrow(/queue must be a DeliveryQueue.*bullmqQueue/);
  });
});
