/**
 * @module Smoke test of examples/queue-worker: its web and worker processes start with `node` against the built dist/ and real Redis, and one signed signal becomes one order.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, test } from "vitest";
import { apindicators } from "../src/index.js";
import { signDelivery } from "../src/testing/index.js";
import { send } from "./conformance/client.js";
import { fixtureJson } from "./helpers.js";
import { stopAndRemoveQueue } from "./queue-cleanup.js";
import { REDIS_URL, serviceAvailable } from "./services.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const REGISTER = fileURLToPath(new URL("./examples/register.mjs", import.meta.url));
const redisUp = await serviceAvailable("redis");
const QUEUE_NAME = `th-example-${randomBytes(4).toString("hex")}`;
const children: ChildProcess[] = [];

function start(file: string, env: Record<string, string>) {
  const child = spawn(process.execPath, ["--import", REGISTER, `examples/queue-worker/${file}`], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: "0", HOST: "127.0.0.1", REDIS_URL, QUEUE_NAME },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let output = "";
  child.stdout!.setEncoding("utf8").on("data", (t: string) => (output += t));
  child.stderr!.setEncoding("utf8").on("data", (t: string) => (output += t));
  return { output: () => output };
}

afterAll(() => stopAndRemoveQueue(children, QUEUE_NAME, redisUp));

describe.skipIf(!redisUp)("examples/queue-worker", () => {
  test("the web process answers 202 queued and the worker places the order once", async () => {
    const secret = "queue-example-secret";
    const web = start("web.js", { APINDICATORS_SECRET: secret });
    const worker = start("worker.js", { APINDICATORS_SECRET: secret });
    await expect.poll(web.output, { timeout: 30_000 }).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+/);
    await expect.poll(worker.output, { timeout: 30_000 }).toContain(`worker ready on queue ${QUEUE_NAME}`);
    const url = `${/listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(web.output())![1]}/webhooks/apindicators`;
    const delivery = signDelivery(apindicators({ secret }), fixtureJson("apindicators.signal.buy.json"), { timestamp: Math.floor(Date.now() / 1000) });
    const first = await send(url, delivery);
    expect(first.status).toBe(202);
    expect(first.json()).toMatchObject({ ok: true, outcome: "queued" });
    await expect.poll(worker.output, { timeout: 30_000 }).toMatch(/order: buy BTCUSDT \(score 0\.87, client order id [0-9a-f]{12}, attempt 1\)/);
    expect((await send(url, delivery)).json()).toMatchObject({ outcome: "duplicate" });
    expect(web.output()).not.toContain("order:");
    expect(worker.output().match(/order: /g)).toHaveLength(1);
  }, 60_000);
});
