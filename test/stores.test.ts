/**
 * The idempotency store contract, run against every store: memory, Redis (ioredis and
 * node-redis) and PostgreSQL. Redis and PostgreSQL rows need the services (see services.ts).
 */
import { randomBytes, randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import pg from "pg";
import { createClient, type RedisClientType } from "redis";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { apindicators, createReceiver, MemoryStore, type ClaimResult, type IdempotencyStore } from "../src/index.js";
import { PostgresStore } from "../src/stores/postgres.js";
import { RedisStore } from "../src/stores/redis.js";
import { signDelivery } from "../src/testing/index.js";
import { closedPort, DATABASE_URL, REDIS_URL, serviceAvailable } from "./services.js";

const redisUp = await serviceAvailable("redis");
const postgresUp = await serviceAvailable("postgres");

/** A store under test plus handles to the same backend over other connections. */
interface Harness {
  store: IdempotencyStore;
  /** Stores on separate connections (or pools) to the same keys. */
  peers: IdempotencyStore[];
  teardown(): Promise<void>;
}

interface Row {
  name: string;
  up: boolean;
  setup(): Promise<Harness>;
}

const runId = randomBytes(4).toString("hex");

async function deleteByPrefix(client: Redis, prefix: string) {
  let cursor = "0";
  do {
    const [next, keys] = await client.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) await client.del(...keys);
  } while (cursor !== "0");
}

async function ioredisHarness(): Promise<Harness> {
  const prefix = `tradehook-test:${runId}:io:`;
  const clients = Array.from({ length: 4 }, () => new Redis(REDIS_URL, { maxRetriesPerRequest: 1 }));
  const stores = clients.map((client) => RedisStore({ client, prefix }));
  return {
    store: stores[0]!,
    peers: stores.slice(1),
    async teardown() {
      await deleteByPrefix(clients[0]!, prefix);
      await Promise.all(clients.map((c) => c.quit()));
    },
  };
}

async function nodeRedisHarness(): Promise<Harness> {
  const prefix = `tradehook-test:${runId}:node:`;
  const clients = await Promise.all(Array.from({ length: 4 }, () => createClient({ url: REDIS_URL }).connect()));
  const stores = clients.map((client) => new RedisStore({ client, prefix }));
  return {
    store: stores[0]!,
    peers: stores.slice(1),
    async teardown() {
      const cleaner = new Redis(REDIS_URL);
      await deleteByPrefix(cleaner, prefix);
      await cleaner.quit();
      await Promise.all(clients.map((c) => c.quit()));
    },
  };
}

async function postgresHarness(): Promise<Harness> {
  const table = `tradehook_test_${runId}`;
  const pools = Array.from({ length: 2 }, () => new pg.Pool({ connectionString: DATABASE_URL, max: 5 }));
  const stores = pools.map((pool) => PostgresStore({ pool, table }));
  await stores[0]!.migrate();
  return {
    store: stores[0]!,
    peers: stores.slice(1),
    async teardown() {
      await pools[0]!.query(`DROP TABLE IF EXISTS ${table}`);
      await Promise.all(pools.map((p) => p.end()));
    },
  };
}

const rows: Row[] = [
  {
    name: "MemoryStore",
    up: true,
    async setup() {
      const store = new MemoryStore();
      return { store, peers: [store], async teardown() {} };
    },
  },
  { name: "RedisStore (ioredis)", up: redisUp, setup: ioredisHarness },
  { name: "RedisStore (node-redis)", up: redisUp, setup: nodeRedisHarness },
  { name: "PostgresStore", up: postgresUp, setup: postgresHarness },
];

const newKey = () => randomBytes(32).toString("hex");
const newFingerprint = () => randomBytes(32).toString("hex");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const SHORT = 200;
// Waits past a SHORT lease or retention, with room for a busy machine's timers.
const pastShort = () => sleep(SHORT + 150);
const LONG = 60_000;

