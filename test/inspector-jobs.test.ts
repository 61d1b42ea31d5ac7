/**
 * @module The inspector's Jobs view without a browser: `tradehook listen --queue` (the built bin) reads a real BullMQ queue in Redis, retries failed jobs through the same guards as the other actions, and keeps serving deliveries when Redis is down, hung or back.
 */
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apindicators, createReceiver, MemoryStore } from "../src/index.js";
import { bullmqQueue, startWorker } from "../src/queues/bullmq.js";
import { signDelivery } from "../src/testing/index.js";
import { type PrivateServer, privateServerUnavailable, startPrivateRedis } from "./private-services.js";
import { readmeSection } from "./helpers.js";
import { closedPort, REDIS_URL, serviceAvailable } from "./services.js";
import { BIN, type Listener, raw, startListener } from "./inspector-listener.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SECRET = "inspector-jobs-secret";
const NAME = `th-insp-${randomBytes(4).toString("hex")}`;
const redisUp = await serviceAvailable("redis");

const running: Listener[] = [];
afterAll(async () => {
  await Promise.all(running.map((l) => l.stop()));
});

const listen = (args: string[]) => startListener(["--provider", "apindicators", ...args], SECRET, running);


const ACT = { "X-Tradehook-Inspector": "1" };
const api = async (origin: string, path: string, method = "GET") => {
  const response = await fetch(`${origin}/_tradehook/api/${path}`, method === "GET" ? {} : { method, headers: ACT });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
};

/** A signed delivery to the listener's own receiver: the rest of the inspector keeps working. */
async function deliver(origin: string): Promise<number> {
  const payload = { event: "signal.buy", timestamp: new Date().toISOString(), data: { pair: "BTCUSDT", side: "buy", score: 0.4, market_type: "trending", interval: "1h" } };
  const { body, headers } = signDelivery(apindicators({ secret: SECRET }), payload);
  const response = await fetch(`${origin}/webhook`, { method: "POST", headers, body });
  return response.status;
}

