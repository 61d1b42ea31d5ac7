/**
 * @module README.md's Express and Fastify section runs as written: every ```ts block is started as a real
 * program (tsx, importing the built package by self-reference) and sent a signed delivery.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, test } from "vitest";
import { apindicators } from "../src/index.js";
import { signDelivery } from "../src/testing/index.js";
import { send } from "./conformance/client.js";
import { fixtureJson, readmeSection, freePort, stopChildren } from "./helpers.js";

const doc = readmeSection("express-fastify");
const blocks = [...doc.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
const dir = fileURLToPath(new URL("../.tmp/readme-express-fastify/", import.meta.url));
mkdirSync(dir, { recursive: true });

const children: ChildProcess[] = [];
afterEach(() => stopChildren(children));

/** Sends until the program is listening (it starts asynchronously and prints nothing). */
async function sendWhenUp(url: string, options: Parameters<typeof send>[1], child: ChildProcess, output: () => string) {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the snippet exited with ${child.exitCode}:\n${output()}`);
    try {
      return await send(url, options);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ECONNREFUSED") throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

test("the fragment has the Express, rawBodySaver and Fastify snippets", () => {
  expect(blocks).toHaveLength(3);
  expect(blocks[1]).toContain("rawBodySaver");
  expect(blocks[2]).toContain("fastifyWebhook");
});

describe.each(blocks.map((code, index) => ({ index, code })))("snippet $index", ({ index, code }) => {
  test("answers a signed delivery, runs the handler, and keeps JSON on /api/orders where it has one", async () => {
    const file = `${dir}snippet-${index}.ts`;
    writeFileSync(file, code);
    const port = await freePort();
    const child = spawn(process.execPath, ["--import", "tsx", file], {
      env: { ...process.env, APINDICATORS_SECRET: "docs-secret", PORT: String(port) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    let output = "";
    child.stdout!.setEncoding("utf8").on("data", (text: string) => (output += text));
    child.stderr!.setEncoding("utf8").on("data", (text: string) => (output += text));
    const base = `http://127.0.0.1:${port}`;

    const delivery = signDelivery(apindicators({ secret: "docs-secret" }), fixtureJson("apindicators.signal.buy.json"), {
      timestamp: Math.floor(Date.now() / 1000),
    });
    const reply = await sendWhenUp(`${base}/webhooks/apindicators`, delivery, child, () => output);
    expect(reply.json()).toMatchObject({ ok: true, outcome: "processed" });
    expect((await send(`${base}/webhooks/apindicators`, delivery)).json().outcome).toBe("duplicate");
    if (code.includes("/api/orders")) {
      const orders = await send(`${base}/api/orders`, { body: '{"qty":2}', headers: { "content-type": "application/json" } });
      expect(orders.json()).toEqual({ received: { qty: 2 } });
    }
    if (code.includes("app.all(") || code.includes("fastifyWebhook")) {
      expect((await send(`${base}/webhooks/apindicators`, { method: "GET" })).status).toBe(405);
    }
    await expect.poll(() => output).toContain("buy BTCUSDT score 0.87");
  });
});
