/**
 * @module HTTP comparison: autocannon on 127.0.0.1 against each server, every server in its own child process.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createHmac, randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { PATH, type ServerKind } from "./http-server.js";
import { makePayload } from "./payloads.js";
import { SECRET } from "./verify.js";

/** The part of autocannon's result this bench reads (the package ships no types). */
interface CannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  "2xx": number;
  non2xx: number;
  errors: number;
  timeouts: number;
}
type Cannon = (options: Record<string, unknown>) => Promise<CannonResult>;
const autocannon = createRequire(import.meta.url)("autocannon") as Cannon;

const SERVER_FILE = fileURLToPath(new URL("./http-server.ts", import.meta.url));

export interface HttpRow {
  kind: ServerKind;
  bytes: number;
  /** Median over rounds. */
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  failed: number;
}

export interface HttpOptions {
  sizes: readonly number[];
  seconds: number;
  connections: number;
  rounds: number;
}

/** Starts a server kind in a child process and resolves its port. */
async function spawnServer(kind: ServerKind): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ["--import", "tsx", SERVER_FILE, kind], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split("\n")[0];
      if (out.includes("\n") && line) resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once("exit", (code) => reject(new Error(`server ${kind} exited with ${code} before listening`)));
  });
  return { child, port };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

/** One signed delivery, the same bytes for every server; each server reads its own signature header. */
function request(bytes: number) {
  const body = JSON.stringify(makePayload("signal", bytes, Math.floor(Date.now() / 1000)));
  const hex = createHmac("sha256", SECRET).update(body).digest("hex");
  const headers = {
    "content-type": "application/json",
    "x-webhook-signature": `sha256=${hex}`,
    "x-hub-signature-256": `sha256=${hex}`,
    "x-github-event": "ping",
    "x-github-delivery": randomUUID(),
  };
  return { body, headers };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Runs every server at every size: per round, each server is started, warmed for a second,
 * loaded for `seconds` and stopped, in alternating order so drift hits all alike.
 */
export async function runHttp(kinds: readonly ServerKind[], options: HttpOptions, log: (line: string) => void): Promise<HttpRow[]> {
  const rows: HttpRow[] = [];
  for (const bytes of options.sizes) {
    const samples = new Map<ServerKind, CannonResult[]>(kinds.map((k) => [k, []]));
    for (let round = 0; round < options.rounds; round++) {
      const order = round % 2 === 0 ? kinds : [...kinds].reverse();
      for (const kind of order) {
        const { child, port } = await spawnServer(kind);
        try {
          const { body, headers } = request(bytes); // signed now: the body timestamp stays fresh
          const base = { url: `http://127.0.0.1:${port}${PATH}`, method: "POST", headers, body, connections: options.connections };
          await autocannon({ ...base, duration: 1 });
          const result = await autocannon({ ...base, duration: options.seconds });
          samples.get(kind)!.push(result);
          log(`  ${kind.padEnd(18)} ${bytes} B round ${round + 1}: ${Math.round(result.requests.average)} req/s, ${result.non2xx} non-2xx`);
        } finally {
          await stop(child);
        }
      }
    }
    for (const kind of kinds) {
      const runs = samples.get(kind)!;
      rows.push({
        kind,
        bytes,
        rps: median(runs.map((r) => r.requests.average)),
        p50: median(runs.map((r) => r.latency.p50)),
        p99: median(runs.map((r) => r.latency.p99)),
        ok: runs.reduce((n, r) => n + r["2xx"], 0),
        failed: runs.reduce((n, r) => n + r.non2xx + r.errors + r.timeouts, 0),
      });
    }
  }
  return rows;
}
