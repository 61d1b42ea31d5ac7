/** @module A fresh copy of a kept delivery: the same payload signed now with the listener's secret, as the provider would send it. */
import type { CliProvider } from "../cli/provider-options.js";
import type { CapturedRequest } from "../cli/server.js";
import { signDelivery } from "../testing/index.js";
import { headerPairs, utf8 } from "./present.js";

/** Headers a re-signed copy never takes from the original. */
const DROPPED = new Set(["host", "content-length", "transfer-encoding", "connection", "expect"]);

/**
 * Re-signs the original payload with the current time (body timestamps included) and a new
 * delivery id. Returns a reason instead when the body is not JSON and cannot be re-signed.
 */
export function freshCopy(cli: CliProvider, original: CapturedRequest, body: Uint8Array): CapturedRequest | string {
  const text = utf8(body);
  let payload: unknown;
  try {
    payload = JSON.parse((text ?? "").replace(/^\uFEFF/, ""));
  } catch {
    if (cli.name !== "tradingview" || text === undefined) return "the body is not JSON: only the exact bytes can be replayed";
    payload = text;
  }
  const url = new URL(original.url, "http://localhost");
  // TradingView's token travels in the URL when the original carried it there (or the body is text).
  const tokenInUrl = cli.name === "tradingview" && (url.searchParams.has("token") || typeof payload === "string");
  url.searchParams.delete("token");
  if (tokenInUrl && typeof payload === "object" && payload !== null) delete (payload as Record<string, unknown>).passphrase;
  let signed;
  try {
    signed = signDelivery(cli.build(cli.secrets), payload, {
      timestamp: Math.floor(Date.now() / 1000),
      url: url.pathname + url.search,
      ...(cli.name === "tradingview" ? { via: tokenInUrl ? ("url" as const) : ("body" as const) } : {}),
    });
  } catch (error) {
    return `cannot re-sign this payload: ${(error as Error).message}`;
  }
  const replaced = new Set(Object.keys(signed.headers).map((name) => name.toLowerCase()));
  const rawHeaders: string[] = [];
  for (const [name, value] of headerPairs(original.rawHeaders)) {
    const lower = name.toLowerCase();
    if (!DROPPED.has(lower) && !replaced.has(lower)) rawHeaders.push(name, value);
  }
  for (const [name, value] of Object.entries(signed.headers)) rawHeaders.push(name, value);
  const target = signed.url === undefined ? url.pathname + url.search : (() => {
    const u = new URL(signed.url, "http://localhost");
    return u.pathname + u.search;
  })();
  return { method: "POST", url: target, rawHeaders, body: new TextEncoder().encode(signed.body), ip: original.ip };
}
