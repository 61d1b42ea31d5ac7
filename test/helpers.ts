/**
 * @module Test helpers: the shared fixtures, byte for byte, and their clocks.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The shared fixtures folder (../shared/fixtures beside the repo). */
export const FIXTURES_DIR = fileURLToPath(new URL("../../shared/fixtures/", import.meta.url));

/** A fixture's exact text. */
export function fixture(name: string): string {
  return readFileSync(`${FIXTURES_DIR}${name}`, "utf8");
}

/** A fixture parsed. */
export function fixtureJson<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(fixture(name)) as T;
}

/** Epoch ms of an ISO string. */
export const at = (iso: string) => Date.parse(iso);
