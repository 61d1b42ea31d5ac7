/**
 * @module The Standard Webhooks preset (also what Svix sends): `v1,<base64>` over `${id}.${timestamp}.${body}`.
 */
import { SignatureError } from "../errors.js";
import { decodeBase64, encodeBase64, matchHmac } from "../crypto/signature.js";
import type { CryptoPlatform } from "../crypto/index.js";
import { readTimestamp } from "../timestamps.js";
import type { DeliveryView, Provider } from "./provider.js";
import { MAX_SIGNATURE_CANDIDATES } from "./sender-schemes.js";
import {
  asObject,
  eventField,
  readDeliveryId,
  rejectUnknownOptions,
  type SecretInput,
  secretKeys,
  serialize,
  whenChecked,
} from "./shared.js";

/** Options of {@link standardWebhooks}: a `secret` (HMAC, `v1`), a `publicKey` (Ed25519, `v1a`), or both. */
export interface StandardWebhooksOptions {
  /** `whsec_...` secrets (base64 after the prefix), or several while rotating. */
  secret?: SecretInput;
  /** `"base64"` (default: `whsec_` optional, then base64) or `"raw"`: the secret's UTF-8 bytes are the key. */
  secretEncoding?: "base64" | "raw";
  /** `whpk_...` Ed25519 public keys (base64 of 32 bytes after the prefix) verifying the spec's asymmetric `v1a` signatures. */
  publicKey?: SecretInput;
}

const encoder = new TextEncoder();

/** Decodes a Standard Webhooks secret: an optional `whsec_` prefix, then base64. */
export function standardWebhooksKey(secret: string): Uint8Array {
  const body = secret.startsWith("whsec_") ? secret.slice(6) : secret;
  const key = decodeBase64(body);
  if (!key || key.length === 0) {
    throw new TypeError("standardWebhooks: secret must be whsec_ followed by base64 (as the sender's dashboard shows it), or set secretEncoding: \"raw\"");
  }
  return key;
}

/** Decodes a `whpk_` Ed25519 public key; a `TypeError` unless it is base64 of exactly 32 bytes. */
export function standardWebhooksPublicKey(text: string): Uint8Array {
  const key = decodeBase64(text.startsWith("whpk_") ? text.slice(5) : text);
  if (!key) throw new TypeError("standardWebhooks: publicKey must be whpk_ followed by base64");
  if (key.length !== 32) throw new TypeError(`standardWebhooks: publicKey must hold a 32-byte Ed25519 key, got ${key.length} bytes`);
  return key;
}

/** Decodes a `whsk_` Ed25519 private key (the 32-byte seed, or the 64-byte seed and public key) for signing test deliveries. */
export function standardWebhooksPrivateKey(text: string): Uint8Array {
  const key = decodeBase64(text.startsWith("whsk_") ? text.slice(5) : text);
  if (!key || (key.length !== 32 && key.length !== 64)) throw new TypeError("privateKey must be whsk_ followed by the base64 of a 32-byte Ed25519 seed (or 64 bytes: seed and public key)");
  return key.subarray(0, 32);
}

const NONE = new Uint8Array(0);

/** Whether any v1a candidate is a valid Ed25519 signature under any key (every pair is tried). */
function matchEd25519(crypto: CryptoPlatform, keys: readonly Uint8Array[], candidates: readonly string[], content: readonly (string | Uint8Array)[]) {
  const results = keys.flatMap((key) => candidates.map((c) => crypto.verifyEd25519(key, decodeBase64(c, true) ?? NONE, content)));
  return results.every((r) => typeof r === "boolean") ? results.some(Boolean) : Promise.all(results).then((all) => all.some(Boolean));
}

/** The three header names of one family. Constants: names built per delivery cost verify() 4.6% more instructions at 512 B (now +0.3% over one family). */
interface HeaderFamily {
  signature: string;
  id: string;
  timestamp: string;
  /** How messages name the timestamp header. */
  timestampLabel: string;
}
const WEBHOOK: HeaderFamily = { signature: "webhook-signature", id: "webhook-id", timestamp: "webhook-timestamp", timestampLabel: "webhook-timestamp header" };
const SVIX: HeaderFamily = { signature: "svix-signature", id: "svix-id", timestamp: "svix-timestamp", timestampLabel: "svix-timestamp header" };

/** The signature values and their family: `webhook-*`, or `svix-*` when `webhook-signature` is absent (Clerk, Resend). */
function signatureValues(view: DeliveryView): { family: HeaderFamily; values: string[] } {
  const values = view.headers.getAll(WEBHOOK.signature);
  if (values.length > 0) return { family: WEBHOOK, values };
  const svix = view.headers.getAll(SVIX.signature);
  return svix.length > 0 ? { family: SVIX, values: svix } : { family: WEBHOOK, values };
}

/**
 * Standard Webhooks senders (https://www.standardwebhooks.com), and Svix senders (Clerk,
 * Resend) with their `svix-*` headers. Every event type passes through untyped unless you
 * register a schema for it with `createReceiver({ events })`. At most 8 signatures in one
 * header are tried; more is a 401.
 *
 * @example
 * ```ts
 * const receiver = createReceiver({ provider: standardWebhooks({ secret: process.env.WEBHOOK_SECRET! }) });
 * receiver.on("*", (event) => console.log(event.type, event.id));
 * // Asymmetric (v1a, Ed25519): the sender's public key
 * const signed = standardWebhooks({ publicKey: process.env.WEBHOOK_PUBLIC_KEY! }); // "whpk_..."
 * ```
 */
