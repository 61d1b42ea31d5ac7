/**
 * @module Queue benchmark (`npm run bench:queue`): how fast a receiver with a queue acknowledges, against a
 * hand-written Express route doing the same hand-off, and how soon a worker starts the handler after the ack.
 *
 * 1. Ack: autocannon on 127.0.0.1 against Express + `expressWebhook` + `bullmqQueue` and against a
 *    hand-written route (raw body, HMAC, JSON.parse, `queue.add`), each in its own process, every request
 *    a new signed delivery, rounds alternating; p50/p99 latency and req/s, medians over rounds.
 * 2. Ack to handler start: one web process and one worker process (concurrency 1), deliveries sent at a
 *    steady rate; for each, the worker's handler start minus the moment the client got the 202.
 *
 * Flags: --seconds 5 --rounds 3 --connections 10 --rate 500 --steady-seconds 10. Needs Redis at REDIS_URL.
 * Writes bench/QUEUE.md.
 */
import { type ChildProcess, execSync, fork } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import http from "node:http";
import { createRequire } from "node:module";
import os from "node:os";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { Queue } from "bullmq";
import { SECRET } from "./cases.js";

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(args[at + 1]);
};
const SECONDS = flag("seconds", 5);
const ROUNDS = flag("rounds", 3);
const CONNECTIONS = flag("connections", 10);
const RATE = flag("rate", 500);
const STEADY_SECONDS = flag("steady-seconds", 10);
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const SERVER = fileURLToPath(new URL("./queue-server.ts", import.meta.url));
const REPORT = fileURLToPath(new URL("./QUEUE.md", import.meta.url));
const runId = randomBytes(4).toString("hex");
const now = () => performance.timeOrigin + performance.now();

interface CannonResult {
  latency: { p50: number; p99: number; average: number };
  requests: { average: number };
  non2xx: number;
  errors: number;
}
type Cannon = (options: Record<string, unknown>) => Promise<CannonResult>;
const autocannon = createRequire(import.meta.url)("autocannon") as Cannon;

let seq = 0;
/** A new signed apindicators delivery (about 200 bytes): every request claims a new key and adds a new job. */
function delivery(): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify({
    event: "signal.buy",
    timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
    data: { pair: `BTCUSDT-${runId}-${seq++}`, side: "buy", score: 0.87, market_type: "trending", interval: "1h" },
  });
  const signature = `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`;
  return { body, headers: { "content-type": "application/json", "x-webhook-signature": signature } };
}

function spawn(kind: string, queue: string, env: Record<string, string> = {}): Promise<{ child: ChildProcess; message: Record<string, unknown> }> {
  const child = fork(SERVER, [kind], { execArgv: ["--import", "tsx"], env: { ...process.env, REDIS_URL, QUEUE: queue, ...env }, stdio: ["ignore", "inherit", "inherit", "ipc"] });
  return new Promise((resolve, reject) => {
    child.once("message", (message) => resolve({ child, message: message as Record<string, unknown> }));
    child.once("exit", (code) => reject(new Error(`${kind} exited with ${code}`)));
  });
}

async function stop(child: ChildProcess) {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}

async function obliterate(name: string) {
  const queue = new Queue(name, { connection: { url: REDIS_URL } });
  await queue.obliterate({ force: true }).catch(() => {});
  await queue.close();
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
};

async function ackRuns(log: (line: string) => void) {
  const kinds = ["tradehook", "hand-written"] as const;
  const samples = new Map<string, CannonResult[]>(kinds.map((k) => [k, []]));
  const ratios: { p99: number; rps: number }[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const kind of round % 2 === 0 ? kinds : [...kinds].reverse()) {
      const queue = `tradehook-bench-${runId}-${kind}-${round}`;
      const { child, message } = await spawn(kind, queue);
      try {
        const base = {
          url: `http://127.0.0.1:${message.port}`,
          connections: CONNECTIONS,
          requests: [{ method: "POST", path: "/webhook", setupRequest: (request: Record<string, unknown>) => ({ ...request, ...delivery() }) }],
        };
        await autocannon({ ...base, duration: 1 });
        const result = await autocannon({ ...base, duration: SECONDS });
        samples.get(kind)!.push(result);
        log(`  ${kind.padEnd(13)} round ${round + 1}: ${Math.round(result.requests.average)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, ${result.non2xx} non-2xx, ${result.errors} errors`);
      } finally {
        await stop(child);
        await obliterate(queue);
      }
    }
    const [a, b] = [samples.get("tradehook")!.at(-1)!, samples.get("hand-written")!.at(-1)!];
    ratios.push({ p99: a.latency.p99 / b.latency.p99, rps: a.requests.average / b.requests.average });
  }
  const rows = kinds.map((kind) => {
    const runs = samples.get(kind)!;
    return {
      kind,
      rps: median(runs.map((r) => r.requests.average)),
      p50: median(runs.map((r) => r.latency.p50)),
      p99: median(runs.map((r) => r.latency.p99)),
      non2xx: runs.reduce((n, r) => n + r.non2xx + r.errors, 0),
    };
  });
  return { rows, ratios };
}

