/**
 * @module The durable hand-off under faults, with real Redis and real processes: workers SIGKILLed
 * mid-run, Redis SIGKILLed and restarted (a private redis-server with AOF), and several web
 * processes and workers racing on one queue. Counts only, never times.
 */
import { type ChildProcess, fork, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { apindicators } from "../src/index.js";
import { signDelivery } from "../src/testing/index.js";
import { freePort } from "./helpers.js";
import { REDIS_URL, serviceAvailable } from "./services.js";

const redisUp = await serviceAvailable("redis");
const runId = randomBytes(4).toString("hex");
const SECRET = "queue-faults-secret";
const WEB = fileURLToPath(new URL("./queue/web.mjs", import.meta.url));
const WORKER = fileURLToPath(new URL("./queue/worker.mjs", import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const children = new Set<ChildProcess>();
const records = redisUp ? new Redis(REDIS_URL, { maxRetriesPerRequest: 3 }) : undefined!;

function start(script: string, env: Record<string, string>): Promise<{ child: ChildProcess; port?: number }> {
  const child = fork(script, [], { env: { ...process.env, SECRET, ...env }, stdio: ["ignore", "inherit", "inherit", "ipc"] });
  children.add(child);
  child.once("exit", () => children.delete(child));
  return new Promise((resolve, reject) => {
    child.once("message", (message: { port?: number }) => resolve({ child, port: message.port }));
    child.once("exit", (code, signal) => reject(new Error(`${script} exited (${code ?? signal}) before it was ready`)));
  });
}

function kill(child: ChildProcess, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill(signal);
  });
}

async function stopAll() {
  await Promise.all([...children].map((child) => kill(child, "SIGKILL")));
}

/** Signed deliveries, one body each, with their event ids (the body's SHA-256). */
function deliveries(count: number, tag: string) {
  const provider = apindicators({ secret: SECRET });
  return Array.from({ length: count }, (_, i) => {
    const payload = { event: "signal.buy", timestamp: new Date().toISOString(), data: { pair: `${tag}-${i}`, side: "buy", score: 0.5, market_type: "trending", interval: "1h" } };
    return signDelivery(provider, payload);
  });
}

interface Answer {
  status: number;
  code?: string;
  startedAt: number;
  endedAt: number;
}

/** A sender as real ones behave: every non-2xx (and every network error) is retried with backoff until a 2xx. */
async function sendUntilAcknowledged(url: string | (() => string), delivery: { body: string; headers: Record<string, string> }, log: Answer[], deadline: number) {
  for (let attempt = 0; Date.now() < deadline; attempt++) {
    const startedAt = Date.now();
    try {
      const response = await fetch(typeof url === "string" ? url : url(), { method: "POST", body: delivery.body, headers: delivery.headers, signal: AbortSignal.timeout(10_000) });
      const json = (await response.json()) as { outcome?: string; id?: string; error?: { code: string } };
      log.push({ status: response.status, code: json.error?.code ?? json.outcome, startedAt, endedAt: Date.now() });
      if (response.status >= 200 && response.status < 300) return json.id!;
    } catch {
      log.push({ status: 0, startedAt, endedAt: Date.now() });
    }
    await sleep(Math.min(1000, 25 * 2 ** attempt) * (0.5 + Math.random()));
  }
  throw new Error("a delivery was never acknowledged before the deadline");
}

/** Runs `jobs` at most `limit` at a time. */
async function pool<T>(limit: number, jobs: (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < jobs.length) {
        const at = next++;
        results[at] = await jobs[at]!();
      }
    }),
  );
  return results;
}

/** Waits until `done()` holds, polling; gives up at the deadline and returns false. */
async function until(done: () => Promise<boolean>, deadline: number): Promise<boolean> {
  while (Date.now() < deadline) {
    if (await done()) return true;
    await sleep(200);
  }
  return done();
}

async function runsPerId(list: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const id of await records.lrange(list, 0, -1)) counts.set(id, (counts.get(id) ?? 0) + 1);
  return counts;
}

