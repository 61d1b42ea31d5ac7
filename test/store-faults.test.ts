/**
 * @module The README's production settings, and examples/express-bot's, under store faults: a Redis
 * that hangs (SIGSTOP) and a PostgreSQL killed under traffic, both private to this test. Every
 * delivery gets a bounded 503, never a hang, and the receiver process never crashes.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { apindicators } from "../src/index.js";
import { signDelivery } from "../src/testing/index.js";
import { freePort, readmeSection } from "./helpers.js";
import { type PrivateServer, privateServerUnavailable, startPrivatePostgres, startPrivateRedis } from "./private-services.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const REGISTER = fileURLToPath(new URL("./examples/register.mjs", import.meta.url));
const dir = fileURLToPath(new URL("../.tmp/store-faults/", import.meta.url));
mkdirSync(dir, { recursive: true });
const blocks = [...readmeSection("stores").matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
const secret = "store-faults-secret";
const provider = apindicators({ secret });
/** A request still unanswered after this long is a hang: the settings promise about 2 s. */
const HANG_BOUND_MS = 10_000;

/** Skips locally when the server binaries are missing; under CI=true that fails instead. */
function skipUnless(kind: "redis" | "postgres"): boolean {
  const why = privateServerUnavailable(kind);
  if (!why) return false;
  if (process.env.CI === "true") throw new Error(`CI=true and the ${kind} fault tests cannot run: ${why}`);
  console.warn(`${kind} fault tests skipped: ${why}`);
  return true;
}

interface Program {
  child: ChildProcess;
  output(): string;
  url: string;
}

const children: ChildProcess[] = [];
const servers: PrivateServer[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
  for (const server of servers.splice(0)) await server.dispose();
});
afterAll(async () => {
  for (const server of servers.splice(0)) await server.dispose();
});

async function startProgram(kind: "readme" | "example", block: number, env: Record<string, string>): Promise<Program> {
  const port = await freePort();
  let args: string[];
  if (kind === "readme") {
    const file = `${dir}block-${block}.ts`;
    writeFileSync(file, blocks[block]!);
    args = ["--import", "tsx", file];
  } else {
    args = ["--import", REGISTER, "examples/express-bot/index.js"];
  }
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, REDIS_URL: "", DATABASE_URL: "", ...env, APINDICATORS_SECRET: secret, PORT: String(port), HOST: "127.0.0.1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let output = "";
  child.stdout!.on("data", (c) => (output += c));
  child.stderr!.on("data", (c) => (output += c));
  return { child, output: () => output, url: `http://127.0.0.1:${port}/webhooks/apindicators` };
}

let sequence = 0;
/** A fresh, validly signed signal: a new delivery key each call. */
function delivery() {
  sequence += 1;
  const payload = { event: "signal.buy", data: { pair: `FAULT${sequence}USDT`, side: "buy", score: 0.5, market_type: "trending", interval: "1h" } };
  return signDelivery(provider, payload, { timestamp: Math.floor(Date.now() / 1000) });
}

async function post(url: string, signal?: AbortSignal): Promise<{ status: number; code?: string }> {
  const { body, headers } = delivery();
  const response = await fetch(url, { method: "POST", body, headers, signal: signal ?? null });
  const json = (await response.json()) as { outcome?: string; error?: { code?: string } };
  return { status: response.status, code: json.error?.code ?? json.outcome };
}

/** Posts until the program answers 200 (it is still starting, or the store is coming back). */
async function untilProcessed(program: Program, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  let last = "no answer";
  while (Date.now() < deadline) {
    if (program.child.exitCode !== null) throw new Error(`the program exited (${program.child.exitCode}):\n${program.output()}`);
    try {
      const answer = await post(program.url, AbortSignal.timeout(HANG_BOUND_MS));
      if (answer.status === 200) return;
      last = `${answer.status} ${answer.code}`;
    } catch (error) {
      last = String(error);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no 200 within ${ms} ms (last: ${last}):\n${program.output()}`);
}

/** Three new deliveries at once, each bounded: a hang rejects with a TimeoutError. */
async function duringFault(program: Program) {
  return Promise.all([1, 2, 3].map(() => post(program.url, AbortSignal.timeout(HANG_BOUND_MS))));
}

const programs = [
  { name: "README's ioredis + Express block", kind: "readme" as const, block: 0 },
  { name: "examples/express-bot with REDIS_URL", kind: "example" as const, block: -1 },
];

describe.each(programs)("a Redis that hangs: $name", ({ kind, block }) => {
  it("answers 503 STORE_UNAVAILABLE within the bound, keeps running, and recovers when Redis does", async (ctx) => {
    if (skipUnless("redis")) return ctx.skip();
    const redis = await startPrivateRedis();
    servers.push(redis);
    const program = await startProgram(kind, block, { REDIS_URL: redis.url });
    await untilProcessed(program);

    redis.hang();
    const answers = await duringFault(program);
    expect(answers).toEqual([1, 2, 3].map(() => ({ status: 503, code: "STORE_UNAVAILABLE" })));
    expect(program.child.exitCode, program.output()).toBeNull();

    redis.resume();
    await untilProcessed(program);
  }, 90_000);
});

const pgPrograms = [
  { name: "README's pg + Express block", kind: "readme" as const, block: 2 },
  { name: "examples/express-bot with DATABASE_URL", kind: "example" as const, block: -1 },
];

describe.each(pgPrograms)("PostgreSQL killed under traffic: $name", ({ kind, block }) => {
  it("answers 503 STORE_UNAVAILABLE within the bound and the process survives the dead pooled connections", async (ctx) => {
    if (skipUnless("postgres")) return ctx.skip();
    const postgres = await startPrivatePostgres();
    servers.push(postgres);
    const program = await startProgram(kind, block, { DATABASE_URL: postgres.url });
    await untilProcessed(program);
    // Several connections in the pool, idle when Postgres dies: each one's end is an 'error' event.
    const warm = await Promise.all([1, 2, 3, 4, 5].map(() => post(program.url)));
    expect(warm.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);

    await postgres.kill();
    await new Promise((r) => setTimeout(r, 500));
    expect(program.child.exitCode, program.output()).toBeNull();
    const answers = await duringFault(program);
    expect(answers).toEqual([1, 2, 3].map(() => ({ status: 503, code: "STORE_UNAVAILABLE" })));
    expect(program.child.exitCode, program.output()).toBeNull();
    expect(program.output()).not.toContain("Unhandled 'error' event");
  }, 90_000);
});
