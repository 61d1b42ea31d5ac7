/**
 * @module Event typing: the types `receiver.on` infers from a provider's schemas, pattern matching, and schema validation of event data.
 */
import { PayloadError, type PayloadIssue, printable } from "../errors.js";
import type { EventCatalogue, Provider } from "../providers/provider.js";
import type { StandardSchemaV1 } from "../standard-schema.js";
import type { WebhookEvent } from "../types.js";

/** @internal */
export type CatalogueOf<P> = P extends Provider<infer E, boolean> ? E : never;
/** @internal */
export type OpenOf<P> = P extends Provider<EventCatalogue, infer O> ? O : false;
// A wide B (an index signature: what U falls back to for `events: undefined`) adds nothing typed, so the catalogue stays as it is.
/** @internal */
export type Merge<A, B> = string extends keyof B ? A : Omit<A, keyof B> & B;

/** Event data types by event type, from a catalogue of schemas. */
export type DataMap<C extends EventCatalogue> = { [K in keyof C & string]: StandardSchemaV1.InferOutput<C[K]> };

type Parent<K extends string> = K extends `${infer H}.${infer T}` ? (T extends `${string}.${string}` ? `${H}.${Parent<T>}` : H) : never;
type WildcardOf<K extends string> = K extends string ? (Parent<K> extends never ? never : `${Parent<K>}.*`) : never;
type OneSegmentUnder<K extends string, P extends string> = K extends `${P}.${infer Rest}` ? (Rest extends `${string}.${string}` ? never : K) : never;
type EventsIn<M, K> = K extends keyof M & string ? WebhookEvent<K, M[K]> : never;
type Untyped<Open extends boolean> = Open extends true ? WebhookEvent<string, unknown> : never;

/** The patterns `on()` accepts: an event type, `prefix.*` (one segment) or `*`; any string for open providers. */
export type EventPattern<M, Open extends boolean> =
  | (keyof M & string)
  | WildcardOf<keyof M & string>
  | "*"
  | (Open extends true ? string & {} : never);

/** The event a handler for `K` receives: wildcards give the union of the events they match. */
export type EventFor<M, Open extends boolean, K extends string> = K extends "*"
  ? EventsIn<M, keyof M> | Untyped<Open>
  : K extends keyof M
    ? WebhookEvent<K, M[K]>
    : K extends `${infer P}.*`
      ? EventsIn<M, OneSegmentUnder<keyof M & string, P>> | Untyped<Open>
      : WebhookEvent<K, unknown>;

/** Any event the receiver can produce. */
export type AnyEvent<M, Open extends boolean> = EventsIn<M, keyof M> | Untyped<Open>;

/** Whether a handler pattern (`type`, `prefix.*`, `*`) matches an event type. */
export function matches(pattern: string, type: string): boolean {
  if (pattern === "*") return true;
  if (!pattern.endsWith(".*")) return pattern === type;
  const prefix = pattern.slice(0, -1);
  return type.length > prefix.length && type.startsWith(prefix) && !type.includes(".", prefix.length);
}

type IssueLike = StandardSchemaV1.Issue & { code?: unknown; type?: unknown };

function toIssues(issues: readonly IssueLike[], prefix: (string | number)[]): PayloadIssue[] {
  return issues.slice(0, 20).map((issue) => ({
    path: [...prefix, ...(issue.path ?? []).map(pathKey)],
    // zod and arktype name the check in `code`, valibot in `type`; Standard Schema itself has neither.
    code: typeof issue.code === "string" ? issue.code : typeof issue.type === "string" ? issue.type : "invalid",
    message: typeof issue.message === "string" ? issue.message : "is invalid",
  }));
}

function pathKey(segment: PropertyKey | StandardSchemaV1.PathSegment): string | number {
  const key = typeof segment === "object" && segment !== null ? segment.key : segment;
  return typeof key === "number" ? key : String(key);
}

