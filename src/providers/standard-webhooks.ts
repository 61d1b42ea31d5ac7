/**
 * @module The Standard Webhooks preset (also what Svix sends): `v1,<base64>` over `${id}.${timestamp}.${body}`.
 */
import { SignatureError } from "../errors.js";
import { decodeBase64, encodeBase64 } from "../crypto/signature.js";
import { readUnixSeconds } from "../timestamps.js";
import type { Provider } from "./provider.js";
import {
  asObject,
  eventField,
  readDeliveryId,
  rejectUnknownOptions,
  requireHmac,
  type SecretInput,
  secretKeys,
  serialize,
  whenChecked,
} from "./shared.js";

/** Options of {@link standardWebhooks}. */
export interface StandardWebhooksOptions {
  /** `whsec_...` secrets (base64 after the prefix), or several while rotating. */
  secret: SecretInput;
}

const MAX_SIGNATURES = 8;

/** Decodes a Standard Webhooks secret: an optional `whsec_` prefix, then base64. */
export function standardWebhooksKey(secret: string): Uint8Array {
  const body = secret.startsWith("whsec_") ? secret.slice(6) : secret;
  const key = decodeBase64(body);
  if (!key || key.length === 0) {
    throw new TypeError("standardWebhooks: secret must be whsec_ followed by base64 (as the sender's dashboard shows it)");
  }
  return key;
}

/**
 * Standard Webhooks senders (https://www.standardwebhooks.com). Every event type passes
 * through untyped unless you register a schema for it with `createReceiver({ events })`.
 *
 * @example
 * ```ts
 * const receiver = createReceiver({ provider: standardWebhooks({ secret: process.env.WEBHOOK_SECRET! }) });
 * receiver.on("*", (event) => console.log(event.type, event.id));
 * ```
 */
export function standardWebhooks(options: StandardWebhooksOptions): Provider<{}, true> {
  if (typeof options !== "object" || options === null) throw new TypeError("standardWebhooks: options are required: { secret }");
  rejectUnknownOptions("standardWebhooks", options, ["secret"]);
  const keys = secretKeys("standardWebhooks", options.secret, standardWebhooksKey);
  return {
    name: "standard-webhooks",
    events: {},
    open: true,
    tolerance: 300,
    retainMs: 7 * 24 * 60 * 60 * 1000,
    authenticate(view) {
      const entries = view.headers.getAll("webhook-signature").join(" ").split(/\s+/).filter(Boolean);
      if (entries.length === 0) throw new SignatureError("MISSING_SIGNATURE", "webhook-signature header is missing");
      if (entries.length > MAX_SIGNATURES) {
        throw new SignatureError("INVALID_SIGNATURE", `webhook-signature holds ${entries.length} signatures; at most ${MAX_SIGNATURES} are tried`);
      }
      const candidates = entries.filter((e) => e.startsWith("v1,")).map((e) => e.slice(3));
      if (candidates.length === 0) {
        throw new SignatureError("INVALID_SIGNATURE", "webhook-signature has no v1,<base64> signature");
      }
      const id = view.headers.get("webhook-id")?.trim();
      if (!id) throw new SignatureError("MISSING_SIGNATURE", "webhook-id header is missing (it is part of the signed content)");
      const timestamp = readUnixSeconds(view.headers.get("webhook-timestamp"), "webhook-timestamp");
      return whenChecked(requireHmac(view, "webhook-signature", "sha256", keys, [`${id}.${timestamp.shown}.`, view.body], candidates, "base64"), () => ({
        timestamp,
        id: readDeliveryId(view, "webhook-id"),
      }));
    },
    parse: (view) => view.json(),
    bodyTimestamp: () => undefined,
    describe(payload) {
      const body = asObject(payload);
      // The spec's own known-answer body has no `type`: such a message is still delivered, as "unknown".
      const type = body.type === undefined ? "unknown" : eventField(body, "type");
      const wrapped = Object.hasOwn(body, "data");
      return { type, data: wrapped ? body.data : body, dataPath: wrapped ? ["data"] : [], payload };
    },
    sign(input, hmac) {
      const body = serialize(input.payload);
      const key = input.secret === undefined ? keys[0]! : standardWebhooksKey(input.secret);
      const seconds = String(input.timestamp);
      const signature = encodeBase64(hmac("sha256", key, [`${input.id}.${seconds}.`, body]));
      return {
        body,
        headers: {
          "content-type": "application/json",
          "webhook-id": input.id,
          "webhook-timestamp": seconds,
          "webhook-signature": `v1,${signature}`,
        },
      };
    },
  };
}
