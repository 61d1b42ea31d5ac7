/**
 * @module Profiling driver: `node --cpu-prof --import tsx bench/profile.ts <verify|handle> <provider> <bytes> [iterations]`.
 */
import { loadTradehook } from "./load.js";
import { handleCases } from "./cases.js";
import { verifyCases } from "./verify.js";

const th = await loadTradehook();

const [mode = "verify", provider = "apindicators", bytesArg = "512", iterationsArg = "200000"] = process.argv.slice(2);
const bytes = Number(bytesArg);
const iterations = Number(iterationsArg);
const seconds = Math.floor(Date.now() / 1000);
const cases = mode === "handle" ? handleCases(th, bytes, seconds) : verifyCases(th, bytes, seconds);
const target = cases.find((c) => c.name.includes(provider) && c.name.includes(`${mode}()`)) ?? cases.find((c) => c.name.includes(provider));
if (!target) throw new Error(`no case matches ${provider}; cases: ${cases.map((c) => c.name).join(", ")}`);
const started = performance.now();
for (let i = 0; i < iterations; i++) await target.fn();
const elapsed = performance.now() - started;
console.log(`${target.name} @ ${bytes} B: ${((elapsed * 1000) / iterations).toFixed(2)} µs per call over ${iterations} calls`);
