/** @module The provider flags every command shares (`--provider`, `--secret`, the `hmac` scheme flags) and what each provider's scheme looks like on the wire. */
import { apindicators } from "../providers/apindicators.js";
import { hmac, type HmacOptions, type SignatureFormat } from "../providers/hmac.js";
import { pipai } from "../providers/pipai.js";
import type { Provider } from "../providers/provider.js";
import { standardWebhooks } from "../providers/standard-webhooks.js";
import { tickerapi } from "../providers/tickerapi.js";
import { tradingview } from "../providers/tradingview.js";
import { type OptionSpec, readSecrets, stringOption, UsageError, type Values } from "./args.js";

/** Provider names the command accepts. */
export const PROVIDER_NAMES = ["apindicators", "tickerapi", "pipai", "tradingview", "standard-webhooks", "hmac"] as const;

/** One of {@link PROVIDER_NAMES}. */
export type ProviderName = (typeof PROVIDER_NAMES)[number];

/** Flags shared by listen, send and verify. */
export const PROVIDER_FLAGS: OptionSpec = {
  provider: { type: "string", short: "p" },
  secret: { type: "string", short: "s", multiple: true },
  "signature-header": { type: "string" },
  prefix: { type: "string" },
  encoding: { type: "string" },
  algorithm: { type: "string" },
  "timestamp-header": { type: "string" },
  "id-header": { type: "string" },
  "signed-content": { type: "string" },
  "signature-format": { type: "string" },
  "timestamp-unit": { type: "string" },
  "body-format": { type: "string" },
  "secret-encoding": { type: "string" },
  "public-url": { type: "string" },
  event: { type: "string" },
};

const HMAC_ONLY = [
  "signature-header", "prefix", "encoding", "algorithm", "timestamp-header", "id-header", "signed-content", "signature-format", "timestamp-unit",
  "body-format", "public-url", "event",
] as const;

/** Help text for the provider flags. */
export const PROVIDER_HELP = `Provider:
  -p, --provider <name>        ${PROVIDER_NAMES.join(", ")}
  -s, --secret <secret>        signing secret (tradingview: the token); repeat while rotating;
                               default $TRADEHOOK_SECRET, which keeps it out of shell history
  hmac only:
  --signature-header <name>    header holding the signature, e.g. X-Signature (required)
  --prefix <text>              text before the signature, e.g. sha256=
  --encoding <hex|base64>      default hex
  --algorithm <sha256|sha512|sha1>  default sha256
  --timestamp-header <name>    unix-seconds timestamp header, checked for freshness
  --id-header <name>           delivery id header, used as the idempotency key
  --signed-content <template>  what is signed, e.g. '{timestamp}.{body}' or '{url}{body}'; default '{body}'
  --signature-format <layout>  the header is a key=value list: its layout, e.g. Stripe
                               't={timestamp},v1={signature}', Paddle 'ts={timestamp};h1={signature}'
  --timestamp-unit <s|ms>      unit of the timestamp (header or list entry); default s
  --body-format <json|form>    form: an application/x-www-form-urlencoded body; default json
  --public-url <url>           the URL the sender calls, for {url} behind a proxy
  --event <type>               a fixed event type (default: the body's event or type field)
  hmac and standard-webhooks:
  --secret-encoding <enc>      how the secret becomes key bytes: hmac utf8 (default), base64
                               (whsec_ stripped) or hex; standard-webhooks base64 (default) or raw`;

/** Where a provider puts its signature, so verify can diagnose a capture. */
export interface Scheme {
  /** `undefined` for TradingView, which sends a token, not a signature. */
  signatureHeader: string | undefined;
  /** A prefix the signature must carry (`sha256=`, `v1,`). */
  prefix: string | undefined;
  encoding: "hex" | "base64";
  timestampHeader: string | undefined;
  idHeader: string | undefined;
  /** Body field naming the event type (`event`, `type`); `undefined` when fixed (TradingView). */
  eventField: string | undefined;
  /** hmac: the header is a key=value list. */
  signatureFormat?: SignatureFormat | undefined;
  /** hmac: the timestamp's unit. */
  timestampUnit?: "s" | "ms" | undefined;
  /** hmac: the body's format. */
  bodyFormat?: "json" | "form" | undefined;
  /** hmac and standard-webhooks: how the secret becomes key bytes, when given. */
  secretEncoding?: string | undefined;
}

/** A provider built from the command line. */
export interface CliProvider {
  name: ProviderName;
  secrets: string[];
  scheme: Scheme;
  /** Builds the provider with these secrets (verify tries variants of the given one). */
  build(secrets: string[]): Provider;
  /** hmac: builds the provider with some options changed (verify tries the schemes senders often mean). */
  rebuild?: (secrets: string[], changes: Partial<HmacOptions> & { template?: string }) => Provider;
}

