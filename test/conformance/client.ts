/**
 * @module A node:http client for adapter tests: exact bytes, chosen framing (Content-Length or chunked), loopback only.
 */
import { request as httpRequest } from "node:http";

export interface SendOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** "length" sets Content-Length (default); "chunked" sends the body in pieces without it. */
  framing?: "length" | "chunked";
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json(): any;
}

/** Sends one request on a fresh connection and resolves with the response, even if the server closes early. */
export function send(url: string, options: SendOptions = {}): Promise<Reply> {
  const target = new URL(url);
  if (target.hostname !== "127.0.0.1" && target.hostname !== "[::1]" && target.hostname !== "localhost") {
    throw new Error(`refusing to send to ${target.hostname}: loopback only`);
  }
  const body = options.body === undefined ? undefined : typeof options.body === "string" ? Buffer.from(options.body) : Buffer.from(options.body);
  const headers: Record<string, string> = { ...options.headers };
  const chunked = options.framing === "chunked";
  if (body && !chunked) headers["content-length"] = String(body.byteLength);
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = httpRequest(target, { method: options.method ?? "POST", headers, agent: false }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", reject);
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
      });
    });
    // A server that answers 413 and closes may reset the connection while we still write.
    req.on("error", (error) => {
      if (!answered) reject(error);
    });
    if (body && chunked) {
      const piece = 1024;
      for (let i = 0; i < body.byteLength; i += piece) req.write(body.subarray(i, i + piece));
    } else if (body) {
      req.write(body);
    }
    req.end();
  });
}