export function standardWebhooks(options: StandardWebhooksOptions): Provider<{}, true> {
  if (typeof options !== "object" || options === null) throw new TypeError("standardWebhooks: options are required: { secret }");
  rejectUnknownOptions("standardWebhooks", options, ["secret", "secretEncoding", "publicKey"]);
  const encoding = options.secretEncoding ?? "base64";
  if (encoding !== "base64" && encoding !== "raw") throw new TypeError('standardWebhooks: secretEncoding must be "base64" or "raw"');
  if (options.secret === undefined && options.publicKey === undefined) {
    throw new TypeError("standardWebhooks: secret is required (whsec_...), or publicKey (whpk_...) for v1a signatures");
  }
  const toKey = encoding === "raw" ? (s: string) => encoder.encode(s) : standardWebhooksKey;
  const keys = options.secret === undefined ? [] : secretKeys("standardWebhooks", options.secret, toKey);
  const publicKeys = options.publicKey === undefined ? [] : secretKeys("standardWebhooks", options.publicKey, standardWebhooksPublicKey, "publicKey");
  return {
    name: "standard-webhooks",
    events: {},
    open: true,
    tolerance: 300,
    retainMs: 7 * 24 * 60 * 60 * 1000,
    authenticate(view) {
      const { family, values } = signatureValues(view);
      const signatureHeader = family.signature;
      const entries = values.join(" ").split(/\s+/).filter(Boolean);
      if (entries.length === 0) throw new SignatureError("MISSING_SIGNATURE", "webhook-signature header is missing (svix-signature is read too)");
      if (entries.length > MAX_SIGNATURE_CANDIDATES) {
        throw new SignatureError("INVALID_SIGNATURE", `${signatureHeader} holds ${entries.length} signatures; at most ${MAX_SIGNATURE_CANDIDATES} are tried`);
      }
      const v1 = keys.length ? entries.filter((e) => e.startsWith("v1,")).map((e) => e.slice(3)) : [];
      const v1a = publicKeys.length ? entries.filter((e) => e.startsWith("v1a,")).map((e) => e.slice(4)) : [];
      if (v1.length === 0 && v1a.length === 0) {
        const hint = !keys.length && entries.some((e) => e.startsWith("v1,"))
          ? " (it holds v1 HMAC signatures: configure the secret)"
          : !publicKeys.length && entries.some((e) => e.startsWith("v1a,")) ? " (it holds v1a Ed25519 signatures: configure publicKey)" : "";
        throw new SignatureError("INVALID_SIGNATURE", `${signatureHeader} has no ${keys.length ? "v1,<base64>" : "v1a,<base64>"} signature${hint}`);
      }
      if (v1.length === 0 && v1a.every((c) => decodeBase64(c, true)?.length !== 64)) {
        throw new SignatureError("INVALID_SIGNATURE", `${signatureHeader}'s v1a signatures are not Ed25519 signatures (64 bytes, base64)`);
      }
      const id = view.headers.get(family.id)?.trim();
      if (!id) throw new SignatureError("MISSING_SIGNATURE", `${family.id} header is missing (it is part of the signed content)`);
      const timestamp = readTimestamp(view.headers.get(family.timestamp), family.timestampLabel);
      const content = [`${id}.${timestamp.shown}.`, view.body];
      const hmacOk = v1.length ? matchHmac(view.crypto, "sha256", keys, content, v1, "base64") : false;
      const edOk = v1a.length ? matchEd25519(view.crypto, publicKeys, v1a, content) : false;
      const settle = (ok: boolean) => {
        if (!ok) {
          throw new SignatureError(
            "INVALID_SIGNATURE",
            `${signatureHeader} does not match the body for any configured ${keys.length ? "secret" : "public key"} (check it, and that the exact raw body reaches the receiver)`,
          );
        }
      };
      const check =
        typeof hmacOk === "boolean" && typeof edOk === "boolean"
          ? settle(hmacOk || edOk)
          : Promise.all([hmacOk, edOk]).then(([a, b]) => settle(a || b));
      return whenChecked(check, () => ({ timestamp, id: readDeliveryId(view, family.id) }));
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
    sign(input, hmac, signEd25519) {
      const body = serialize(input.payload);
      const seconds = String(input.timestamp);
      const content = [`${input.id}.${seconds}.`, body];
      const signatures: string[] = [];
      if (input.privateKey !== undefined) {
        if (!signEd25519) throw new TypeError("standardWebhooks: signing v1a needs Ed25519 (use signDelivery from tradehook/testing)");
        signatures.push(`v1a,${encodeBase64(signEd25519(standardWebhooksPrivateKey(input.privateKey), encoder.encode(content.join(""))))}`);
      } else {
        const key = input.secret !== undefined ? toKey(input.secret) : keys[0];
        if (!key) throw new TypeError("standardWebhooks: this provider has only a publicKey; pass privateKey (whsk_...) to sign a v1a delivery");
        signatures.push(`v1,${encodeBase64(hmac("sha256", key, content))}`);
      }
      return {
        body,
        headers: {
          "content-type": "application/json",
          "webhook-id": input.id,
          "webhook-timestamp": seconds,
          "webhook-signature": signatures.join(" "),
        },
      };
    },
  };
}