function tokenOf(result: ClaimResult): string {
  if (result.state !== "claimed") throw new Error(`expected a claim, got ${result.state}`);
  return result.token;
}

describe.each(rows)("store contract: $name", (row) => {
  let h: Harness;
  beforeAll(async () => {
    if (row.up) h = await row.setup();
  });
  afterAll(async () => {
    await h?.teardown();
  });

  // Each test uses its own keys, so they wait out their leases side by side.
  describe.skipIf(!row.up).concurrent("", () => {
    it("claims an unseen key once; a second claim finds it in progress", async () => {
      const key = newKey();
      const fp = newFingerprint();
      const first = await h.store.claim(key, fp, LONG);
      expect(first.state).toBe("claimed");
      expect(tokenOf(first)).toEqual(expect.any(String));
      expect(await h.store.claim(key, fp, LONG)).toEqual({ state: "in_progress" });
    });

    it("answers completed after complete(), and keeps it past the lease", async () => {
      const key = newKey();
      const fp = newFingerprint();
      const token = tokenOf(await h.store.claim(key, fp, SHORT));
      await h.store.complete(key, token, LONG);
      expect(await h.store.claim(key, fp, LONG)).toEqual({ state: "completed" });
      await pastShort();
      expect(await h.store.claim(key, fp, LONG)).toEqual({ state: "completed" });
    });

    it("answers mismatch for the same key with another fingerprint, running or completed", async () => {
      const key = newKey();
      const fp = newFingerprint();
      const token = tokenOf(await h.store.claim(key, fp, LONG));
      expect(await h.store.claim(key, newFingerprint(), LONG)).toEqual({ state: "mismatch" });
      await h.store.complete(key, token, LONG);
      expect(await h.store.claim(key, newFingerprint(), LONG)).toEqual({ state: "mismatch" });
      expect(await h.store.claim(key, fp, LONG)).toEqual({ state: "completed" });
    });

    it("lets a new claim win after release()", async () => {
      const key = newKey();
      const fp = newFingerprint();
      const token = tokenOf(await h.store.claim(key, fp, LONG));
      await h.store.release(key, token);
      const again = await h.store.claim(key, fp, LONG);
      expect(again.state).toBe("claimed");
      expect(tokenOf(again)).not.toBe(token);
    });

    it("ignores a token that does not hold the claim", async () => {
      const key = newKey();
      const fp = newFingerprint();
      const token = tokenOf(await h.store.claim(key, fp, LONG));
      const wrong = randomUUID();
      expect(await h.store.extend(key, wrong, LONG)).toBe(false);
      await h.store.complete(key, wrong, LONG);
      await h.store.release(key, wrong);
      await h.store.release(key, "");
      expect(await h.store.claim(key, fp, LONG)).toEqual({ state: "in_progress" });
      expect(await h.store.extend(key, token, LONG)).toBe(true);
    });

    it("extend() keeps a claim past its original lease", async () => {
      const key = newKey();
      const fp = newFingerprint();
      const token = tokenOf(await h.store.claim(key, fp, SHORT));
      expect(await h.store.extend(key, token, LONG)).toBe(true);
      await pastShort();
      expect(await h.store.claim(key, fp, LONG)).toEqual({ state: "in_progress" });
    });

    it("lets a new claim win once the lease expires, with any fingerprint", async () => {
      const key = newKey();
      const token = tokenOf(await h.store.claim(key, newFingerprint(), SHORT));
      await pastShort();
      expect(await h.store.extend(key, token, LONG)).toBe(false);
      const again = await h.store.claim(key, newFingerprint(), LONG);
      expect(again.state).toBe("claimed");
    });

    it("a stale token can neither complete, release nor extend the new holder's claim", async () => {
      const key = newKey();
      const fp = newFingerprint();
      const stale = tokenOf(await h.store.claim(key, fp, SHORT));
      await pastShort();
      const fresh = tokenOf(await h.store.claim(key, fp, LONG));
      await h.store.complete(key, stale, LONG);
      expect(await h.store.claim(key, fp, LONG)).toEqual({ state: "in_progress" });
      await h.store.release(key, stale);
      expect(await h.store.claim(key, fp, LONG)).toEqual({ state: "in_progress" });
      expect(await h.store.extend(key, stale, LONG)).toBe(false);
      await h.store.complete(key, fresh, LONG);
      expect(await h.store.claim(key, fp, LONG)).toEqual({ state: "completed" });
    });

    it("nothing can extend, release or re-complete a completed key", async () => {
      const key = newKey();
      const fp = newFingerprint();
      const token = tokenOf(await h.store.claim(key, fp, LONG));
      await h.store.complete(key, token, LONG);
      expect(await h.store.extend(key, token, LONG)).toBe(false);
      await h.store.release(key, token);
      await h.store.complete(key, token, SHORT);
      await pastShort();
      expect(await h.store.claim(key, fp, LONG)).toEqual({ state: "completed" });
    });

    it("forgets a completed key after retainMs", async () => {
      const key = newKey();
      const fp = newFingerprint();
      const token = tokenOf(await h.store.claim(key, fp, LONG));
      // Long enough that a loaded machine still asks again before it ends, so the first answer is "completed".
      const retainMs = 1500;
      await h.store.complete(key, token, retainMs);
      expect(await h.store.claim(key, fp, LONG)).toEqual({ state: "completed" });
      await sleep(retainMs + 150);
      expect((await h.store.claim(key, fp, LONG)).state).toBe("claimed");
    });

    it("gives exactly one of 200 concurrent claims from several connections the key", async () => {
      const key = newKey();
      const fp = newFingerprint();
      const stores = [h.store, ...h.peers];
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => stores[i % stores.length]!.claim(key, fp, LONG)));
      const states = results.map((r) => r.state);
      expect(states.filter((s) => s === "claimed")).toHaveLength(1);
      expect(states.filter((s) => s === "in_progress")).toHaveLength(199);
    });

    it("gives exactly one of 200 concurrent claims the key when the previous lease has expired", async () => {
      const key = newKey();
      const fp = newFingerprint();
      await h.store.claim(key, fp, SHORT);
      await pastShort();
      const stores = [h.store, ...h.peers];
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => stores[i % stores.length]!.claim(key, fp, LONG)));
      expect(results.filter((r) => r.state === "claimed")).toHaveLength(1);
    });
  });
});

