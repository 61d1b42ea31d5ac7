/** @module tradehook/fastify: a Fastify 4 and 5 plugin that serves one webhook route over the exact raw body. */
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { PayloadError, PayloadTooLargeError } from "../errors.js";
import type { AdapterReceiver } from "../receiver/index.js";
import type { Delivery, HandleResult } from "../types.js";

/**
 * Options of {@link fastifyWebhook}.
 *
 * @example
 * ```ts
 * await app.register(fastifyWebhook, { receiver, path: "/webhooks/tradingview" });
 * ```
 */
export interface FastifyWebhookOptions {
  /** The receiver from `createReceiver()` (only `handle`, `reject` and `maxBodyBytes` are used). */
  receiver: AdapterReceiver;
  /** The webhook route, e.g. `"/webhooks/apindicators"` (under the registration's `prefix`, if any). */
  path: string;
}

function deliveryOf(request: FastifyRequest, body: Uint8Array | string): Delivery {
  return { body, headers: request.headers, method: request.method, url: request.raw.url ?? request.url, ip: request.ip };
}

function send(reply: FastifyReply, result: HandleResult, close = false): FastifyReply {
  reply.code(result.status).headers(result.headers);
  if (close) reply.header("connection", "close");
  return reply.send(result.body);
}

/**
 * A Fastify 4 and 5 plugin for one webhook route. Encapsulated: only this route reads raw
 * bytes (any content type, or none); sibling routes keep Fastify's JSON parser. The body is
 * capped by Fastify's `bodyLimit` set to `receiver.maxBodyBytes`, and every method reaches
 * the receiver, so a GET answers 405 in tradehook's JSON format.
 *
 * @example
 * ```ts
 * import Fastify from "fastify";
 * import { createReceiver, apindicators } from "tradehook";
 * import { fastifyWebhook } from "tradehook/fastify";
 *
 * const receiver = createReceiver({ provider: apindicators({ secret: process.env.APINDICATORS_SECRET! }) });
 * receiver.on("signal.buy", async (event) => console.log(event.data.pair));
 *
 * const app = Fastify();
 * await app.register(fastifyWebhook, { receiver, path: "/webhooks/apindicators" });
 * await app.listen({ port: 3000 });
 * ```
 */
export const fastifyWebhook: FastifyPluginAsync<FastifyWebhookOptions> = async function fastifyWebhook(fastify, options) {
  const { receiver, path } = options ?? ({} as FastifyWebhookOptions);
  if (!receiver || typeof receiver.handle !== "function" || typeof receiver.reject !== "function") {
    throw new TypeError("fastifyWebhook: options.receiver must be a receiver from createReceiver()");
  }
  if (typeof path !== "string" || !path.startsWith("/")) throw new TypeError('fastifyWebhook: options.path must be a route such as "/webhooks/apindicators"');
  const bodyLimit = receiver.maxBodyBytes;

  // This plugin's scope only: the JSON and text parsers would change the bytes the signature covers.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser("*", { parseAs: "buffer", bodyLimit }, (_request: FastifyRequest, body: Buffer | string, done: (error: Error | null, body?: unknown) => void) => {
    done(null, body);
  });

  fastify.setErrorHandler(async (error: FastifyError, request, reply) => {
    if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE" || error.statusCode === 413) {
      return send(reply, await receiver.reject(new PayloadTooLargeError(bodyLimit), deliveryOf(request, new Uint8Array(0))), true);
    }
    if (typeof error.code === "string" && error.code.startsWith("FST_ERR_CTP_")) {
      const unreadable = new PayloadError("INVALID_JSON", "the request body could not be read");
      return send(reply, await receiver.reject(unreadable, deliveryOf(request, new Uint8Array(0))));
    }
    throw error; // not ours: the parent scope's error handler answers
  });

  fastify.all(path, { bodyLimit }, async (request, reply) => {
    const raw = request.body;
    const body = raw instanceof Uint8Array ? raw : typeof raw === "string" ? raw : new Uint8Array(0);
    return send(reply, await receiver.handle(deliveryOf(request, body)));
  });
};

// Shown in Fastify's plugin tree and error messages instead of an anonymous function.
(fastifyWebhook as unknown as Record<symbol, string>)[Symbol.for("fastify.display-name")] = "tradehook";
