/**
 * README snippets run as written: each quick start is written out verbatim, started as a real
 * process that imports "tradehook" (the built package, by self-reference), and sent a signed delivery.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { apindicators, hmac, pipai, standardWebhooks, tickerapi, tradingview, type Provider } from "../src/index.js";
import { signDelivery } from "../src/testing/index.js";
import { fixtureJson, readmeSection, freePort } from "./helpers.js";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
const dir = new URL("../.tmp/readme/", import.meta.url);
mkdirSync(dir, { recursive: true });

/** The first ```ts block after a heading. */
function snippetAfter(heading: string): string {
  const start = readme.indexOf(`${heading}\n`);
  if (start === -1) throw new Error(`README has no heading ${heading}`);
  const match = /```ts\n([\s\S]*?)```/.exec(readme.slice(start));
  if (!match) throw new Error(`no ts block after ${heading}`);
  return match[1]!;
}

/** The indented ts block of the Security section, dedented. */
function securitySnippet(): string {
  const block = /```ts\n([\s\S]*?)```/.exec(readmeSection("security"))![1]!;
  return block.replace(/^ {2}/gm, "");
}


const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill("SIGKILL");
});

async function runSnippet(name: string, code: string, env: Record<string, string>) {
  const file = new URL(`${name}.ts`, dir);
  writeFileSync(file, code);
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", file.pathname], {
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  return { port, output: () => output, child };
}

async function post(port: number, path: string, delivery: { body: string; headers: Record<string, string>; url?: string }) {
  for (let attempt = 0; ; attempt++) {
    try {
      const url = `http://127.0.0.1:${port}${delivery.url ?? path}`;
      return await fetch(url, { method: "POST", body: delivery.body, headers: delivery.headers });
    } catch (error) {
      if (attempt > 100) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

const now = () => Math.floor(Date.now() / 1000);
const cases: { heading: string; env: string; path: string; provider: Provider; payload: unknown; expect: RegExp }[] = [
  {
    heading: "### APIndicators",
    env: "APINDICATORS_SECRET",
    path: "/webhooks/apindicators",
    provider: apindicators({ secret: "readme-secret" }),
    payload: fixtureJson("apindicators.signal.buy.json"),
    expect: /buy BTCUSDT score 0\.87/,
  },
  {
    heading: "### TickerAPI",
    env: "TICKERAPI_SECRET",
    path: "/webhooks/tickerapi",
    provider: tickerapi({ secret: "readme-secret" }),
    payload: fixtureJson("tickerapi.watchlist.changes.json"),
    expect: /TSLA: macd_state bearish -> bullish_cross/,
  },
  {
    heading: "### PipAI",
    env: "PIPAI_SECRET",
    path: "/webhooks/pipai",
    provider: pipai({ secret: "readme-secret" }),
    payload: { event: "strategy.deployed", data: { strategy_id: "st_42" } },
    expect: /strategy\.deployed for strategy st_42/,
  },
  {
    heading: "### TradingView",
    env: "TRADINGVIEW_TOKEN",
    path: "/webhooks/tradingview",
    provider: tradingview({ token: "readme-secret" }),
    payload: { ticker: "BTCUSDT", action: "buy", price: 67432.5 },
    expect: /buy BTCUSDT @ 67432\.5/,
  },
  {
    heading: "### Standard Webhooks (and Svix-style senders)",
    env: "WEBHOOK_SECRET",
    path: "/webhooks/orders",
    provider: standardWebhooks({ secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }),
    payload: { type: "order.filled", timestamp: new Date().toISOString(), data: { symbol: "ETHUSDT", qty: 2 } },
    expect: /filled 2 ETHUSDT \(msg_/,
  },
  {
    heading: "### Any HMAC sender",
    env: "CC_SECRET",
    path: "/webhooks/coinbase",
    provider: hmac({ secret: "readme-secret", header: "X-CC-Webhook-Signature" }),
    payload: { id: "evt_1", event: { type: "charge.confirmed", data: { code: "ABC" } } },
    expect: /charge confirmed: [0-9a-f]{64}/,
  },
];

describe("README quick starts run as written", () => {
  it.each(cases)("$heading", async ({ heading, env, path, provider, payload, expect: expected }) => {
    const secret = env === "WEBHOOK_SECRET" ? "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" : "readme-secret";
    const name = heading.replace(/\W+/g, "-").replace(/^-|-$/g, "").toLowerCase();
    const { port, output } = await runSnippet(name, snippetAfter(heading), { [env]: secret });
    const delivery = signDelivery(provider, payload, { timestamp: now() });
    const response = await post(port, path, delivery);
    expect(response.status, output()).toBe(200);
    expect(await response.json()).toMatchObject({ ok: true, outcome: "processed" });
    await expect.poll(output, { timeout: 5000 }).toMatch(expected);
    const forged = signDelivery(provider, payload, { timestamp: now(), secret: env === "WEBHOOK_SECRET" ? "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" : "wrong" });
    expect((await post(port, path, forged)).status).toBe(401);
  }, 60_000);

  it("the Security section's TradingView snippet runs", async () => {
    const { child, output } = await runSnippet("security", securitySnippet(), { TRADINGVIEW_TOKEN: "readme-secret" });
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code, output()).toBe(0);
  }, 60_000);

  it("the Testing your handlers snippet runs and its assertions hold", async () => {
    const { child, output } = await runSnippet("testing", snippetAfter("## Testing your handlers"), {});
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code, output()).toBe(0);
  }, 60_000);
});
