/**
 * @module tradehook/fastify on real Fastify 4 and 5 servers: encapsulation, content types, prefixes, trustProxy and the body cap.
 */
import { request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import Fastify5 from "fastify";
import Fastify4 from "fastify4";
import { afterEach, describe, expect, test } from "vitest";
import { fastifyWebhook } from "../src/adapters/fastify.js";
import { apindicators, createReceiver, tradingview } from "../src/index.js";
import { signDelivery } from "../src/testing/index.js";
import { send } from "./conformance/client.js";
import { fixtureJson } from "./helpers.js";

type App = ReturnType<typeof Fastify5>;
const provider = apindicators({ secret: "fastify-secret" });
const signal = fixtureJson("apindicators.signal.buy.json");
const signed = () => signDelivery(provider, signal, { timestamp: Math.floor(Date.now() / 1000) });

function setup(options: { maxBodyBytes?: number; allowIps?: string[] } = {}) {
  const runs: string[] = [];
  const receiver = createReceiver({ provider, ...options, logger: {} });
  receiver.on("signal.buy", (event) => {
    runs.push(event.data.pair);
  });
  return { receiver, runs };
}

const apps: App[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

async function listen(app: App): Promise<string> {
  apps.push(app);
  await app.listen({ port: 0, host: "127.0.0.1" });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

describe.each([
  ["fastify 4", Fastify4 as unknown as typeof Fastify5],
  ["fastify 5", Fastify5],
])("%s", (_name, Fastify) => {
  test("a delivery without any Content-Type is read raw and processed", async () => {
    const { receiver, runs } = setup();
    const app = Fastify();
    await app.register(fastifyWebhook, { receiver, path: "/hook" });
    const { body, headers } = signed();
    const { "content-type": _dropped, ...bare } = headers;
    const reply = await send(`${await listen(app)}/hook`, { body, headers: bare });
    expect(reply.status).toBe(200);
    expect(runs).toEqual(["BTCUSDT"]);
  });

  test("sibling routes keep Fastify's own JSON and text parsers", async () => {
    const { receiver } = setup();
    const app = Fastify();
    await app.register(fastifyWebhook, { receiver, path: "/hook" });
    app.post("/echo", async (request) => ({ type: typeof request.body, body: request.body }));
    const base = await listen(app);
    const json = await send(`${base}/echo`, { body: '{"a":[1]}', headers: { "content-type": "application/json" } });
    expect(json.json()).toEqual({ type: "object", body: { a: [1] } });
    const text = await send(`${base}/echo`, { body: "hello", headers: { "content-type": "text/plain" } });
    expect(text.json()).toEqual({ type: "string", body: "hello" });
  });

  test("registration under a prefix keeps the URL token in request.url", async () => {
    const tv = createReceiver({ provider: tradingview({ token: "tv-token" }), logger: {} });
    const alerts: unknown[] = [];
    tv.on("tradingview.alert", (event) => {
      alerts.push(event.data);
    });
    const app = Fastify();
    await app.register(fastifyWebhook, { prefix: "/hooks", receiver: tv, path: "/tv" });
    const reply = await send(`${await listen(app)}/hooks/tv?token=tv-token`, { body: "BUY SOLUSDT", headers: { "content-type": "text/plain" } });
    expect(reply.status).toBe(200);
    expect(alerts).toEqual(["BUY SOLUSDT"]);
  });

  test("allowIps uses request.ip: a forged X-Forwarded-For counts only with trustProxy", async () => {
    const { receiver } = setup({ allowIps: ["203.0.113.7"] });
    const { body, headers } = signed();
    const spoofed = { body, headers: { ...headers, "x-forwarded-for": "203.0.113.7" } };
    const plain = Fastify();
    await plain.register(fastifyWebhook, { receiver, path: "/hook" });
    const refused = await send(`${await listen(plain)}/hook`, spoofed);
    expect(refused.json().error.code).toBe("IP_NOT_ALLOWED");
    const proxied = Fastify({ trustProxy: "127.0.0.1" });
    await proxied.register(fastifyWebhook, { receiver, path: "/hook" });
    expect((await send(`${await listen(proxied)}/hook`, spoofed)).status).toBe(200);
  });

  test("a Content-Length over the cap is answered 413 in tradehook's format before the body is read", async () => {
    const { receiver } = setup({ maxBodyBytes: 1024 });
    const app = Fastify();
    await app.register(fastifyWebhook, { receiver, path: "/hook" });
    const base = new URL(await listen(app));
    const reply = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest({ host: base.hostname, port: base.port, path: "/hook", method: "POST", agent: false, headers: { "content-length": "10000000" } }, (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (text: string) => (body += text));
        res.on("end", () => {
          resolve({ status: res.statusCode ?? 0, body });
          req.destroy();
        });
      });
      req.on("error", reject);
      req.write("0123456789"); // announces 10 MB, sends 10 bytes, never ends
    });
    expect(reply.status).toBe(413);
    expect(JSON.parse(reply.body)).toEqual({ ok: false, error: { code: "PAYLOAD_TOO_LARGE", message: "body is larger than the 1024-byte limit (maxBodyBytes)" } });
  });

  test("other routes' errors still reach the app's own error handler", async () => {
    const { receiver } = setup();
    const app = Fastify();
    app.setErrorHandler(async (_error, _request, reply) => reply.code(418).send({ mine: true }));
    await app.register(fastifyWebhook, { receiver, path: "/hook" });
    app.post("/json", async (request) => request.body);
    const reply = await send(`${await listen(app)}/json`, { body: "{not json", headers: { "content-type": "application/json" } });
    expect(reply.status).toBe(418);
    expect(reply.json()).toEqual({ mine: true });
  });

  test("registration without a receiver or a path fails with a clear message", async () => {
    await expect(Fastify().register(fastifyWebhook, { path: "/hook" } as never).ready()).rejects.toThrow(/options\.receiver/);
    await expect(Fastify().register(fastifyWebhook, { receiver: setup().receiver, path: "hook" }).ready()).rejects.toThrow(/options\.path/);
  });
});
