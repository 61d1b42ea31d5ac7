/**
 * @module The generic HMAC preset: any header, prefix, encoding, algorithm and signed content.
 */
import { PayloadError } from "../errors.js";
import { encodeBase64, encodeHex } from "../crypto/signature.js";
import type { HashAlgorithm } from "../crypto/index.js";
import type { HeaderReader } from "../headers.js";
import { readUnixSeconds } from "../timestamps.js";
import type { Provider } from "./provider.js";
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

/** What `signedContent` is given to build the bytes the sender signs. */
export interface SignedContentInput {
  /** The body as text (UTF-8). */
  body: string;
  /** The exact body bytes. */
  rawBody: Uint8Array;
  /** The `timestampHeader` value, when configured. */
  timestamp: string | undefined;
  /** The `idHeader` value, when configured and sent. */
  id: string | undefined;
  headers: HeaderReader;
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
  /** What is signed; default: the raw body. */
  signedContent?: (input: SignedContentInput) => string | Uint8Array;
  /** A header with unix-seconds timestamps, checked for freshness when set. */
  timestampHeader?: string;
  /** A header with the delivery id, used as the idempotency key when sent. */
  idHeader?: string;
  /** The event type: fixed, or read from the payload; default the body's `event` or `type`. */
  event?: string | ((payload: unknown, headers: HeaderReader) => string);
  /** Names the sender in logs and key hashing; default `"hmac"`. */
  name?: string;
}

const ALGORITHMS: readonly HashAlgorithm[] = ["sha256", "sha512", "sha1"];
// ignoreBOM: a stripped BOM would let a BOM-prefixed copy verify under a new body-hash key (a replay).
const textDecoder = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * Any sender that signs with an HMAC: Coinbase Commerce, Alchemy, Coinify, your own bots.
 *
 * @example
 * ```ts
 * // Coinbase Commerce: hex HMAC-SHA256 of the raw body in X-CC-Webhook-Signature
 * const receiver = createReceiver({
 *   provider: hmac({ secret: process.env.CC_SECRET!, header: "X-CC-Webhook-Signature", event: (p: any) => p.event.type }),
 * });
 * ```
 */
export function hmac(options: HmacOptions): Provider<{}, true> {
  if (typeof options !== "object" || options === null) throw new TypeError("hmac: options are required: { secret, header }");
  rejectUnknownOptions("hmac", options, [
    "secret", "header", "prefix", "encoding", "algorithm", "signedContent", "timestampHeader", "idHeader", "event", "name",
  ]);
  const keys = secretKeys("hmac", options.secret);
  const { header, prefix, timestampHeader, idHeader, signedContent, event } = options;
  if (typeof header !== "string" || !/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(header)) {
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
  const name = options.name ?? "hmac";
  // What is signed: the raw bytes, or the custom content (its input is built only when needed,
  // so the default path never decodes the body to text).
  const content = (rawBody: Uint8Array, input: () => SignedContentInput) => (signedContent ? [signedContent(input())] : [rawBody]);
  const encode = encoding === "hex" ? encodeHex : encodeBase64;
  return {
    name,
    events: {},
    open: true,
    tolerance: 300,
    retainMs: 7 * 24 * 60 * 60 * 1000,
    authenticate(view) {
      const candidates = signatureCandidates(view, header, prefix ? { text: prefix, required: true } : undefined);
      const timestamp = timestampHeader ? readUnixSeconds(view.headers.get(timestampHeader), timestampHeader) : undefined;
      const id = idHeader ? view.headers.get(idHeader)?.trim() || undefined : undefined;
      const signed = content(view.body, () => ({
        body: textDecoder.decode(view.body),
        rawBody: view.body,
        timestamp: timestamp?.shown,
        id,
        headers: view.headers,
      }));
      return whenChecked(requireHmac(view, header, algorithm, keys, signed, candidates, encoding), () => ({
        timestamp,
        id: idHeader ? readDeliveryId(view, idHeader) : undefined,
      }));
    },
    parse: (view) => view.json(),
    bodyTimestamp: () => undefined,
    describe(payload, headers) {
      let type: unknown;
      if (typeof event === "string") type = event;
      else if (typeof event === "function") {
        try {
          type = event(payload, headers);
        } catch {
          type = undefined;
        }
      } else {
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
      const body = serialize(input.payload);
      const key = input.secret === undefined ? keys[0]! : secretKeys("hmac", input.secret)[0]!;
      const seconds = String(input.timestamp);
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (timestampHeader) headers[timestampHeader.toLowerCase()] = seconds;
      if (idHeader) headers[idHeader.toLowerCase()] = input.id;
      const bytes = new TextEncoder().encode(body);
      const signed = content(bytes, () => ({
        body,
        rawBody: bytes,
        timestamp: timestampHeader ? seconds : undefined,
        id: idHeader ? input.id : undefined,
        headers: { get: (n) => headers[n.toLowerCase()], getAll: (n) => (headers[n.toLowerCase()] ? [headers[n.toLowerCase()]!] : []) },
      }));
      headers[header.toLowerCase()] = `${prefix ?? ""}${encode(sync(algorithm, key, signed))}`;
      return { body, headers };
    },
  };
}