describe.skipIf(!redisUp)("RedisStore specifics", () => {
  const prefix = `tradehook-test:${runId}:specific:`;
  let client: Redis;
  beforeAll(() => {
    client = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    await deleteByPrefix(client, prefix);
    await client.quit();
  });

  it("keeps keys under the prefix, each with a TTL: the lease, then retainMs; release deletes", async () => {
    const store = RedisStore({ client, prefix });
    const key = newKey();
    const token = tokenOf(await store.claim(key, newFingerprint(), 5_000));
    const leaseTtl = await client.pttl(prefix + key);
    expect(leaseTtl).toBeGreaterThan(0);
    expect(leaseTtl).toBeLessThanOrEqual(5_000);
    await store.complete(key, token, 3_600_000);
    expect(await client.pttl(prefix + key)).toBeGreaterThan(5_000);

    const other = newKey();
    await store.release(other, tokenOf(await store.claim(other, newFingerprint(), 5_000)));
    expect(await client.exists(prefix + other)).toBe(0);
  });

  it("uses the default prefix tradehook:", async () => {
    const store = RedisStore({ client });
    expect(store.prefix).toBe("tradehook:");
    const key = `${runId}${newKey().slice(8)}`;
    try {
      await store.claim(key, newFingerprint(), 5_000);
      expect(await client.exists(`tradehook:${key}`)).toBe(1);
    } finally {
      await client.del(`tradehook:${key}`);
    }
  });

  it("falls back to EVAL when the server forgot its scripts (NOSCRIPT), with either client", async () => {
    const node = await createClient({ url: REDIS_URL }).connect();
    try {
      for (const store of [RedisStore({ client, prefix }), RedisStore({ client: node, prefix })]) {
        const key = newKey();
        const fp = newFingerprint();
        const token = tokenOf(await store.claim(key, fp, 5_000));
        await client.script("FLUSH");
        expect(await store.claim(key, fp, 5_000)).toEqual({ state: "in_progress" });
        await client.script("FLUSH");
        await store.complete(key, token, 5_000);
        expect(await store.claim(key, fp, 5_000)).toEqual({ state: "completed" });
      }
    } finally {
      await node.quit();
    }
  });

  it("works with and without new, and rejects what is not a Redis client", () => {
    expect(RedisStore({ client })).toBeInstanceOf(RedisStore);
    expect(new RedisStore({ client })).toBeInstanceOf(RedisStore);
    expect(() => RedisStore({ client: {} as never })).toThrow(/ioredis or node-redis/);
  });

  it("rejects when a client error occurs (the receiver answers 503)", async () => {
    const broken = new Redis(REDIS_URL, { lazyConnect: true, enableOfflineQueue: false });
    await expect(RedisStore({ client: broken, prefix }).claim(newKey(), newFingerprint(), 5_000)).rejects.toThrow();
    broken.disconnect();
  });
});

