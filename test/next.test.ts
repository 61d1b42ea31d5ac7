/**
 * @module tradehook/next beyond the conformance rows: Pages Router body-parser detection, client addresses on both routers, the Edge runtime, and the `ip` option.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { nextRoute } from "../src/adapters/next.js";
import { apindicators, createReceiver } from "../src/index.js";
import { signDelivery } from "../src/testing/index.js";
import { send } from "./conformance/client.js";
import { startNextApp } from "./conformance/servers/next-app.js";
import { DENIED_ONLY_IP, SECRET, type RunningServer } from "./conformance/spec.js";
import { fixtureJson } from "./helpers.js";

const provider = apindicators({ secret: SECRET });
const signal = fixtureJson("apindicators.signal.buy.json");
const fresh = () => signDelivery(provider, signal, { timestamp: Math.floor(Date.now() / 1000) });

describe("in a real Next.js app (next build + next start)", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startNextApp();
  });
  afterAll(async () => {
    await server?.close();
  });

  const count = async () => (await send(`${server.baseUrl}/count`, { method: "GET" })).json().count as number;

  test("a Pages API route without bodyParser: false answers 500 BODY_ALREADY_PARSED naming the fix, and runs nothing", async () => {
    const before = await count();
    const reply = await send(`${server.baseUrl}/api/parsed-webhook`, fresh());
    expect(reply.status).toBe(500);
    expect(reply.json().error.code).toBe("BODY_ALREADY_PARSED");
    expect(reply.json().error.message).toContain("export const config = { api: { bodyParser: false } }");
    expect(await count()).toBe(before);
  });

  test("App Router has no client address: allowIps fails closed, and X-Forwarded-For is never trusted", async () => {
    for (const path of ["/denied", "/local"]) {
      const delivery = fresh();
      const reply = await send(`${server.baseUrl}${path}`, { ...delivery, headers: { ...delivery.headers, "x-forwarded-for": "127.0.0.1", "x-real-ip": "127.0.0.1" } });
      expect(reply.status).toBe(403);
      expect(reply.json().error).toMatchObject({ code: "IP_NOT_ALLOWED", message: "client address is unknown and allowIps is set" });
    }
  });

  test("Pages API routes use the socket address, not a spoofed X-Forwarded-For", async () => {
    const delivery = fresh();
    const spoofed = { ...delivery, headers: { ...delivery.headers, "x-forwarded-for": DENIED_ONLY_IP } };
    const refused = await send(`${server.baseUrl}/api/pages/denied`, spoofed);
    expect(refused.status).toBe(403);
    expect(refused.json().error.message).toContain("127.0.0.1");
    const local = await send(`${server.baseUrl}/api/pages/local`, { ...fresh(), headers: { ...fresh().headers, "x-forwarded-for": "203.0.113.99" } });
    expect(local.status).toBe(200);
  });

  test("on the Edge runtime (Web Crypto, no node: modules) a delivery is processed, then a duplicate", async () => {
    const delivery = fresh();
    const first = await send(`${server.baseUrl}/edge-webhook`, delivery);
    expect(first.status).toBe(200);
    expect(first.json()).toMatchObject({ ok: true, outcome: "processed" });
    const again = await send(`${server.baseUrl}/edge-webhook`, delivery);
    expect(again.json()).toMatchObject({ ok: true, outcome: "duplicate" });
  });
});

describe("nextRoute's client address", () => {
  const receiver = () => createReceiver({ provider, allowIps: ["192.0.2.10"] });
  const request = (headers: Record<string, string> = {}) => {
    const delivery = fresh();
    return new Request("https://example.test/api/webhook", { method: "POST", body: delivery.body, headers: { ...delivery.headers, ...headers } });
  };

  test("by default it ignores X-Forwarded-For and X-Real-IP", async () => {
    const response = await nextRoute(receiver())(request({ "x-forwarded-for": "192.0.2.10", "x-real-ip": "192.0.2.10" }));
    expect(response.status).toBe(403);
  });

  test("it uses request.ip where the runtime still sets it", async () => {
    const req = Object.assign(request(), { ip: "192.0.2.10" });
    expect((await nextRoute(receiver())(req)).status).toBe(200);
  });

  test("the ip option opts in to a header a trusted platform overwrites", async () => {
    const route = nextRoute(receiver(), { ip: (req) => req.headers.get("x-real-ip") ?? undefined });
    expect((await route(request({ "x-real-ip": "192.0.2.10" }))).status).toBe(200);
    expect((await route(request({ "x-real-ip": "192.0.2.11" }))).status).toBe(403);
  });
});
