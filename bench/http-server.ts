/**
 * @module One benchmark server per process (so the load generator never shares its event loop): `node --import tsx bench/http-server.ts <kind>`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import { createNodeMiddleware, Webhooks } from "@octokit/webhooks";
import express from "express";
import Fastify from "fastify";
import { type Core, type ExpressAdapter, type FastifyAdapter, loadEntry } from "./build.js";
import { floorVerify, SECRET } from "./cases.js";

export const SERVER_KINDS = ["node", "express", "express-tradehook", "fastify", "fastify-tradehook", "octokit"] as const;
export type ServerKind = (typeof SERVER_KINDS)[number];
export const PATH = "/webhook";

const KEY = Buffer.from(SECRET);
const OK = JSON.stringify({ ok: true, outcome: "processed" });

/**
 * Time spent in each request's own work (the floor, or `receiver.handle()`), so a req/s gap
 * can be split into "our code" and "everything else". SIGUSR2 resets it after the warm-up;
 * the mean is printed as a JSON line when the process is stopped.
 */
const work = { ns: 0n, count: 0 };
function timeWork(started: bigint): void {
  work.ns += process.hrtime.bigint() - started;
  work.count++;
}

/** The floor route's work: verify, parse, answer. A bad signature is a 401 so a broken run shows. */
function floorAnswer(body: Buffer, signature: unknown): { status: number; body: string } {
  const started = process.hrtime.bigint();
  try {
    floorVerify(KEY, body, typeof signature === "string" ? signature : "", true);
    return { status: 200, body: OK };
  } catch {
    return { status: 401, body: '{"ok":false}' };
  } finally {
    timeWork(started);
  }
}

/**
 * A receiver on which every delivery is processed (`retainMs: 0` expires each key as it
 * completes), its `handle()` timed like the floor (the adapters take any structural receiver).
 */
async function processingReceiver() {
  const core = await loadEntry<Core>("index");
  const receiver = core.createReceiver({ provider: core.apindicators({ secret: SECRET }), retainMs: 0 });
  receiver.on("signal.buy", () => {});
  const handle = receiver.handle;
  return {
    maxBodyBytes: receiver.maxBodyBytes,
    reject: receiver.reject,
    fetch: receiver.fetch,
    handle: async (delivery: Parameters<typeof handle>[0]) => {
      const started = process.hrtime.bigint();
      try {
        return await handle(delivery);
      } finally {
        timeWork(started);
      }
    },
  };
}

async function start(kind: ServerKind): Promise<{ port: number }> {
  switch (kind) {
    case "node": {
      const server = createServer((req: IncomingMessage, res: ServerResponse) => {
        const chunks: Buffer[] = [];
        req.on("data", (chunk: Buffer) => chunks.push(chunk));
        req.on("end", () => {
          const answer = floorAnswer(Buffer.concat(chunks), req.headers["x-webhook-signature"]);
          res.writeHead(answer.status, { "content-type": "application/json; charset=utf-8" }).end(answer.body);
        });
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      return { port: (server.address() as AddressInfo).port };
    }
    case "express":
    case "express-tradehook": {
      const app = express();
      if (kind === "express") {
        app.post(PATH, express.raw({ type: "*/*", limit: "1mb" }), (req, res) => {
          const answer = floorAnswer(req.body as Buffer, req.headers["x-webhook-signature"]);
          res.status(answer.status).type("application/json").send(answer.body);
        });
      } else {
        const { expressWebhook } = await loadEntry<ExpressAdapter>("express");
        app.post(PATH, expressWebhook(await processingReceiver()));
      }
      const server = app.listen(0, "127.0.0.1");
      await new Promise<void>((resolve) => server.once("listening", resolve));
      return { port: (server.address() as AddressInfo).port };
    }
    case "fastify":
    case "fastify-tradehook": {
      const app = Fastify();
      if (kind === "fastify") {
        app.removeAllContentTypeParsers();
        app.addContentTypeParser("*", { parseAs: "buffer" }, (_req, body, done) => done(null, body));
        app.post(PATH, async (request, reply) => {
          const answer = floorAnswer(request.body as Buffer, request.headers["x-webhook-signature"]);
          return reply.code(answer.status).type("application/json; charset=utf-8").send(answer.body);
        });
      } else {
        const { fastifyWebhook } = await loadEntry<FastifyAdapter>("fastify");
        await app.register(fastifyWebhook, { receiver: await processingReceiver(), path: PATH });
      }
      await app.listen({ port: 0, host: "127.0.0.1" });
      return { port: (app.server.address() as AddressInfo).port };
    }
    case "octokit": {
      const webhooks = new Webhooks({ secret: SECRET });
      webhooks.on("ping", () => {});
      const server = createServer(createNodeMiddleware(webhooks, { path: PATH }));
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      return { port: (server.address() as AddressInfo).port };
    }
  }
}

// Started as a script (by bench/http.ts); importing this file only reads the kinds.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const kind = process.argv[2] as ServerKind;
  if (!SERVER_KINDS.includes(kind)) {
    console.error(`usage: http-server.ts <${SERVER_KINDS.join("|")}>`);
    process.exit(2);
  }
  // A clean exit on SIGTERM, so `node --cpu-prof` writes its profile when the parent stops a run.
  process.on("SIGTERM", () => {
    const workUs = work.count ? Number(work.ns / BigInt(work.count)) / 1000 : null;
    process.stdout.write(`${JSON.stringify({ workUs, requests: work.count })}\n`, () => process.exit(0));
  });
  process.on("SIGUSR2", () => {
    work.ns = 0n;
    work.count = 0;
  });
  const { port } = await start(kind);
  // The parent reads this line, then ends the process when the run is over.
  process.stdout.write(`${JSON.stringify({ port })}\n`);
}