/** Reads `--provider`, the secrets and the hmac flags; every mistake is a `UsageError`. */
export function readProvider(command: string, values: Values, env: Record<string, string | undefined>): CliProvider {
  const raw = stringOption(values, "provider");
  if (raw === undefined) throw new UsageError(`${command}: missing --provider (one of ${PROVIDER_NAMES.join(", ")})`);
  const name = (raw === "standardwebhooks" || raw === "standardWebhooks" ? "standard-webhooks" : raw) as ProviderName;
  if (!PROVIDER_NAMES.includes(name)) {
    throw new UsageError(`${command}: unknown provider ${JSON.stringify(raw)} (one of ${PROVIDER_NAMES.join(", ")})`);
  }
  if (name !== "hmac") {
    const stray = HMAC_ONLY.find((flag) => values[flag] !== undefined);
    if (stray) throw new UsageError(`${command}: --${stray} applies to --provider hmac only`);
    if (values["secret-encoding"] !== undefined && name !== "standard-webhooks") {
      throw new UsageError(`${command}: --secret-encoding applies to --provider hmac and standard-webhooks only`);
    }
  }
  const secrets = readSecrets(command, values, env);
  const { scheme, build, rebuild }: { scheme: Scheme; build(secrets: string[]): Provider; rebuild?: CliProvider["rebuild"] } =
    name === "hmac" ? hmacProvider(command, values) : name === "standard-webhooks" ? standardWebhooksProvider(command, values) : PRESETS[name];
  const cli: CliProvider = { name, secrets, scheme, build, ...(rebuild ? { rebuild } : {}) };
  try {
    build(secrets);
  } catch (error) {
    throw new UsageError(`${command}: ${(error as Error).message}`);
  }
  return cli;
}

const secretInput = (secrets: string[]) => (secrets.length === 1 ? secrets[0]! : secrets);

const PRESETS: Record<Exclude<ProviderName, "hmac">, { scheme: Scheme; build(secrets: string[]): Provider }> = {
  apindicators: {
    scheme: { signatureHeader: "X-Webhook-Signature", prefix: "sha256=", encoding: "hex", timestampHeader: undefined, idHeader: undefined, eventField: "event" },
    build: (s) => apindicators({ secret: secretInput(s) }),
  },
  tickerapi: {
    scheme: { signatureHeader: "X-Webhook-Signature", prefix: undefined, encoding: "hex", timestampHeader: undefined, idHeader: undefined, eventField: "event" },
    build: (s) => tickerapi({ secret: secretInput(s) }),
  },
  pipai: {
    scheme: { signatureHeader: "X-PipAI-Signature", prefix: undefined, encoding: "hex", timestampHeader: "X-PipAI-Timestamp", idHeader: "X-PipAI-Delivery", eventField: "event" },
    build: (s) => pipai({ secret: secretInput(s) }),
  },
  tradingview: {
    scheme: { signatureHeader: undefined, prefix: undefined, encoding: "hex", timestampHeader: undefined, idHeader: undefined, eventField: undefined },
    build: (s) => tradingview({ token: secretInput(s) }),
  },
  "standard-webhooks": {
    scheme: { signatureHeader: "webhook-signature", prefix: "v1,", encoding: "base64", timestampHeader: "webhook-timestamp", idHeader: "webhook-id", eventField: "type" },
    build: (s) => standardWebhooks({ secret: secretInput(s) }),
  },
};

/**
 * Reads a `--signature-format` layout such as `t={timestamp},v1={signature}`: entries of
 * key, one assign character and a placeholder, joined by one separator character.
 */
export function parseSignatureFormat(command: string, layout: string): SignatureFormat {
  const fail = () =>
    new UsageError(`${command}: --signature-format must look like 't={timestamp},v1={signature}' (key, = or :, a placeholder; entries joined by one character such as , or ;)`);
  const entry = /^([A-Za-z0-9_.-]+)([=:])\{(signature|timestamp)\}$/;
  for (const pairs of [",", ";", " ", "&", "|"]) {
    const parts = layout.trim().split(pairs);
    const matched = parts.map((part) => entry.exec(part.trim()));
    if (matched.some((m) => !m)) continue;
    const assigns = new Set(matched.map((m) => m![2]));
    const signature = matched.filter((m) => m![3] === "signature");
    const timestamp = matched.filter((m) => m![3] === "timestamp");
    if (assigns.size !== 1 || signature.length !== 1 || timestamp.length > 1) throw fail();
    return { pairs, assign: matched[0]![2]!, signature: signature[0]![1]!, ...(timestamp[0] ? { timestamp: timestamp[0][1]! } : {}) };
  }
  throw fail();
}