describe.skipIf(!redisUp)("the Jobs view over a real queue", () => {
  const queue = redisUp ? bullmqQueue({ connection: { url: REDIS_URL }, name: NAME, jobs: { attempts: 1 } }) : undefined!;
  const receiver = createReceiver({ provider: apindicators({ secret: SECRET }), store: new MemoryStore(), queue, logger: {} });
  let listener: Listener;

  beforeAll(async () => {
    receiver.on("signal.buy", (event) => {
      // The reason holds the listener's secret and markup: the view masks the one and returns the other as data.
      throw new Error(`exchange rejected ${(event.data as { pair: string }).pair} <img src=x onerror=alert(1)> key ${SECRET}`);
    });
    let failures = 0;
    const allFailed = new Promise<void>((resolve) => receiver.onError(() => ++failures === 2 && resolve()));
    const worker = startWorker(receiver);
    for (const pair of ["FAIL1", "FAIL2"]) {
      const payload = { event: "signal.buy", timestamp: new Date().toISOString(), data: { pair, side: "buy", score: 0.4, market_type: "trending", interval: "1h" } };
      const { body, headers } = signDelivery(apindicators({ secret: SECRET }), payload);
      expect((await receiver.handle({ body, headers, method: "POST" })).status).toBe(202);
    }
    await allFailed;
    await worker.close();
    listener = await listen(["--queue", REDIS_URL, "--queue-name", NAME]);
  });

  afterAll(async () => {
    if (!redisUp) return;
    await queue.queue.obliterate({ force: true }).catch(() => {});
    await queue.close();
  });

  it("announces the queue on start and in the page's config, without the Redis password", async () => {
    expect(listener.output()).toContain(`jobs of queue ${NAME} on ${REDIS_URL}`);
    expect(listener.output()).not.toContain("no inspector");
    const config = await api(listener.origin, "config");
    expect(config.body.jobs).toEqual({ queue: NAME, redis: new URL(REDIS_URL).toString(), listed: 100 });
  });

  it("lists counts per state and the failed jobs with reason, attempts, type and event id, never the payload, the secret masked", async () => {
    const { status, body } = await api(listener.origin, "jobs");
    expect(status).toBe(200);
    expect(body.counts).toEqual({ waiting: 0, active: 0, delayed: 0, prioritized: 0, completed: 0, failed: 2 });
    expect(body.failed).toHaveLength(2);
    const reasons = body.failed.map((j: { failedReason: string }) => j.failedReason).sort();
    expect(reasons[0]).toBe("exchange rejected FAIL1 <img src=x onerror=alert(1)> key ‹secret›");
    for (const job of body.failed) {
      expect(job).toMatchObject({ type: "signal.buy", provider: "apindicators", attemptsMade: 1, attempts: 1 });
      expect(job.eventId).toMatch(/\S/);
      expect(Object.keys(job)).not.toContain("data");
    }
    const text = JSON.stringify(body);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain("BTCUSDT");
    expect(text).not.toContain("market_type");
  });

  it("retries only with the inspector header, from its own page, addressed to a loopback host", async () => {
    const { body } = await api(listener.origin, "jobs");
    const id = encodeURIComponent(body.failed[0].id);
    const port = new URL(listener.origin).port;
    const attempts = [
      await raw(listener.origin, `/_tradehook/api/jobs/${id}/retry`, { method: "POST" }),
      await raw(listener.origin, `/_tradehook/api/jobs/retry-failed`, { method: "POST", headers: { ...ACT, Origin: "http://evil.example" } }),
      await raw(listener.origin, `/_tradehook/api/jobs`, { headers: { Host: `evil.example:${port}` } }),
    ];
    for (const attempt of attempts) expect(attempt.status).toBe(403);
    expect((await api(listener.origin, "jobs")).body.counts.failed).toBe(2);
    expect((await raw(listener.origin, `/_tradehook/api/jobs/${id}/retry`)).status).toBe(405);
  });

  it("retries one failed job (it waits for a worker again), refuses it twice, names an unknown id; then retries all the others", async () => {
    const before = (await api(listener.origin, "jobs")).body;
    const job = before.failed[0];
    const retried = await api(listener.origin, `jobs/${encodeURIComponent(job.id)}/retry`, "POST");
    expect(retried).toEqual({ status: 200, body: { ok: true, retried: job.id } });
    const after = (await api(listener.origin, "jobs")).body;
    expect(after.counts).toMatchObject({ waiting: 1, failed: 1 });
    expect(after.failed.map((j: { id: string }) => j.id)).not.toContain(job.id);
    const again = await api(listener.origin, `jobs/${encodeURIComponent(job.id)}/retry`, "POST");
    expect(again.status).toBe(409);
    expect(again.body.error.message).toContain("has not failed");
    const unknown = await api(listener.origin, "jobs/no-such-job/retry", "POST");
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toBe(`no job "no-such-job" in queue "${NAME}"`);
    const all = await api(listener.origin, "jobs/retry-failed", "POST");
    expect(all).toEqual({ status: 200, body: { ok: true, retried: 1 } });
    expect((await api(listener.origin, "jobs")).body.counts).toMatchObject({ waiting: 2, failed: 0 });
  });
});

describe.skipIf(!redisUp || REDIS_URL !== "redis://127.0.0.1:6379")("README", () => {
  it("the inspector section's listen --queue command starts a Jobs view as written (read only)", async () => {
    const line = /^tradehook listen (.*--queue .*)$/m.exec(readmeSection("inspector"))![1]!;
    const args = line.split(/\s+/);
    expect(args).toEqual(["--provider", "apindicators", "--queue", "redis://127.0.0.1:6379", "--queue-name", "signals"]);
    const listener = await listen(args.slice(2));
    expect(listener.output()).toContain("jobs of queue signals on redis://127.0.0.1:6379");
    const jobs = await api(listener.origin, "jobs");
    expect(jobs.status).toBe(200);
    expect(Object.keys(jobs.body.counts)).toEqual(["waiting", "active", "delayed", "prioritized", "completed", "failed"]);
  });
});