async function obliterate(url: string, name: string) {
  const { Queue } = await import("bullmq");
  const queue = new Queue(name, { connection: { url } });
  await queue.obliterate({ force: true }).catch(() => {});
  await queue.close();
}

describe.skipIf(!redisUp)("the durable hand-off under faults", () => {
  afterEach(stopAll);
  afterAll(async () => {
    await stopAll();
    records?.disconnect();
  });

  it("loses no acknowledged delivery while a random worker is SIGKILLed every 500 ms, and runs at most one twice per kill", async () => {
    const queue = `th-faults-${runId}-kill`;
    const list = `tradehook-test:${runId}:kill:done`;
    const env = { QUEUE_URL: REDIS_URL, QUEUE: queue, RECORD_URL: REDIS_URL, RECORDS: list, HANDLER_MS: "5", LOCK_MS: "4000" };
    const deadline = Date.now() + 150_000;
    try {
      const { port } = await start(WEB, env);
      const workers: ChildProcess[] = [];
      const spawnWorker = () => start(WORKER, env).then(({ child }) => void workers.push(child), () => {});
      await Promise.all([spawnWorker(), spawnWorker(), spawnWorker()]);

      const bodies = deliveries(1000, `kill-${runId}`);
      const log: Answer[] = [];
      let sending = true;
      const sent = pool(16, bodies.map((d) => () => sendUntilAcknowledged(`http://127.0.0.1:${port}/hook`, d, log, deadline))).finally(() => (sending = false));

      let kills = 0;
      const acknowledged = new Set<string>();
      const killer = (async () => {
        // Kill while deliveries arrive and until every acknowledged one has run (or the deadline).
        while (Date.now() < deadline) {
          await sleep(500);
          if (!sending && (await records.llen(list)) >= bodies.length) break;
          const live = workers.filter((w) => w.exitCode === null && w.signalCode === null);
          if (live.length === 0) continue;
          const victim = live[Math.floor(Math.random() * live.length)]!;
          workers.splice(workers.indexOf(victim), 1);
          await kill(victim);
          kills++;
          void spawnWorker();
        }
      })();
      for (const id of await sent) acknowledged.add(id);
      await killer;
      await until(async () => (await runsPerId(list)).size >= acknowledged.size, deadline);

      const runs = await runsPerId(list);
      const lost = [...acknowledged].filter((id) => !runs.has(id));
      const twice = [...runs.values()].filter((n) => n > 1).length;
      if (lost.length > 0) {
        const { Queue } = await import("bullmq");
        const q = new Queue(queue, { connection: { url: REDIS_URL } });
        const failed = await q.getFailed(0, 2);
        console.info(`[queue-faults] lost ${lost.length}; kills ${kills}; ${Math.round((deadline - Date.now()) / 1000)} s left; counts`, await q.getJobCounts(), failed.map((j) => j.failedReason));
        await q.close();
      }
      expect(acknowledged.size).toBe(1000);
      expect(kills).toBeGreaterThan(0);
      expect(lost).toEqual([]);
      expect(twice).toBeLessThanOrEqual(kills);
      console.info(`[queue-faults] 1000 deliveries, ${log.length} requests, ${kills} worker kills, ${twice} run twice, 0 lost`);
    } finally {
      await stopAll();
      await records.del(list);
      await obliterate(REDIS_URL, queue);
    }
  }, 210_000);

  it("acknowledges nothing while Redis is down (503), and loses no 202-acknowledged delivery across a SIGKILL and restart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tradehook-redis-"));
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    const startRedis = async () => {
      const redis = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes", "--appendfsync", "always", "--dir", dir], { stdio: "ignore" });
      children.add(redis);
      redis.once("exit", () => children.delete(redis));
      const probe = new Redis(url, { lazyConnect: true, retryStrategy: () => 100, maxRetriesPerRequest: 1 });
      probe.on("error", () => {});
      await until(async () => (await probe.ping().catch(() => "")) === "PONG", Date.now() + 20_000);
      probe.disconnect();
      return redis;
    };
    const queue = `th-faults-${runId}-redis`;
    const list = `tradehook-test:${runId}:redis:done`;
    const env = { QUEUE_URL: url, QUEUE: queue, RECORD_URL: REDIS_URL, RECORDS: list, HANDLER_MS: "0", LOCK_MS: "4000" };
    const deadline = Date.now() + 150_000;
    try {
      let redis = await startRedis();
      const { port: webPort } = await start(WEB, env);
      await start(WORKER, env);

      const bodies = deliveries(300, `redis-${runId}`);
      const log: Answer[] = [];
      const sent = pool(8, bodies.map((d) => () => sendUntilAcknowledged(`http://127.0.0.1:${webPort}/hook`, d, log, deadline)));

      await until(async () => log.filter((a) => a.status === 202).length >= 60, deadline);
      await kill(redis);
      const downFrom = Date.now();
      await until(async () => log.filter((a) => a.startedAt > downFrom).length >= 30, Date.now() + 15_000);
      const downUntil = Date.now();
      redis = await startRedis();

      const acknowledged = new Set(await sent);
      const whileDown = log.filter((a) => a.startedAt > downFrom && a.endedAt < downUntil);
      expect(whileDown.length).toBeGreaterThan(0);
      expect(whileDown.filter((a) => a.status >= 200 && a.status < 300)).toEqual([]);
      expect(whileDown.every((a) => a.status === 503 && a.code === "QUEUE_UNAVAILABLE")).toBe(true);

      await until(async () => (await runsPerId(list)).size >= acknowledged.size, deadline);
      const runs = await runsPerId(list);
      expect(acknowledged.size).toBe(300);
      expect([...acknowledged].filter((id) => !runs.has(id))).toEqual([]);
      console.info(`[queue-faults] Redis down: ${whileDown.length} answers while down, all 503; 300 acknowledged, 0 lost`);
    } finally {
      await stopAll();
      await records.del(list);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 210_000);

  it("runs each handler exactly once with two web processes and two workers, 50 concurrent copies of each of 100 deliveries", async () => {
    const queue = `th-faults-${runId}-race`;
    const list = `tradehook-test:${runId}:race:done`;
    const env = { QUEUE_URL: REDIS_URL, QUEUE: queue, STORE_URL: REDIS_URL, PREFIX: `tradehook-test:${runId}:race:`, RECORD_URL: REDIS_URL, RECORDS: list, HANDLER_MS: "20", LOCK_MS: "10000" };
    const deadline = Date.now() + 150_000;
    try {
      const webs = await Promise.all([start(WEB, env), start(WEB, env)]);
      await Promise.all([start(WORKER, env), start(WORKER, env)]);
      const bodies = deliveries(100, `race-${runId}`);
      const log: Answer[] = [];
      const copies = bodies.flatMap((d) => Array.from({ length: 50 }, (_, copy) => () =>
        sendUntilAcknowledged(`http://127.0.0.1:${webs[copy % 2]!.port}/hook`, d, log, deadline)));
      const ids = new Set(await pool(100, copies));
      expect(ids.size).toBe(100);
      await until(async () => (await runsPerId(list)).size >= 100, deadline);
      await sleep(1000); // a second run, were there one, would show by now
      const runs = await runsPerId(list);
      expect([...ids].map((id) => runs.get(id) ?? 0)).toEqual(Array(100).fill(1));
      expect(log.filter((a) => a.status === 202)).toHaveLength(100);
      console.info(`[queue-faults] 5000 copies over 2 web processes: 100 queued, ${log.filter((a) => a.code === "duplicate").length} duplicate, ${log.filter((a) => a.status === 409).length} in progress (retried); each handler ran once`);
    } finally {
      await stopAll();
      const keys = await records.keys(`tradehook-test:${runId}:race:*`);
      if (keys.length) await records.del(...keys);
      await obliterate(REDIS_URL, queue);
    }
  }, 210_000);
});
