/**
 * @module tradehook/redis: an idempotency store shared by every process that reaches one Redis.
 */
import type { ClaimResult, IdempotencyStore } from "../types.js";

/**
 * The part of an ioredis (v5) `Redis` or `Cluster` client the store uses.
 * Structural, so tradehook never imports ioredis.
 */
export interface IoredisClientLike {
  evalsha(sha: string, numKeys: number, ...args: string[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...args: string[]): Promise<unknown>;
}

/**
 * The part of a node-redis (`redis` v4 or v5) client the store uses: `createClient()`,
 * `createCluster()` or a pool. Structural, so tradehook never imports `redis`.
 */
export interface NodeRedisClientLike {
  evalSha(sha: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

/** Options of {@link RedisStore}. */
export interface RedisStoreOptions {
  /** A connected ioredis or node-redis client. The store never connects or quits it. */
  client: IoredisClientLike | NodeRedisClientLike;
  /** Put in front of every key, e.g. to share a database between apps. Default `"tradehook:"`. */
  prefix?: string;
}

/** An idempotency store on Redis; see {@link RedisStore}. */
export interface RedisStore extends IdempotencyStore {
  /** The key prefix in use. */
  readonly prefix: string;
}

/** `RedisStore` works with and without `new`. */
export interface RedisStoreConstructor {
  new (options: RedisStoreOptions): RedisStore;
  (options: RedisStoreOptions): RedisStore;
  readonly prototype: RedisStore;
}

// A value is `<token>|<fingerprint>` while a handler runs and `|<fingerprint>` once completed;
// every key carries a TTL (the lease, then retainMs), so Redis forgets keys on its own.
const CLAIM = `local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], ARGV[1] .. '|' .. ARGV[2], 'PX', ARGV[3])
  return 'claimed'
end
local sep = string.find(v, '|', 1, true)
if not sep or string.sub(v, sep + 1) ~= ARGV[2] then return 'mismatch' end
if sep == 1 then return 'completed' end
return 'in_progress'`;

const HELD = `local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local sep = string.find(v, '|', 1, true)
if not sep or sep == 1 or string.sub(v, 1, sep - 1) ~= ARGV[1] then return 0 end
`;

const EXTEND = `${HELD}return redis.call('PEXPIRE', KEYS[1], ARGV[2])`;

const COMPLETE = `${HELD}if tonumber(ARGV[2]) > 0 then
  redis.call('SET', KEYS[1], string.sub(v, sep), 'PX', ARGV[2])
else
  redis.call('DEL', KEYS[1])
end
return 1`;

const RELEASE = `${HELD}return redis.call('DEL', KEYS[1])`;

interface Script {
  source: string;
  sha: Promise<string> | undefined;
}

type Run = (script: Script, key: string, args: string[]) => Promise<unknown>;

const isNoScript = (error: unknown) => /NOSCRIPT/.test(String((error as { message?: unknown } | null)?.message ?? error));

async function sha1Hex(text: string): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest("SHA-1", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Picks the calling convention by the client's shape: node-redis has `evalSha`, ioredis `evalsha`. */
function runnerFor(client: unknown): Run {
  const c = client as Record<string, unknown> | null;
  if (c && typeof c.evalSha === "function" && typeof c.eval === "function") {
    const redis = c as unknown as NodeRedisClientLike;
    return runWith(
      (sha, key, args) => redis.evalSha(sha, { keys: [key], arguments: args }),
      (source, key, args) => redis.eval(source, { keys: [key], arguments: args }),
    );
  }
  if (c && typeof c.evalsha === "function" && typeof c.eval === "function") {
    const redis = c as unknown as IoredisClientLike;
    return runWith(
      (sha, key, args) => redis.evalsha(sha, 1, key, ...args),
      (source, key, args) => redis.eval(source, 1, key, ...args),
    );
  }
  throw new TypeError("RedisStore: client must be an ioredis or node-redis client (with evalsha/evalSha and eval)");
}

function runWith(
  evalSha: (sha: string, key: string, args: string[]) => Promise<unknown>,
  evalSource: (source: string, key: string, args: string[]) => Promise<unknown>,
): Run {
  return async (script, key, args) => {
    script.sha ??= sha1Hex(script.source);
    try {
      return await evalSha(await script.sha, key, args);
    } catch (error) {
      // After a restart or SCRIPT FLUSH the server forgot the script; EVAL caches it again.
      if (!isNoScript(error)) throw error;
      return await evalSource(script.source, key, args);
    }
  };
}

const positiveMs = (name: string, value: number) => {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) throw new TypeError(`RedisStore: ${name} must be a positive number of milliseconds`);
  return String(Math.ceil(value));
};

class RedisIdempotencyStore implements RedisStore {
  readonly prefix: string;
  readonly #run: Run;
  readonly #scripts = {
    claim: { source: CLAIM, sha: undefined } as Script,
    extend: { source: EXTEND, sha: undefined } as Script,
    complete: { source: COMPLETE, sha: undefined } as Script,
    release: { source: RELEASE, sha: undefined } as Script,
  };

  constructor(options: RedisStoreOptions) {
    if (!options || typeof options !== "object") throw new TypeError("RedisStore: pass { client, prefix? }");
    const prefix = options.prefix ?? "tradehook:";
    if (typeof prefix !== "string") throw new TypeError("RedisStore: prefix must be a string");
    this.#run = runnerFor(options.client);
    this.prefix = prefix;
  }

  async claim(key: string, fingerprint: string, leaseMs: number): Promise<ClaimResult> {
    const token = globalThis.crypto.randomUUID();
    const state = await this.#run(this.#scripts.claim, this.prefix + key, [token, fingerprint, positiveMs("leaseMs", leaseMs)]);
    const text = typeof state === "string" ? state : String(state);
    switch (text) {
      case "claimed":
        return { state: "claimed", token };
      case "completed":
      case "in_progress":
      case "mismatch":
        return { state: text };
      default:
        throw new Error(`RedisStore: unexpected reply to claim: ${text.slice(0, 40)}`);
    }
  }

  async extend(key: string, token: string, leaseMs: number): Promise<boolean> {
    if (!token) return false;
    return Number(await this.#run(this.#scripts.extend, this.prefix + key, [token, positiveMs("leaseMs", leaseMs)])) === 1;
  }

  async complete(key: string, token: string, retainMs: number): Promise<void> {
    if (!token) return;
    if (typeof retainMs !== "number" || !(retainMs >= 0)) throw new TypeError("RedisStore: retainMs must be a number of milliseconds >= 0");
    await this.#run(this.#scripts.complete, this.prefix + key, [token, String(Math.ceil(retainMs))]);
  }

  async release(key: string, token: string): Promise<void> {
    if (!token) return;
    await this.#run(this.#scripts.release, this.prefix + key, [token]);
  }
}

/**
 * An idempotency store on Redis, so several processes or machines run each delivery once.
 * Give it an ioredis (v5) or node-redis (v4/v5) client; it is detected by its shape.
 *
 * Each operation is one round trip: a Lua script (EVALSHA, falling back to EVAL after
 * NOSCRIPT) claims with the lease as TTL and answers the existing state in the same call;
 * complete, extend and release act only for the holder of the claim's token. Keys expire on
 * their own: the lease while a handler runs, then `retainMs`. Any client error rejects, and
 * the receiver answers 503 STORE_UNAVAILABLE without running a handler. Callable with or
 * without `new`.
 *
 * @example
 * ```ts
 * import { Redis } from "ioredis";
 * import { RedisStore } from "tradehook/redis";
 *
 * const client = new Redis(process.env.REDIS_URL!, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
 * const receiver = createReceiver({ provider, store: RedisStore({ client }) });
 * ```
 */
export const RedisStore = function RedisStore(options: RedisStoreOptions): RedisStore {
  return new RedisIdempotencyStore(options);
} as unknown as RedisStoreConstructor;
// `store instanceof RedisStore` holds however it was created.
(RedisStore as unknown as { prototype: object }).prototype = RedisIdempotencyStore.prototype;
