/** @module `tradehook verify`: whether a captured delivery verifies and, if not, the likely reason; the expected signature only with `--show-expected`. */
import { readFile } from "node:fs/promises";
import { signDelivery } from "../testing/index.js";
import {
  listOption,
  parseCommand,
  parseHeader,
  readInput,
  requireOption,
  secondsOption,
  stringOption,
  UsageError,
} from "./args.js";
import { AUTHENTICITY_CODES, attempt, type CapturedHeaders, diagnose, explainNoMatch, explainRefusal } from "./diagnose.js";
import { formatAge, type Io } from "./format.js";
import { type CliProvider, PROVIDER_FLAGS, PROVIDER_HELP, readProvider } from "./provider-options.js";

/** Help for `tradehook verify`. */
export const VERIFY_HELP = `Usage: tradehook verify --provider <name> --secret <secret> --body-file <path> --header 'Name: value'... [options]

Checks whether a captured delivery is authentic and, if not, names the likely cause:
wrong secret, trailing newline, re-serialised JSON, missing prefix, hex vs base64,
whsec_ secret used raw, wrong header name, a key=value signature header, a
base64 or hex secret, millisecond timestamps, a form-encoded body. A capture is usually old: its age is
reported, and counts only with --tolerance. Exits 0 when it verifies, 1 otherwise.

${PROVIDER_HELP}

Options:
  --body-file <path>           the exact body bytes as received (- for stdin)
  --header 'Name: value'       a captured header; repeat for each
  --headers-file <path>        captured headers, one 'Name: value' per line
  --url <url>                  the request URL: a tradingview ?token=, or the absolute URL
                               a sender signs (--signed-content '{url}...')
  --tolerance <seconds>        also require the timestamp to be this fresh
  --show-expected              print the signature this secret gives for this body
  -h, --help                   show this help

Examples:
  tradehook verify --provider apindicators --secret s3cret --body-file body.json \\
    --header 'X-Webhook-Signature: sha256=5f0c...'
  tradehook verify --provider standard-webhooks --body-file body.json \\
    --header 'webhook-id: msg_p5jXN8AQM9LWM0D4loKWxJek' --header 'webhook-timestamp: 1614265330' \\
    --header 'webhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE='
  tradehook verify --provider pipai --body-file body.json --headers-file headers.txt --tolerance 300`;

const OPTIONS = {
  ...PROVIDER_FLAGS,
  "body-file": { type: "string" },
  header: { type: "string", multiple: true },
  "headers-file": { type: "string" },
  url: { type: "string" },
  tolerance: { type: "string" },
  "show-expected": { type: "boolean" },
} as const;

async function readHeadersFile(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new UsageError(`verify: --headers-file ${JSON.stringify(path)}: ${(error as { code?: string }).code === "ENOENT" ? "no such file" : String(error)}`);
  }
  // Skips blank lines and a request line such as "POST /webhook HTTP/1.1" from a request-bin copy.
  return text.split(/\r?\n/).filter((line) => line.trim() !== "" && !/^[A-Z]+ \S+ HTTP\/\d/.test(line));
}

function collectHeaders(lines: readonly string[]): CapturedHeaders {
  const headers: CapturedHeaders = {};
  for (const line of lines) {
    const [name, value] = parseHeader("verify", line);
    const key = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase()) ?? name;
    (headers[key] ??= []).push(value);
  }
  return headers;
}

function headerValue(headers: CapturedHeaders, name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : headers[key]!.join(", ");
}

/** The signature each secret gives for these exact bytes, computed the way the sender computes it. */
function expectedSignatures(cli: CliProvider, body: Uint8Array, headers: CapturedHeaders, url: string | undefined): string[] {
  const { signatureHeader, timestampHeader, idHeader } = cli.scheme;
  if (signatureHeader === undefined) return ["tradingview sends a token, not a signature: the body's passphrase (or the URL's ?token=) must equal --secret"];
  const text = new TextDecoder().decode(body);
  const format = cli.scheme.signatureFormat;
  const unit = cli.scheme.timestampUnit ?? "s";
  const listed = format?.timestamp
    ? headerValue(headers, signatureHeader)
        ?.split(format.pairs ?? ",")
        .map((entry) => entry.trim().split(format.assign ?? "="))
        .find(([key]) => key?.trim() === format.timestamp)?.[1]
    : undefined;
  const timestamp = (format?.timestamp ? listed : headerValue(headers, timestampHeader))?.trim();
  const id = headerValue(headers, idHeader)?.trim();
  const where = format?.timestamp ? `the ${format.timestamp} entry of ${signatureHeader}` : timestampHeader;
  if (where && (timestamp === undefined || !(unit === "ms" ? /^\d{1,13}$/ : /^\d{1,10}$/).test(timestamp))) {
    return [`cannot compute: the signature covers ${where}, which is missing or not unix ${unit === "ms" ? "milliseconds" : "seconds"}`];
  }
  if (timestamp !== undefined && unit === "ms" && Number(timestamp) % 1000 !== 0) {
    return [`cannot compute: ${where} is not on a whole second, which signDelivery cannot reproduce`];
  }
  const seconds = timestamp === undefined ? undefined : unit === "ms" ? Number(timestamp) / 1000 : Number(timestamp);
  if (cli.name === "standard-webhooks" && id === undefined) return ["cannot compute: the signature covers webhook-id, which is missing"];
  return cli.secrets.map((secret, i) => {
    const provider = cli.build([secret]);
    const signed = signDelivery(provider, text, { ...(seconds !== undefined ? { timestamp: seconds } : {}), ...(id ? { id } : {}), ...(url !== undefined ? { url } : {}) });
    const value = signed.headers[signatureHeader.toLowerCase()];
    return `${cli.secrets.length > 1 ? `secret ${i + 1}: ` : ""}${signatureHeader}: ${value}`;
  });
}

