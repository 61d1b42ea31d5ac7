/**
 * @module HTTP comparison: autocannon on 127.0.0.1 against each server, every server in its own child process.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createHmac, randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { PATH, type ServerKind } from "./http-server.js";
import { makePayload } from "./payloads.js";
import { SECRET } from "./cases.js";

/** The part of autocannon's result this bench reads (the package ships no types). */
interface CannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  "2xx": number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

/** One run: autocannon's result and the server's own work per request. */
type Sample = CannonResult & { workUs: number | undefined };
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
  /** Median over rounds of the µs the server spent in each request's own work (floor or handle()); undefined where not timed. */
  workUs: number | undefined;
}

export interface HttpOptions {
  sizes: readonly number[];
  seconds: number;
  connections: number;
  rounds: number;
}

interface Server {
  child: ChildProcess;
  port: number;
  /** Every line the server printed: its port first, its work report when stopped. */
  lines: string[];
}

/** Starts a server kind in a child process and resolves its port. */
async function spawnServer(kind: ServerKind): Promise<Server> {
  const child = spawn(process.execPath, ["--import", "tsx", SERVER_FILE, kind], { stdio: ["ignore", "pipe", "inherit"] });
  const lines: string[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const parts = out.split("\n");
      out = parts.pop()!;
      lines.push(...parts.filter((line) => line !== ""));
      if (lines.length > 0) resolve((JSON.parse(lines[0]!) as { port: number }).port);
    });
    child.once("exit", (code) => reject(new Error(`server ${kind} exited with ${code} before listening`)));
  });
  return { child, port, lines };
}

/** Stops a server; resolves the mean µs it spent in each request's own work (floor or handle()). */
async function stop(server: Server): Promise<number | undefined> {
  const { child } = server;
  if (child.exitCode === null) {
    // "close", not "exit": the report line may still be in the pipe when the process has exited.
    const closed = new Promise((resolve) => child.once("close", resolve));
    child.kill("SIGTERM");
    await closed;
  }
  const report = server.lines.slice(1).map((line) => JSON.parse(line) as { workUs?: number | null }).pop();
  return report?.workUs ?? undefined;
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
    const samples = new Map<ServerKind, Sample[]>(kinds.map((k) => [k, []]));
    for (let round = 0; round < options.rounds; round++) {
      const order = round % 2 === 0 ? kinds : [...kinds].reverse();
      for (const kind of order) {
        const server = await spawnServer(kind);
        let result: CannonResult | undefined;
        try {
          const { body, headers } = request(bytes); // signed now: the body timestamp stays fresh
          const base = { url: `http://127.0.0.1:${server.port}${PATH}`, method: "POST", headers, body, connections: options.connections };
          await autocannon({ ...base, duration: 1 });
          server.child.kill("SIGUSR2"); // the work timer counts the measured run only
          result = await autocannon({ ...base, duration: options.seconds });
        } finally {
          const workUs = await stop(server);
          if (result) {
            samples.get(kind)!.push({ ...result, workUs });
            const spent = workUs === undefined ? "" : `, ${workUs.toFixed(1)} µs of own work per request`;
            log(`  ${kind.padEnd(18)} ${bytes} B round ${round + 1}: ${Math.round(result.requests.average)} req/s, ${result.non2xx} non-2xx${spent}`);
          }
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
        workUs: runs.every((r) => r.workUs !== undefined) ? median(runs.map((r) => r.workUs!)) : undefined,
      });
    }
  }
  return rows;
}
