/**
 * @module Instructions per call under callgrind: `npm run bench:instructions -- [--ref <git-ref>] [--sizes 512,4096] [--cases apindicators,handle] [--calls 10000] [--mixed]`.
 *
 * On a shared machine the time of one case can stray by a third between runs, more than most
 * changes to the core. Valgrind's callgrind counts the instructions a process executes, which
 * other load does not change: run one case N times and 3N times in `node --predictable`
 * (V8 compiles on the main thread, with fixed seeds), and the difference over 2N calls is the
 * count per call, start-up cancelled. Both runs are long enough that V8's warm-up (which goes on
 * for thousands of calls) is over before the extra 2N calls. Repeated runs of one build agree
 * within 1.5%; between builds, a change can also move when the collector and compiler run.
 *
 * Instructions are not time: native code (HMAC, JSON.parse) and JavaScript retire different
 * numbers of instructions per cycle, and valgrind's CPU has no SHA extensions, so ratios differ
 * (apindicators verify() at 512 B: about 1.2x the floor here, 1.45x in time). The targets in
 * README.md are judged by `npm run bench`. This tool is for telling whether a
 * change to the core made it do less work (`--ref main`: the ref's src/ against the working tree).
 */
import { execFile, execFileSync } from "node:child_process";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { BUILD_DIR, buildAtRef, buildTradehook } from "./build.js";
import { caseNames, FLOOR_CASES } from "./cases.js";

const args = process.argv.slice(2);
const flag = (name: string) => {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? undefined : args[at + 1];
};
const ref = flag("ref");
const sizes = (flag("sizes") ?? "512,4096").split(",").map(Number);
const wanted = flag("cases")?.split(",");
const callsFlag = flag("calls");
// --mixed: each child first runs every tradehook case (2000 calls each), as `npm run bench` runs
// them all in one process: the pipeline's shared code then has seen six providers, not one.
const mixed = args.includes("--mixed") ? 2000 : 0;

const FLOOR = FLOOR_CASES[1];
// The floor always runs: every ratio refers to it.
const cases = caseNames().filter((c) => c === FLOOR || !wanted || wanted.some((w) => c.includes(w)));

try {
  execFileSync("valgrind", ["--version"], { stdio: "ignore" });
} catch {
  console.error("bench:instructions needs valgrind (apt-get install valgrind)");
  process.exit(2);
}

const CHILD = fileURLToPath(new URL("./.build/instructions-child.mjs", import.meta.url));
await build({
  entryPoints: [fileURLToPath(new URL("./instructions-child.ts", import.meta.url))],
  outfile: CHILD,
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  logLevel: "warning",
});

/**
 * Calls per measurement, by body size. V8 still compiles (and the heap still grows) well after
 * the first thousand calls: counted then, that warm-up made up a third of the count. So the
 * short run itself is long (`calls`), and the long run adds `2 * calls` in steady state.
 */
const callsFor = (bytes: number) => (callsFlag ? Number(callsFlag) : bytes <= 1024 ? 10_000 : bytes <= 8192 ? 4000 : 500);

/** Instructions a whole run of `calls` calls executed. */
function count(dir: string, name: string, bytes: number, calls: number): Promise<number> {
  const argv = ["--tool=callgrind", "--callgrind-out-file=/dev/null", process.execPath, "--predictable", CHILD, dir, name, String(bytes), String(calls), String(mixed)];
  return new Promise((resolve, reject) => {
    execFile("valgrind", argv, { maxBuffer: 16 * 1024 * 1024 }, (error, _stdout, stderr) => {
      const collected = /Collected\s*:\s*(\d+)/.exec(stderr);
      if (error || !collected) reject(new Error(`${name} @ ${bytes} B failed:\n${stderr.slice(-2000)}`));
      else resolve(Number(collected[1]));
    });
  });
}

/** Runs the jobs, as many at once as there are cores (each valgrind is single-threaded). */
async function pool<T>(jobs: (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const at = next++;
      results[at] = await jobs[at]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(availableParallelism(), jobs.length) }, worker));
  return results;
}

const builds: { label: string; dir: string }[] = [];
if (ref) {
  const { sha, outdir } = await buildAtRef(ref);
  builds.push({ label: sha, dir: outdir });
}
await buildTradehook();
builds.push({ label: ref ? "working tree" : "tradehook", dir: BUILD_DIR });

const started = Date.now();
type Job = { build: string; name: string; bytes: number };
const jobs: Job[] = [];
for (const bytes of sizes) {
  for (const name of cases) {
    // The floor does not depend on the build: measured once.
    for (const b of name.startsWith("floor") ? builds.slice(-1) : builds) jobs.push({ build: b.label, name, bytes });
  }
}
process.stderr.write(`${jobs.length} cases x 2 runs under callgrind, ${availableParallelism()} at a time...\n`);
const dirOf = new Map(builds.map((b) => [b.label, b.dir]));
const perCall = await pool(
  jobs.map((job) => async () => {
    const calls = callsFor(job.bytes);
    const [short, long] = await Promise.all([
      count(dirOf.get(job.build)!, job.name, job.bytes, calls),
      count(dirOf.get(job.build)!, job.name, job.bytes, 3 * calls),
    ]);
    return (long - short) / (2 * calls);
  }),
);
const result = new Map(jobs.map((job, i) => [`${job.build}|${job.name}|${job.bytes}`, perCall[i]!]));

const k = (n: number) => `${(n / 1000).toFixed(1)}k`;
console.log(`Instructions per call (callgrind, node ${process.version} --predictable), ratio to ${FLOOR}; ${((Date.now() - started) / 1000).toFixed(0)} s`);
for (const bytes of sizes) {
  const floor = result.get(`${builds.at(-1)!.label}|${FLOOR}|${bytes}`)!;
  console.log(`\n${bytes} B`);
  const head = ["case", ...builds.flatMap((b) => [`${b.label}`, "ratio"]), ...(ref ? ["change"] : [])];
  console.log(`| ${head.join(" | ")} |\n|${head.map((_, i) => (i === 0 ? "---" : "---:")).join("|")}|`);
  for (const name of cases) {
    const values = builds.map((b) => result.get(`${b.label}|${name}|${bytes}`) ?? result.get(`${builds.at(-1)!.label}|${name}|${bytes}`)!);
    const cells = values.flatMap((v) => [k(v), `${(v / floor).toFixed(2)}x`]);
    const change = ref && values.length === 2 ? [`${(((values[1]! - values[0]!) / values[0]!) * 100).toFixed(1)}%`] : [];
    console.log(`| ${[name, ...cells, ...change].join(" | ")} |`);
  }
}
