/** @module `tradehook listen`: a local receiver for any provider that prints one line per delivery and can forward verified deliveries to your app. */
import { createInspector, type Inspector, isLoopback } from "../inspector/index.js";
import { DEFAULT_QUEUE_NAME } from "../queues/jobs.js";
import { createReceiver } from "../receiver/index.js";
import { integerOption, parseCommand, parseHttpUrl, secondsOption, stringOption, UsageError } from "./args.js";
import { clockTime, type Io, pad, shownRedisUrl, type Style } from "./format.js";
import { PROVIDER_FLAGS, PROVIDER_HELP, readProvider } from "./provider-options.js";
import { type DeliveryRecord, forwardTo, startServer } from "./server.js";

/** Help for `tradehook listen`. */
export const LISTEN_HELP = `Usage: tradehook listen --provider <name> --secret <secret> [options]

Runs a webhook receiver on this machine and prints one line per delivery:
time, status, outcome or error code, event type, id, duration.
On a loopback address it also serves the inspector at / on the same port: every
delivery live, why it failed, replay, copy as curl; with --queue, a Jobs view of
your BullMQ queue (counts per state, failed jobs and their reasons, retry).
Stop it with Ctrl-C.

${PROVIDER_HELP}

Options:
  --port <n>                   port to listen on (default 8787; 0 picks a free one)
  --host <address>             address to bind (default 127.0.0.1)
  --path <path>                webhook path (default /webhook)
  --forward <url>              re-send each verified delivery (original headers and body)
                               to your app and print its status
  --tolerance <seconds>        freshness window (default the provider's, 300)
  --max-body-bytes <n>         body cap (default 1048576)
  --no-inspector               do not serve the inspector page
  --queue <redis url>          show the Jobs view of the queue your app hands events to
                               (bullmqQueue; needs bullmq and ioredis installed)
  --queue-name <name>          that queue's name (default ${DEFAULT_QUEUE_NAME})
  -h, --help                   show this help

Examples:
  export TRADEHOOK_SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
  tradehook listen --provider standard-webhooks
  tradehook listen --provider apindicators --secret s3cret --port 9000
  tradehook listen --provider tradingview --secret tv-token --forward http://localhost:3000/webhooks/tv
  tradehook listen --provider hmac --secret s3cret --signature-header X-Signature --prefix sha256=
  tradehook listen --provider apindicators --queue redis://127.0.0.1:6379 --queue-name signals`;

const OPTIONS = {
  ...PROVIDER_FLAGS,
  port: { type: "string" },
  host: { type: "string" },
  path: { type: "string" },
  forward: { type: "string" },
  tolerance: { type: "string" },
  "max-body-bytes": { type: "string" },
  "no-inspector": { type: "boolean" },
  queue: { type: "string" },
  "queue-name": { type: "string" },
} as const;

// A body-hash id is 64 hex characters; its first twelve identify it in a terminal.
function shortId(id: string | undefined): string {
  if (id === undefined) return "-";
  return /^[0-9a-f]{64}$/.test(id) ? `${id.slice(0, 12)}…` : id;
}

/** Formats one delivery record as a line. */
export function formatRecord(record: DeliveryRecord, style: Style): string {
  const ok = record.status >= 200 && record.status < 300;
  const paint = ok ? style.green : record.status >= 500 ? style.red : style.yellow;
  const forward = record.forward
    ? record.forward.status !== undefined
      ? `-> app ${record.forward.status}`
      : "-> app failed"
    : "";
  const cells = [
    style.dim(clockTime(record.time)),
    pad(paint(`${record.status} ${record.outcome}`), 23),
    pad(record.type ?? "-", 18),
    pad(shortId(record.id), 16),
    pad(`${Math.max(0, Math.round(record.ms))} ms`, 6),
    forward,
    record.message ? style.dim(record.message) : "",
    record.via ? style.dim(`(${record.via})`) : "",
  ];
  return cells.filter((cell, i) => i < 5 || cell !== "").join("  ").trimEnd();
}

