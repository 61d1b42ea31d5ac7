/** @module `tradehook demo`: a receiver per provider on loopback, a scripted series of deliveries, and a table of expected and actual outcomes. */
import { randomBytes } from "node:crypto";
import { apindicators } from "../providers/apindicators.js";
import { hmac } from "../providers/hmac.js";
import { pipai } from "../providers/pipai.js";
import type { Provider, SignedDelivery } from "../providers/provider.js";
import { standardWebhooks } from "../providers/standard-webhooks.js";
import { tickerapi } from "../providers/tickerapi.js";
import { tradingview } from "../providers/tradingview.js";
import { createReceiver } from "../receiver/index.js";
import { signDelivery } from "../testing/index.js";
import { parseCommand } from "./args.js";
import { type Io, table } from "./format.js";
import { samplePayload } from "./samples.js";
import { startServer } from "./server.js";

/** Help for `tradehook demo`. */
export const DEMO_HELP = `Usage: tradehook demo

Starts a receiver for every provider on 127.0.0.1 (a free port), sends it a scripted
series of deliveries (valid, duplicate, forged, stale, oversized, one per provider, ...)
and prints what each was expected to get and what it got. Secrets are random per run.
Exits 0 only when every row matched.

Options:
  -h, --help                   show this help

Example:
  npx tradehook demo`;

const DEMO_MAX_BODY = 16 * 1024;

interface Case {
  provider: string;
  name: string;
  expected: string;
  /** The request to send, relative to the server origin. */
  request(): { path: string; delivery: SignedDelivery };
}

async function post(origin: string, path: string, delivery: SignedDelivery): Promise<string> {
  const url = delivery.url ? new URL(delivery.url, `${origin}${path}`) : new URL(path, origin);
  try {
    const response = await fetch(url, { method: "POST", headers: delivery.headers, body: delivery.body, signal: AbortSignal.timeout(10_000) });
    const text = await response.text();
    let label = "";
    try {
      const json = JSON.parse(text) as { ok?: boolean; outcome?: string; error?: { code?: string } };
      label = json.ok ? String(json.outcome) : String(json.error?.code);
    } catch {
      label = "(not JSON)";
    }
    return `${response.status} ${label}`;
  } catch (error) {
    return `no answer (${(error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name})`;
  }
}

function secret(): string {
  return randomBytes(24).toString("base64url");
}

