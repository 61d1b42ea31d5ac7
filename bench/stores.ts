/**
 * @module Benchmark: deliveries per second through `receiver.handle()` with each idempotency
 * store, and the latency each shared store adds over `MemoryStore` (p50/p99).
 *
 * Run: npx tsx bench/stores.ts [--count 5000] [--write]
 * Needs Redis at REDIS_URL (default redis://127.0.0.1:6379) and PostgreSQL at DATABASE_URL
 * (default postgres://postgres@127.0.0.1:5432/test); a store whose service is down is skipped.
 * --write also writes the result table to bench/STORES.md.
 */
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import os from "node:os";
import { Redis } from "ioredis";
import pg from "pg";
import { createClient } from "redis";
import { apindicators, createReceiver, MemoryStore, type IdempotencyStore } from "../src/index.js";
import { PostgresStore } from "../src/stores/postgres.js";
import { RedisStore } from "../src/stores/redis.js";
import { signDelivery } from "../src/testing/index.js";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const argCount = process.argv.indexOf("--count");
const COUNT = argCount > 0 ? Number(process.argv[argCount + 1]) : 5000;
const WARMUP = 500;
const CONCURRENCY = 32;
const runId = randomBytes(4).toString("hex");

interface Subject {
  name: string;
  open(): Promise<{ store: IdempotencyStore; close(): Promise<void> }>;
}

const subjects: Subject[] = [
  { name: "MemoryStore", open: async () => ({ store: new MemoryStore({ maxKeys: 1_000_000 }), close: async () => {} }) },
  {
    name: "RedisStore (ioredis)",
    async open() {
      const client = new Redis(REDIS_URL, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 1000, retryStrategy: () => null });
      client.on("error", () => {});
      await client.connect();
      const prefix = `tradehook-bench:${runId}:io:`;
      return { store: RedisStore({ client, prefix }), close: () => dropPrefix(client, prefix).then(() => client.quit()).then(() => {}) };
    },
  },
  {
    name: "RedisStore (node-redis)",
    async open() {
      const client = createClient({ url: REDIS_URL, disableOfflineQueue: true, socket: { connectTimeout: 1000, reconnectStrategy: false } });
      client.on("error", () => {});
      await client.connect();
      const prefix = `tradehook-bench:${runId}:node:`;
      const cleaner = new Redis(REDIS_URL);
      return {
        store: RedisStore({ client, prefix }),
        close: async () => {
          await dropPrefix(cleaner, prefix);
          await cleaner.quit();
          await client.quit();
        },
      };
    },
  },
  {
    name: "PostgresStore",
    async open() {
      const pool = new pg.Pool({ connectionString: DATABASE_URL, connectionTimeoutMillis: 1000, max: 10 });
      const table = `tradehook_bench_${runId}`;
      const store = PostgresStore({ pool, table });
      await store.migrate();
      return {
        store,
        close: async () => {
          await pool.query(`DROP TABLE IF EXISTS ${table}`);
          await pool.end();
        },
      };
    },
  },
];

async function dropPrefix(client: Redis, prefix: string) {
  let cursor = "0";
  do {
    const [next, keys] = await client.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 5000);
    cursor = next;
    if (keys.length > 0) await client.del(...keys);
  } while (cursor !== "0");
}

const provider = apindicators({ secret: "bench-secret" });