describe.skipIf(!postgresUp)("PostgresStore specifics", () => {
  let pool: pg.Pool;
  const table = `tradehook_test_${runId}_specific`;
  beforeAll(() => {
    pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
  });
  afterAll(async () => {
    await pool.query(`DROP TABLE IF EXISTS ${table}`);
    await pool.query(`DROP TABLE IF EXISTS public.${table}_q`);
    await pool.end();
  });

  it("migrate() is idempotent and creates the table and expiry index", async () => {
    const store = PostgresStore({ pool, table });
    await store.migrate();
    await store.migrate();
    const { rows: indexes } = await pool.query("SELECT indexdef FROM pg_indexes WHERE tablename = $1", [table]);
    expect(indexes.map((r) => r.indexdef).join("\n")).toMatch(/\(expires_at\)/);
  });

  it("prune() deletes expired rows only and returns the count", async () => {
    const store = new PostgresStore({ pool, table });
    await store.migrate();
    await store.prune();
    const live = newKey();
    await store.claim(live, newFingerprint(), LONG);
    const expiring = [newKey(), newKey()];
    for (const key of expiring) await store.claim(key, newFingerprint(), SHORT);
    const done = newKey();
    await store.complete(done, tokenOf(await store.claim(done, newFingerprint(), LONG)), SHORT);
    await pastShort();
    expect(await store.prune()).toBe(3);
    expect(await store.prune()).toBe(0);
    const { rows: left } = await pool.query(`SELECT key FROM ${table}`);
    expect(left.map((r) => r.key)).toEqual([live]);
  });

  it("accepts a schema-qualified table and refuses names that are not plain identifiers", async () => {
    const store = PostgresStore({ pool, table: `public.${table}_q` });
    await store.migrate();
    expect((await store.claim(newKey(), newFingerprint(), LONG)).state).toBe("claimed");
    for (const bad of ["x; DROP TABLE y", 'a"b', "a.b.c", "", "1abc", "a-b", "x".repeat(64)]) {
      expect(() => PostgresStore({ pool, table: bad })).toThrow(/identifier/);
    }
    expect(PostgresStore({ pool })).toBeInstanceOf(PostgresStore);
    expect(PostgresStore({ pool }).table).toBe("tradehook_idempotency");
  });
});

// Receiver behaviour with a real store that fails.

const SECRET = "stores-test-secret";
const provider = apindicators({ secret: SECRET });
const buy = (pair = "BTCUSDT") =>
  signDelivery(
    provider,
    { event: "signal.buy", timestamp: new Date().toISOString(), data: { pair, side: "buy", score: 0.9, market_type: "trending", interval: "1h" } },
    { timestamp: new Date() },
  );