function readQueue(values: Parameters<typeof stringOption>[0]): { url: string; name: string } | undefined {
  const url = stringOption(values, "queue");
  const name = stringOption(values, "queue-name");
  if (url === undefined) {
    if (name !== undefined) throw new UsageError("listen: --queue-name needs --queue <redis url>");
    return undefined;
  }
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {}
  if (!parsed || (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:")) {
    throw new UsageError(`listen: --queue takes the Redis URL of the queue (redis://host:6379), got ${JSON.stringify(parsed ? shownRedisUrl(url) : url)}; name the queue with --queue-name`);
  }
  if (name !== undefined && name.trim() === "") throw new UsageError("listen: --queue-name must not be empty");
  return { url, name: name ?? DEFAULT_QUEUE_NAME };
}

/** Runs `tradehook listen`; resolves with the exit code once stopped by SIGINT or SIGTERM. */
export async function runListen(argv: readonly string[], io: Io, signals: NodeJS.EventEmitter = process): Promise<number> {
  const { values } = parseCommand("listen", argv, OPTIONS);
  if (values.help) {
    io.out(LISTEN_HELP);
    return 0;
  }
  const cli = readProvider("listen", values, io.env);
  const port = integerOption("listen", values, "port", 8787, 0, 65535);
  const host = stringOption(values, "host") ?? "127.0.0.1";
  const path = stringOption(values, "path") ?? "/webhook";
  if (!path.startsWith("/")) throw new UsageError(`listen: --path must start with /, got ${JSON.stringify(path)}`);
  const forwardRaw = stringOption(values, "forward");
  const forward = forwardRaw === undefined ? undefined : parseHttpUrl("listen", "forward", forwardRaw);
  const tolerance = secondsOption("listen", values, "tolerance");
  const maxBodyBytes = integerOption("listen", values, "max-body-bytes", 1_048_576, 1, 2 ** 31 - 1);
  const jobs = readQueue(values);

  const receiver = createReceiver({
    provider: cli.build(cli.secrets),
    maxBodyBytes,
    // Every line is printed from the result; the receiver's own log would repeat it.
    logger: {},
    ...(tolerance !== undefined ? { tolerance } : {}),
  });
  receiver.on("*", forward ? forwardTo(forward) : () => {});

  // A page that replays signed deliveries is for this machine only: never served on a public address.
  const inspector: Inspector | undefined =
    values["no-inspector"] === true || !isLoopback(host) ? undefined : createInspector({ cli, tolerance: tolerance ?? receiver.provider.tolerance, path, jobs });
  let count = 0;
  let server;
  try {
    server = await startServer({
      host,
      port,
      routes: [{ path, receiver }],
      onDelivery(record) {
        count++;
        inspector?.record(record);
        io.out(formatRecord(record, io.style));
      },
      ...(inspector ? { intercept: (req, res) => inspector.intercept(req, res) } : {}),
    });
    inspector?.attach(server);
  } catch (error) {
    const code = (error as { code?: string }).code;
    const why = code === "EADDRINUSE" ? `port ${port} is already in use (try --port 0)` : code === "EADDRNOTAVAIL" ? `${host} is not an address of this machine` : String((error as Error).message);
    io.err(`listen: cannot listen on ${host}:${port}: ${why}`);
    return 1;
  }
  io.out(`${io.style.bold("tradehook listening on")} ${io.style.cyan(`${server.origin}${path}`)} (${cli.name})`);
  if (forward) io.out(`forwarding verified deliveries to ${forward.href}`);
  if (inspector) io.out(`inspector on ${io.style.cyan(`${server.origin}/`)}`);
  else if (values["no-inspector"] !== true) io.out(io.style.dim(`no inspector: ${host} is not a loopback address`));
  if (inspector && jobs) io.out(`jobs of queue ${jobs.name} on ${shownRedisUrl(jobs.url)} in the inspector's Jobs tab`);
  else if (jobs) io.out(io.style.dim("--queue is ignored: the Jobs view is part of the inspector, which is not served"));
  io.out(io.style.dim("Ctrl-C to stop"));

  await new Promise<void>((resolve) => {
    const stop = () => {
      signals.off("SIGINT", stop);
      signals.off("SIGTERM", stop);
      resolve();
    };
    signals.on("SIGINT", stop);
    signals.on("SIGTERM", stop);
  });
  await inspector?.close();
  await server.close();
  io.out(`stopped after ${count} ${count === 1 ? "delivery" : "deliveries"}`);
  return 0;
}
