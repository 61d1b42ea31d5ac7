/**
 * @module The provider contract: how one platform authenticates, timestamps, types and identifies a delivery.
 */
import type { CryptoPlatform, HashAlgorithm } from "../crypto/index.js";
import type { HeaderReader } from "../headers.js";
import type { StandardSchemaV1 } from "../standard-schema.js";
import type { HeaderTimestamp } from "../timestamps.js";

/** Event schemas by event type: any Standard Schema v1 (zod 3.25+ and 4, valibot, arktype, ...). */
export type EventCatalogue = Record<string, StandardSchemaV1>;

/** What a provider's checks can read of a delivery. */
export interface DeliveryView {
  crypto: CryptoPlatform;
  headers: HeaderReader;
  body: Uint8Array;
  /**
   * Every value of one query parameter of the delivery URL, in order; `[]` when there is none.
   * The URL is parsed only when it has a query string, and at most once.
   */
  query(name: string): string[];
  /** The URL as the adapter gave it (absolute from tradehook's adapters and `receiver.fetch`; a path from hand-built deliveries). */
  readonly rawUrl?: string | undefined;
  /** The body decoded (fatal UTF-8, BOM stripped) and parsed as JSON, once; throws `PayloadError`. */
  json(): unknown;
}

/** What authentication established. */
export interface Authenticated {
  /** A header timestamp (epoch ms) to check for freshness, and how to show it in messages. */
  timestamp?: HeaderTimestamp | undefined;
  /** A delivery id sent by the provider, used as the idempotency key. */
  id?: string | undefined;
  /** TradingView: the token came in the URL, so a non-JSON body is allowed. */
  tokenInUrl?: boolean;
}

/** A body field that carries the delivery timestamp. */
export interface BodyTimestamp {
  field: string;
  value: unknown;
  required: boolean;
}

/** The event a payload describes. */
export interface Described {
  type: string;
  /** What the event schema validates. */
  data: unknown;
  /** Where `data` sits in the body, to prefix schema issue paths. */
  dataPath: (string | number)[];
  /** The payload handed to handlers (TradingView: without the secret). */
  payload: unknown;
}

/** A synchronous HMAC, for signing test deliveries. */
export type SyncHmac = (algorithm: HashAlgorithm, key: Uint8Array, parts: readonly (Uint8Array | string)[]) => Uint8Array;

/** A synchronous Ed25519 signature (64 bytes) of `message` with a 32-byte seed, for signing test deliveries. */
export type SyncEd25519Sign = (seed: Uint8Array, message: Uint8Array) => Uint8Array;

/** Inputs to sign a delivery as the provider would. */
export interface SignInput {
  payload: unknown;
  /** Unix seconds. */
  timestamp: number;
  /** Whether the caller chose the timestamp (then body timestamps are overwritten). */
  timestampGiven: boolean;
  /** Key override; defaults to the provider's first (current) secret. */
  secret?: string | undefined;
  /** Standard Webhooks: a `whsk_` Ed25519 private key, to sign `v1a` instead of `v1`. */
  privateKey?: string | undefined;
  id: string;
  /** TradingView: where the token goes. */
  via?: "body" | "url" | undefined;
  /** Where the delivery is sent: TradingView adds `?token=`; `hmac` signs it when `signedContent` reads `url`. */
  url?: string | undefined;
}

/** A signed delivery, ready to send. */
export interface SignedDelivery {
  body: string;
  headers: Record<string, string>;
  url?: string;
}

/**
 * A provider preset, made by `apindicators()`, `tickerapi()`, `pipai()`, `tradingview()`,
 * `standardWebhooks()` or `hmac()`. Holds its secrets in a closure: logging it shows none.
 */
export interface Provider<TEvents extends EventCatalogue = EventCatalogue, TOpen extends boolean = boolean> {
  readonly name: string;
  /** The event catalogue: schemas by event type. */
  readonly events: TEvents;
  /** `true` when any event type passes through (Standard Webhooks, generic HMAC). */
  readonly open: TOpen;
  /** Default freshness window in seconds. */
  readonly tolerance: number;
  /** Default time a completed delivery key is kept, in ms. */
  readonly retainMs: number;
  /**
   * @internal Step 4: throws (or rejects with) `SignatureError` or `TimestampError`. A value
   * when the platform's crypto is synchronous (node:crypto), a promise otherwise.
   */
  authenticate(view: DeliveryView): Authenticated | Promise<Authenticated>;
  /** @internal Step 6: the payload (JSON, or TradingView text). */
  parse(view: DeliveryView, auth: Authenticated): unknown;
  /** @internal The body timestamp, checked as soon as the body is parsed. */
  bodyTimestamp(payload: unknown): BodyTimestamp | undefined;
  /** @internal Event type and data; throws `PayloadError`. */
  describe(payload: unknown, headers: HeaderReader): Described;
  /** @internal Signs a delivery exactly as the provider does (tests, the CLI). */
  sign(input: SignInput, hmac: SyncHmac, signEd25519?: SyncEd25519Sign): SignedDelivery;
}
