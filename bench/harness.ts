/**
 * @module Interleaved measurement on mitata: every case of a comparison runs once per round, in a shuffled order.
 */
import { measure } from "mitata";

/** One benchmarked function; it may return a promise (then mitata awaits each call). */
export interface Case {
  name: string;
  fn: () => unknown;
}

/** Per-case results of an interleaved comparison. */
export interface CaseResult {
  name: string;
  /** The median over rounds of each round's median time per call, in µs. */
  us: number;
  /** The median over rounds of this case's time divided by the baseline's in the same round. */
  ratio: number;
  /** Smallest and largest per-round ratio: the spread the noise of the machine left. */
  spread: [number, number];
}

export interface InterleaveOptions {
  /** Rounds; each runs every case once. */
  rounds: number;
  /** mitata's minimum CPU time per case per round, in ms. */
  minCpuMs: number;
  /** The case every ratio is relative to. */
  baseline: string;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

// A fixed seed keeps the run reproducible while still varying the order between rounds.
let seed = 42;
function shuffle<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    const j = seed % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * Runs the cases interleaved: round after round, each case measured by mitata for a short
 * time in a shuffled order, so a burst of load from elsewhere hits every case alike. Ratios
 * are taken within a round, then the median across rounds is kept.
 */
export async function interleave(cases: readonly Case[], options: InterleaveOptions): Promise<CaseResult[]> {
  if (!cases.some((c) => c.name === options.baseline)) throw new Error(`interleave: no baseline case ${options.baseline}`);
  for (const c of cases) await c.fn(); // fail fast on a broken case, before any timing
  const perRound = new Map<string, number[]>(cases.map((c) => [c.name, []]));
  for (let round = 0; round < options.rounds; round++) {
    for (const c of shuffle([...cases])) {
      const stats = await measure(c.fn, { min_cpu_time: options.minCpuMs * 1e6, batch_samples: 64, min_samples: 8 });
      perRound.get(c.name)!.push(stats.p50 / 1000);
    }
  }
  const base = perRound.get(options.baseline)!;
  return cases.map((c) => {
    const times = perRound.get(c.name)!;
    const ratios = times.map((t, i) => t / base[i]!);
    return { name: c.name, us: median(times), ratio: median(ratios), spread: [Math.min(...ratios), Math.max(...ratios)] };
  });
}
