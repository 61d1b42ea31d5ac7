/**
 * @module The generic HMAC preset: any header, prefix, encoding, algorithm and signed content.
 */
import { PayloadError, TimestampError } from "../errors.js";
import { encodeBase64, encodeHex } from "../crypto/signature.js";
import type { HashAlgorithm } from "../crypto/index.js";
import type { HeaderReader } from "../headers.js";
import { type HeaderTimestamp, readTimestamp } from "../timestamps.js";
import type { Provider } from "./provider.js";
import {
  checkPublicUrl,
  checkSignatureFormat,
  type PublicUrl,
  parseForm,
  readSignatureList,
  runUserFunction,
  type SecretEncoding,
  secretToKey,
  type SignatureFormat,
  serializeForm,
  signedUrl,
} from "./sender-schemes.js";
import {
  asObject,
  readDeliveryId,
  rejectUnknownOptions,
  requireHmac,
  type SecretInput,
  secretKeys,
  serialize,
  signatureCandidates,
  whenChecked,
} from "./shared.js";

/** What a 13-digit timestamp read as seconds is told. */
const MS_HINT = 'set timestampUnit: "ms" if the sender sends them';

export type { PublicUrl, SecretEncoding, SignatureFormat } from "./sender-schemes.js";

/** What `signedContent` is given to build the bytes the sender signs. */
export interface SignedContentInput {
  /** The body as text (UTF-8). */
  body: string;
  /** The exact body bytes. */
  rawBody: Uint8Array;
  /** The timestamp as sent (`timestampHeader`, or the `signatureFormat` timestamp entry), when configured. */
  timestamp: string | undefined;
  /** The `idHeader` value, when configured and sent. */
  id: string | undefined;
  headers: HeaderReader;
  /**
   * The absolute URL the sender called (Twilio, Square sign it): `publicUrl` when set, else the
   * URL the adapter received (absolute from every tradehook adapter and `receiver.fetch`).
   */
  url: string | undefined;
}

/** Options of {@link hmac}. */
export interface HmacOptions {
  secret: SecretInput;
  /** The signature header, e.g. `"X-CC-Webhook-Signature"`. */
  header: string;
  /** A prefix the signature carries, e.g. `"sha256="`. */
  prefix?: string;
  encoding?: "hex" | "base64";
  algorithm?: HashAlgorithm;
  /** How the secret becomes key bytes: `"utf8"` (default), `"base64"` (`whsec_` stripped) or `"hex"`. */
  secretEncoding?: SecretEncoding;
  /**
   * The signature header is a key=value list carrying the timestamp: Stripe
   * `{ signature: "v1", timestamp: "t" }`, Paddle `{ pairs: ";", signature: "h1", timestamp: "ts" }`.
   * Every `signature` entry is a candidate (at most 8 are tried).
   */
  signatureFormat?: SignatureFormat;
  /** What is signed; default: the raw body. A throw is a 401 INVALID_SIGNATURE. */
  signedContent?: (input: SignedContentInput) => string | Uint8Array;
  /** A header with the delivery timestamp, checked for freshness when set. */
  timestampHeader?: string;
  /** The unit of the timestamp (`timestampHeader` or the list's entry): `"s"` (default) or `"ms"`. */
  timestampUnit?: "s" | "ms";
  /** The URL the sender calls, when a proxy rewrites it; a string keeps the received query string. */
  publicUrl?: PublicUrl | undefined;
  /** `"json"` (default) or `"form"`: `application/x-www-form-urlencoded` parsed into an object of strings. */
  bodyFormat?: "json" | "form";
  /** A header with the delivery id, used as the idempotency key when sent. */
  idHeader?: string;
  /** The event type: fixed, or read from the payload; default the body's `event` or `type`. A throw is a 400. */
  event?: string | ((payload: unknown, headers: HeaderReader) => string);
  /** Names the sender in logs and key hashing; default `"hmac"`. */
  name?: string;
}

