/**
 * @module Steps 1 to 6 of a delivery: method, size, source, authenticity, freshness, then parsing and the event's schema.
 */
import { bodyBytes, decodeText, parseJson } from "../body.js";
import { platform } from "../crypto/index.js";
import { MethodNotAllowedError, PayloadError, PayloadTooLargeError, printable, SourceError } from "../errors.js";
import { readHeaders } from "../headers.js";
import type { Authenticated, DeliveryView, Described } from "../providers/provider.js";
import { checkFreshness, parseIsoTimestamp } from "../timestamps.js";
import type { Delivery, WebhookEvent } from "../types.js";
import { ReceivedEvent, validateData } from "./events.js";
import type { Settings } from "./options.js";

/** A promise (or any thenable) rather than a value: only then is there anything to await. */
export function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as PromiseLike<T> | null)?.then === "function";
}

/** A delivery that passed steps 1 to 6. */
export interface Verified {
  event: WebhookEvent;
  /** False for a type outside a fixed catalogue (an unknown event, ignored). */
  known: boolean;
  /** What the event's schema validated (before any transform): what a queue stores as `data`. */
  input: unknown;
  /** The body's SHA-256 in hex, computed at most once. */
  bodyHash: () => string | Promise<string>;
}

/**
 * What providers read of one delivery: the query string and the JSON parsed once, on first use.
 * A class, not an object literal with a getter and closures: with the literal, V8 kept each
 * parsed payload alive through young-generation GCs, and verify() cost 1.45x the floor at 64 KiB.
 */
class ReceivedDelivery implements DeliveryView {
  readonly crypto = platform;
  #parsed: { value: unknown } | { error: unknown } | undefined;
  #search: URLSearchParams | undefined | null = null;

  constructor(
    readonly body: Uint8Array,
    readonly headers: DeliveryView["headers"],
    readonly rawUrl: string | undefined,
  ) {}

  query(name: string): string[] {
    if (this.#search === null) {
      this.#search = undefined;
      // Most deliveries have no query string: then there is nothing to parse (about 0.7 µs saved).
      if (this.rawUrl?.includes("?")) {
        try {
          this.#search = new URL(this.rawUrl, "http://localhost").searchParams;
        } catch {
          // an unparsable URL has no usable query
        }
      }
    }
    return this.#search?.getAll(name) ?? [];
  }

  json(): unknown {
    if (!this.#parsed) {
      try {
        this.#parsed = { value: parseJson(decodeText(this.body)) };
      } catch (error) {
        this.#parsed = { error };
      }
    }
    if ("error" in this.#parsed) throw this.#parsed.error;
    return this.#parsed.value;
  }
}

/**
 * Steps 1 to 6: throws, or rejects, with the failing step's error. A value on node:crypto,
 * where every step is synchronous (no promise, no microtask); a promise on Web Crypto.
 * `eagerId`: the caller reads `event.id` anyway (handle() does), so hash now.
 */
export type VerifyStep = (delivery: Delivery, eagerId: boolean) => Verified | Promise<Verified>;

/** Builds steps 1 to 6 for one receiver's settings. */
export function createVerify(settings: Settings): VerifyStep {
  const { provider, tolerance, maxBodyBytes, unknownEvents, allowed, now, schemas } = settings;
  // Read once, not per delivery: the pipeline's code is shared by every receiver in the process,
  // and reading these off providers of many shapes on each delivery made the reads megamorphic
  // (0.7% of verify()'s instructions at 512 B once six providers had run).
  const { authenticate, parse, bodyTimestamp: bodyTimestampOf, describe } = provider;
  const providerName = provider.name;
  const open = provider.open;

  function verifyDelivery(delivery: Delivery, eagerId: boolean): Verified | Promise<Verified> {
    const method = (delivery.method ?? "POST").toUpperCase();
    if (method !== "POST") throw new MethodNotAllowedError(method);
    const body = bodyBytes(delivery.body);
    if (body.byteLength > maxBodyBytes) throw new PayloadTooLargeError(maxBodyBytes);
    if (allowed && !allowed(delivery.ip)) {
      throw new SourceError(delivery.ip ? `client address ${printable(delivery.ip, 45)} is not in allowIps` : "client address is unknown and allowIps is set");
    }
    const headers = readHeaders(delivery.headers);
    const view = new ReceivedDelivery(body, headers, delivery.url);
    const auth = authenticate.call(provider, view);
    return isThenable(auth) ? auth.then((value) => checkAndDescribe(view, value, eagerId)) : checkAndDescribe(view, auth, eagerId);
  }

  /** Steps 5 and 6 of an authenticated delivery: freshness, parsing, the event's type and data. */
  function checkAndDescribe(view: ReceivedDelivery, auth: Authenticated, eagerId: boolean): Verified | Promise<Verified> {
    const { body, headers } = view;
    const nowMs = now();
    if (auth.timestamp) checkFreshness(auth.timestamp.ms, nowMs, tolerance, auth.timestamp.shown);
    const payload = parse.call(provider, view, auth);
    let timestampMs = auth.timestamp?.ms;
    const bodyTimestamp = bodyTimestampOf.call(provider, payload);
    if (bodyTimestamp && (bodyTimestamp.required || bodyTimestamp.value !== undefined)) {
      timestampMs = parseIsoTimestamp(bodyTimestamp.value, bodyTimestamp.field);
      checkFreshness(timestampMs, nowMs, tolerance, String(bodyTimestamp.value));
    }

    const described = describe.call(provider, payload, headers);
    const schema = schemas.get(described.type);
    const finish = (data: unknown, known: boolean) => toVerified(body, auth, described, data, known, timestampMs, nowMs, eagerId);
    if (schema) return validateData(schema, described.type, described.data, described.dataPath, (data) => finish(data, true));
    if (!open && unknownEvents === "reject") {
      const list = [...schemas.keys()].join(", ");
      throw new PayloadError("UNKNOWN_EVENT", `event type ${printable(described.type)} is not one ${providerName} sends (known: ${list})`);
    }
    return finish(described.data, open);
  }

  /** The verified event: its id is the provider's delivery id or the body's SHA-256. */
  function toVerified(
    body: Uint8Array,
    auth: Authenticated,
    described: Described,
    data: unknown,
    known: boolean,
    timestampMs: number | undefined,
    nowMs: number,
    eagerId: boolean,
  ): Verified | Promise<Verified> {
    let hash: string | Promise<string> | undefined;
    const bodyHash = () => (hash ??= platform.sha256Hex(body));
    const timestamp = timestampMs === undefined ? undefined : new Date(timestampMs);
    const receivedAt = new Date(nowMs);
    if (auth.id === undefined && platform.name === "node" && !eagerId) {
      const event = new ReceivedEvent(bodyHash as () => string, described.type, timestamp, data, described.payload, providerName, receivedAt);
      return { event, known, input: described.data, bodyHash };
    }
    const withId = (id: string): Verified => ({
      event: { id, type: described.type, timestamp, data, payload: described.payload, provider: providerName, receivedAt },
      known,
      input: described.data,
      bodyHash,
    });
    const id = auth.id ?? bodyHash();
    return typeof id === "string" ? withId(id) : id.then(withId);
  }

  return verifyDelivery;
}