/** Runs `tradehook verify`. */
export async function runVerify(argv: readonly string[], io: Io): Promise<number> {
  const { values } = parseCommand("verify", argv, OPTIONS);
  if (values.help) {
    io.out(VERIFY_HELP);
    return 0;
  }
  const cli = readProvider("verify", values, io.env);
  const bodyPath = requireOption("verify", values, "body-file");
  const tolerance = secondsOption("verify", values, "tolerance");
  const lines = listOption(values, "header");
  const headersFile = stringOption(values, "headers-file");
  if (headersFile !== undefined) lines.push(...(await readHeadersFile(headersFile)));
  const headers = collectHeaders(lines);
  const body = await readInput("verify", "body-file", bodyPath, io.stdin);
  const url = stringOption(values, "url");
  const showExpected = values["show-expected"] === true;
  const { style } = io;

  const result = await attempt(cli.build(cli.secrets), { body, headers, method: "POST", url: url ?? "/" });
  const showExpectations = () => {
    if (showExpected) {
      const received = headerValue(headers, cli.scheme.signatureHeader);
      if (cli.scheme.signatureHeader) io.out(`  received   ${cli.scheme.signatureHeader}: ${received ?? "(missing)"}`);
      for (const line of expectedSignatures(cli, body, headers, url)) io.out(`  expected   ${line}`);
    }
  };

  if (result.event) {
    const event = result.event;
    const ageSeconds = event.timestamp ? (Date.now() - event.timestamp.getTime()) / 1000 : undefined;
    const when = ageSeconds === undefined ? undefined : ageSeconds >= 0 ? `${formatAge(ageSeconds)} ago` : `${formatAge(ageSeconds)} in the future`;
    const stale = tolerance !== undefined && ageSeconds !== undefined && Math.abs(ageSeconds) > tolerance;
    if (stale) {
      const code = ageSeconds! > 0 ? "TIMESTAMP_TOO_OLD" : "TIMESTAMP_IN_FUTURE";
      io.out(style.red(`not verified: ${code}`));
      io.out(`  the signature is valid, but the timestamp is ${when} (tolerance ${tolerance} s)`);
      io.out("  likely cause: stale timestamp: a receiver with this tolerance rejects it (a replayed or late delivery, or a clock that is off)");
      showExpectations();
      return 1;
    }
    const provider = cli.build(cli.secrets);
    const known = provider.open || Object.hasOwn(provider.events, event.type);
    io.out(style.green(`verified: ${cli.name} ${event.type}`));
    io.out(`  id         ${event.id}`);
    if (event.timestamp) io.out(`  timestamp  ${event.timestamp.toISOString().replace(".000Z", "Z")} (${when})`);
    else io.out("  timestamp  none in this delivery");
    if (tolerance !== undefined) io.out(`  freshness  ${event.timestamp ? `within ${tolerance} s` : "nothing to check"}`);
    else io.out(style.dim("  freshness  not checked (add --tolerance <seconds> to check it)"));
    if (!known) io.out(`  note       ${event.type} is not in ${cli.name}'s catalogue: a receiver answers 200 ignored`);
    showExpectations();
    return 0;
  }

  const error = result.error;
  io.out(style.red(`not verified: ${error.code}`));
  io.out(`  ${error.message}`);
  if (!AUTHENTICITY_CODES.has(error.code)) {
    if (error.status === 400) io.out("  the signature is valid, but a receiver rejects the payload (400)");
    const refusal = explainRefusal(cli, error, body);
    if (refusal) io.out(`  likely cause: ${style.bold(refusal.title)}: ${refusal.detail}`);
    showExpectations();
    return 1;
  }
  const causes = await diagnose(cli, body, headers, url ?? "/");
  if (causes) {
    for (const cause of causes) io.out(`  likely cause: ${style.bold(cause.title)}: ${cause.detail}`);
  } else {
    const signaturePresent = headerValue(headers, cli.scheme.signatureHeader) !== undefined;
    const cause = explainNoMatch(cli, error, headers, signaturePresent);
    io.out(`  likely cause: ${style.bold(cause.title)}: ${cause.detail}`);
  }
  if (showExpected) showExpectations();
  else if (cli.scheme.signatureHeader) io.out(style.dim("  (the expected signature is not printed; add --show-expected to see it)"));
  return 1;
}
