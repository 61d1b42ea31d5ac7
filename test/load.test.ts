/**
 * @module Memory and load: the body cap holds on every adapter without reading on, MemoryStore stays bounded, forged floods never reach the store.
 */
import { once } from "node:events";
import type { Server } from "node:http";
import { Agent, request as httpRequest } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";
import express from "express";
import express4 from "express4";
import Fastify from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { expressWebhook } from "../src/adapters/express.js";
import { fastifyWebhook } from "../src/adapters/fastify.js";
import { lambdaHandler } from "../src/adapters/lambda.js";
import { nextApiRoute, nextRoute } from "../src/adapters/next.js";
import { apindicators, createReceiver, hmac, MemoryStore, type IdempotencyStore } from "../src/index.js";
import { signDelivery } from "../src/testing/index.js";
import { fixtureJson } from "./helpers.js";

const SECRET = "load-secret";
const CAP = 4096;
const TEN_MIB = 10 * 1024 * 1024;
const CHUNK = 64 * 1024;
// What a server may read past the cap before it stops: socket buffers and in-flight chunks,
// nowhere near the 10 MiB sent.
const READ_BOUND = CAP + 1024 * 1024;

const provider = apindicators({ secret: SECRET });
const signal = fixtureJson("apindicators.signal.buy.json");

/** A MemoryStore that counts claim calls. */
class CountingStore extends MemoryStore implements IdempotencyStore {
  claims = 0;
  override async claim(key: string, fingerprint: string, leaseMs: number) {
    this.claims++;
    return super.claim(key, fingerprint, leaseMs);
  }
}

