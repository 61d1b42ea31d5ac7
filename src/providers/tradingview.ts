/**
 * @module The TradingView preset: alerts are unsigned, so a shared token comes in the body or the URL.
 */
import { PayloadError, SignatureError } from "../errors.js";
import { tokenMatches } from "../crypto/signature.js";
import { tradingviewEvents } from "../events/tradingview.js";
import type { DeliveryView, Provider } from "./provider.js";
import { rejectUnknownOptions, type SecretInput, secretKeys, serialize, withTimestamp } from "./shared.js";

/** Options of {@link tradingview}. */
export interface TradingviewOptions {
  /** The shared token, or several while rotating. */
  token: SecretInput;
  /** Body field that carries the token; default `"passphrase"`. */
  field?: string;
  /** URL query parameter that carries the token; default `"token"`. */
  query?: string;
  /**
   * Body fields checked for freshness when present, first found wins; `false` turns it off.
   * Default `["timenow", "time"]`. Note `{{time}}` is the bar's open time: on charts above a
   * few minutes use `{{timenow}}` in the alert message, or set this to `["timenow"]`.
   */
  timestampFields?: readonly string[] | false;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * TradingView alerts. Put `"passphrase": "<token>"` in the alert message JSON, or append
 * `?token=<token>` to the webhook URL (then the message may be plain text). The token is
 * removed from `event.data` and `event.payload`. Keys are kept 60 s: TradingView resends within
 * seconds, and an identical alert an hour later is a new signal.
 *
 * @example
 * ```ts
 * const receiver = createReceiver({ provider: tradingview({ token: process.env.TV_TOKEN! }), allowIps: TRADINGVIEW_IPS });
 * receiver.on("tradingview.alert", (event) => console.log(event.data));
 * ```
 */
export function tradingview(options: TradingviewOptions): Provider<typeof tradingviewEvents, false> {
  if (typeof options !== "object" || options === null) throw new TypeError("tradingview: options are required: { token }");
  rejectUnknownOptions("tradingview", options, ["token", "field", "query", "timestampFields"]);
  const tokens = secretKeys("tradingview", options.token, undefined, "token");
  const plain = (typeof options.token === "string" ? [options.token] : [...options.token]) as string[];
  const field = options.field ?? "passphrase";
  const query = options.query ?? "token";
  const timestampFields = options.timestampFields === false ? [] : [...(options.timestampFields ?? ["timenow", "time"])];

  // Every configured token is compared, whichever matches: a value on node:crypto, else a promise.
  const matches = (view: DeliveryView, given: string): boolean | Promise<boolean> => {
    const answers = tokens.map((token) => tokenMatches(view.crypto, token, given));
    const any = (all: readonly boolean[]) => all.reduce((ok, equal) => equal || ok, false);
    return answers.every((a) => typeof a === "boolean") ? any(answers as boolean[]) : Promise.all(answers).then(any);
  };

  return {
    name: "tradingview",
    events: tradingviewEvents,
    open: false,
    tolerance: 300,
    retainMs: 60_000,
    authenticate(view) {
      const inUrl = view.query(query);
      if (inUrl.length > 1) throw new SignatureError("INVALID_TOKEN", `the URL carries ${query} more than once`);
      const urlToken = inUrl[0];
      let bodyToken: unknown;
      try {
        const payload = view.json();
        if (isRecord(payload)) bodyToken = payload[field];
      } catch (error) {
        if (urlToken === undefined) {
          throw new SignatureError("MISSING_TOKEN", `no token: the body is not JSON with a ${field} field, and the URL has no ?${query}=`);
        }
      }
      if (urlToken === undefined && bodyToken === undefined) {
        throw new SignatureError("MISSING_TOKEN", `no token: add "${field}" to the alert message JSON, or ?${query}= to the webhook URL`);
      }
      if (bodyToken !== undefined && typeof bodyToken !== "string") {
        throw new SignatureError("INVALID_TOKEN", `body field ${field} must be a string`);
      }
      const urlOk = urlToken === undefined || matches(view, urlToken);
      const bodyOk = bodyToken === undefined || matches(view, bodyToken as string);
      const settle = (url: boolean, body: boolean) => {
        if (!url || !body) {
          const where = !url && !body ? "token" : !url ? `URL ${query}` : `body field ${field}`;
          throw new SignatureError("INVALID_TOKEN", `${where} does not match any configured token`);
        }
        return { tokenInUrl: urlToken !== undefined };
      };
      return typeof urlOk === "boolean" && typeof bodyOk === "boolean"
        ? settle(urlOk, bodyOk)
        : Promise.all([urlOk, bodyOk]).then(([url, body]) => settle(url, body));
    },
    parse(view, auth) {
      if (!auth.tokenInUrl) return view.json();
      try {
        const value = view.json();
        if (isRecord(value)) return value;
      } catch (error) {
        if (!(error instanceof PayloadError) || /UTF-8/.test(error.message)) throw error;
      }
      // The token came in the URL: the alert message may be plain text.
      // ignoreBOM: the default decoder strips a BOM itself, and with the replace that was two.
      return new TextDecoder("utf-8", { ignoreBOM: true }).decode(view.body).replace(/^\uFEFF/, "");
    },
    bodyTimestamp(payload) {
      if (!isRecord(payload)) return undefined;
      const found = timestampFields.find((f) => payload[f] !== undefined);
      return found === undefined ? undefined : { field: found, value: payload[found], required: false };
    },
    describe(payload) {
      if (!isRecord(payload)) return { type: "tradingview.alert", data: payload, dataPath: [], payload };
      const { [field]: _secret, ...rest } = payload;
      return { type: "tradingview.alert", data: rest, dataPath: [], payload: rest };
    },
    sign(input) {
      const token = input.secret ?? plain[0]!;
      let payload = input.payload;
      if (input.timestampGiven && timestampFields[0] !== undefined) {
        const present = isRecord(payload) ? timestampFields.find((f) => payload && (payload as Record<string, unknown>)[f] !== undefined) : undefined;
        payload = withTimestamp(payload, present ?? timestampFields[0], input.timestamp, true);
      }
      const via = input.via ?? (isRecord(payload) ? "body" : "url");
      if (via === "body") {
        if (!isRecord(payload)) throw new TypeError("signDelivery(tradingview): a text alert carries its token in the URL; use { via: \"url\" }");
        return { body: serialize({ ...payload, [field]: token }), headers: { "content-type": "application/json" } };
      }
      const url = new URL(input.url ?? "/", "http://localhost");
      url.searchParams.set(query, token);
      const absolute = input.url !== undefined && /^[a-z][a-z0-9+.-]*:/i.test(input.url);
      return {
        body: serialize(payload),
        headers: { "content-type": typeof payload === "string" ? "text/plain" : "application/json" },
        url: absolute ? url.toString() : `${url.pathname}${url.search}`,
      };
    },
  };
}
