/**
 * @module Smoke test of examples/*: each starts with `node` against the built dist/ and answers one signed delivery.
 *
 * No npm install runs inside the examples: test/examples/register.mjs adds a resolve hook that
 * maps "tradehook" and "tradehook/*" to this repo's package exports (dist/, built by the global
 * setup); express, fastify and zod resolve from the repo's node_modules as usual.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, test } from "vitest";
import { apindicators, tickerapi } from "../src/index.js";
import { signDelivery } from "../src/testing/index.js";
import { send } from "./conformance/client.js";
import { fixtureJson, stopChildren } from "./helpers.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const REGISTER = fileURLToPath(new URL("./examples/register.mjs", import.meta.url));

interface Started {
  baseUrl: string;
  /** Everything the example printed so far. */
  output(): string;
  /** Resolves once the output contains `text`. */
  printed(text: string): Promise<void>;
}

const children: ChildProcess[] = [];
afterEach(() => stopChildren(children));

async function start(example: string, env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, ["--import", REGISTER, `examples/${example}/index.js`], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: "0", HOST: "127.0.0.1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let output = "";
  const waiters: { text: string; resolve: () => void }[] = [];
  const onText = (text: string) => {
    output += text;
    for (const waiter of waiters.filter((w) => output.includes(w.text))) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  };
  child.stdout!.setEncoding("utf8").on("data", onText);
  child.stderr!.setEncoding("utf8").on("data", onText);
  const printed = (text: string) =>
    output.includes(text)
      ? Promise.resolve()
      : new Promise<void>((resolve, reject) => {
          waiters.push({ text, resolve });
          child.once("exit", (code) => reject(new Error(`${example} exited with ${code}:\n${output}`)));
        });
  await printed("listening on ");
  const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
  if (!match) throw new Error(`no address in the output of ${example}:\n${output}`);
  return { baseUrl: match[1]!, output: () => output, printed };
}

const now = () => Math.floor(Date.now() / 1000);

describe("examples", () => {
  test("express-bot places one order per signed signal", async () => {
    const secret = "example-secret";
    const app = await start("express-bot", { APINDICATORS_SECRET: secret });
    const delivery = signDelivery(apindicators({ secret }), fixtureJson("apindicators.signal.buy.json"), { timestamp: now() });
    const reply = await send(`${app.baseUrl}/webhooks/apindicators`, delivery);
    expect(reply.json()).toMatchObject({ ok: true, outcome: "processed" });
    await app.printed("order: buy BTCUSDT (score 0.87)");
    expect((await send(`${app.baseUrl}/webhooks/apindicators`, delivery)).json().outcome).toBe("duplicate");
    expect((await send(`${app.baseUrl}/health`, { method: "GET" })).json()).toEqual({ ok: true });
  });

  test("fastify serves both webhook routes and keeps JSON on its own route", async () => {
    const app = await start("fastify", { APINDICATORS_SECRET: "a-secret", TICKERAPI_SECRET: "t-secret" });
    const signal = signDelivery(apindicators({ secret: "a-secret" }), fixtureJson("apindicators.signal.buy.json"), { timestamp: now() });
    expect((await send(`${app.baseUrl}/webhooks/apindicators`, signal)).json()).toMatchObject({ ok: true, outcome: "processed" });
    await app.printed("signal: signal.buy BTCUSDT score=0.87");
    const ready = signDelivery(tickerapi({ secret: "t-secret" }), fixtureJson("tickerapi.data.ready.json"), { timestamp: now() });
    expect((await send(`${app.baseUrl}/webhooks/tickerapi`, ready)).json()).toMatchObject({ ok: true, outcome: "processed" });
    await app.printed("data ready: ");
    const notes = await send(`${app.baseUrl}/api/notes`, { body: '{"n":1}', headers: { "content-type": "application/json" } });
    expect(notes.json()).toEqual({ saved: { n: 1 } });
  });

  test("tradingview-alerts takes the passphrase template and a text alert with a URL token", async () => {
    const app = await start("tradingview-alerts", { TRADINGVIEW_TOKEN: "tv-token", ALLOW_ANY_IP: "1" });
    const timenow = new Date(now() * 1000).toISOString().replace(".000Z", "Z");
    const message = `{"passphrase":"tv-token","ticker":"BTCUSDT","action":"buy","price":64250.5,"timenow":"${timenow}"}`;
    const json = await send(`${app.baseUrl}/tradingview`, { body: message, headers: { "content-type": "application/json" } });
    expect(json.json()).toMatchObject({ ok: true, outcome: "processed" });
    await app.printed("alert: buy BTCUSDT @ 64250.5");
    const text = await send(`${app.baseUrl}/tradingview?token=tv-token`, { body: "BUY BTCUSDT", headers: { "content-type": "text/plain" } });
    expect(text.json()).toMatchObject({ ok: true, outcome: "processed" });
    await app.printed("alert (text): BUY BTCUSDT");
    const wrong = await send(`${app.baseUrl}/tradingview?token=nope`, { body: "BUY BTCUSDT", headers: { "content-type": "text/plain" } });
    expect(wrong.json().error.code).toBe("INVALID_TOKEN");
  });

  test("tradingview-alerts refuses loopback senders unless ALLOW_ANY_IP is set", async () => {
    const app = await start("tradingview-alerts", { TRADINGVIEW_TOKEN: "tv-token" });
    const reply = await send(`${app.baseUrl}/tradingview?token=tv-token`, { body: "BUY", headers: { "content-type": "text/plain" } });
    expect(reply.status).toBe(403);
    expect(reply.json().error.code).toBe("IP_NOT_ALLOWED");
  });
});
