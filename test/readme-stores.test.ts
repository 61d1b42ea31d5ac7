/**
 * @module README.md's "Running several instances" section runs as written against the real Redis and PostgreSQL (the Express ones are sent deliveries); test/readme-types.test.ts type-checks it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apindicators } from "../src/index.js";
import { signDelivery } from "../src/testing/index.js";
import { fixtureJson, readmeSection, freePort } from "./helpers.js";
import { DATABASE_URL, REDIS_URL, serviceAvailable } from "./services.js";

const blocks = [...readmeSection("stores").matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
const dir = fileURLToPath(new URL("../.tmp/readme-stores/", import.meta.url));
const children: ChildProcess[] = [];
const env = { ...process.env, APINDICATORS_SECRET: "stores-readme-secret", REDIS_URL, DATABASE_URL };

function start(file: string, extra: Record<string, string> = {}) {
  const child = spawn(process.execPath, ["--import", "tsx", file], { env: { ...env, ...extra }, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let output = "";
  child.stdout!.on("data", (c) => (output += c));
  child.stderr!.on("data", (c) => (output += c));
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  return { child, output: () => output, exited };
}

/** Runs a script that keeps connections open: it must print nothing for `ms`, then it is stopped. */
async function runQuietly(file: string, ms = 2500) {
  const run = start(file, { PORT: String(await freePort()) });
  const result = await Promise.race([run.exited, new Promise((r) => setTimeout(() => r("running"), ms))]);
  run.child.kill("SIGKILL");
  return { result, output: run.output() };
}

let ready = false;
beforeAll(async () => {
  ready = (await serviceAvailable("redis")) && (await serviceAvailable("postgres"));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  blocks.forEach((code, i) => writeFileSync(`${dir}block-${i}.ts`, code));
});
afterAll(() => {
  for (const child of children) child.kill("SIGKILL");
});

describe("README: Running several instances", () => {
  it("has the Redis (ioredis and node-redis), Postgres and knobs blocks", () => {
    expect(blocks).toHaveLength(4);
  });

  it("the ioredis + Express block processes a delivery once and keeps the key in Redis", async (ctx) => {
    if (!ready) ctx.skip();
    const port = await freePort();
    const server = start(`${dir}block-0.ts`, { PORT: String(port) });
    const provider = apindicators({ secret: "stores-readme-secret" });
    const delivery = signDelivery(provider, fixtureJson("apindicators.signal.buy.json"), { timestamp: Math.floor(Date.now() / 1000) });
    const send = async () => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await fetch(`http://127.0.0.1:${port}/webhooks/apindicators`, { method: "POST", body: delivery.body, headers: delivery.headers });
        } catch (error) {
          if (attempt > 100) throw error;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    };
    const redis = new Redis(REDIS_URL);
    const id = createHash("sha256").update(delivery.body).digest("hex");
    const key = `tradehook:${createHash("sha256").update(`apindicators\n${id}`).digest("hex")}`;
    try {
      expect(await (await send()).json()).toMatchObject({ outcome: "processed" });
      expect(await (await send()).json()).toMatchObject({ outcome: "duplicate" });
      await expect.poll(server.output).toMatch(/buy BTCUSDT 0\.87/);
      expect(await redis.pttl(key)).toBeGreaterThan(0);
    } finally {
      await redis.del(key);
      redis.disconnect();
    }
  }, 60_000);

  it("the node-redis block connects and builds its receiver without error", async (ctx) => {
    if (!ready) ctx.skip();
    const { output } = await runQuietly(`${dir}block-1.ts`);
    expect(output).toBe("");
  }, 30_000);

  it("the Postgres block migrates the table and starts", async (ctx) => {
    if (!ready) ctx.skip();
    const pool = new pg.Pool({ connectionString: DATABASE_URL });
    await pool.query("DROP TABLE IF EXISTS tradehook_idempotency");
    const { output } = await runQuietly(`${dir}block-2.ts`);
    expect(output).toBe("");
    try {
      const { rows } = await pool.query("SELECT to_regclass('tradehook_idempotency') AS t");
      expect(rows[0].t).toBe("tradehook_idempotency");
    } finally {
      await pool.end();
    }
  }, 30_000);

  it("the lease and retention block runs", async () => {
    const { result, output } = await runQuietly(`${dir}block-3.ts`);
    expect(output).toBe("");
    expect(result).toBe(0);
  }, 30_000);
});
