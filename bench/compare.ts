/**
 * @module Old build against new in one run: `npx tsx bench/compare.ts <git-ref> [--sizes 512,4096] [--rounds 8]`.
 *
 * Bundles `src/` as it was at `<ref>` (e.g. `main`, `HEAD~3`, a commit) and as it is in the
 * working tree, then measures `verify()` and `handle()` of both builds interleaved with the floor,
 * so a change is judged against the same machine state, not against an older RESULTS.md.
 */
import { buildAtRef } from "./build.js";
import { type Case, interleave } from "./harness.js";
import { handleCases, type Tradehook } from "./cases.js";
import { loadBuilt, loadTradehook } from "./load.js";
import { verifyCases } from "./verify.js";

const args = process.argv.slice(2);
const flag = (name: string) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : undefined;
};
const ref = args.find((a, i) => !a.startsWith("--") && !args[i - 1]?.startsWith("--"));
if (!ref) {
  console.error("usage: npx tsx bench/compare.ts <git-ref> [--sizes 512,4096] [--rounds 8]");
  process.exit(2);
}
const sizes = (flag("sizes") ?? "512,4096").split(",").map(Number);
const rounds = Number(flag("rounds") ?? 8);

const { sha, outdir } = await buildAtRef(ref);
const old = await loadBuilt(outdir);
const now = await loadTradehook();

const FLOOR = "floor + JSON.parse";
const tagged = (cases: Case[], tag: string) =>
  cases.filter((c) => c.name.startsWith("tradehook")).map((c) => ({ name: `${c.name} [${tag}]`, fn: c.fn }));

const seconds = Math.floor(Date.now() / 1000);
console.log(`${sha} (old) against the working tree (new); ${rounds} rounds; ratios to the floor in the same round`);
for (const bytes of sizes) {
  const floor = verifyCases(now, bytes, seconds).filter((c) => c.name === FLOOR);
  // verify() of every provider, and handle() of those the handle comparison covers.
  const pick = (th: Tradehook, tag: string) => [
    ...tagged(verifyCases(th, bytes, seconds), tag),
    ...tagged(handleCases(th, bytes, seconds), tag).filter((c) => c.name.includes("handle()")),
  ];
  const results = await interleave([...floor, ...pick(old, "old"), ...pick(now, "new")], { rounds, minCpuMs: 150, baseline: FLOOR });
  const byName = new Map(results.map((r) => [r.name, r]));
  console.log(`\n${bytes} B (floor ${byName.get(FLOOR)!.us.toFixed(2)} µs)`);
  console.log(`${"case".padEnd(40)} ${"old".padStart(14)} ${"new".padStart(14)}`);
  for (const r of results.filter((x) => x.name.endsWith("[new]"))) {
    const name = r.name.slice(0, -" [new]".length);
    const before = byName.get(`${name} [old]`);
    const cell = (x: typeof r | undefined) => (x ? `${x.ratio.toFixed(2)}x ${x.us.toFixed(1).padStart(6)}` : "–").padStart(14);
    console.log(`${name.padEnd(40)} ${cell(before)} ${cell(r)}`);
  }
}
