/**
 * @module README.md's "Process later: queues" section runs as written: its three files type-check
 * under a user's strict tsc, and the web and worker processes, started as two processes against
 * real Redis, turn one signed signal into 202 queued and one handler run.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apindicators } from "../src/index.js";
import { signDelivery } from "../src/testing/index.js";
import { fixtureJson, freePort, readmeSection } from "./helpers.js";
import { stopAndRemoveQueue } from "./queue-cleanup.js";
import { REDIS_URL, serviceAvailable } from "./services.js";

const section = readmeSection("queues");
const blocks = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
const dir = fileURLToPath(new URL("../.tmp/readme-queues/", import.meta.url));
const QUEUE_NAME = `th-readme-${randomBytes(4).toString("hex")}`;
const SECRET = "queues-readme-secret";
const children: ChildProcess[] = [];
const redisUp = await serviceAvailable("redis");

function start(file: string, extra: Record<string, string> = {}) {
  const child = spawn(process.execPath, ["--import", "tsx", file], {
    env: { ...process.env, APINDICATORS_SECRET: SECRET, REDIS_URL, QUEUE_NAME, ...extra },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let output = "";
  child.stdout!.on("data", (c) => (output += c));
  child.stderr!.on("data", (c) => (output += c));
  return { output: () => output };
}

beforeAll(() => {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const code of blocks) writeFileSync(`${dir}${/^\/\/ (\w+\.ts)\n/.exec(code)![1]}`, code);
});

afterAll(() => stopAndRemoveQueue(children, QUEUE_NAME, redisUp));

describe("README: Process later: queues", () => {
  it("has the receiver, web and worker files, and the Redis settings that keep acknowledged jobs", () => {
    expect(blocks.map((code) => /^\/\/ (\w+\.ts)/.exec(code)?.[1])).toEqual(["receiver.ts", "web.ts", "worker.ts"]);
    expect(section).toContain("--appendonly yes --appendfsync always --maxmemory-policy noeviction");
  });

  it("the files type-check under a user's strict tsc (nodenext, the published types)", async () => {
    writeFileSync(
      `${dir}tsconfig.json`,
      JSON.stringify({
        compilerOptions: { strict: true, module: "nodenext", moduleResolution: "nodenext", target: "es2022", skipLibCheck: true, noEmit: true, types: ["node"] },
        include: ["*.ts"],
      }),
    );
    const tsc = spawn(process.execPath, ["node_modules/typescript/bin/tsc", "-p", `${dir}tsconfig.json`], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    tsc.stdout!.on("data", (c) => (out += c));
    expect(await new Promise((resolve) => tsc.on("exit", resolve))).toBe(0);
    expect(out).toBe("");
  }, 90_000);

  it.skipIf(!redisUp)("web.ts answers 202 queued, worker.ts runs the handler once, a copy is a duplicate", async () => {
    const port = await freePort();
    const web = start(`${dir}web.ts`, { PORT: String(port) });
    const worker = start(`${dir}worker.ts`);
    const delivery = signDelivery(apindicators({ secret: SECRET }), fixtureJson("apindicators.signal.buy.json"), { timestamp: Math.floor(Date.now() / 1000) });
    const url = `http://127.0.0.1:${port}/webhooks/apindicators`;
    let first: Response | undefined;
    for (let attempt = 0; !first; attempt++) {
      first = await fetch(url, { method: "POST", body: delivery.body, headers: delivery.headers }).catch((error) => {
        if (attempt > 300) throw error;
        return new Promise<undefined>((r) => setTimeout(r, 100));
      });
    }
    expect(first.status).toBe(202);
    expect(await first.json()).toMatchObject({ ok: true, outcome: "queued" });
    await expect.poll(worker.output, { timeout: 30_000 }).toMatch(/buy BTCUSDT \(client order id [0-9a-f]{12}, attempt 1\)/);
    const again = await fetch(url, { method: "POST", body: delivery.body, headers: delivery.headers });
    expect(await again.json()).toMatchObject({ outcome: "duplicate" });
    expect(web.output()).not.toContain("buy BTCUSDT");
    expect(worker.output().match(/buy BTCUSDT/g)).toHaveLength(1);
  }, 90_000);
});
