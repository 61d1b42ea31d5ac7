/**
 * @module Builds and loads the package under test for the in-process benchmarks.
 */
import { buildTradehook, type Core, loadEntry, type Testing } from "./build.js";
import type { Tradehook } from "./cases.js";

/** Imports the core and the testing helper from a bundle already built (default bench/.build). */
export async function loadBuilt(outdir?: string): Promise<Tradehook> {
  return { core: await loadEntry<Core>("index", outdir), testing: await loadEntry<Testing>("testing", outdir) };
}

/** Bundles src/ and imports the core and the testing helper from the bundle. */
export async function loadTradehook(): Promise<Tradehook> {
  await buildTradehook();
  return loadBuilt();
}
