/**
 * @module The embedded, bounded, single-process idempotency store (the default).
 */
import type { ClaimResult, IdempotencyStore } from "../types.js";

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /** Most keys held; past it the oldest completed keys are evicted (never a running claim). Default 10,000. */
  maxKeys?: number;
  /** Clock, epoch ms; for tests. */
  now?: () => number;
}

interface Entry {
  fingerprint: string;
  token: string | undefined;
  completed: boolean;
  expiresAt: number;
}

/**
 * An in-memory store: right for one process. Several processes need `RedisStore` or
 * `PostgresStore`, or each would run a delivery once per process.
 *
 * @example
 * ```ts
 * const receiver = createReceiver({ provider, store: new MemoryStore({ maxKeys: 50_000 }) });
 * ```
 */
export class MemoryStore implements IdempotencyStore {
  readonly maxKeys: number;
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;

  constructor(options: MemoryStoreOptions = {}) {
    const maxKeys = options.maxKeys ?? 10_000;
    if (!Number.isInteger(maxKeys) || maxKeys < 1) throw new TypeError("MemoryStore: maxKeys must be a positive integer");
    this.maxKeys = maxKeys;
    this.#now = options.now ?? Date.now;
  }

  /** Keys held now, running and completed. */
  get size(): number {
    return this.#entries.size;
  }

  async claim(key: string, fingerprint: string, leaseMs: number): Promise<ClaimResult> {
    const now = this.#now();
    let entry = this.#entries.get(key);
    if (entry && entry.expiresAt <= now) {
      this.#entries.delete(key);
      entry = undefined;
    }
    if (entry) {
      if (entry.fingerprint !== fingerprint) return { state: "mismatch" };
      return { state: entry.completed ? "completed" : "in_progress" };
    }
    this.#makeRoom(now);
    const token = globalThis.crypto.randomUUID();
    this.#entries.set(key, { fingerprint, token, completed: false, expiresAt: now + leaseMs });
    return { state: "claimed", token };
  }

  async extend(key: string, token: string, leaseMs: number): Promise<boolean> {
    const now = this.#now();
    const entry = this.#entries.get(key);
    if (!entry || entry.completed || entry.token !== token || entry.expiresAt <= now) return false;
    entry.expiresAt = now + leaseMs;
    return true;
  }

  async complete(key: string, token: string, retainMs: number): Promise<void> {
    const entry = this.#entries.get(key);
    if (!entry || entry.completed || entry.token !== token) return;
    // Re-inserted so Map order is completion order: eviction takes the oldest first.
    this.#entries.delete(key);
    this.#entries.set(key, { fingerprint: entry.fingerprint, token: undefined, completed: true, expiresAt: this.#now() + retainMs });
  }

  async release(key: string, token: string): Promise<void> {
    const entry = this.#entries.get(key);
    if (entry && !entry.completed && entry.token === token) this.#entries.delete(key);
  }

  /**
   * Drops expired keys, then the oldest completed ones, down to 90% of `maxKeys`, so the
   * sweep runs once per many claims. Running claims are never evicted.
   */
  #makeRoom(now: number): void {
    if (this.#entries.size < this.maxKeys) return;
    const target = Math.floor(this.maxKeys * 0.9);
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt <= now) this.#entries.delete(key);
    }
    for (const [key, entry] of this.#entries) {
      if (this.#entries.size <= target) return;
      if (entry.completed) this.#entries.delete(key);
    }
  }
}
