/**
 * @module tradehook/express on real Express 4 and 5 apps: body parsers mounted first, rawBodySaver, express.raw, trust proxy, caps and aborts.
 */
import { once } from "node:events";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import express5 from "express";
import express4 from "express4";
import { afterEach, describe, expect, test } from "vitest";
import { expressWebhook, rawBodySaver } from "../src/adapters/express.js";
import { apindicators, createReceiver, tradingview, type WebhookError } from "../src/index.js";
import { signDelivery } from "../src/testing/index.js";
import { send } from "./conformance/client.js";
import { fixtureJson } from "./helpers.js";

const SECRET = "express-secret";
const provider = apindicators({ secret: SECRET });
const signal = fixtureJson("apindicators.signal.buy.json");
const signed = () => signDelivery(provider, signal, { timestamp: Math.floor(Date.now() / 1000) });

function setup(maxBodyBytes?: number, allowIps?: string[]) {
  const runs: string[] = [];
  const errors: WebhookError[] = [];
  const receiver = createReceiver({ provider, maxBodyBytes, allowIps, logger: {} });
  receiver.on("signal.buy", (event) => {
    runs.push(event.data.pair);
  });
  receiver.onError((error) => errors.push(error));
  return { receiver, runs, errors };
}

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function listen(app: (req: any, res: any) => void): Promise<string> {
  const server = createServer(app);
  servers.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe.each([
  ["express 4", express4],
  ["express 5", express5],
])("%s", (_name, express) => {
  test("express.json() mounted first answers 500 BODY_ALREADY_PARSED with the fix, and runs nothing", async () => {
    const { receiver, runs, errors } = setup();
    const app = express();
    app.use(express.json());
    app.post("/hook", expressWebhook(receiver));
    const reply = await send(`${await listen(app)}/hook`, signed());
    expect(reply.status).toBe(500);
    const { error } = reply.json();
    expect(error.code).toBe("BODY_ALREADY_PARSED");
    expect(error.message).toContain("before app.use(express.json())");
    expect(error.message).toContain("express.raw");
    expect(error.message).toContain("rawBodySaver");
    expect(runs).toEqual([]);
    expect(errors.map((e) => e.code)).toEqual(["BODY_ALREADY_PARSED"]);
  });

  test("express.text() and express.urlencoded() mounted first are refused the same way", async () => {
    const { receiver } = setup();
    const app = express();
    app.use(express.text({ type: "text/*" }));
    app.use(express.urlencoded({ extended: false }));
    app.post("/hook", expressWebhook(receiver));
    const url = `${await listen(app)}/hook`;
    const { body, headers } = signed();
    for (const type of ["text/plain", "application/x-www-form-urlencoded"]) {
      const reply = await send(url, { body, headers: { ...headers, "content-type": type } });
      expect(reply.status).toBe(500);
      expect(reply.json().error.code).toBe("BODY_ALREADY_PARSED");
    }
  });

  test("express.json({ verify: rawBodySaver }) keeps the bytes, so the delivery verifies", async () => {
    const { receiver, runs } = setup();
    const app = express();
    app.use(express.json({ verify: rawBodySaver }));
    app.post("/hook", expressWebhook(receiver));
    const reply = await send(`${await listen(app)}/hook`, signed());
    expect(reply.status).toBe(200);
    expect(reply.json()).toMatchObject({ ok: true, outcome: "processed" });
    expect(runs).toEqual(["BTCUSDT"]);
  });

  test("a user's own verify hook that sets req.rawBody works too", async () => {
    const { receiver, runs } = setup();
    const app = express();
    app.use(express.json({ verify: (req: any, _res, buf) => (req.rawBody = buf) }));
    app.post("/hook", expressWebhook(receiver));
    expect((await send(`${await listen(app)}/hook`, signed())).status).toBe(200);
    expect(runs).toEqual(["BTCUSDT"]);
  });

  test("express.raw() on the route hands over a Buffer, which is used as is", async () => {
    const { receiver, runs } = setup();
    const app = express();
    app.post("/hook", express.raw({ type: "*/*" }), expressWebhook(receiver));
    app.use(express.json());
    const reply = await send(`${await listen(app)}/hook`, signed());
    expect(reply.json()).toMatchObject({ ok: true, outcome: "processed" });
    expect(runs).toEqual(["BTCUSDT"]);
  });

  test("a body express.json() skipped (text/plain) is still read raw from the stream", async () => {
    const tv = createReceiver({ provider: tradingview({ token: "tv-token" }), logger: {} });
    const alerts: unknown[] = [];
    tv.on("tradingview.alert", (event) => {
      alerts.push(event.data);
    });
    const app = express();
    app.use(express.json());
    app.post("/tv", expressWebhook(tv));
    const reply = await send(`${await listen(app)}/tv?token=tv-token`, { body: "SELL ETHUSDT", headers: { "content-type": "text/plain" } });
    expect(reply.status).toBe(200);
    expect(alerts).toEqual(["SELL ETHUSDT"]);
  });

  test("the URL token is read from req.originalUrl under a mounted router", async () => {
    const tv = createReceiver({ provider: tradingview({ token: "tv-token" }), logger: {} });
    const app = express();
    const router = express.Router();
    router.post("/tv", expressWebhook(tv));
    app.use("/hooks", router);
    const reply = await send(`${await listen(app)}/hooks/tv?token=tv-token`, { body: "BUY", headers: { "content-type": "text/plain" } });
    expect(reply.json()).toMatchObject({ ok: true, outcome: "ignored" });
  });

  test("allowIps uses req.ip: a forged X-Forwarded-For counts only when trust proxy says so", async () => {
    const { receiver } = setup(undefined, ["203.0.113.7"]);
    const plain = express();
    plain.post("/hook", expressWebhook(receiver));
    const proxied = express();
    proxied.set("trust proxy", "loopback");
    proxied.post("/hook", expressWebhook(receiver));
    const { body, headers } = signed();
    const spoofed = { body, headers: { ...headers, "x-forwarded-for": "203.0.113.7" } };
    const refused = await send(`${await listen(plain)}/hook`, spoofed);
    expect(refused.status).toBe(403);
    expect(refused.json().error.code).toBe("IP_NOT_ALLOWED");
    expect((await send(`${await listen(proxied)}/hook`, spoofed)).status).toBe(200);
  });

  test("a Content-Length over the cap is refused before the body is read", async () => {
    const { receiver, errors } = setup(1024);
    const app = express();
    app.post("/hook", expressWebhook(receiver));
    const base = new URL(await listen(app));
    // Announces 10 MB but sends 10 bytes and never ends: only an answer without reading can arrive.
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest({ host: base.hostname, port: base.port, path: "/hook", method: "POST", agent: false, headers: { "content-length": "10000000" } }, (res) => {
        resolve(res.statusCode ?? 0);
        res.resume();
        req.destroy();
      });
      req.on("error", reject);
      req.write("0123456789");
    });
    expect(status).toBe(413);
    expect(errors.map((e) => e.code)).toEqual(["PAYLOAD_TOO_LARGE"]);
  });

  test("a chunked body is cut off at the cap without waiting for its end", async () => {
    const { receiver, runs } = setup(1024);
    const app = express();
    app.post("/hook", expressWebhook(receiver));
    const base = new URL(await listen(app));
    const reply = await new Promise<{ status: number; body: string; connection?: string }>((resolve, reject) => {
      const req = httpRequest({ host: base.hostname, port: base.port, path: "/hook", method: "POST", agent: false }, (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (text: string) => (body += text));
        res.on("end", () => {
          resolve({ status: res.statusCode ?? 0, body, connection: res.headers.connection });
          req.destroy();
        });
      });
      req.on("error", reject);
      req.write(Buffer.alloc(2048, "a")); // chunked, over the cap, and the request never ends
    });
    expect(reply.status).toBe(413);
    expect(JSON.parse(reply.body).error.code).toBe("PAYLOAD_TOO_LARGE");
    expect(reply.connection).toBe("close");
    expect(runs).toEqual([]);
  });

  test("a client that aborts mid-body is dropped cleanly and the server keeps serving", async () => {
    const { receiver, runs, errors } = setup();
    const app = express();
    app.post("/hook", expressWebhook(receiver));
    const url = `${await listen(app)}/hook`;
    const base = new URL(url);
    await new Promise<void>((resolve) => {
      const req = httpRequest({ host: base.hostname, port: base.port, path: "/hook", method: "POST", agent: false, headers: { "content-length": "500" } });
      req.on("error", () => resolve());
      req.write("{\"event\":", () => req.destroy());
      req.on("close", () => resolve());
    });
    const reply = await send(url, signed());
    expect(reply.status).toBe(200);
    expect(runs).toEqual(["BTCUSDT"]);
    expect(errors).toEqual([]);
  });

  test("a throwing ip option is answered 500 in the receiver's format, not thrown to Express", async () => {
    const { receiver } = setup();
    const app = express();
    app.post("/hook", expressWebhook(receiver, { ip: () => { throw new Error("boom"); } }));
    const reply = await send(`${await listen(app)}/hook`, signed());
    expect(reply.status).toBe(500);
    expect(reply.json().error).toEqual({ code: "INTERNAL_ERROR", message: "the webhook handler failed unexpectedly" });
  });
});

test("expressWebhook refuses something that is not a receiver", () => {
  expect(() => expressWebhook({} as never)).toThrow(/createReceiver/);
});