function oneOf<T extends string>(command: string, values: Values, flag: string, allowed: readonly T[]): T | undefined {
  const value = stringOption(values, flag);
  if (value !== undefined && !(allowed as readonly string[]).includes(value)) throw new UsageError(`${command}: --${flag} must be ${allowed.join(" or ")}`);
  return value as T | undefined;
}

function standardWebhooksProvider(command: string, values: Values): { scheme: Scheme; build(secrets: string[]): Provider } {
  const secretEncoding = oneOf(command, values, "secret-encoding", ["base64", "raw"] as const);
  return {
    scheme: { ...PRESETS["standard-webhooks"].scheme, secretEncoding },
    build: (s) => standardWebhooks({ secret: secretInput(s), ...(secretEncoding ? { secretEncoding } : {}) }),
  };
}

function hmacProvider(command: string, values: Values): { scheme: Scheme; build(secrets: string[]): Provider; rebuild: NonNullable<CliProvider["rebuild"]> } {
  const header = stringOption(values, "signature-header");
  if (header === undefined) throw new UsageError(`${command}: --provider hmac needs --signature-header <name>`);
  const encoding = oneOf(command, values, "encoding", ["hex", "base64"] as const) ?? "hex";
  const algorithm = oneOf(command, values, "algorithm", ["sha256", "sha512", "sha1"] as const) ?? "sha256";
  const timestampUnit = oneOf(command, values, "timestamp-unit", ["s", "ms"] as const);
  const bodyFormat = oneOf(command, values, "body-format", ["json", "form"] as const);
  const secretEncoding = oneOf(command, values, "secret-encoding", ["utf8", "base64", "hex"] as const);
  const layout = stringOption(values, "signature-format");
  const signatureFormat = layout === undefined ? undefined : parseSignatureFormat(command, layout);
  const publicUrl = stringOption(values, "public-url");
  const event = stringOption(values, "event");
  const prefix = stringOption(values, "prefix");
  if (prefix !== undefined && signatureFormat) throw new UsageError(`${command}: --prefix and --signature-format exclude each other`);
  const timestampHeader = stringOption(values, "timestamp-header");
  if (timestampHeader !== undefined && signatureFormat?.timestamp) {
    throw new UsageError(`${command}: the timestamp comes from --signature-format's {timestamp} or --timestamp-header, not both`);
  }
  const idHeader = stringOption(values, "id-header");
  const template = stringOption(values, "signed-content");
  if (template !== undefined && !template.includes("{body}")) throw new UsageError(`${command}: --signed-content must contain {body}`);
  if (template?.includes("{timestamp}") && !timestampHeader && !signatureFormat?.timestamp) {
    throw new UsageError(`${command}: --signed-content uses {timestamp}; add --timestamp-header or a {timestamp} entry in --signature-format`);
  }
  if (template?.includes("{id}") && !idHeader) throw new UsageError(`${command}: --signed-content uses {id}; add --id-header`);
  const fill = (text: string) => (input: { body: string; timestamp: string | undefined; id: string | undefined; url: string | undefined }) =>
    text.replace(/\{(body|timestamp|id|url)\}/g, (_, key: "body" | "timestamp" | "id" | "url") => input[key] ?? "");
  const options: HmacOptions = {
    secret: "",
    header,
    encoding,
    algorithm,
    ...(prefix !== undefined ? { prefix } : {}),
    ...(timestampHeader !== undefined ? { timestampHeader } : {}),
    ...(idHeader !== undefined ? { idHeader } : {}),
    ...(template !== undefined ? { signedContent: fill(template) } : {}),
    ...(signatureFormat ? { signatureFormat } : {}),
    ...(timestampUnit ? { timestampUnit } : {}),
    ...(bodyFormat ? { bodyFormat } : {}),
    ...(secretEncoding ? { secretEncoding } : {}),
    ...(publicUrl !== undefined ? { publicUrl } : {}),
    ...(event !== undefined ? { event } : {}),
  };
  const rebuild: NonNullable<CliProvider["rebuild"]> = (secrets, { template: changed, ...changes }) =>
    hmac({ ...options, ...changes, ...(changed !== undefined ? { signedContent: fill(changed) } : {}), secret: secretInput(secrets) });
  return {
    scheme: { signatureHeader: header, prefix, encoding, timestampHeader, idHeader, eventField: "event", signatureFormat, timestampUnit, bodyFormat, secretEncoding },
    build: (secrets) => hmac({ ...options, secret: secretInput(secrets) }),
    rebuild,
  };
}
