/** @module The provider flags every command shares (`--provider`, `--secret`, the `hmac` scheme flags) and what each provider's scheme looks like on the wire. */
import { apindicators } from "../providers/apindicators.js";
import { hmac } from "../providers/hmac.js";
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
};

const HMAC_ONLY = ["signature-header", "prefix", "encoding", "algorithm", "timestamp-header", "id-header", "signed-content"] as const;

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
  --signed-content <template>  what is signed, e.g. '{timestamp}.{body}'; default '{body}'`;

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
}

/** A provider built from the command line. */
export interface CliProvider {
  name: ProviderName;
  secrets: string[];
  scheme: Scheme;
  /** Builds the provider with these secrets (verify tries variants of the given one). */
  build(secrets: string[]): Provider;
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
  }
  const secrets = readSecrets(command, values, env);
  const { scheme, build } = name === "hmac" ? hmacProvider(command, values) : PRESETS[name];
  const cli: CliProvider = { name, secrets, scheme, build };
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

function hmacProvider(command: string, values: Values): { scheme: Scheme; build(secrets: string[]): Provider } {
  const header = stringOption(values, "signature-header");
  if (header === undefined) throw new UsageError(`${command}: --provider hmac needs --signature-header <name>`);
  const encoding = stringOption(values, "encoding") ?? "hex";
  if (encoding !== "hex" && encoding !== "base64") throw new UsageError(`${command}: --encoding must be hex or base64`);
  const algorithm = stringOption(values, "algorithm") ?? "sha256";
  if (algorithm !== "sha256" && algorithm !== "sha512" && algorithm !== "sha1") {
    throw new UsageError(`${command}: --algorithm must be sha256, sha512 or sha1`);
  }
  const prefix = stringOption(values, "prefix");
  const timestampHeader = stringOption(values, "timestamp-header");
  const idHeader = stringOption(values, "id-header");
  const template = stringOption(values, "signed-content");
  if (template !== undefined && !template.includes("{body}")) throw new UsageError(`${command}: --signed-content must contain {body}`);
  if (template?.includes("{timestamp}") && !timestampHeader) throw new UsageError(`${command}: --signed-content uses {timestamp}; add --timestamp-header`);
  if (template?.includes("{id}") && !idHeader) throw new UsageError(`${command}: --signed-content uses {id}; add --id-header`);
  const fill = (input: { body: string; timestamp: string | undefined; id: string | undefined }) =>
    template!.replace(/\{(body|timestamp|id)\}/g, (_, key: "body" | "timestamp" | "id") => input[key] ?? "");
  return {
    scheme: { signatureHeader: header, prefix, encoding, timestampHeader, idHeader, eventField: "event" },
    build: (secrets) =>
      hmac({
        secret: secretInput(secrets),
        header,
        encoding,
        algorithm,
        ...(prefix !== undefined ? { prefix } : {}),
        ...(timestampHeader !== undefined ? { timestampHeader } : {}),
        ...(idHeader !== undefined ? { idHeader } : {}),
        ...(template !== undefined ? { signedContent: fill } : {}),
      }),
  };
}