function cappedReceiver() {
  const runs = { count: 0 };
  const store = new CountingStore();
  const receiver = createReceiver({ provider, maxBodyBytes: CAP, store, logger: {} });
  receiver.on("signal.buy", () => {
    runs.count++;
  });
  return { receiver, runs, store };
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

/** Tracks every socket a server accepts, so the bytes it read can be checked. */
function trackSockets(server: Server): Socket[] {
  const sockets: Socket[] = [];
  server.on("connection", (socket: Socket) => sockets.push(socket));
  return sockets;
}

/**
 * Streams `total` bytes as a chunked POST over a raw socket, respecting backpressure, until
 * the server answers and closes or everything is sent. Returns the response head and the
 * bytes the client managed to hand to the kernel.
 */
async function streamChunked(port: number, path: string, total: number, extraHeaders = ""): Promise<{ status: number; head: string; written: number }> {
  const socket = connect({ port, host: "127.0.0.1" });
  await once(socket, "connect");
  let response = "";
  let closed = false;
  socket.on("data", (d: Buffer) => {
    response += d.toString("latin1");
  });
  socket.on("error", () => {
    closed = true; // EPIPE / ECONNRESET once the server stops reading and closes
  });
  socket.on("close", () => {
    closed = true;
  });
  socket.write(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n${extraHeaders}\r\n`);
  const chunk = Buffer.alloc(CHUNK, 0x61);
  let written = 0;
  while (written < total && !closed && !response.includes("\r\n\r\n")) {
    const ok = socket.write(`${CHUNK.toString(16)}\r\n`) && socket.write(chunk) && socket.write("\r\n");
    written += CHUNK;
    if (!ok) {
      // events.once rejects on "error" (EPIPE once the server closes): that also ends the wait.
      await Promise.race([once(socket, "drain").catch(() => {}), once(socket, "close").catch(() => {}), new Promise((r) => setTimeout(r, 2000))]);
    }
  }
  if (!closed && !response.includes("\r\n\r\n")) socket.write("0\r\n\r\n");
  // Wait for the answer, then for the server to close the connection it marked close.
  const deadline = Date.now() + 10_000;
  while (!response.includes("\r\n\r\n") && !closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  while (!closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  socket.destroy();
  const head = response.split("\r\n\r\n")[0] ?? "";
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), head, written };
}

async function startExpress(flavour: "express5" | "express4", receiver: ReturnType<typeof cappedReceiver>["receiver"]) {
  const app = flavour === "express5" ? express() : express4();
  app.post("/hook", expressWebhook(receiver));
  const server: Server = app.listen(0, "127.0.0.1");
  await once(server, "listening");
  const sockets = trackSockets(server);
  closers.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return { port: (server.address() as AddressInfo).port, sockets };
}

async function startFastify(receiver: ReturnType<typeof cappedReceiver>["receiver"]) {
  const app = Fastify();
  await app.register(fastifyWebhook, { receiver, path: "/hook" });
  await app.listen({ port: 0, host: "127.0.0.1" });
  const sockets = trackSockets(app.server);
  closers.push(() => app.close());
  return { port: (app.server.address() as AddressInfo).port, sockets };
}

describe("the body cap holds without reading on (10 MiB streamed to a 4 KiB route)", () => {
  const servers = {
    "Express 5": (r: ReturnType<typeof cappedReceiver>["receiver"]) => startExpress("express5", r),
    "Express 4": (r: ReturnType<typeof cappedReceiver>["receiver"]) => startExpress("express4", r),
    "Fastify 5": startFastify,
  };

  for (const [name, start] of Object.entries(servers)) {
    it(`${name}: chunked (no Content-Length) gets 413 and the server stops reading`, async () => {
      const { receiver, runs, store } = cappedReceiver();
      const { port, sockets } = await start(receiver);
      const { status, head, written } = await streamChunked(port, "/hook", TEN_MIB);
      expect(status).toBe(413);
      expect(head.toLowerCase()).toContain("connection: close");
      const read = sockets.reduce((n, s) => n + s.bytesRead, 0);
      expect(read).toBeLessThan(READ_BOUND);
      expect(written).toBeLessThan(TEN_MIB);
      expect(runs.count).toBe(0);
      expect(store.claims).toBe(0);
    });

    it(`${name}: a declared Content-Length over the cap is refused before the body is read`, async () => {
      const { receiver, store } = cappedReceiver();
      const { port, sockets } = await start(receiver);
      const socket = connect({ port, host: "127.0.0.1" });
      await once(socket, "connect");
      socket.write(`POST /hook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${TEN_MIB}\r\n\r\n`);
      socket.write(Buffer.alloc(CHUNK, 0x61));
      const [data] = (await once(socket, "data")) as [Buffer];
      socket.destroy();
      expect(data.toString("latin1")).toMatch(/^HTTP\/1\.1 413 /);
      expect(sockets.reduce((n, s) => n + s.bytesRead, 0)).toBeLessThan(READ_BOUND);
      expect(store.claims).toBe(0);
    });
  }

  it("receiver.fetch (Bun, Deno, Workers): pulls at most one chunk past the cap from the stream", async () => {
    const { receiver, store } = cappedReceiver();
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled >= TEN_MIB) return controller.close();
        pulled += CHUNK;
        controller.enqueue(new Uint8Array(CHUNK));
      },
    });
    const response = await receiver.fetch(new Request("http://127.0.0.1/hook", { method: "POST", body, duplex: "half" } as RequestInit));
    expect(response.status).toBe(413);
    expect(pulled).toBeLessThanOrEqual(CAP + 2 * CHUNK);
    expect(store.claims).toBe(0);
  });

  it("nextRoute (App Router): pulls at most one chunk past the cap from the stream", async () => {
    const { receiver, store } = cappedReceiver();
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled >= TEN_MIB) return controller.close();
        pulled += CHUNK;
        controller.enqueue(new Uint8Array(CHUNK));
      },
    });
    const handler = nextRoute(receiver);
    const response = await handler(new Request("http://127.0.0.1/hook", { method: "POST", body, duplex: "half" } as RequestInit));
    expect(response.status).toBe(413);
    expect(pulled).toBeLessThanOrEqual(CAP + 2 * CHUNK);
    expect(store.claims).toBe(0);
  });

  it("nextApiRoute (Pages Router, real Node HTTP): 413 and the server stops reading", async () => {
    const { receiver, store } = cappedReceiver();
    const handler = nextApiRoute(receiver);
    const { createServer } = await import("node:http");
    const server = createServer((req, res) => void handler(req as never, res as never));
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const sockets = trackSockets(server);
    closers.push(async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    });
    const { status } = await streamChunked((server.address() as AddressInfo).port, "/hook", TEN_MIB);
    expect(status).toBe(413);
    expect(sockets.reduce((n, s) => n + s.bytesRead, 0)).toBeLessThan(READ_BOUND);
    expect(store.claims).toBe(0);
  });

  it("lambdaHandler: a body over the cap (API Gateway buffers it) is 413 and never claimed", async () => {
    const { receiver, runs, store } = cappedReceiver();
    const handler = lambdaHandler(receiver) as (event: unknown, context?: unknown) => Promise<{ statusCode: number }>;
    const big = Buffer.alloc(CAP * 4, 0x61).toString("base64");
    const result = await handler({
      version: "2.0",
      routeKey: "POST /hook",
      rawPath: "/hook",
      rawQueryString: "",
      headers: { "content-type": "application/json" },
      requestContext: { http: { method: "POST", path: "/hook", sourceIp: "203.0.113.9" } },
      body: big,
      isBase64Encoded: true,
    });
    expect(result.statusCode).toBe(413);
    expect(runs.count).toBe(0);
    expect(store.claims).toBe(0);
  });
});

describe("MemoryStore under load", () => {
  it("100,000 distinct deliveries keep it within maxKeys, and every one runs once", async () => {
    const maxKeys = 1000;
    const store = new MemoryStore({ maxKeys });
    const fast = hmac({ secret: SECRET, header: "X-Signature", idHeader: "X-Id" });
    const receiver = createReceiver({ provider: fast, store, logger: {} });
    let runs = 0;
    let largest = 0;
    receiver.on("*", () => {
      runs++;
    });
    const body = JSON.stringify({ event: "tick", n: 1 });
    const { headers } = signDelivery(fast, JSON.parse(body), { id: "x" });
    for (let i = 0; i < 100_000; i++) {
      const result = await receiver.handle({ body, headers: { ...headers, "x-id": `d${i}` } });
      if (result.outcome !== "processed") throw new Error(`delivery ${i}: ${result.status} ${result.body}`);
      largest = Math.max(largest, store.size);
    }
    expect(runs).toBe(100_000);
    expect(largest).toBeLessThanOrEqual(maxKeys);
    expect(store.size).toBeLessThanOrEqual(maxKeys);
  });
});

describe("a burst of forged deliveries against the Express adapter", () => {
  it("10,000 forged deliveries are all 401 and never reach the store", async () => {
    const { receiver, runs, store } = cappedReceiver();
    const { port } = await startExpress("express5", receiver);
    const genuine = signDelivery(provider, signal);
    const agent = new Agent({ keepAlive: true, maxSockets: 32 });
    closers.push(async () => agent.destroy());
    const statuses = new Map<number, number>();
    const post = (i: number) =>
      new Promise<void>((resolve, reject) => {
        // Forgeries: the genuine signature on another body, random hex, no signature, a wrong secret.
        const kind = i % 4;
        const body = kind === 0 ? genuine.body.replace("BTCUSDT", `ETH${i}`) : genuine.body;
        const signature =
          kind === 0 ? genuine.headers["x-webhook-signature"]! : kind === 1 ? `sha256=${i.toString(16).padStart(64, "0")}` : kind === 2 ? undefined : signDelivery(provider, signal, { secret: `wrong-${i}` }).headers["x-webhook-signature"]!;
        const req = httpRequest(
          { host: "127.0.0.1", port, path: "/hook", method: "POST", agent, headers: { "content-type": "application/json", ...(signature ? { "x-webhook-signature": signature } : {}) } },
          (res) => {
            statuses.set(res.statusCode!, (statuses.get(res.statusCode!) ?? 0) + 1);
            res.resume();
            res.on("end", resolve);
          },
        );
        req.on("error", reject);
        req.end(body);
      });
    const N = 10_000;
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < N) await post(next++);
      }),
    );
    expect(Object.fromEntries(statuses)).toEqual({ 401: N });
    expect(store.claims).toBe(0);
    expect(store.size).toBe(0);
    expect(runs.count).toBe(0);
  });
});
