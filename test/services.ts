/**
 * @module Test helper: finds Redis and PostgreSQL for the store tests, or says how to start them.
 *
 * A missing service skips its tests with one line (how to start it), except under CI=true,
 * where it fails the run: CI must never pass by skipping the shared stores.
 */
import net from "node:net";
import { Redis } from "ioredis";
import pg from "pg";

export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
export const DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

const HOW_TO_START = {
  redis: `docker run --rm -p 6379:6379 redis:7 (or set REDIS_URL)`,
  postgres: `docker run --rm -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust -e POSTGRES_DB=test postgres:16 (or set DATABASE_URL)`,
};

export type ServiceName = keyof typeof HOW_TO_START;

async function redisAnswers(): Promise<boolean> {
  const client = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  client.on("error", () => {});
  try {
    await client.connect();
    return (await client.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

async function postgresAnswers(): Promise<boolean> {
  const client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 1000 });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

const checks: Partial<Record<ServiceName, Promise<boolean>>> = {};

/**
 * Whether the service answers. When it does not: under CI=true this throws (the test file
 * fails); otherwise it prints one line with the start command and returns false.
 */
export async function serviceAvailable(name: ServiceName): Promise<boolean> {
  checks[name] ??= name === "redis" ? redisAnswers() : postgresAnswers();
  if (await checks[name]) return true;
  const url = name === "redis" ? REDIS_URL : DATABASE_URL;
  const line = `${name} is not reachable at ${url}: its store tests are skipped. Start it with: ${HOW_TO_START[name]}`;
  if (process.env.CI === "true") throw new Error(`CI=true and ${line.replace("are skipped", "cannot run")}`);
  console.warn(line);
  return false;
}

/** A loopback port nothing listens on (bound, then closed), for "store is down" tests. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
