/**
 * @module Builds and loads the package under test for the in-process benchmarks.
 */
import { buildTradehook, type Core, loadEntry, type Testing } from "./build.js";
import type { Tradehook } from "./cases.js";

/** Bundles src/ and imports the core and the testing helper from the bundle. */
export async function loadTradehook(): Promise<Tradehook> {
  await buildTradehook();
  return { core: await loadEntry<Core>("index"), testing: await loadEntry<Testing>("testing") };
}
