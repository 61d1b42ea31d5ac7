// An Express bot: verified APIndicators signals in, orders out (here: a log line).
import express from "express";
import { apindicators, createReceiver } from "tradehook";
import { expressWebhook } from "tradehook/express";

const secret = process.env.APINDICATORS_SECRET;
if (!secret) {
  console.error("Set APINDICATORS_SECRET to the webhook secret from your APIndicators dashboard.");
  process.exit(1);
}

// One process keeps seen deliveries in memory. Several instances share a store: set
// REDIS_URL or DATABASE_URL. The settings keep a store outage a fast 503, never a hang or a crash.
async function sharedStore() {
  if (process.env.REDIS_URL) {
    const { Redis } = await import("ioredis");
    const { RedisStore } = await import("tradehook/redis");
    const redis = new Redis(process.env.REDIS_URL, {
      enableOfflineQueue: false, // Redis down: 503 at once instead of queueing
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      commandTimeout: 2000, // Redis hung: 503 after 2 s instead of waiting for it
      lazyConnect: true,
    });
    redis.on("error", (error) => console.error("redis:", error.message));
    await redis.connect();
    return RedisStore({ client: redis });
  }
  if (process.env.DATABASE_URL) {
    const { default: pg } = await import("pg");
    const { PostgresStore } = await import("tradehook/postgres");
    const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, connectionTimeoutMillis: 2000, query_timeout: 5000 });
    // Without this listener, Postgres dying under idle pooled connections crashes the process.
    pool.on("error", (error) => console.error("postgres:", error.message));
    const store = PostgresStore({ pool });
    await store.migrate();
    return store;
  }
  return undefined; // MemoryStore
}

const receiver = createReceiver({ provider: apindicators({ secret }), store: await sharedStore() });

// Stand-in for your exchange client.
async function placeOrder(side, pair, score) {
  console.log(`order: ${side} ${pair} (score ${score})`);
}

receiver.on("signal.buy", async (event) => {
  await placeOrder("buy", event.data.pair, event.data.score);
});
receiver.on("signal.sell", async (event) => {
  await placeOrder("sell", event.data.pair, event.data.score);
});
receiver.onError((error) => console.warn(`rejected: ${error.code} ${error.message}`));

const app = express();
// Behind a reverse proxy, tell Express which hops to trust so req.ip is the real client:
// app.set("trust proxy", "loopback");

// The webhook route comes before express.json(): it needs the exact bytes that were signed.
app.post("/webhooks/apindicators", expressWebhook(receiver));

app.use(express.json());
app.get("/health", (_req, res) => {
  res.json({ ok: true });
});

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? "0.0.0.0";
const server = app.listen(port, host, () => {
  console.log(`listening on http://${host}:${server.address().port}/webhooks/apindicators`);
});
