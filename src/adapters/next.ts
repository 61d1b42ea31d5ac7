/** @module tradehook/next: Next.js App Router route handlers (Node and Edge) and Pages Router API routes. */
import { PayloadTooLargeError, SetupError } from "../errors.js";
import type { AdapterReceiver } from "../receiver/index.js";
import type { Delivery, HandleResult } from "../types.js";

/**
 * Options of {@link nextRoute}.
 *
 * @example
 * ```ts
 * // Vercel overwrites x-real-ip with the client address, so it can be trusted there.
 * export const POST = nextRoute(receiver, { ip: (request) => request.headers.get("x-real-ip") ?? undefined });
 * ```
 */
export interface NextRouteOptions {
  /**
   * The client address, for `allowIps`. Next.js 15+ gives route handlers no `request.ip`;
   * by default tradehook uses `request.ip` when the runtime still sets it and otherwise
   * passes no address (so `allowIps` fails closed). Read a forwarding header here only
   * when your platform overwrites it, e.g. on Vercel:
   * `ip: (request) => request.headers.get("x-real-ip") ?? undefined`.
   */
  ip?: (request: Request) => string | undefined;
}

/** A route handler: export it as `POST` (and `GET` etc. to answer 405). */
export type NextRouteHandler = (request: Request) => Promise<Response>;

/**
 * An App Router route handler for `app/.../route.ts`, on the Node.js and Edge runtimes.
 * It reads the exact raw bytes (capped at `maxBodyBytes`); App Router never parses them first.
 *
 * @example
 * ```ts
 * // app/webhooks/apindicators/route.ts
 * import { createReceiver, apindicators } from "tradehook";
 * import { nextRoute } from "tradehook/next";
 *
 * const receiver = createReceiver({ provider: apindicators({ secret: process.env.APINDICATORS_SECRET! }) });
 * receiver.on("signal.buy", async (event) => {
 *   console.log(event.data.pair, event.data.score);
 * });
 *
 * export const POST = nextRoute(receiver);
 * ```
 */
export function nextRoute(receiver: AdapterReceiver, options: NextRouteOptions = {}): NextRouteHandler {
  const readIp = options.ip;
  return (request: Request) => {
    // Next.js <= 14 and some hosts set `request.ip`; it is not part of the Request type.
    const ip = readIp ? readIp(request) : ((request as { ip?: unknown }).ip as string | undefined);
    return receiver.fetch(request, { ip: typeof ip === "string" && ip !== "" ? ip : undefined });
  };
}

/** The parts of Next's `NextApiRequest` (a Node `IncomingMessage`) the Pages Router adapter reads. */
export interface NextApiRequestLike {
  method?: string | undefined;
  url?: string | undefined;
  headers: Record<string, string | string[] | undefined>;
  socket?: { remoteAddress?: string | undefined } | null | undefined;
  /** Set by Next's body parser; must be undefined (`bodyParser: false`). */
  body?: unknown;
  readableEnded?: boolean;
  on(event: "data", listener: (chunk: Uint8Array | string) => void): unknown;
  on(event: "end", listener: () => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
  on(event: "close", listener: () => void): unknown;
  resume?(): unknown;
}

/** The parts of Next's `NextApiResponse` (a Node `ServerResponse`) the adapter writes. */
export interface NextApiResponseLike {
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  end(body?: string): unknown;
}

/** A Pages Router API route handler: `export default nextApiRoute(receiver)`. */
export type NextApiRouteHandler = (req: NextApiRequestLike, res: NextApiResponseLike) => Promise<void>;

const BODY_PARSED_MESSAGE =
  "Next.js parsed the request body before tradehook could read the raw bytes; disable the body parser in this API route: export const config = { api: { bodyParser: false } }";

const encoder = new TextEncoder();

type ReadResult = { body: Uint8Array } | { tooLarge: true };

/** Reads the request stream up to `limit` bytes; past it, stops collecting and discards the rest. */
function readCapped(req: NextApiRequestLike, limit: number): Promise<ReadResult> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    let done = false;
    const finish = (result: ReadResult) => {
      if (done) return;
      done = true;
      resolve(result);
    };
    req.on("data", (chunk) => {
      if (done) return;
      const bytes = typeof chunk === "string" ? encoder.encode(chunk) : chunk;
      size += bytes.byteLength;
      if (size > limit) {
        chunks.length = 0;
        finish({ tooLarge: true });
        return;
      }
      chunks.push(bytes);
    });
    req.on("end", () => {
      const body = new Uint8Array(size);
      let offset = 0;
      for (const chunk of chunks) {
        body.set(chunk, offset);
        offset += chunk.byteLength;
      }
      finish({ body });
    });
    const fail = (error: Error) => {
      if (done) return;
      done = true;
      reject(error);
    };
    req.on("error", fail);
    req.on("close", () => fail(new Error("the request closed before its body ended")));
  });
}

function send(res: NextApiResponseLike, result: HandleResult, extra?: Record<string, string>): void {
  res.statusCode = result.status;
  for (const [name, value] of Object.entries({ ...result.headers, ...extra })) res.setHeader(name, value);
  res.end(result.body);
}

/**
 * A Pages Router API route (`pages/api/...`). Next's body parser must be off so the exact
 * raw bytes reach tradehook; otherwise every delivery answers 500 BODY_ALREADY_PARSED.
 * The client address is the socket's (`allowIps`); the body is capped while it streams (413).
 *
 * @example
 * ```ts
 * // pages/api/webhooks/apindicators.ts
 * import { createReceiver, apindicators } from "tradehook";
 * import { nextApiRoute } from "tradehook/next";
 *
 * const receiver = createReceiver({ provider: apindicators({ secret: process.env.APINDICATORS_SECRET! }) });
 * receiver.on("signal.buy", async (event) => {
 *   console.log(event.data.pair, event.data.score);
 * });
 *
 * export const config = { api: { bodyParser: false } };
 * export default nextApiRoute(receiver);
 * ```
 */
export function nextApiRoute(receiver: AdapterReceiver): NextApiRouteHandler {
  return async (req, res) => {
    const delivery: Delivery = {
      body: new Uint8Array(0),
      headers: req.headers,
      method: req.method,
      url: req.url,
      ip: req.socket?.remoteAddress,
    };
    if ((req.method ?? "POST").toUpperCase() !== "POST") {
      send(res, await receiver.handle(delivery));
      return;
    }
    if (req.body !== undefined || req.readableEnded === true) {
      send(res, await receiver.reject(new SetupError(BODY_PARSED_MESSAGE), delivery));
      return;
    }
    const limit = receiver.maxBodyBytes;
    const tooLarge = async () => {
      // Drain the rest unbuffered and close, so the 413 reaches the sender without reading on.
      req.resume?.();
      send(res, await receiver.reject(new PayloadTooLargeError(limit), delivery), { connection: "close" });
    };
    if (Number(req.headers["content-length"]) > limit) {
      await tooLarge();
      return;
    }
    let read: ReadResult;
    try {
      read = await readCapped(req, limit);
    } catch {
      // The sender went away mid-body; there is no one left to answer.
      return;
    }
    if ("tooLarge" in read) {
      await tooLarge();
      return;
    }
    delivery.body = read.body;
    send(res, await receiver.handle(delivery));
  };
}
