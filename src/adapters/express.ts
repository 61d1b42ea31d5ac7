/** @module tradehook/express: an Express 4 and 5 request handler that reads the exact raw body and answers with the receiver's result. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { PayloadError, PayloadTooLargeError, SetupError, WebhookError } from "../errors.js";
import type { AdapterReceiver } from "../receiver/index.js";
import type { Delivery, HandleResult } from "../types.js";

/** What the handler needs of a receiver; any `createReceiver()` result fits, whatever its events. */
export type ExpressWebhookReceiver = AdapterReceiver;

/** Where {@link rawBodySaver} keeps the bytes; `Symbol.for` so ESM and CJS copies agree. */
const RAW_BODY = Symbol.for("tradehook.rawBody");

/** The parts of an Express request the handler reads (Express's own `Request` fits). */
export interface ExpressRequestLike extends IncomingMessage {
  /** Set by body parsers: a Buffer after `express.raw()`, an object or string after json/urlencoded/text. */
  body?: unknown;
  /** The client address as Express resolved it (the `trust proxy` setting decides). */
  ip?: string | undefined;
  /** The URL as received, before any router mount path was stripped. */
  originalUrl?: string | undefined;
  /** A Buffer a user's own `verify` hook kept, by the common convention. */
  rawBody?: unknown;
}

/**
 * Options of {@link expressWebhook}.
 *
 * @example
 * ```ts
 * // Use the TCP peer address even where Express trusts a proxy for everything else.
 * app.post("/webhooks/tradingview", expressWebhook(receiver, { ip: (req) => req.socket.remoteAddress }));
 * ```
 */
export interface ExpressWebhookOptions {
  /**
   * The client address used for `allowIps`. Default `req.ip`, which honours Express's
   * `trust proxy` setting; override only when something else resolved the address.
   */
  ip?: (req: ExpressRequestLike) => string | undefined;
}

/** An Express request handler (Express 4 and 5). */
export type ExpressWebhookHandler = (req: ExpressRequestLike, res: ServerResponse, next?: (error?: unknown) => void) => Promise<void>;

const ALREADY_PARSED =
  "the request body was consumed by a body parser (e.g. express.json()) before the webhook handler, so its exact bytes are gone " +
  "and the signature cannot be checked; mount the webhook route before app.use(express.json()), or use express.raw({ type: \"*/*\" }) " +
  "on this route, or keep the bytes with express.json({ verify: rawBodySaver }) from tradehook/express";

/**
 * Keeps the exact bytes a body parser read, so `expressWebhook` can verify them even after
 * `express.json()` (or `urlencoded`/`text`) parsed the body. Pass it as the parser's `verify` hook.
 *
 * @example
 * ```ts
 * import { expressWebhook, rawBodySaver } from "tradehook/express";
 *
 * app.use(express.json({ verify: rawBodySaver }));
 * app.post("/webhooks/apindicators", expressWebhook(receiver));
 * ```
 */
export function rawBodySaver(req: IncomingMessage, _res: ServerResponse, buf: Buffer, _encoding?: string): void {
  (req as unknown as Record<symbol, unknown>)[RAW_BODY] = buf;
}

function isBytes(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array;
}

function isConsumed(req: ExpressRequestLike): boolean {
  // body-parser 1 (Express 4) marks `_body`; body-parser 2 (Express 5) leaves the stream ended.
  return (req as { _body?: unknown })._body === true || req.readableEnded;
}

