/** @module `tradehook send`: signs a sample (or your) payload exactly as the provider does and POSTs it. */
import { signDelivery } from "../testing/index.js";
import { parseCommand, parseHttpUrl, parseTimestampOption, readInput, requireOption, stringOption, UsageError } from "./args.js";
import { describeFetchError, type Io, redactUrl } from "./format.js";
import { type CliProvider, PROVIDER_FLAGS, PROVIDER_HELP, PROVIDER_NAMES, readProvider } from "./provider-options.js";
import { samplePayload, sampleEvents } from "./samples.js";

/** Help for `tradehook send`. */
export const SEND_HELP = `Usage: tradehook send <event-type> --provider <name> --secret <secret> --url <url> [options]

Signs a sample payload (or your own) exactly as the provider signs it, POSTs it,
and prints the response status and body. Exits 0 on a 2xx answer, 1 otherwise.

${PROVIDER_HELP}

Options:
  --url <url>                  where to POST (required)
  --data <json>                send this payload instead of the sample
  --file <path>                send the payload in this file (- for stdin)
  --timestamp <time>           unix seconds or ISO 8601 (default now); sets the
                               sample's body timestamp and the timestamp header
  --id <id>                    delivery id (pipai, standard-webhooks, hmac --id-header);
                               default random; repeat one to test de-duplication
  --via <body|url>             tradingview: token in the body (default) or ?token= in the URL
  -h, --help                   show this help

Sample events:
${PROVIDER_NAMES.map((p) => `  ${p.padEnd(19)}${p === "standard-webhooks" || p === "hmac" ? `${sampleEvents(p).join(", ")}, or any type` : sampleEvents(p).join(", ")}`).join("\n")}

Examples:
  tradehook send signal.buy --provider apindicators --secret s3cret --url http://127.0.0.1:8787/webhook
  tradehook send watchlist.changes --provider tickerapi --url http://127.0.0.1:8787/webhook
  tradehook send backtest.job_done --provider pipai --url http://127.0.0.1:8787/webhook --id dlv_1
  tradehook send signal.sell --provider apindicators --url http://127.0.0.1:8787/webhook --timestamp 2026-04-03T14:30:00Z
  tradehook send --provider tradingview --secret tv-token --url http://127.0.0.1:8787/webhook --data '{"ticker":"BTCUSDT","action":"buy"}'`;

const OPTIONS = {
  ...PROVIDER_FLAGS,
  url: { type: "string" },
  data: { type: "string" },
  file: { type: "string" },
  timestamp: { type: "string" },
  id: { type: "string" },
  via: { type: "string" },
} as const;

/** Reads `--data` / `--file`: JSON, or (TradingView only) plain text. */
async function readPayload(cli: CliProvider, data: string | undefined, file: string | undefined, io: Io): Promise<unknown> {
  const text = data ?? new TextDecoder().decode(await readInput("send", "file", file!, io.stdin));
  try {
    return JSON.parse(text);
  } catch {
    if (cli.name === "tradingview") return text;
    throw new UsageError(`send: ${data !== undefined ? "--data" : "--file"} is not valid JSON`);
  }
}

/** Puts the event type into a custom payload, or checks it agrees with the one there. */
function withEventType(cli: CliProvider, payload: unknown, type: string | undefined): unknown {
  const field = cli.scheme.eventField;
  if (type === undefined || field === undefined) return payload;
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) return payload;
  const record = payload as Record<string, unknown>;
  if (record[field] === undefined) return { [field]: type, ...record };
  if (record[field] !== type) {
    throw new UsageError(`send: the payload's ${field} is ${JSON.stringify(record[field])} but the command names ${JSON.stringify(type)}`);
  }
  return payload;
}

/** Runs `tradehook send`. */
export async function runSend(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand("send", argv, OPTIONS, true);
  if (values.help) {
    io.out(SEND_HELP);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError(`send: one event type expected, got ${positionals.length} (${positionals.join(" ")})`);
  const cli = readProvider("send", values, io.env);
  const url = parseHttpUrl("send", "url", requireOption("send", values, "url"));
  const data = stringOption(values, "data");
  const file = stringOption(values, "file");
  if (data !== undefined && file !== undefined) throw new UsageError("send: give --data or --file, not both");
  const rawTimestamp = stringOption(values, "timestamp");
  const seconds = rawTimestamp === undefined ? Math.floor(Date.now() / 1000) : parseTimestampOption("send", rawTimestamp);
  const via = stringOption(values, "via");
  if (via !== undefined && via !== "body" && via !== "url") throw new UsageError("send: --via must be body or url");
  if (via !== undefined && cli.name !== "tradingview") throw new UsageError("send: --via applies to --provider tradingview only");
  const id = stringOption(values, "id");

  let type = positionals[0];
  let payload: unknown;
  if (data !== undefined || file !== undefined) {
    payload = withEventType(cli, await readPayload(cli, data, file, io), type);
  } else {
    if (type === undefined && cli.name === "tradingview") type = "tradingview.alert";
    if (type === undefined) {
      throw new UsageError(`send: missing <event-type> (${cli.name} samples: ${sampleEvents(cli.name).join(", ")}), or give --data / --file`);
    }
    payload = samplePayload(cli.name, type, seconds);
    if (payload === undefined) {
      throw new UsageError(`send: ${cli.name} sends no ${JSON.stringify(type)} event (it sends ${sampleEvents(cli.name).join(", ")})`);
    }
  }

  // A sample's body timestamp is always set (now unless --timestamp); a custom payload's only with --timestamp.
  const timestampGiven = rawTimestamp !== undefined || (data === undefined && file === undefined);
  let signed;
  try {
    signed = signDelivery(cli.build(cli.secrets), payload, {
      ...(timestampGiven ? { timestamp: seconds } : {}),
      ...(id !== undefined ? { id } : {}),
      ...(via !== undefined ? { via } : {}),
      url: url.href,
    });
  } catch (error) {
    throw new UsageError(`send: ${(error as Error).message}`);
  }
  const target = signed.url ?? url.href;
  const bytes = new TextEncoder().encode(signed.body);
  const label = [cli.name, type ?? describeType(payload, cli)].filter(Boolean).join(" ");
  io.out(io.style.dim(`POST ${redactUrl(target)}  ${label}  ${bytes.byteLength} bytes`));

  let response: Response;
  let text: string;
  try {
    response = await fetch(target, {
      method: "POST",
      headers: signed.headers,
      body: bytes,
      // Webhook senders do not follow redirects; a 3xx is an answer to fix, not to chase.
      redirect: "manual",
      signal: AbortSignal.timeout(30_000),
    });
    text = await response.text();
  } catch (error) {
    const why = describeFetchError(error);
    const hint = why === "connection refused" ? " (is `tradehook listen` or your app running?)" : "";
    io.err(`send: could not reach ${redactUrl(target)}: ${why}${hint}`);
    return 1;
  }
  const ok = response.status >= 200 && response.status < 300;
  const paint = ok ? io.style.green : io.style.red;
  io.out(paint(`${response.status} ${response.statusText}`.trim()));
  if (text !== "") io.out(text);
  return ok ? 0 : 1;
}

function describeType(payload: unknown, cli: CliProvider): string | undefined {
  if (cli.name === "tradingview") return "tradingview.alert";
  const field = cli.scheme.eventField;
  if (field === undefined || typeof payload !== "object" || payload === null) return undefined;
  const value = (payload as Record<string, unknown>)[field];
  return typeof value === "string" ? value : undefined;
}