async function ackToStart(log: (line: string) => void, RATE: number, concurrency: number) {
  const queue = `tradehook-bench-${runId}-steady-${RATE}-${concurrency}`;
  const web = await spawn("tradehook", queue, { RECORD_ACKS: "1" });
  const worker = await spawn("worker", queue, { CONCURRENCY: String(concurrency) });
  const url = `http://127.0.0.1:${web.message.port}/webhook`;
  const acked = new Map<string, number>();
  const ackLatency: number[] = [];
  let failures = 0;
  try {
    // The first second warms the web process, the worker and Redis (as autocannon's warm-up run does above); it is not counted.
    const warmup = RATE;
    const total = RATE * STEADY_SECONDS + warmup;
    const pending: Promise<void>[] = [];
    const begin = now();
    let sent = 0;
    while (sent < total) {
      const due = Math.min(total, Math.floor(((now() - begin) / 1000) * RATE));
      for (; sent < due; sent++) {
        const { body, headers } = delivery();
        const at = now();
        const counted = sent >= warmup;
        pending.push(
          post(url, body, headers).then(({ status, text }) => {
            const ackAt = now();
            const id = (JSON.parse(text) as { id?: string }).id;
            if (status !== 202 || !id) failures++;
            else {
              if (counted) {
                acked.set(id, ackAt);
                ackLatency.push(ackAt - at);
              }
            }
          }, () => void failures++),
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const sendSeconds = (now() - begin) / 1000;
    await Promise.all(pending);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    type Loop = { p50: number; p99: number; max: number };
    const ask = <T>(child: ChildProcess) => {
      const answer = new Promise<T>((resolve) => child.once("message", (m) => resolve(m as T)));
      child.send("report");
      return answer;
    };
    const workerReport = await ask<{ started: [string, number][]; loop: Loop }>(worker.child);
    const webReport = await ask<{ acked: [string, number][]; loop: Loop }>(web.child);
    const started = new Map(workerReport.started);
    const ackedAtWeb = new Map(webReport.acked);
    const matched = [...acked].filter(([id]) => started.has(id) && ackedAtWeb.has(id));
    const deltas = matched.map(([id]) => started.get(id)! - ackedAtWeb.get(id)!);
    // A worker slower than the arrival rate shows as a delay that grows through the run.
    const fifth = Math.max(1, Math.floor(deltas.length / 5));
    const firstFifthP50 = percentile(deltas.slice(0, fifth), 50);
    const lastFifthP50 = percentile(deltas.slice(-fifth), 50);
    const starts = [...started.values()].sort((x, y) => x - y);
    const startsPerSecond = starts.length > 1 ? (starts.length - 1) / ((starts.at(-1)! - starts[0]!) / 1000) : 0;
    const rate = total / sendSeconds;
    log(`  steady: ${total} sent in ${sendSeconds.toFixed(1)} s (${Math.round(rate)}/s; the first ${warmup} not counted), ${acked.size} acknowledged, ${failures} failed, ${deltas.length} started`);
    return {
      sent: total - warmup,
      rate,
      acknowledged: acked.size,
      started: deltas.length,
      failures,
      ackP50: percentile(ackLatency, 50),
      ackP99: percentile(ackLatency, 99),
      p50: percentile(deltas, 50),
      p99: percentile(deltas, 99),
      beforeAck: deltas.filter((d) => d < 0).length,
      firstFifthP50,
      lastFifthP50,
      startsPerSecond,
      target: RATE,
      concurrency,
      workerLoop: workerReport.loop,
      webLoop: webReport.loop,
    };
  } finally {
    await stop(web.child);
    await stop(worker.child);
    await obliterate(queue);
  }
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
/** node:http with keep-alive: a lighter client than fetch, so the sender keeps its rate on a busy machine. */
function post(url: string, body: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: "POST", agent, headers: { ...headers, "content-length": Buffer.byteLength(body) } }, (response) => {
      let text = "";
      response.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
      response.on("end", () => resolve({ status: response.statusCode!, text }));
    });
    request.on("error", reject);
    request.end(body);
  });
}

const log = (line: string) => console.log(line);
log("building dist/ (the benchmark runs the built package)...");
execSync("npm run build --silent", { stdio: "inherit" });
log(`ack: ${ROUNDS} rounds x ${SECONDS} s, ${CONNECTIONS} connections`);
const ack = await ackRuns(log);
const steadyRuns = [];
for (const [rate, concurrency] of [[RATE, 1], [RATE, 8], [Math.max(1, Math.round(RATE / 5)), 1]] as const) {
  log(`ack to handler start: ${rate}/s for ${STEADY_SECONDS} s, one worker process (concurrency ${concurrency})`);
  steadyRuns.push(await ackToStart(log, rate, concurrency));
}
const steady = steadyRuns[0]!;
const load = os.loadavg().map((l) => l.toFixed(2)).join(", ");