/** Runs `tradehook demo`. */
export async function runDemo(argv: readonly string[], io: Io): Promise<number> {
  const { values } = parseCommand("demo", argv, {});
  if (values.help) {
    io.out(DEMO_HELP);
    return 0;
  }
  const providers: Record<string, Provider> = {
    apindicators: apindicators({ secret: secret() }),
    tickerapi: tickerapi({ secret: secret() }),
    pipai: pipai({ secret: secret() }),
    tradingview: tradingview({ token: secret() }),
    "standard-webhooks": standardWebhooks({ secret: `whsec_${randomBytes(24).toString("base64")}` }),
    hmac: hmac({ secret: secret(), header: "X-Signature", prefix: "sha256=", timestampHeader: "X-Timestamp", idHeader: "X-Delivery-Id", signedContent: ({ timestamp, body }) => `${timestamp}.${body}` }),
  };
  const routes = Object.entries(providers).map(([name, provider]) => {
    const receiver = createReceiver({ provider, logger: {}, ...(name === "apindicators" ? { maxBodyBytes: DEMO_MAX_BODY } : {}) });
    receiver.on("*", () => {});
    return { path: `/${name}`, receiver };
  });
  const now = () => Math.floor(Date.now() / 1000);
  const sample = (provider: string, type: string) => samplePayload(provider as never, type, now())!;
  const sign = (provider: string, payload: unknown, options: Parameters<typeof signDelivery>[2] = {}) =>
    signDelivery(providers[provider]!, payload, { timestamp: now(), ...options });

  const buy = sign("apindicators", sample("apindicators", "signal.buy"));
  const pipaiId = `dlv_${randomBytes(6).toString("hex")}`;
  const cases: Case[] = [
    { provider: "apindicators", name: "valid signal.buy", expected: "200 processed", request: () => ({ path: "/apindicators", delivery: buy }) },
    { provider: "apindicators", name: "same delivery again", expected: "200 duplicate", request: () => ({ path: "/apindicators", delivery: buy }) },
    {
      provider: "apindicators",
      name: "forged: signed with another secret",
      expected: "401 INVALID_SIGNATURE",
      request: () => ({ path: "/apindicators", delivery: sign("apindicators", sample("apindicators", "signal.sell"), { secret: secret() }) }),
    },
    {
      provider: "apindicators",
      name: "tampered: body changed after signing",
      expected: "401 INVALID_SIGNATURE",
      request: () => ({ path: "/apindicators", delivery: { ...buy, body: buy.body.replace('"score":0.87', '"score":0.99') } }),
    },
    {
      provider: "apindicators",
      name: "no signature header",
      expected: "401 MISSING_SIGNATURE",
      request: () => ({ path: "/apindicators", delivery: { body: buy.body, headers: { "content-type": "application/json" } } }),
    },
    {
      provider: "apindicators",
      name: "stale: signed an hour ago",
      expected: "401 TIMESTAMP_TOO_OLD",
      request: () => ({ path: "/apindicators", delivery: sign("apindicators", sample("apindicators", "signal.sell"), { timestamp: now() - 3600 }) }),
    },
    {
      provider: "apindicators",
      name: `oversized: 64 KiB body, ${DEMO_MAX_BODY / 1024} KiB cap`,
      expected: "413 PAYLOAD_TOO_LARGE",
      request: () => ({ path: "/apindicators", delivery: sign("apindicators", { ...sample("apindicators", "signal.buy"), padding: "x".repeat(64 * 1024) }) }),
    },
    {
      provider: "tickerapi",
      name: "valid watchlist.changes",
      expected: "200 processed",
      request: () => ({ path: "/tickerapi", delivery: sign("tickerapi", sample("tickerapi", "watchlist.changes")) }),
    },
    {
      provider: "pipai",
      name: "valid strategy.position_opened",
      expected: "200 processed",
      request: () => ({ path: "/pipai", delivery: sign("pipai", sample("pipai", "strategy.position_opened"), { id: pipaiId }) }),
    },
    {
      provider: "pipai",
      name: "same delivery id, other body",
      expected: "422 KEY_REUSED",
      request: () => ({ path: "/pipai", delivery: sign("pipai", sample("pipai", "strategy.error"), { id: pipaiId }) }),
    },
    {
      provider: "tradingview",
      name: "valid alert, token in body",
      expected: "200 processed",
      request: () => ({ path: "/tradingview", delivery: sign("tradingview", sample("tradingview", "tradingview.alert")) }),
    },
    {
      provider: "tradingview",
      name: "wrong token",
      expected: "401 INVALID_TOKEN",
      request: () => ({ path: "/tradingview", delivery: sign("tradingview", sample("tradingview", "tradingview.alert"), { secret: secret() }) }),
    },
    {
      provider: "standard-webhooks",
      name: "valid order.filled",
      expected: "200 processed",
      request: () => ({ path: "/standard-webhooks", delivery: sign("standard-webhooks", sample("standard-webhooks", "order.filled")) }),
    },
    {
      provider: "hmac",
      name: "valid order.filled (X-Signature)",
      expected: "200 processed",
      request: () => ({ path: "/hmac", delivery: sign("hmac", sample("hmac", "order.filled")) }),
    },
  ];

  const server = await startServer({ host: "127.0.0.1", port: 0, routes, onDelivery() {} });
  io.out(`tradehook demo: receivers on ${server.origin} (${routes.map((r) => r.path).join(" ")}), ${cases.length} deliveries`);
  io.out("");
  const rows: string[][] = [["#", "provider", "case", "expected", "actual", ""]];
  let failures = 0;
  try {
    for (const [i, c] of cases.entries()) {
      const { path, delivery } = c.request();
      const actual = await post(server.origin, path, delivery);
      const ok = actual === c.expected;
      if (!ok) failures++;
      rows.push([String(i + 1), c.provider, c.name, c.expected, ok ? actual : io.style.red(actual), ok ? io.style.green("ok") : io.style.red("MISMATCH")]);
    }
  } finally {
    await server.close();
  }
  const [head, ...body] = table(rows);
  io.out(io.style.bold(head!));
  for (const line of body) io.out(line);
  io.out("");
  io.out(failures === 0 ? io.style.green(`all ${cases.length} deliveries got the expected answer`) : io.style.red(`${failures} of ${cases.length} deliveries got an unexpected answer`));
  return failures === 0 ? 0 : 1;
}
