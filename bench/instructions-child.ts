/**
 * @module One case, called N times, in a process of its own: what bench/instructions.ts runs under
 * callgrind. `node --predictable instructions-child.mjs <build dir> <case> <bytes> <calls> [<warm-up calls of every case>]`.
 *
 * Bundled by bench/instructions.ts (plain node, no tsx loader thread), and it loads only
 * tradehook and node:crypto, not the anchors, so the count outside the calls stays small.
 */
import { pathToFileURL } from "node:url";
import { floorCases, handleCases, type Tradehook, tradehookVerifyCases } from "./cases.js";

const [dir, name, bytesArg, callsArg, mixedArg] = process.argv.slice(2);
if (!dir || !name || !bytesArg || !callsArg) {
  console.error("usage: instructions-child.mjs <build dir> <case> <bytes> <calls> [<warm-up calls of every case>]");
  process.exit(2);
}
const entry = async (file: string) => import(pathToFileURL(`${dir}/${file}`).href);
const th = { core: await entry("index.js"), testing: await entry("testing.js") } as Tradehook;
const bytes = Number(bytesArg);
const seconds = Math.floor(Date.now() / 1000);
const cases = [...floorCases(bytes, seconds), ...tradehookVerifyCases(th, bytes, seconds), ...handleCases(th, bytes, seconds)];
const target = cases.find((c) => c.name === name);
if (!target) {
  console.error(`no case ${JSON.stringify(name)}; cases: ${[...new Set(cases.map((c) => c.name))].join(", ")}`);
  process.exit(2);
}

/** Calls a case `times` times, awaiting each call that returns a promise. */
async function run(fn: () => unknown, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    const returned = fn();
    if (returned instanceof Promise) await returned;
  }
}

// --mixed: every tradehook case runs first, as they all do in `npm run bench`'s one process, so
// code the receivers share has seen every provider. The same in the N and 3N runs: it cancels out.
const mixed = Number(mixedArg ?? 0);
for (const c of cases.filter((c) => c.name.startsWith("tradehook"))) await run(c.fn, mixed);
await run(target.fn, Number(callsArg));
