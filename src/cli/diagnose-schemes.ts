/** @module The causes `tradehook verify` finds in senders' own schemes: a key=value signature header, a base64 or hex secret, millisecond timestamps, a form-encoded body. */
import type { WebhookError } from "../errors.js";
import type { Provider } from "../providers/provider.js";
import type { CapturedHeaders, Cause, Option } from "./diagnose.js";
import type { CliProvider } from "./provider-options.js";

/** A captured header's value, several values joined with ", ". */
export function findHeader(headers: CapturedHeaders, name: string): string | undefined {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : headers[key]!.join(", ");
}

/** hmac: the same secret read as base64 (whsec_ stripped) or hex bytes. */
export function secretEncodingVariants(cli: CliProvider): Option<Provider>[] {
  const out: Option<Provider>[] = [];
  const rebuild = cli.rebuild;
  if (cli.scheme.secretEncoding) return out;
  if (rebuild && cli.name === "hmac") {
    for (const [secretEncoding, shown] of [["base64", "base64-decoded (whsec_ stripped)"], ["hex", "hex-decoded"]] as const) {
      try {
        out.push({
          value: rebuild(cli.secrets, { secretEncoding }),
          causes: [{
            kind: "secret-encoding",
            title: `${secretEncoding} secret`,
            detail: `the sender signs with the secret's ${shown} bytes, not its text: pass --secret-encoding ${secretEncoding} (secretEncoding: "${secretEncoding}").`,
          }],
        });
      } catch {
        // not a valid secret in this encoding
      }
    }
  }
  return out;
}

/** What a key=value signature header such as Stripe's `t=..,v1=..` holds: its layout and the scheme options to try. */
function listLayouts(value: string): { format: { pairs: string; assign: string; signature: string; timestamp?: string }; unit: "s" | "ms" }[] {
  const pairs = value.includes(";") ? ";" : ",";
  const entries = value.split(pairs).map((e) => e.trim()).filter(Boolean);
  const parsed = entries.map((e) => /^([A-Za-z0-9_.-]+)=(.+)$/.exec(e));
  if (entries.length < 2 || parsed.some((m) => !m)) return [];
  const stamp = parsed.find((m) => /^\d{10}$|^\d{13}$/.test(m![2]!));
  const keys = [...new Set(parsed.filter((m) => m !== stamp && /^[0-9a-fA-F]{40,}$|^[A-Za-z0-9+/_-]{27,}={0,2}$/.test(m![2]!)).map((m) => m![1]!))];
  return keys.map((signature) => ({
    format: { pairs, assign: "=", signature, ...(stamp ? { timestamp: stamp[1]! } : {}) },
    unit: stamp && stamp[2]!.length === 13 ? "ms" : "s",
  }));
}

/** hmac: the header is a key=value list (Stripe, Paddle) but no --signature-format was given. */
export function schemeVariants(cli: CliProvider, headers: CapturedHeaders): Option<Provider>[] {
  const header = cli.scheme.signatureHeader;
  const rebuild = cli.rebuild;
  if (!rebuild || cli.scheme.signatureFormat || header === undefined) return [];
  const value = findHeader(headers, header);
  if (value === undefined) return [];
  const out: Option<Provider>[] = [];
  for (const { format, unit } of listLayouts(value)) {
    const layout = [...(format.timestamp ? [`${format.timestamp}={timestamp}`] : []), `${format.signature}={signature}`].join(format.pairs);
    const templates = format.timestamp ? ["{timestamp}.{body}", "{timestamp}:{body}", "{body}"] : [undefined];
    for (const template of templates) {
      try {
        const provider = rebuild(cli.secrets, {
          signatureFormat: format,
          prefix: undefined,
          ...(format.timestamp ? { timestampHeader: undefined, timestampUnit: unit } : {}),
          ...(template ? { template } : {}),
        });
        const content = template ? ` and --signed-content '${template}'` : "";
        out.push({
          value: provider,
          causes: [{
            kind: "signature-list",
            title: "key=value signature header",
            detail: `${header} is a key=value list, not one signature: pass --signature-format '${layout}'${content}${unit === "ms" ? " and --timestamp-unit ms" : ""} (in code: hmac({ signatureFormat: ${JSON.stringify(format)} })).`,
          }],
        });
      } catch {
        // an option combination hmac() refuses cannot be what the sender meant
      }
    }
  }
  return out;
}

/**
 * Why an authentic delivery is still refused, when a provider option explains it: a
 * millisecond timestamp, or a form-encoded body.
 */
export function explainRefusal(cli: CliProvider, error: WebhookError, body: Uint8Array): Cause | undefined {
  if (error.code === "TIMESTAMP_INVALID" && /milliseconds/.test(error.message) && cli.scheme.timestampUnit !== "ms") {
    return {
      kind: "timestamp-unit",
      title: "timestamp in milliseconds",
      detail: cli.name === "hmac"
        ? "the sender sends unix milliseconds: pass --timestamp-unit ms (timestampUnit: \"ms\")."
        : `${cli.name} sends unix seconds; this one is in milliseconds, so the sender is not ${cli.name}'s scheme.`,
    };
  }
  if (error.code === "INVALID_JSON" && cli.scheme.bodyFormat !== "form") {
    const text = new TextDecoder().decode(body).trim();
    if (/^[^{["\s=&]+=[^\s]*$/.test(text)) {
      return {
        kind: "form-body",
        title: "form-encoded body",
        detail: cli.name === "hmac"
          ? "the signature is valid and the body is application/x-www-form-urlencoded (Slack slash commands, Twilio): pass --body-format form (bodyFormat: \"form\")."
          : `the body is form-encoded, which ${cli.name} never sends.`,
      };
    }
  }
  return undefined;
}