/** Reads the request stream up to `limit` bytes; past it, stops listening and settles with 413. */
function readCapped(req: IncomingMessage, limit: number): Promise<Uint8Array | WebhookError | "aborted"> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (value: Uint8Array | WebhookError | "aborted") => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("close", onClose);
      resolve(value);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > limit) {
        chunks.length = 0;
        // Keep draining to nowhere so the socket is not stuck; the 413 closes the connection.
        req.on("data", discard);
        finish(new PayloadTooLargeError(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => finish(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    const onError = () => finish(req.destroyed && !req.complete ? "aborted" : new PayloadError("INVALID_JSON", "the request body could not be read"));
    const onClose = () => finish("aborted");
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("close", onClose);
  });
}

function discard(): void {}

function send(res: ServerResponse, result: HandleResult, close: boolean): void {
  if (res.headersSent || res.writableEnded || res.destroyed) return;
  res.statusCode = result.status;
  for (const [name, value] of Object.entries(result.headers)) res.setHeader(name, value);
  if (close) res.setHeader("connection", "close");
  res.end(result.body);
}

/**
 * An Express 4 and 5 request handler for a receiver. It reads the raw body itself (capped at
 * `receiver.maxBodyBytes`), or takes it from `express.raw()` or {@link rawBodySaver}; a body a
 * JSON/urlencoded/text parser already consumed is answered 500 `BODY_ALREADY_PARSED`.
 * Mount it before `app.use(express.json())`; `app.all` makes other methods answer 405.
 *
 * @example
 * ```ts
 * import express from "express";
 * import { createReceiver, apindicators } from "tradehook";
 * import { expressWebhook } from "tradehook/express";
 *
 * const receiver = createReceiver({ provider: apindicators({ secret: process.env.APINDICATORS_SECRET! }) });
 * receiver.on("signal.buy", async (event) => console.log(event.data.pair));
 *
 * const app = express();
 * app.post("/webhooks/apindicators", expressWebhook(receiver)); // before express.json()
 * app.use(express.json());
 * app.listen(3000);
 * ```
 */
export function expressWebhook(receiver: ExpressWebhookReceiver, options: ExpressWebhookOptions = {}): ExpressWebhookHandler {
  if (!receiver || typeof receiver.handle !== "function" || typeof receiver.reject !== "function") {
    throw new TypeError("expressWebhook: the first argument must be a receiver from createReceiver()");
  }
  if (options.ip !== undefined && typeof options.ip !== "function") throw new TypeError("expressWebhook: options.ip must be a function");
  const limit = receiver.maxBodyBytes;
  const clientIp = options.ip ?? ((req: ExpressRequestLike) => req.ip);

  return async function tradehookExpress(req, res) {
    const delivery: Delivery = {
      body: new Uint8Array(0),
      headers: req.headers,
      method: req.method,
      url: req.originalUrl ?? req.url,
      ip: undefined,
    };
    let close = false;
    try {
      delivery.ip = clientIp(req);
      let result: HandleResult;
      const saved = (req as unknown as Record<symbol, unknown>)[RAW_BODY] ?? req.rawBody;
      if ((delivery.method ?? "POST").toUpperCase() !== "POST") {
        result = await receiver.handle(delivery);
      } else if (isBytes(req.body)) {
        delivery.body = req.body;
        result = await receiver.handle(delivery);
      } else if (isBytes(saved)) {
        delivery.body = saved;
        result = await receiver.handle(delivery);
      } else if (isConsumed(req)) {
        result = await receiver.reject(new SetupError(ALREADY_PARSED), delivery);
      } else if (Number(req.headers["content-length"]) > limit) {
        close = true;
        result = await receiver.reject(new PayloadTooLargeError(limit), delivery);
      } else {
        const read = await readCapped(req, limit);
        if (read === "aborted") return; // the client is gone: nobody to answer
        if (read instanceof WebhookError) {
          close = read.code === "PAYLOAD_TOO_LARGE";
          result = await receiver.reject(read, delivery);
        } else {
          delivery.body = read;
          result = await receiver.handle(delivery);
        }
      }
      send(res, result, close);
    } catch (error) {
      // Only a throwing `options.ip` or a broken receiver gets here; answer, never reject.
      try {
        send(res, await receiver.reject(new WebhookError("INTERNAL_ERROR", "the webhook handler failed unexpectedly", { cause: error }), delivery), close);
      } catch {
        if (!res.headersSent && !res.destroyed) {
          res.statusCode = 500;
          res.end();
        }
      }
    }
  };
}
