/**
 * @module The delivery scheme APIndicators and TickerAPI share: HMAC-SHA256 of the raw body, ISO timestamp and event in the body.
 */
import { PayloadError, printable } from "../errors.js";
import { encodeHex } from "../crypto/signature.js";
import type { EventCatalogue, Provider } from "./provider.js";
import {
  asObject,
  eventField,
  rejectUnknownOptions,
  requireHmac,
  type SecretInput,
  secretKeys,
  serialize,
  signatureCandidates,
  whenChecked,
  withTimestamp,
} from "./shared.js";

const SEVEN_DAYS_MS = 7 * 24 * 60 * 60 * 1000;
const SIGNATURE_HEADER = "X-Webhook-Signature";

interface SignalPlatformConfig<E extends EventCatalogue> {
  name: string;
  events: E;
  /** APIndicators requires `sha256=`; TickerAPI sends bare hex and accepts the prefix. */
  prefixRequired: boolean;
  /** TickerAPI may repeat the event type in a header, which must then agree with the body. */
  eventHeader?: string;
}

/** Builds an APIndicators-style provider from validated options. */
export function signalPlatform<E extends EventCatalogue>(
  config: SignalPlatformConfig<E>,
  options: { secret: SecretInput },
): Provider<E, false> {
  if (typeof options !== "object" || options === null) throw new TypeError(`${config.name}: options are required: { secret }`);
  rejectUnknownOptions(config.name, options, ["secret"]);
  const keys = secretKeys(config.name, options.secret);
  const prefix = { text: "sha256=", required: config.prefixRequired };
  return {
    name: config.name,
    events: config.events,
    open: false,
    tolerance: 300,
    retainMs: SEVEN_DAYS_MS,
    authenticate(view) {
      const candidates = signatureCandidates(view, SIGNATURE_HEADER, prefix);
      return whenChecked(requireHmac(view, SIGNATURE_HEADER, "sha256", keys, [view.body], candidates, "hex"), () => ({}));
    },
    parse: (view) => view.json(),
    bodyTimestamp: (payload) => ({ field: "timestamp", value: asObject(payload).timestamp, required: true }),
    describe(payload, headers) {
      const body = asObject(payload);
      const type = eventField(body, "event");
      if (config.eventHeader) {
        const sent = headers.get(config.eventHeader);
        if (sent !== undefined && sent.trim() !== type) {
          throw new PayloadError(
            "EVENT_MISMATCH",
            `${config.eventHeader} header ${printable(sent.trim(), 40)} does not match the body's event ${printable(type, 40)}`,
          );
        }
      }
      return { type, data: body.data, dataPath: ["data"], payload };
    },
    sign(input, hmac) {
      const body = serialize(withTimestamp(input.payload, "timestamp", input.timestamp, input.timestampGiven));
      const key = input.secret === undefined ? keys[0]! : secretKeys(config.name, input.secret)[0]!;
      const hex = encodeHex(hmac("sha256", key, [body]));
      const headers: Record<string, string> = {
        "content-type": "application/json",
        [SIGNATURE_HEADER.toLowerCase()]: config.prefixRequired ? `sha256=${hex}` : hex,
      };
      if (config.eventHeader && typeof input.payload === "object" && input.payload !== null) {
        const type = (input.payload as Record<string, unknown>).event;
        if (typeof type === "string") headers[config.eventHeader.toLowerCase()] = type;
      }
      return { body, headers };
    },
  };
}