/** Distinct signed deliveries (distinct bodies, so distinct keys), signed before timing starts. */
function deliveries(n: number, tag: string) {
  const timestamp = new Date();
  return Array.from({ length: n }, (_, i) => {
    const payload = { event: "signal.buy", timestamp: timestamp.toISOString(), data: { pair: `${tag}${i}`, side: "buy", score: 0.5, market_type: "trending", interval: "1h" } };
    return { ...signDelivery(provider, payload, { timestamp }), method: "POST" };
  });
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

interface Result {
  name: string;
  p50: number;
  p99: number;
  sequentialPerSec: number;
  concurrentPerSec: number;
}

interface Opened {
  name: string;
  check(delivery: ReturnType<typeof deliveries>[number]): Promise<void>;
  close(): Promise<void>;
}

async function open(subject: Subject): Promise<Opened | string> {
  try {
    const { store, close } = await subject.open();
    const receiver = createReceiver({ provider, store, logger: {} });
    receiver.on("signal.buy", () => {});
    const check = async (d: ReturnType<typeof deliveries>[number]) => {
      const result = await receiver.handle(d);
      if (result.outcome !== "processed") throw new Error(`${subject.name}: ${result.status} ${result.body}`);
    };
    return { name: subject.name, check, close };
  } catch (error) {
    return `${subject.name}: skipped (${(error as Error).message})`;
  }
}

const opened: Opened[] = [];
const skipped: string[] = [];
for (const subject of subjects) {
  const o = await open(subject);
  if (typeof o === "string") skipped.push(o);
  else opened.push(o);
}

for (const o of opened) for (const d of deliveries(WARMUP, `warm-${o.name}`)) await o.check(d);

// Latency: one delivery at a time, the stores taking turns, so background load hits them alike.
const latencies = opened.map(() => [] as number[]);
const sequential = opened.map((o) => deliveries(COUNT, `seq-${o.name}`));
for (let i = 0; i < COUNT; i++) {
  for (const [s, o] of opened.entries()) {
    const t0 = process.hrtime.bigint();
    await o.check(sequential[s]![i]!);
    latencies[s]!.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
}

// Throughput: CONCURRENCY deliveries in flight, as behind a busy load balancer.
async function throughput(o: Opened): Promise<number> {
  const concurrent = deliveries(COUNT, `par-${o.name}`);
  let next = 0;
  const t1 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < concurrent.length) await o.check(concurrent[next++]!);
    }),
  );
  return COUNT / (Number(process.hrtime.bigint() - t1) / 1e9);
}

const results: Result[] = [];
for (const [s, o] of opened.entries()) {
  const sorted = latencies[s]!.sort((a, b) => a - b);
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
  results.push({ name: o.name, p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), sequentialPerSec: 1000 / mean, concurrentPerSec: await throughput(o) });
  await o.close();
}

const memory = results.find((r) => r.name === "MemoryStore")!;
const ms = (n: number) => n.toFixed(3);
const lines = [
  `| store | handle() p50 ms | p99 ms | added p50 ms | added p99 ms | deliveries/s, 1 at a time | deliveries/s, ${CONCURRENCY} in flight |`,
  "|---|---:|---:|---:|---:|---:|---:|",
  ...results.map(
    (r) =>
      `| ${r.name} | ${ms(r.p50)} | ${ms(r.p99)} | ${r === memory ? "-" : ms(r.p50 - memory.p50)} | ${r === memory ? "-" : ms(r.p99 - memory.p99)} | ${Math.round(r.sequentialPerSec)} | ${Math.round(r.concurrentPerSec)} |`,
  ),
];
const machine = `${os.cpus()[0]?.model ?? "unknown CPU"} x${os.cpus().length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}, Node ${process.version}, load average ${os.loadavg()[0]!.toFixed(2)} at the end`;
const table = lines.join("\n");
console.log(`${machine}\n${COUNT} deliveries per store (after ${WARMUP} warm-up), loopback\n\n${table}`);
for (const line of skipped) console.log(line);

if (process.argv.includes("--write")) {
  const text = `# Store benchmark

Deliveries through \`receiver.handle()\` (apindicators, HMAC verified, one no-op
\`signal.buy\` handler) with each idempotency store. Every delivery is new, so each one
claims and completes a key: two store round trips. "added" is the store's latency over
\`MemoryStore\` (no I/O) at the same percentile.

- Command: \`npx tsx bench/stores.ts --write\` (${COUNT} deliveries per store after ${WARMUP} warm-up)
- Machine: ${machine}
- Services on loopback: Redis at ${REDIS_URL}, PostgreSQL at ${DATABASE_URL.replace(/\/\/[^@]*@/, "//")}
- Measured: ${new Date().toISOString().slice(0, 10)}

${table}
${skipped.map((s) => `\n${s}`).join("")}
Target: Redis adds under 1 ms at p99 on loopback.${
    os.loadavg()[0]! > os.cpus().length
      ? `\n\nThe load average (${os.loadavg()[0]!.toFixed(2)}) exceeded the ${os.cpus().length} CPUs during this run: Redis and PostgreSQL
then wait for a CPU as well, so p99 measures the scheduler more than the store. Rerun on an
idle machine before judging the p99 target; p50 is the steadier figure.`
      : ""
  }
`;
  writeFileSync(new URL("./STORES.md", import.meta.url), text);
  console.log("wrote bench/STORES.md");
}
