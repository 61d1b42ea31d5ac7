/**
 * @module One receiver process of the multi-process test: Express + the shared store from env.
 *
 * Env: SECRET, STORE=redis|postgres, NAMESPACE (Redis key prefix / Postgres table), LEASE_MS,
 * REDIS_URL, DATABASE_URL. Each signal.buy run adds 1 to "entered" and, when it returns,
 * to "done", counted in the store's own database so every process shares the counts.
 * POST /block makes this process's next handler run hang until the process is killed;
 * it sends {"entered": true} over IPC when it hangs. The listening port goes over IPC too.
 */
import express from "express";
import { Redis } from "ioredis";
import pg from "pg";
import { apindicators, createReceiver, type IdempotencyStore } from "../../src/index.js";
import { expressWebhook } from "../../src/adapters/express.js";
import { PostgresStore } from "../../src/stores/postgres.js";
import { RedisStore } from "../../src/stores/redis.js";

const namespace = process.env.NAMESPACE!;
const leaseMs = Number(process.env.LEASE_MS ?? 1500);

let store: IdempotencyStore;
let count: (name: "entered" | "done") => Promise<unknown>;
if (process.env.STORE === "redis") {
  const client = new Redis(process.env.REDIS_URL!, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true });
  await client.connect();
  store = RedisStore({ client, prefix: namespace });
  count = (name) => client.incr(`${namespace}count:${name}`);
} else {
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, connectionTimeoutMillis: 2000, max: 4 });
  store = PostgresStore({ pool, table: namespace });
  count = (name) => pool.query(`INSERT INTO ${namespace}_counts (name, n) VALUES ($1, 1) ON CONFLICT (name) DO UPDATE SET n = ${namespace}_counts.n + 1`, [name]);
}

let blockNext = false;
const receiver = createReceiver({ provider: apindicators({ secret: process.env.SECRET! }), store, leaseMs, logger: {} });
receiver.on("signal.buy", async () => {
  await count("entered");
  if (blockNext) {
    process.send?.({ entered: true });
    await new Promise(() => {});
  }
  // Long enough that concurrent deliveries overlap the running one.
  await new Promise((resolve) => setTimeout(resolve, 200));
  await count("done");
});

const app = express();
app.post("/webhook", expressWebhook(receiver));
app.post("/block", (_req, res) => {
  blockNext = true;
  res.json({ ok: true });
});
const server = app.listen(0, "127.0.0.1", () => {
  const address = server.address();
  process.send?.({ port: typeof address === "object" && address ? address.port : 0 });
});
