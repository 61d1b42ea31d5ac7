/**
 * @module The conformance app on Next.js (test/fixtures/next-app): `next build` once, cached, then `next start` on loopback.
 *
 * The fixture app has no node_modules and no package.json of its own: `next`, `react` and
 * `zod` resolve from the repository's node_modules, and `tradehook` / `tradehook/next`
 * resolve to the built package (dist/, through package.json "exports": Turbopack follows a
 * package's self-reference from inside it). test/conformance/spec.ts is imported as is; its
 * `../../src/index.js` import is aliased to `tradehook` in next.config.mjs, because
 * Turbopack (Next 16's builder) does not map NodeNext ".js" specifiers to ".ts" files.
 * So the routes use spec.ts's `buildApp()` receivers, built from dist/.
 *
 * The build runs at most once per change: it is skipped when .next/BUILD_ID is newer than
 * every input (the app, spec.ts, dist/, package.json, Next's version), and a lock directory
 * in .tmp/ keeps two test files from building at the same time.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { RunningServer } from "../spec.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const NEXT_APP_DIR = join(ROOT, "test/fixtures/next-app");
const NEXT_BIN = join(ROOT, "node_modules/next/dist/bin/next");
const LOCK_DIR = join(ROOT, ".tmp/next-app-build.lock");
const BUILD_TIMEOUT_MS = 170_000;

const childEnv = (): NodeJS.ProcessEnv => ({ ...process.env, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1" });

function newest(path: string, skip: ReadonlySet<string> = new Set()): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = 0;
  for (const entry of readdirSync(path)) {
    if (!skip.has(entry)) latest = Math.max(latest, newest(join(path, entry), skip));
  }
  return latest;
}

function inputsChangedAt(): number {
  return Math.max(
    newest(NEXT_APP_DIR, new Set([".next", "node_modules", "next-env.d.ts", "tsconfig.json"])),
    newest(join(ROOT, "test/conformance/spec.ts")),
    newest(join(ROOT, "dist")),
    newest(join(ROOT, "package.json")),
    newest(join(ROOT, "node_modules/next/package.json")),
  );
}

function buildIsFresh(): boolean {
  const buildId = join(NEXT_APP_DIR, ".next/BUILD_ID");
  return existsSync(buildId) && statSync(buildId).mtimeMs > inputsChangedAt();
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function withBuildLock<T>(fn: () => Promise<T>): Promise<T> {
  mkdirSync(join(ROOT, ".tmp"), { recursive: true });
  const deadline = Date.now() + BUILD_TIMEOUT_MS;
  for (;;) {
    try {
      mkdirSync(LOCK_DIR);
      writeFileSync(join(LOCK_DIR, "pid"), String(process.pid));
      break;
    } catch {
      // Another test process builds; a lock left by a dead process is taken over.
      const owner = Number(existsSync(join(LOCK_DIR, "pid")) ? readFileSync(join(LOCK_DIR, "pid"), "utf8") : Number.NaN);
      if (Number.isInteger(owner) && !pidAlive(owner)) rmSync(LOCK_DIR, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`timed out waiting for the Next.js build lock ${LOCK_DIR}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(LOCK_DIR, { recursive: true, force: true });
  }
}

async function runBuild(): Promise<void> {
  const child = spawn(process.execPath, [NEXT_BIN, "build"], { cwd: NEXT_APP_DIR, env: childEnv(), stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (text: string) => (output += text));
  child.stderr.setEncoding("utf8").on("data", (text: string) => (output += text));
  const timer = setTimeout(() => child.kill("SIGKILL"), BUILD_TIMEOUT_MS);
  const [code] = (await once(child, "exit")) as [number | null];
  clearTimeout(timer);
  if (code !== 0) throw new Error(`next build failed (exit ${code}):\n${output.slice(-4000)}`);
}

/** Builds the fixture app unless its last build is newer than every input. */
export async function buildNextApp(): Promise<void> {
  if (buildIsFresh()) return;
  await withBuildLock(async () => {
    if (!buildIsFresh()) await runBuild();
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  // next start may fork workers: signal the process group this helper created.
  try {
    process.kill(-child.pid!, "SIGTERM");
  } catch {
    child.kill("SIGTERM");
  }
  await exited;
}

/** Builds if needed, then starts `next start` on a free port on 127.0.0.1; `baseUrl` is the server's origin. */
export async function startNextApp(): Promise<RunningServer> {
  await buildNextApp();
  const child = spawn(process.execPath, [NEXT_BIN, "start", "-H", "127.0.0.1", "-p", "0"], {
    cwd: NEXT_APP_DIR,
    env: childEnv(),
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  child.stderr.setEncoding("utf8").on("data", (text: string) => (output += text));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.setEncoding("utf8").on("data", (text: string) => {
      output += text;
      const match = /http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (match && /Ready in/.test(output)) resolve(Number(match[1]));
    });
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`next start exited with ${code} before listening:\n${output}`)));
  });
  return { baseUrl: `http://127.0.0.1:${port}`, close: () => stop(child) };
}
