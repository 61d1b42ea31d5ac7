/**
 * @module tradehook/postgres: an idempotency store shared by every process that reaches one PostgreSQL database.
 */
import type { ClaimResult, IdempotencyStore } from "../types.js";

/**
 * The part of a `pg` `Pool` (or `Client`) the store uses. Structural, so tradehook never
 * imports `pg`.
 */
export interface PgPoolLike {
  query(text: string, values?: unknown[]): Promise<{ rows: any[]; rowCount: number | null }>;
}

/** Options of {@link PostgresStore}. */
export interface PostgresStoreOptions {
  /** A `pg` Pool. The store never ends it. */
  pool: PgPoolLike;
  /** Table name, optionally schema-qualified (`webhooks.idempotency`); letters, digits, `_`. Default `"tradehook_idempotency"`. */
  table?: string;
}

/** An idempotency store on PostgreSQL; see {@link PostgresStore}. */
export interface PostgresStore extends IdempotencyStore {
  /** The table as given (unquoted). */
  readonly table: string;
  /** Creates the table and its expiry index if they do not exist; safe to run on every start. */
  migrate(): Promise<void>;
  /** Deletes expired rows (lapsed claims and completed keys past `retainMs`); returns how many. */
  prune(): Promise<number>;
}

/** `PostgresStore` works with and without `new`. */
export interface PostgresStoreConstructor {
  new (options: PostgresStoreOptions): PostgresStore;
  (options: PostgresStoreOptions): PostgresStore;
  readonly prototype: PostgresStore;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

const quote = (name: string) => `"${name}"`;

const milliseconds = (name: string, value: number, min: number) => {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min) {
    throw new TypeError(`PostgresStore: ${name} must be a number of milliseconds >= ${min}`);
  }
  return Math.ceil(value);
};

class PostgresIdempotencyStore implements PostgresStore {
  readonly table: string;
  readonly #pool: PgPoolLike;
  readonly #sql: { migrate: string[]; claim: string; extend: string; complete: string; release: string; prune: string };

  constructor(options: PostgresStoreOptions) {
    if (!options || typeof options !== "object") throw new TypeError("PostgresStore: pass { pool, table? }");
    if (!options.pool || typeof options.pool.query !== "function") throw new TypeError("PostgresStore: pool must be a pg Pool (with query())");
    const table = options.table ?? "tradehook_idempotency";
    const parts = typeof table === "string" ? table.split(".") : [];
    // Names are interpolated into SQL, so only plain identifiers pass.
    if (parts.length < 1 || parts.length > 2 || !parts.every((p) => IDENTIFIER.test(p))) {
      throw new TypeError('PostgresStore: table must be an identifier of letters, digits and "_" (at most 63), optionally "schema.table"');
    }
    this.table = table;
    this.#pool = options.pool;
    const t = parts.map(quote).join(".");
    const index = quote(`${parts[parts.length - 1]!.slice(0, 50)}_expires_at_idx`);
    const expires = "now() + $3 * interval '1 millisecond'";
    this.#sql = {
      migrate: [
        `CREATE TABLE IF NOT EXISTS ${t} (key text PRIMARY KEY, fingerprint text NOT NULL, token text, expires_at timestamptz NOT NULL)`,
        `CREATE INDEX IF NOT EXISTS ${index} ON ${t} (expires_at)`,
      ],
      // Always updates (to itself unless expired) so RETURNING yields the row under any race;
      // ON CONFLICT re-reads the latest committed row, so one statement decides atomically.
      claim: `INSERT INTO ${t} AS t (key, fingerprint, token, expires_at) VALUES ($1, $2, $4, ${expires})
ON CONFLICT (key) DO UPDATE SET
  fingerprint = CASE WHEN t.expires_at <= now() THEN excluded.fingerprint ELSE t.fingerprint END,
  token = CASE WHEN t.expires_at <= now() THEN excluded.token ELSE t.token END,
  expires_at = CASE WHEN t.expires_at <= now() THEN excluded.expires_at ELSE t.expires_at END
RETURNING t.token = $4 AS claimed, t.fingerprint = $2 AS same, t.token IS NULL AS completed`,
      extend: `UPDATE ${t} SET expires_at = now() + $3 * interval '1 millisecond' WHERE key = $1 AND token = $2 AND expires_at > now()`,
      complete: `UPDATE ${t} SET token = NULL, expires_at = ${expires} WHERE key = $1 AND token = $2`,
      release: `DELETE FROM ${t} WHERE key = $1 AND token = $2`,
      prune: `DELETE FROM ${t} WHERE expires_at <= now()`,
    };
  }

  async migrate(): Promise<void> {
    for (const statement of this.#sql.migrate) await this.#pool.query(statement);
  }

  async prune(): Promise<number> {
    return (await this.#pool.query(this.#sql.prune)).rowCount ?? 0;
  }

  async claim(key: string, fingerprint: string, leaseMs: number): Promise<ClaimResult> {
    const token = globalThis.crypto.randomUUID();
    const { rows } = await this.#pool.query(this.#sql.claim, [key, fingerprint, milliseconds("leaseMs", leaseMs, 1), token]);
    const row = rows[0] as { claimed: boolean; same: boolean; completed: boolean } | undefined;
    if (!row) throw new Error("PostgresStore: the claim returned no row");
    if (row.claimed) return { state: "claimed", token };
    if (!row.same) return { state: "mismatch" };
    return { state: row.completed ? "completed" : "in_progress" };
  }

  async extend(key: string, token: string, leaseMs: number): Promise<boolean> {
    if (!token) return false;
    return (await this.#pool.query(this.#sql.extend, [key, token, milliseconds("leaseMs", leaseMs, 1)])).rowCount === 1;
  }

  async complete(key: string, token: string, retainMs: number): Promise<void> {
    if (!token) return;
    await this.#pool.query(this.#sql.complete, [key, token, milliseconds("retainMs", retainMs, 0)]);
  }

  async release(key: string, token: string): Promise<void> {
    if (!token) return;
    await this.#pool.query(this.#sql.release, [key, token]);
  }
}

/**
 * An idempotency store on PostgreSQL, so several processes or machines run each delivery
 * once. One row per key in `table`; run `migrate()` once at start-up.
 *
 * Every expiry is judged by the database's clock (`now()`), never the app's, so processes
 * with skewed clocks agree. A claim is one `INSERT ... ON CONFLICT DO UPDATE` statement that
 * takes a missing or expired key and otherwise reports the existing state; complete, extend
 * and release act only for the holder of the claim's token. Expired rows stay until
 * `prune()` (run it on a timer or cron); they never block a new claim. Any query error
 * rejects, and the receiver answers 503 STORE_UNAVAILABLE without running a handler.
 * Callable with or without `new`.
 *
 * @example
 * ```ts
 * import pg from "pg";
 * import { PostgresStore } from "tradehook/postgres";
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, connectionTimeoutMillis: 2000 });
 * const store = PostgresStore({ pool });
 * await store.migrate();
 * const receiver = createReceiver({ provider, store });
 * ```
 */
export const PostgresStore = function PostgresStore(options: PostgresStoreOptions): PostgresStore {
  return new PostgresIdempotencyStore(options);
} as unknown as PostgresStoreConstructor;
// `store instanceof PostgresStore` holds however it was created.
(PostgresStore as unknown as { prototype: object }).prototype = PostgresIdempotencyStore.prototype;
