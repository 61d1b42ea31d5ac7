/** @module The node:http server behind `listen` and `demo`: reads each body under the cap, calls `receiver.handle()`, reports one record per delivery, optionally forwards verified deliveries. */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { PayloadTooLargeError } from "../errors.js";
import type { Receiver } from "../receiver/index.js";
import type { Delivery, HandleResult, Handler } from "../types.js";
import { describeFetchError } from "./format.js";

/** One path served by one receiver. */
export interface Route {
  path: string;
  receiver: Receiver<any, any>;
}

/** What happened when a verified delivery was re-sent to the user's app. */
export interface ForwardResult {
  status?: number;
  error?: string;
}

/** One delivery, as `listen` prints it. */
export interface DeliveryRecord {
  time: Date;
  path: string;
  /** The route's provider; `undefined` when no route matched. */
  provider: string | undefined;
  status: number;
  /** `processed`, `duplicate`, ... or the error code. */
  outcome: string;
  message: string | undefined;
  type: string | undefined;
  id: string | undefined;
  ms: number;
  forward: ForwardResult | undefined;
}

/** A running server. */
export interface RunningServer {
  /** `http://127.0.0.1:8787` (IPv6 hosts in brackets). */
  origin: string;
  close(): Promise<void>;
}

const forwarded = new WeakMap<Delivery, ForwardResult>();

// Connection-level headers belong to one hop; fetch refuses some of them outright.
const HOP_BY_HOP = new Set([
  "host", "connection", "keep-alive", "transfer-encoding", "content-length", "upgrade", "te", "trailer", "expect",
  "proxy-connection", "proxy-authorization", "proxy-authenticate",
]);

/**
 * A handler that re-sends each verified delivery to `target` with its original headers and
 * body. A non-2xx answer (or no answer) throws, so the receiver answers 500 and releases the
 * claim: the sender's retry reaches the app again.
 */
export function forwardTo(target: URL, timeoutMs = 30_000): Handler {
  return async (_event, context) => {
    const delivery = context.delivery;
    const url = new URL(target);
    const incoming = delivery.url ? new URL(delivery.url, "http://localhost") : undefined;
    // TradingView may carry its token in the query string: the app needs it too.
    if (incoming?.search && !url.search) url.search = incoming.search;
    const headers = new Headers();
    const raw = delivery.headers as Record<string, string | string[] | undefined>;
    for (const [name, value] of Object.entries(raw)) {
      if (value === undefined || HOP_BY_HOP.has(name.toLowerCase())) continue;
      for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
    }
    const record: ForwardResult = {};
    forwarded.set(delivery, record);
    let response: Response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers,
        body: delivery.body as Uint8Array<ArrayBuffer>,
        redirect: "manual",
        signal: AbortSignal.timeout(timeoutMs),
      });
      await response.arrayBuffer();
    } catch (error) {
      record.error = `could not reach ${url.host}: ${describeFetchError(error)}`;
      throw new Error(record.error);
    }
    record.status = response.status;
    if (response.status < 200 || response.status > 299) throw new Error(`the app answered ${response.status}`);
  };
}

/** Reads a request body, stopping at `limit` bytes without buffering the rest. */
function readCapped(req: IncomingMessage, limit: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? Number.NaN);
    if (declared > limit) return reject(new PayloadTooLargeError(limit));
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners("data");
        req.pause();
        reject(new PayloadTooLargeError(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(new Uint8Array(Buffer.concat(chunks, size))));
    req.on("error", reject);
  });
}

function summarize(result: HandleResult): { outcome: string; message: string | undefined } {
  if (result.error) return { outcome: result.error.code, message: result.error.message };
  return { outcome: result.outcome, message: undefined };
}

/**
 * Starts a server on `host:port` serving `routes`; `onDelivery` gets one record per request.
 * Port 0 picks a free port (see `origin`).
 */
export async function startServer(options: {
  host: string;
  port: number;
  routes: readonly Route[];
  onDelivery(record: DeliveryRecord): void;
}): Promise<RunningServer> {
  const byPath = new Map(options.routes.map((r) => [r.path, r]));

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const time = new Date();
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    const route = byPath.get(path);
    const finish = (result: Pick<HandleResult, "status" | "headers" | "body">, record: Omit<DeliveryRecord, "time" | "path" | "ms" | "status">, close = false) => {
      const headers: Record<string, string> = { ...result.headers, ...(close ? { connection: "close" } : {}) };
      res.writeHead(result.status, headers);
      res.end(result.body);
      options.onDelivery({ ...record, time, path, status: result.status, ms: performance.now() - started });
    };
    if (!route) {
      req.resume();
      const known = [...byPath.keys()].join(", ");
      const message = `no webhook is served at ${path}; try ${known}`;
      finish(
        { status: 404, headers: { "content-type": "application/json; charset=utf-8" }, body: JSON.stringify({ ok: false, error: { code: "NOT_FOUND", message } }) },
        { provider: undefined, outcome: "NOT_FOUND", message, type: undefined, id: undefined, forward: undefined },
      );
      return;
    }
    const delivery: Delivery = { body: new Uint8Array(0), headers: req.headers, method: req.method, url: req.url, ip: req.socket.remoteAddress };
    let result: HandleResult;
    let tooLarge = false;
    try {
      if ((req.method ?? "GET").toUpperCase() === "POST") delivery.body = await readCapped(req, route.receiver.maxBodyBytes);
      else req.resume();
      result = await route.receiver.handle(delivery);
    } catch (error) {
      if (!(error instanceof PayloadTooLargeError)) throw error;
      tooLarge = true;
      result = await route.receiver.reject(error, delivery);
    }
    const forward = forwarded.get(delivery);
    forwarded.delete(delivery);
    const { outcome, message } = summarize(result);
    const detail = forward?.error ?? message;
    // The rest of an oversized body is never read: close the connection rather than reuse it.
    finish(result, { provider: route.receiver.provider.name, outcome, message: detail, type: result.event?.type, id: result.event?.id, forward }, tooLarge);
  }

  const server = createServer((req, res) => {
    serve(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json; charset=utf-8" });
      res.end(JSON.stringify({ ok: false, error: { code: "INTERNAL_ERROR", message: "the tradehook listener failed" } }));
      options.onDelivery({
        time: new Date(), path: req.url ?? "/", provider: undefined, status: 500, outcome: "INTERNAL_ERROR",
        message: String((error as Error)?.message ?? error), type: undefined, id: undefined, ms: 0, forward: undefined,
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" || address.address.includes(":") ? `[${address.address}]` : address.address;
  return {
    origin: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