const ALGORITHMS: readonly HashAlgorithm[] = ["sha256", "sha512", "sha1"];
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
// ignoreBOM: a stripped BOM would let a BOM-prefixed copy verify under a new body-hash key (a replay).
const textDecoder = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * Any sender that signs with an HMAC: Coinbase Commerce, Alchemy, Stripe, Paddle, Slack,
 * Twilio, your own bots. See the README's "Recipes: senders" for each sender's options.
 *
 * @example
 * ```ts
 * // Coinbase Commerce: hex HMAC-SHA256 of the raw body in X-CC-Webhook-Signature
 * const receiver = createReceiver({
 *   provider: hmac({ secret: process.env.CC_SECRET!, header: "X-CC-Webhook-Signature", event: (p: any) => p.event.type }),
 * });
 * // Stripe: Stripe-Signature: t=<unix seconds>,v1=<hex>,v1=<hex> over `${t}.${body}`
 * const stripe = hmac({
 *   secret: process.env.STRIPE_WEBHOOK_SECRET!,
 *   header: "Stripe-Signature",
 *   signatureFormat: { signature: "v1", timestamp: "t" },
 *   signedContent: ({ timestamp, body }) => `${timestamp}.${body}`,
 *   name: "stripe",
 * });
 * ```
 */
export function hmac(options: HmacOptions): Provider<{}, true> {
  if (typeof options !== "object" || options === null) throw new TypeError("hmac: options are required: { secret, header }");
  rejectUnknownOptions("hmac", options, [
    "secret", "header", "prefix", "encoding", "algorithm", "secretEncoding", "signatureFormat", "signedContent", "timestampHeader",
    "timestampUnit", "publicUrl", "bodyFormat", "idHeader", "event", "name",
  ]);
  const toKey = secretToKey("hmac", options.secretEncoding ?? "utf8");
  const keys = secretKeys("hmac", options.secret, toKey);
  const { header, prefix, timestampHeader, idHeader, signedContent, event } = options;
  if (typeof header !== "string" || !HEADER_NAME.test(header)) {
    throw new TypeError("hmac: header must be the signature header's name, e.g. \"X-Signature\"");
  }
  const encoding = options.encoding ?? "hex";
  if (encoding !== "hex" && encoding !== "base64") throw new TypeError('hmac: encoding must be "hex" or "base64"');
  const algorithm = options.algorithm ?? "sha256";
  if (!ALGORITHMS.includes(algorithm)) throw new TypeError(`hmac: algorithm must be one of ${ALGORITHMS.join(", ")}`);
  if (signedContent !== undefined && typeof signedContent !== "function") throw new TypeError("hmac: signedContent must be a function");
  if (event !== undefined && typeof event !== "string" && typeof event !== "function") {
    throw new TypeError("hmac: event must be a string or a function of the payload");
  }
  const format = options.signatureFormat === undefined ? undefined : checkSignatureFormat("hmac", options.signatureFormat);
  if (format && prefix !== undefined) throw new TypeError("hmac: prefix and signatureFormat exclude each other (the list's keys name the signatures)");
  if (format?.timestamp && timestampHeader !== undefined) {
    throw new TypeError("hmac: the timestamp comes from signatureFormat.timestamp or from timestampHeader, not both");
  }
  if (timestampHeader !== undefined && (typeof timestampHeader !== "string" || !HEADER_NAME.test(timestampHeader))) {
    throw new TypeError("hmac: timestampHeader must be a header name");
  }
  const unit = options.timestampUnit ?? "s";
  if (unit !== "s" && unit !== "ms") throw new TypeError('hmac: timestampUnit must be "s" or "ms"');
  const bodyFormat = options.bodyFormat ?? "json";
  if (bodyFormat !== "json" && bodyFormat !== "form") throw new TypeError('hmac: bodyFormat must be "json" or "form"');
  const publicUrl = checkPublicUrl("hmac", options.publicUrl);
  const name = options.name ?? "hmac";
  // What is signed: the raw bytes, or the custom content (its input is built only when needed,
  // so the default path never decodes the body to text). A throwing function fails the delivery (401).
  const content = (rawBody: Uint8Array, input: () => SignedContentInput): (string | Uint8Array)[] => {
    if (!signedContent) return [rawBody];
    const signed = runUserFunction("signedContent", "authentication", () => signedContent(input()));
    if (typeof signed !== "string" && !(signed instanceof Uint8Array)) {
      return runUserFunction("signedContent", "authentication", () => {
        throw new TypeError("signedContent must return a string or bytes");
      });
    }
    return [signed];
  };
  const encode = encoding === "hex" ? encodeHex : encodeBase64;
  const timestampLabel = format?.timestamp ? `${header} entry ${format.timestamp}` : `${timestampHeader} header`;
  return {
    name,
    events: {},
    open: true,
    tolerance: 300,
    retainMs: 7 * 24 * 60 * 60 * 1000,
    authenticate(view) {
      let candidates: string[];
      let timestamp: HeaderTimestamp | undefined;
      if (format) {
        const list = readSignatureList(view, header, format);
        candidates = list.candidates;
        if (format.timestamp) {
          if (list.timestamp === undefined) throw new TimestampError("MISSING_TIMESTAMP", `${header} has no ${format.timestamp}${format.assign}<timestamp> entry`);
          timestamp = readTimestamp(list.timestamp, timestampLabel, unit, MS_HINT);
        }
      } else {
        candidates = signatureCandidates(view, header, prefix ? { text: prefix, required: true } : undefined);
        if (timestampHeader) timestamp = readTimestamp(view.headers.get(timestampHeader), timestampLabel, unit, MS_HINT);
      }
      const id = idHeader ? view.headers.get(idHeader)?.trim() || undefined : undefined;
      const signed = content(view.body, () => ({
        body: textDecoder.decode(view.body),
        rawBody: view.body,
        timestamp: timestamp?.shown,
        id,
        headers: view.headers,
        url: signedUrl(view.rawUrl, publicUrl, view.headers),
      }));
      return whenChecked(requireHmac(view, header, algorithm, keys, signed, candidates, encoding), () => ({
        timestamp,
        id: idHeader ? readDeliveryId(view, idHeader) : undefined,
      }));
    },
    parse: bodyFormat === "form" ? (view) => parseForm(view.body) : (view) => view.json(),
    bodyTimestamp: () => undefined,
    describe(payload, headers) {
      let type: unknown;
      if (typeof event === "string") type = event;
      else if (typeof event === "function") type = runUserFunction("event", "parsing", () => event(payload, headers));
      else {
        const body = asObject(payload);
        type = typeof body.event === "string" ? body.event : body.type;
      }
      if (typeof type !== "string" || type === "") {
        throw new PayloadError("INVALID_PAYLOAD", "the event type could not be read from the body (expected a string event or type field)", [
          { path: ["event"], code: "invalid_type", message: "expected the event type as a string" },
        ]);
      }
      return { type, data: payload, dataPath: [], payload };
    },
    sign(input, sync) {
      const body = bodyFormat === "form" ? serializeForm(input.payload) : serialize(input.payload);
      const key = input.secret === undefined ? keys[0]! : secretKeys("hmac", input.secret, toKey)[0]!;
      const stamp = unit === "ms" ? String(input.timestamp * 1000) : String(input.timestamp);
      const headers: Record<string, string> = {
        "content-type": bodyFormat === "form" ? "application/x-www-form-urlencoded" : "application/json",
      };
      if (timestampHeader) headers[timestampHeader.toLowerCase()] = stamp;
      if (idHeader) headers[idHeader.toLowerCase()] = input.id;
      const reader: HeaderReader = { get: (n) => headers[n.toLowerCase()], getAll: (n) => (headers[n.toLowerCase()] ? [headers[n.toLowerCase()]!] : []) };
      const bytes = new TextEncoder().encode(body);
      const signed = content(bytes, () => ({
        body,
        rawBody: bytes,
        timestamp: timestampHeader || format?.timestamp ? stamp : undefined,
        id: idHeader ? input.id : undefined,
        headers: reader,
        url: signedUrl(input.url, publicUrl, reader),
      }));
      const signature = encode(sync(algorithm, key, signed));
      headers[header.toLowerCase()] = format
        ? [...(format.timestamp ? [`${format.timestamp}${format.assign}${stamp}`] : []), `${format.signature}${format.assign}${signature}`].join(format.pairs)
        : `${prefix ?? ""}${signature}`;
      return { body, headers };
    },
  };
}
