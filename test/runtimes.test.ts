/**
 * @module The runtime matrix: the same fetch cases through receiver.fetch on Node 20, 22 and 24, Bun, Deno and workerd, each on the packed package; Bun, Deno and Workers run the README's programs as written.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCases, type FetchAnswer, HANDLER_LINE, SECRET, sendCases, summarize } from "./runtimes/cases.js";
import { readmeSection, stopChildren } from "./helpers.js";

const root = resolve(import.meta.dirname, "..");
const runtimesDir = join(root, "test/runtimes");
const app = join(root, ".tmp/runtimes/app");
const bin = (path: string) => join(runtimesDir, "node_modules", path);

/** Every runtime's binary; test/runtimes has its own lock (see its package.json for why). */
const RUNTIMES = {
  node22: bin("node22/bin/node"),
  node24: bin("node24/bin/node"),
  deno: bin(".bin/deno"),
  bun: join(root, "node_modules/.bin/bun"),
};

/** The fetch-runtimes README section's three programs, in order: Bun, Deno, Workers. */
function readmePrograms(): { bun: string; deno: string; workers: string } {
  const blocks = [...readmeSection("fetch-runtimes").matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
  expect(blocks).toHaveLength(3);
  const [bun, deno, workers] = blocks as [string, string, string];
  expect(bun).toContain("Bun.serve");
  expect(deno).toContain("Deno.serve");
  expect(workers).toContain("export default");
  return { bun, deno, workers };
}

beforeAll(() => {
  if (!Object.values(RUNTIMES).every((path) => existsSync(path))) {
    execFileSync("npm", ["ci", "--prefix", runtimesDir, "--no-audit", "--no-fund"], { stdio: "inherit" });
  }
  // The package as users get it: npm pack, unpacked into an app's node_modules, zod beside it.
  rmSync(join(root, ".tmp/runtimes"), { recursive: true, force: true });
  mkdirSync(join(app, "node_modules"), { recursive: true });
  execFileSync("npm", ["pack", "--silent", "--pack-destination", join(root, ".tmp/runtimes")], { cwd: root, stdio: "ignore" });
  const tarball = readdirSync(join(root, ".tmp/runtimes")).find((name) => name.endsWith(".tgz"))!;
  mkdirSync(join(app, "node_modules/tradehook"));
  execFileSync("tar", ["xzf", join(root, ".tmp/runtimes", tarball), "-C", join(app, "node_modules/tradehook"), "--strip-components=1"]);
  symlinkSync(join(root, "node_modules/zod"), join(app, "node_modules/zod"), "dir");
  writeFileSync(join(app, "package.json"), JSON.stringify({ type: "module", dependencies: { tradehook: "*", zod: "*" } }));
  copyFileSync(join(runtimesDir, "node-fetch.mjs"), join(app, "node-fetch.mjs"));
}, 300_000);

const children: ChildProcess[] = [];
afterAll(() => stopChildren(children));

/** Starts a child and resolves once a line of its output matches `ready`. */
function start(command: string, args: string[], ready: RegExp, env: Record<string, string> = {}) {
  const child = spawn(command, args, {
    cwd: app,
    env: { ...process.env, APINDICATORS_SECRET: SECRET, HOST: "127.0.0.1", PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let output = "";
  const matched = new Promise<RegExpMatchArray>((resolveMatch, rejectMatch) => {
    const onData = (chunk: Buffer) => {
      output += chunk;
      const match = ready.exec(output);
      if (match) resolveMatch(match);
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.on("exit", (code) => rejectMatch(new Error(`${command} exited (${code}) before it was ready:\n${output}`)));
  });
  return { child, matched, output: () => output };
}

/** The answers agree with the cases, and the handler ran exactly once. */
function expectCases(cases: ReturnType<typeof buildCases>, answers: FetchAnswer[], output: string) {
  const { got, expected } = summarize(cases, answers);
  expect(got).toEqual(expected);
  for (const answer of answers) expect(answer.body).not.toContain(SECRET);
  expect(output.split(HANDLER_LINE).length - 1).toBe(1);
}

describe.each([
  ["Node 20", process.execPath, /^v20\./],
  ["Node 22", RUNTIMES.node22, /^v22\./],
  ["Node 24", RUNTIMES.node24, /^v24\./],
])("%s: receiver.fetch in-process", (_name, node, version) => {
  it("answers valid 200, duplicate 200, forged 401, stale 401, GET 405, oversized 413", async () => {
    expect(execFileSync(node, ["-v"], { encoding: "utf8" })).toMatch(version);
    const cases = buildCases();
    writeFileSync(join(app, "cases.json"), JSON.stringify(cases));
    const run = start(node, ["node-fetch.mjs", "cases.json"], /ANSWERS (.*)\n/);
    const match = await run.matched;
    expectCases(cases, JSON.parse(match[1]!) as FetchAnswer[], run.output());
  }, 60_000);
});

/** Loads every entry point with random values, timers and fetch trapped; prints what was called. */
const TRAP_AT_LOAD = `
const called = [];
const trap = (target, key, label) => {
  const original = target[key];
  target[key] = function (...args) { called.push(label); return original.apply(this, args); };
};
trap(globalThis.crypto, "getRandomValues", "crypto.getRandomValues");
trap(globalThis.crypto, "randomUUID", "crypto.randomUUID");
trap(globalThis, "setTimeout", "setTimeout");
trap(globalThis, "setInterval", "setInterval");
trap(globalThis, "fetch", "fetch");
for (const entry of process.argv.slice(1)) await import(entry);
console.log("CALLED " + JSON.stringify(called));
`;

it("nothing runs at module load: no entry point draws random values, sets a timer or fetches when imported", async () => {
  const entries = ["tradehook", ...["express", "fastify", "next", "lambda", "redis", "postgres", "testing"].map((s) => `tradehook/${s}`)];
  const run = start(process.execPath, ["--input-type=module", "-e", TRAP_AT_LOAD, ...entries], /CALLED (.*)\n/);
  expect(JSON.parse((await run.matched)[1]!)).toEqual([]);
}, 60_000);

describe("README fetch-runtimes programs, over HTTP on loopback", () => {
  it("Bun: Bun.serve with receiver.fetch", async () => {
    writeFileSync(join(app, "bun-server.ts"), readmePrograms().bun);
    const run = start(RUNTIMES.bun, ["bun-server.ts"], /listening on (http:\/\/[^\s/]+)/);
    const origin = (await run.matched)[1]!;
    const cases = buildCases();
    expectCases(cases, await sendCases(origin, cases), run.output());
  }, 60_000);

  it("Deno: the README's program type-checks with deno check (Deno's strict TypeScript, the package's own types)", () => {
    writeFileSync(join(app, "deno-server.ts"), readmePrograms().deno);
    // A deliberate mistake first, so a check that sees no types (everything `any`) cannot pass.
    writeFileSync(join(app, "deno-mistake.ts"), `${readmePrograms().deno}\nreceiver.on("signal.buy", (event) => { const pair: number = event.data.pair; void pair; });\n`);
    const check = (file: string) =>
      spawnSync(RUNTIMES.deno, ["check", "--node-modules-dir=manual", "--no-lock", file], {
        cwd: app,
        encoding: "utf8",
        env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", DENO_DIR: join(root, ".tmp/runtimes/deno-cache") },
      });
    const mistake = check("deno-mistake.ts");
    expect(mistake.status).not.toBe(0);
    expect(mistake.stderr + mistake.stdout).toContain("Type 'string' is not assignable to type 'number'");
    const program = check("deno-server.ts");
    expect(program.stderr + program.stdout, "deno check").not.toContain("ERROR");
    expect(program.status).toBe(0);
  }, 60_000);

  it("Deno: Deno.serve with receiver.fetch", async () => {
    writeFileSync(join(app, "deno-server.ts"), readmePrograms().deno);
    const run = start(
      RUNTIMES.deno,
      ["run", "--node-modules-dir=manual", "--no-lock", "--allow-net=127.0.0.1", "--allow-env", "--allow-read", "deno-server.ts"],
      /Listening on (http:\/\/[^\s/]+)/,
      { DENO_NO_UPDATE_CHECK: "1", DENO_DIR: join(root, ".tmp/runtimes/deno-cache") },
    );
    const origin = (await run.matched)[1]!;
    const cases = buildCases();
    expectCases(cases, await sendCases(origin, cases), run.output());
  }, 60_000);

  it("Cloudflare Workers: the module worker on workerd (miniflare), bundled by esbuild", async () => {
    writeFileSync(join(app, "worker.ts"), readmePrograms().workers);
    // What wrangler does: one ESM bundle, the worker conditions, cloudflare:* left to the runtime.
    await build({
      entryPoints: [join(app, "worker.ts")],
      outfile: join(app, "worker.js"),
      bundle: true,
      format: "esm",
      platform: "browser",
      conditions: ["workerd", "worker", "browser"],
      external: ["cloudflare:*"],
      logLevel: "silent",
    });
    const run = start(RUNTIMES.node22, [join(runtimesDir, "workerd.mjs"), join(app, "worker.js")], /ORIGIN (http:\/\/\S+)/);
    const origin = (await run.matched)[1]!;
    const cases = buildCases();
    const answers = await sendCases(origin, cases);
    // workerd writes the worker's console.log after the response: wait for the line.
    await expect.poll(() => run.output(), { timeout: 10_000 }).toContain(HANDLER_LINE);
    expectCases(cases, answers, run.output());
  }, 90_000);
});
