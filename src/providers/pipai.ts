/**
 * @module The PipAI preset: `X-PipAI-Signature` = hex HMAC-SHA256 of `${timestamp}.${body}`, unix-seconds timestamp header.
 */
import { encodeHex } from "../crypto/signature.js";
import { pipaiEvents } from "../events/pipai.js";
import { readTimestamp } from "../timestamps.js";
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
  signatureCandidates,
  whenChecked,
} from "./shared.js";

/** Options of {@link pipai}. Header names default to the preset's; PipAI does not document them. */
export interface PipaiOptions {
  /** The per-webhook secret, or several while rotating. */
  secret: SecretInput;
  signatureHeader?: string;
  timestampHeader?: string;
  idHeader?: string;
}

/**
 * PipAI strategy, backtest and account webhooks.
 *
 * @example
 * ```ts
 * const receiver = createReceiver({ provider: pipai({ secret: process.env.PIPAI_SECRET! }) });
 * receiver.on("backtest.job_done", (event) => console.log(event.data.job_id, event.data.status));
 * ```
 */
export function pipai(options: PipaiOptions): Provider<typeof pipaiEvents, false> {
  if (typeof options !== "object" || options === null) throw new TypeError("pipai: options are required: { secret }");
  rejectUnknownOptions("pipai", options, ["secret", "signatureHeader", "timestampHeader", "idHeader"]);
  const keys = secretKeys("pipai", options.secret);
  const signatureHeader = options.signatureHeader ?? "X-PipAI-Signature";
  const timestampHeader = options.timestampHeader ?? "X-PipAI-Timestamp";
  const idHeader = options.idHeader ?? "X-PipAI-Delivery";
  const timestampLabel = `${timestampHeader} header`;
  return {
    name: "pipai",
    events: pipaiEvents,
    open: false,
    tolerance: 300,
    retainMs: 7 * 24 * 60 * 60 * 1000,
    authenticate(view) {
      const candidates = signatureCandidates(view, signatureHeader, undefined);
      const timestamp = readTimestamp(view.headers.get(timestampHeader), timestampLabel);
      return whenChecked(requireHmac(view, signatureHeader, "sha256", keys, [`${timestamp.shown}.`, view.body], candidates, "hex"), () => ({
        timestamp,
        id: readDeliveryId(view, idHeader),
      }));
    },
    parse: (view) => view.json(),
    bodyTimestamp: () => undefined,
    describe(payload) {
      const body = asObject(payload);
      return { type: eventField(body, "event"), data: body.data, dataPath: ["data"], payload };
    },
    sign(input, hmac) {
      const body = serialize(input.payload);
      const key = input.secret === undefined ? keys[0]! : secretKeys("pipai", input.secret)[0]!;
      const seconds = String(input.timestamp);
      return {
        body,
        headers: {
          "content-type": "application/json",
          [signatureHeader.toLowerCase()]: encodeHex(hmac("sha256", key, [`${seconds}.`, body])),
          [timestampHeader.toLowerCase()]: seconds,
          [idHeader.toLowerCase()]: input.id,
        },
      };
    },
  };
}