function describeIssues(issues: PayloadIssue[], total: number): string {
  const first = issues[0];
  if (!first) return "";
  const where = first.path.length ? first.path.join(".") : "(root)";
  return `${where}: ${first.message}${total > 1 ? ` (and ${total - 1} more)` : ""}`;
}

function unvalidated(type: string, why: string): PayloadError {
  return new PayloadError("INVALID_PAYLOAD", `${printable(type)} payload could not be validated (${why})`);
}

/** The value of a schema's result, or a 400 INVALID_PAYLOAD with its issues. */
function settle(result: StandardSchemaV1.Result<unknown>, type: string, dataPath: (string | number)[]): unknown {
  if (typeof result !== "object" || result === null) throw unvalidated(type, "its schema returned no result");
  if (result.issues === undefined) return result.value;
  if (!Array.isArray(result.issues)) throw unvalidated(type, "its schema returned malformed issues");
  const all = result.issues as readonly IssueLike[];
  const issues = toIssues(all, dataPath);
  throw new PayloadError("INVALID_PAYLOAD", `${printable(type)} payload is invalid: ${describeIssues(issues, all.length)}`, issues);
}

/**
 * Validates an event's data with its Standard Schema and passes the output to `then`:
 * synchronously when the schema's `validate` is, else as a promise. A schema that throws or
 * rejects is a 400 INVALID_PAYLOAD (never a 500): the delivery cannot pass as it is.
 */
export function validateData<T>(
  schema: StandardSchemaV1,
  type: string,
  data: unknown,
  dataPath: (string | number)[],
  then: (value: unknown) => T | Promise<T>,
): T | Promise<T> {
  let result: StandardSchemaV1.Result<unknown> | Promise<StandardSchemaV1.Result<unknown>>;
  try {
    result = schema["~standard"].validate(data);
  } catch {
    throw unvalidated(type, "its schema threw");
  }
  if (typeof (result as Partial<PromiseLike<unknown>> | null)?.then !== "function") {
    return then(settle(result as StandardSchemaV1.Result<unknown>, type, dataPath));
  }
  return Promise.resolve(result).then(
    (settled) => then(settle(settled, type, dataPath)),
    () => {
      throw unvalidated(type, "its schema's async validation rejected");
    },
  );
}

/** Whether a value is a Standard Schema v1, as `createReceiver` requires of `events`. */
export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  if ((typeof value !== "object" && typeof value !== "function") || value === null) return false;
  const props = (value as Partial<StandardSchemaV1>)["~standard"];
  return typeof props === "object" && props !== null && props.version === 1 && typeof props.validate === "function";
}

/**
 * An event whose `id` (the body's SHA-256, synchronous on node:crypto) is hashed on first
 * read: `verify()` callers that never read it skip a second pass over the body. `id` stays an
 * own, enumerable property (it shows in `JSON.stringify`, spreads and logs); its getter and
 * setter are shared by every instance. An object literal with `get id()` cost about 0.7 µs per
 * event to create, more than hashing a 512-byte body; this costs about 0.15 µs.
 */
export class ReceivedEvent {
  static readonly #id: PropertyDescriptor = {
    get(this: ReceivedEvent): string {
      return (this.#value ??= this.#hash());
    },
    set(this: ReceivedEvent, value: string) {
      this.#value = value;
    },
    enumerable: true,
    configurable: true,
  };
  declare id: string;
  declare type: string;
  declare timestamp: Date | undefined;
  declare data: unknown;
  declare payload: unknown;
  declare provider: string;
  declare receivedAt: Date;
  #value: string | undefined;
  readonly #hash: () => string;

  constructor(hash: () => string, type: string, timestamp: Date | undefined, data: unknown, payload: unknown, provider: string, receivedAt: Date) {
    Object.defineProperty(this, "id", ReceivedEvent.#id); // first, as in every other event
    this.type = type;
    this.timestamp = timestamp;
    this.data = data;
    this.payload = payload;
    this.provider = provider;
    this.receivedAt = receivedAt;
    this.#hash = hash;
  }
}