const [th, hand] = ack.rows as [(typeof ack.rows)[number], (typeof ack.rows)[number]];
// Each round's two runs were adjacent in time: their ratio cancels most of the machine's drift.
const p99Ratio = median(ack.ratios.map((r) => r.p99));
const rpsRatio = median(ack.ratios.map((r) => r.rps));
const verdict = (ok: boolean) => (ok ? "met" : "**missed**");
const ms = (v: number) => v.toFixed(2);
const lines = [
  "# Queue benchmark",
  "",
  "How fast a receiver with a queue acknowledges, and how soon a worker starts the handler. Written by",
  "`npm run bench:queue` (bench/queue.ts); every number below is from the run that wrote this file.",
  "",
  `- Command: \`npm run bench:queue -- ${args.join(" ")}\` (${ROUNDS} rounds x ${SECONDS} s per server, ${CONNECTIONS} connections; steady ${RATE}/s for ${STEADY_SECONDS} s)`,
  `- Machine: ${os.cpus()[0]?.model ?? "?"} x${os.cpus().length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}, Node ${process.version}; load average at the end ${load}`,
  "- Shared machine: other work ran at the same time, so single figures move between runs; the ratios between servers measured in alternating rounds are the figures to read.",
  `- Redis on loopback (${REDIS_URL.replace(/\/\/[^@]*@/, "//")}); every request is a new signed apindicators delivery (about 200 bytes), so every one claims a key and adds a job.`,
  `- Measured: ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC`,
  "",
  "## Acknowledgement: Express + expressWebhook + bullmqQueue vs a hand-written route",
  "",
  "The hand-written route: `express.raw()`, HMAC-SHA256 with `timingSafeEqual`, `JSON.parse`, `queue.add()` with the body's hash as job id, 202.",
  "tradehook also checks the timestamp, validates the schema, claims and completes the key in its (memory) store, and bounds the enqueue time.",
  "",
  "| server | req/s (median) | p50 ms | p99 ms | non-2xx + errors |",
  "|---|---:|---:|---:|---:|",
  ...ack.rows.map((r) => `| ${r.kind} | ${Math.round(r.rps)} | ${r.p50} | ${r.p99} | ${r.non2xx} |`),
  "",
  `Per round (tradehook / hand-written, runs adjacent in time): p99 ${ack.ratios.map((r) => `${r.p99.toFixed(2)}x`).join(", ")}; req/s ${ack.ratios.map((r) => `${(r.rps * 100).toFixed(0)}%`).join(", ")}. The targets are judged on the medians of these ratios.`,
  "",
  `| target | measured (median ratio) | |`,
  "|---|---:|---|",
  `| ack p99 within 1.25x of the hand-written route | ${p99Ratio.toFixed(2)}x | ${verdict(p99Ratio <= 1.25)} |`,
  `| req/s at least 85% of the hand-written route | ${(rpsRatio * 100).toFixed(0)}% | ${verdict(rpsRatio >= 0.85)} |`,
  "",
  "## From acknowledgement to handler start",
  "",
  "One web process and one worker process; the worker records when each handler starts. Delay = handler start (in the worker) -",
  "the moment the web process had its 202 ready (`receiver.handle` returned), both `performance.timeOrigin + performance.now()` on one machine.",
  "Negative delays: the worker saw the job before the web process finished its answer (the job is visible once added, before the claim completes).",
  "Each run sends one second of deliveries first to warm the processes up; those are not counted.",
  "Concurrency 1 (events start in arrival order) takes one job per Redis round trip; concurrency 8 overlaps them. The last row runs at a fifth of the target rate.",
  "A delay that grows from the first fifth of the run to the last means the worker started fewer handlers per second than arrived: a backlog, not hand-off latency.",
  "Event-loop delay (`monitorEventLoopDelay`, whole run): how late each process ran its callbacks; on a busy machine that is mostly time descheduled, and every job queued behind it waits as long.",
  "",
  "| rate asked / sent | worker concurrency | acknowledged | handler starts/s | ack p50 / p99 ms (client) | delay p50 ms | delay p99 ms | delay p50, first / last fifth | event-loop delay p99 / max ms, web; worker | target |",
  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
  ...steadyRuns.map((r) => `| ${r.target} / ${Math.round(r.rate)} | ${r.concurrency} | ${r.acknowledged} of ${r.sent} | ${Math.round(r.startsPerSecond)} | ${ms(r.ackP50)} / ${ms(r.ackP99)} | ${ms(r.p50)} | ${ms(r.p99)} | ${ms(r.firstFifthP50)} / ${ms(r.lastFifthP50)} | ${ms(r.webLoop.p99)} / ${ms(r.webLoop.max)}; ${ms(r.workerLoop.p99)} / ${ms(r.workerLoop.max)} | ${r.target === RATE && r.concurrency === 1 ? `p50 < 5: ${verdict(r.p50 < 5)}, p99 < 25: ${verdict(r.p99 < 25)}` : "(for comparison)"} |`),
  "",
];
writeFileSync(REPORT, `${lines.join("\n")}\n`);
log(lines.join("\n"));
