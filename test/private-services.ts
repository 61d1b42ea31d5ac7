/**
 * @module Test helper: a Redis or PostgreSQL server of the test's own, on a free loopback port in a
 * temporary folder, for tests that hang or kill the server (never the shared one).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./helpers.js";

/** A server process the test owns. */
export interface PrivateServer {
  url: string;
  port: number;
  /** SIGSTOP: the server keeps its connections open and answers nothing. */
  hang(): void;
  /** SIGCONT after `hang()`. */
  resume(): void;
  /** Stops it abruptly, as a crash would, and waits until it is gone. */
  kill(): Promise<void>;
  /** Stops it (if still running) and removes its folder. */
  dispose(): Promise<void>;
}

/** Why a private server cannot start here, or undefined when it can. */
export function privateServerUnavailable(kind: "redis" | "postgres"): string | undefined {
  if (kind === "redis") return which("redis-server") ? undefined : "redis-server is not installed";
  if (!postgresBin("initdb")) return "PostgreSQL's initdb is not installed (/usr/lib/postgresql/*/bin)";
  if (process.getuid?.() === 0 && !userExists("postgres")) return "running as root and there is no postgres user to run initdb as";
  return undefined;
}

function which(command: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

function userExists(name: string): boolean {
  try {
    execFileSync("id", [name], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

function postgresBin(name: string): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  for (const version of readdirSync(root).sort().reverse()) {
    const path = join(root, version, "bin", name);
    if (existsSync(path)) return path;
  }
  return undefined;
}

async function waitFor(ready: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await ready()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not start within ${ms} ms`);
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** A redis-server of the test's own: no persistence unless `args` add it. */
export async function startPrivateRedis(args: string[] = []): Promise<PrivateServer> {
  const dir = mkdtempSync(join(tmpdir(), "tradehook-redis-"));
  const port = await freePort();
  const child = spawn("redis-server", ["--bind", "127.0.0.1", "--port", String(port), "--save", "", "--appendonly", "no", "--dir", dir, ...args], {
    stdio: "ignore",
  });
  const answers = () => {
    try {
      return execFileSync("redis-cli", ["-h", "127.0.0.1", "-p", String(port), "ping"], { encoding: "utf8", timeout: 1000, stdio: ["ignore", "pipe", "ignore"] }).includes("PONG");
    } catch {
      return false;
    }
  };
  await waitFor(answers, `redis-server on port ${port}`);
  const kill = async () => {
    child.kill("SIGKILL");
    await exited(child);
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    hang: () => child.kill("SIGSTOP"),
    resume: () => child.kill("SIGCONT"),
    kill,
    dispose: async () => {
      child.kill("SIGCONT");
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A PostgreSQL cluster of the test's own (initdb, trust auth), run as the postgres user when root. */
export async function startPrivatePostgres(): Promise<PrivateServer> {
  const dir = mkdtempSync(join(tmpdir(), "tradehook-pg-"));
  const data = join(dir, "data");
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  if (asRoot) execFileSync("chown", ["postgres", dir]);
  const as = (bin: string, args: string[]) => (asRoot ? ["runuser", ["-u", "postgres", "--", bin, ...args]] : [bin, args]) as [string, string[]];
  execFileSync(...as(postgresBin("initdb")!, ["-D", data, "-U", "postgres", "--auth=trust", "--no-sync"]), { stdio: "ignore" });
  const child = spawn(...as(postgresBin("postgres")!, ["-D", data, "-p", String(port), "-c", "listen_addresses=127.0.0.1", "-c", `unix_socket_directories=${dir}`, "-c", "fsync=off"]), {
    stdio: "ignore",
  });
  const ready = postgresBin("pg_isready")!;
  await waitFor(() => {
    try {
      execFileSync(ready, ["-h", "127.0.0.1", "-p", String(port), "-q"], { timeout: 1000 });
      return true;
    } catch {
      return false;
    }
  }, `postgres on port ${port}`);
  // The postmaster itself (under runuser when root), so signals reach it and not a wrapper.
  const pid = Number(readFileSync(join(data, "postmaster.pid"), "utf8").split("\n")[0]);
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(pid, name);
    } catch {
      // already gone
    }
  };
  const kill = async () => {
    // SIGQUIT is PostgreSQL's immediate shutdown: every backend exits at once, no goodbye to clients.
    signal("SIGQUIT");
    await exited(child);
  };
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    hang: () => signal("SIGSTOP"),
    resume: () => signal("SIGCONT"),
    kill,
    dispose: async () => {
      signal("SIGCONT");
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