describe("without --queue, and with Redis unreachable, hung or back", () => {
  it("has no Jobs view without --queue, and says how to get one", async () => {
    const listener = await listen([]);
    expect((await api(listener.origin, "config")).body.jobs).toBeNull();
    const jobs = await api(listener.origin, "jobs");
    expect(jobs.status).toBe(404);
    expect(jobs.body.error.message).toContain("tradehook listen --queue <redis url>");
  });

  it("says --queue is ignored when the inspector is not served", async () => {
    const listener = await listen(["--no-inspector", "--queue", "redis://127.0.0.1:6379"]);
    expect(listener.output()).toContain("--queue is ignored: the Jobs view is part of the inspector, which is not served");
    expect(listener.output()).not.toContain("jobs of queue");
  });

  it("refuses a --queue that is not a Redis URL, and --queue-name alone", async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn(process.execPath, [BIN, "listen", "--provider", "apindicators", "--secret", SECRET, "--port", "0", ...args], { cwd: ROOT });
        let out = "";
        child.stderr.on("data", (c: Buffer) => (out += c.toString()));
        child.on("exit", (code) => resolve({ code, out }));
      });
    const name = await run(["--queue", "signals"]);
    expect(name.code).toBe(2);
    expect(name.out).toContain('--queue takes the Redis URL of the queue (redis://host:6379), got "signals"; name the queue with --queue-name');
    const alone = await run(["--queue-name", "signals"]);
    expect(alone.code).toBe(2);
    expect(alone.out).toContain("--queue-name needs --queue <redis url>");
  });

  it("says Redis cannot be reached (password hidden) while deliveries and the page go on", async () => {
    const port = await closedPort();
    const listener = await listen(["--queue", `redis://:hunter2-pass@127.0.0.1:${port}`]);
    for (const path of ["jobs", "jobs/retry-failed"]) {
      const answer = await api(listener.origin, path, path === "jobs" ? "GET" : "POST");
      expect(answer.status).toBe(503);
      expect(answer.body.error.message).toBe(`cannot reach Redis at redis://:***@127.0.0.1:${port}`);
    }
    expect(await deliver(listener.origin)).toBe(200);
    expect((await api(listener.origin, "config")).status).toBe(200);
    expect(listener.output()).not.toContain("hunter2-pass");
    expect(listener.output()).toContain("200 processed");
  });

  const noPrivate = privateServerUnavailable("redis");
  it.skipIf(noPrivate !== undefined)("bounds each read when Redis hangs, and reads again once it is back or restarted", async () => {
    const redis: PrivateServer = await startPrivateRedis();
    try {
      const listener = await listen(["--queue", redis.url]);
      expect((await api(listener.origin, "jobs")).status).toBe(200);
      redis.hang();
      for (let i = 0; i < 3; i++) {
        const hung = await api(listener.origin, "jobs");
        expect(hung.status).toBe(503);
        expect(hung.body.error.message).toBe(`Redis at ${redis.url} did not answer within 3 s`);
      }
      // Polls during the hang wait on the same connection rather than opening one each (a hung server closes none).
      const sockets = execFileSync("ss", ["-Htn", "state", "established", "dst", `127.0.0.1:${redis.port}`], { encoding: "utf8" }).trim().split("\n");
      expect(sockets).toHaveLength(1);
      expect(await deliver(listener.origin)).toBe(200);
      redis.resume();
      for (;;) {
        const answer = await api(listener.origin, "jobs");
        if (answer.status === 200) break;
        expect(answer.status).toBe(503);
      }
      await redis.kill();
      const down = await api(listener.origin, "jobs");
      expect(down.status).toBe(503);
      expect(down.body.error.message).toBe(`cannot reach Redis at ${redis.url}`);
    } finally {
      await redis.dispose();
    }
  });
});
