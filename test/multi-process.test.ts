/**
 * Four receiver processes (Express adapter) behind one shared store, Redis then PostgreSQL:
 * a delivery sent to all of them at once runs once, and a process killed inside its handler
 * hands the delivery over to the others once its lease runs out.
 */
import { fork, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apindicators } from "../src/index.js";
import { signDelivery } from "../src/testing/index.js";
import { PostgresStore } from "../src/stores/postgres.js";
import { DATABASE_URL, REDIS_URL, serviceAvailable } from "./services.js";

const redisUp = await serviceAvailable("redis");
const postgresUp = await serviceAvailable("postgres");

const SERVER = fileURLToPath(new URL("./multi-process/server.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const LEASE_MS = 1500;
const SECRET = "multi-process-secret";
const runId = randomBytes(4).toString("hex");

interface Backend {
  name: "redis" | "postgres";
  up: boolean;
  namespace: string;
  setup(): Promise<void>;
  count(name: "entered" | "done"): Promise<number>;
  teardown(): Promise<void>;
}

function redisBackend(): Backend {
  let client: Redis;
  const namespace = `tradehook-test:${runId}:mp:`;
  return {
    name: "redis",
    up: redisUp,
    namespace,
    async setup() {
      client = new Redis(REDIS_URL);
    },
    async count(name) {
      return Number((await client.get(`${namespace}count:${name}`)) ?? 0);
    },
    async teardown() {
      const keys = await client.keys(`${namespace}*`);
      if (keys.length > 0) await client.del(...keys);
      await client.quit();
    },
  };
}

function postgresBackend(): Backend {
  let pool: pg.Pool;
  const namespace = `tradehook_test_${runId}_mp`;
  return {
    name: "postgres",
    up: postgresUp,
    namespace,
    async setup() {
      pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
      await pool.query(`CREATE TABLE ${namespace}_counts (name text PRIMARY KEY, n int NOT NULL)`);
      await PostgresStore({ pool, table: namespace }).migrate();
    },
    async count(name) {
      const { rows } = await pool.query(`SELECT n FROM ${namespace}_counts WHERE name = $1`, [name]);
      return rows[0]?.n ?? 0;
    },
    async teardown() {
      await pool.query(`DROP TABLE IF EXISTS ${namespace}_counts`);
      await pool.query(`DROP TABLE IF EXISTS ${namespace}`);
      await pool.end();
    },
  };
}

interface Worker {
  child: ChildProcess;
  url: string;
}

function startWorker(backend: Backend): Promise<Worker> {
  const child = fork(SERVER, [], {
    cwd: ROOT,
    execArgv: ["--import", "tsx"],
    env: { ...process.env, STORE: backend.name, NAMESPACE: backend.namespace, LEASE_MS: String(LEASE_MS), SECRET, REDIS_URL, DATABASE_URL },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`worker exited with ${code} before listening`)));
    child.on("message", (message: { port?: number }) => {
      if (message.port) resolve({ child, url: `http://127.0.0.1:${message.port}` });
    });
  });
}

const provider = apindicators({ secret: SECRET });
function signal(pair: string) {
  return signDelivery(
    provider,
    { event: "signal.buy", timestamp: new Date().toISOString(), data: { pair, side: "buy", score: 0.9, market_type: "trending", interval: "1h" } },
    { timestamp: new Date() },
  );
}

async function post(worker: Worker, delivery: { body: string; headers: Record<string, string> }) {
  const response = await fetch(`${worker.url}/webhook`, { method: "POST", body: delivery.body, headers: delivery.headers });
  const body = (await response.json()) as { outcome?: string; error?: { code: string } };
  // "200 processed", "200 duplicate", "409 IN_PROGRESS", ...
  const label = `${response.status} ${body.outcome ?? body.error?.code}`;
  return { status: response.status, label, retryAfter: response.headers.get("retry-after") };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each([redisBackend(), postgresBackend()])("four processes sharing the $name store", (backend) => {
  let workers: Worker[] = [];
  beforeAll(async () => {
    if (!backend.up) return;
    await backend.setup();
    workers = await Promise.all(Array.from({ length: 4 }, () => startWorker(backend)));
  });
  afterAll(async () => {
    for (const { child } of workers) if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    if (backend.up) await backend.teardown();
  });

  it.skipIf(!backend.up)("runs the handler exactly once for 50 identical concurrent deliveries spread over them", async () => {
    const delivery = signal("ONCE");
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => post(workers[i % 4]!, delivery)));
    const outcomes = results.map((r) => r.label);
    expect(outcomes.filter((o) => o === "200 processed")).toHaveLength(1);
    expect(outcomes.every((o) => ["200 processed", "200 duplicate", "409 IN_PROGRESS"].includes(o))).toBe(true);
    expect(await backend.count("entered")).toBe(1);
    expect(await backend.count("done")).toBe(1);
    for (const worker of workers) expect((await post(worker, delivery)).label).toBe("200 duplicate");
  });

  it.skipIf(!backend.up)("hands a delivery over once the lease of a process killed inside its handler runs out", async () => {
    const before = { entered: await backend.count("entered"), done: await backend.count("done") };
    const delivery = signal("KILLED");
    const [victim, ...others] = workers as [Worker, ...Worker[]];
    await fetch(`${victim.url}/block`, { method: "POST" });
    const entered = new Promise((resolve) => victim.child.once("message", resolve));
    post(victim, delivery).catch(() => {}); // its connection dies with the process
    await entered;
    const exited = new Promise((resolve) => victim.child.once("exit", resolve));
    victim.child.kill("SIGKILL");
    await exited;

    for (const worker of others) {
      const answer = await post(worker, delivery);
      expect(answer.label).toBe("409 IN_PROGRESS");
      expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
    }

    // The sender's retries: 409 while the dead process's lease lasts, then processed once.
    let answer = await post(others[0]!, delivery);
    for (let tries = 0; answer.status === 409 && tries < 40; tries++) {
      await sleep(250);
      answer = await post(others[tries % others.length]!, delivery);
    }
    expect(answer.label).toBe("200 processed");
    expect(await backend.count("entered")).toBe(before.entered + 2);
    expect(await backend.count("done")).toBe(before.done + 1);
    for (const worker of others) expect((await post(worker, delivery)).label).toBe("200 duplicate");
  });
});