function receiverWith(store: IdempotencyStore) {
  const handler = vi.fn();
  const logger = { error: vi.fn(), warn: vi.fn() };
  const receiver = createReceiver({ provider, store, logger });
  receiver.on("signal.buy", handler);
  return { receiver, handler, logger };
}

async function expectStoreUnavailable(store: IdempotencyStore) {
  const { receiver, handler } = receiverWith(store);
  const result = await receiver.handle({ ...buy(), method: "POST" });
  expect(result.status).toBe(503);
  expect(JSON.parse(result.body).error.code).toBe("STORE_UNAVAILABLE");
  expect(handler).not.toHaveBeenCalled();
}

describe("a store that cannot be reached answers 503 STORE_UNAVAILABLE and runs no handler", () => {
  let port: number;
  beforeAll(async () => {
    port = await closedPort();
  });

  it("ioredis (enableOfflineQueue false)", async () => {
    const client = new Redis({ host: "127.0.0.1", port, enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 1000 });
    client.on("error", () => {});
    try {
      await expectStoreUnavailable(RedisStore({ client }));
    } finally {
      client.disconnect();
    }
  });

  it("node-redis (disableOfflineQueue)", async () => {
    const client = createClient({
      url: `redis://127.0.0.1:${port}`,
      disableOfflineQueue: true,
      socket: { connectTimeout: 1000, reconnectStrategy: (retries: number) => Math.min(retries * 100, 2000) },
    });
    client.on("error", () => {});
    client.connect().catch(() => {});
    try {
      await expectStoreUnavailable(RedisStore({ client: client as unknown as RedisClientType }));
    } finally {
      client.destroy();
    }
  });

  it("pg (connectionTimeoutMillis)", async () => {
    const pool = new pg.Pool({ connectionString: `postgres://postgres@127.0.0.1:${port}/test`, connectionTimeoutMillis: 1000 });
    try {
      await expectStoreUnavailable(PostgresStore({ pool }));
    } finally {
      await pool.end();
    }
  });
});

describe("a store failure in complete() after the handler succeeded", () => {
  it.skipIf(!redisUp)("Redis: still 200 processed, and the logger's error is called", async () => {
    const client = new Redis(REDIS_URL, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    const prefix = `tradehook-test:${runId}:complete:`;
    await client.connect();
    const { receiver, handler, logger } = receiverWith(RedisStore({ client, prefix }));
    handler.mockImplementation(() => client.disconnect());
    const result = await receiver.handle({ ...buy(), method: "POST" });
    expect(handler).toHaveBeenCalledTimes(1);
    expect(result.status).toBe(200);
    expect(result.outcome).toBe("processed");
    expect(logger.error).toHaveBeenCalledWith(expect.stringMatching(/could not mark the delivery completed/), expect.anything());
    const cleaner = new Redis(REDIS_URL);
    await deleteByPrefix(cleaner, prefix);
    await cleaner.quit();
  });

  it.skipIf(!postgresUp)("Postgres: still 200 processed, and the logger's error is called", async () => {
    const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
    const table = `tradehook_test_${runId}_complete`;
    try {
      const store = PostgresStore({ pool, table });
      await store.migrate();
      const { receiver, handler, logger } = receiverWith(store);
      handler.mockImplementation(async () => {
        await pool.query(`DROP TABLE ${table}`);
      });
      const result = await receiver.handle({ ...buy(), method: "POST" });
      expect(handler).toHaveBeenCalledTimes(1);
      expect(result.status).toBe(200);
      expect(result.outcome).toBe("processed");
      expect(logger.error).toHaveBeenCalledWith(expect.stringMatching(/could not mark the delivery completed/), expect.anything());
    } finally {
      await pool.query(`DROP TABLE IF EXISTS ${table}`);
      await pool.end();
    }
  });
});
