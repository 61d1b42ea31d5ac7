/**
 * @module Bundles src/ the way tsup ships it (esbuild, node20, no keepNames) into bench/.build, so the bench measures the published code.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

export type Core = typeof import("../src/index.js");
export type Testing = typeof import("../src/testing/index.js");
export type ExpressAdapter = typeof import("../src/adapters/express.js");
export type FastifyAdapter = typeof import("../src/adapters/fastify.js");

const ROOT = fileURLToPath(new URL("../", import.meta.url));
export const BUILD_DIR = fileURLToPath(new URL("./.build/", import.meta.url));

const ENTRIES = {
  index: "src/index.ts",
  testing: "src/testing/index.ts",
  express: "src/adapters/express.ts",
  fastify: "src/adapters/fastify.ts",
};

/**
 * Bundles the entries that exist; returns their names. `root` is a checkout holding `src/`
 * (default this one) and `outdir` where the bundle goes (default bench/.build).
 */
export async function buildTradehook(root = ROOT, outdir = BUILD_DIR): Promise<string[]> {
  const present = Object.fromEntries(Object.entries(ENTRIES).filter(([, file]) => existsSync(`${root}${file}`)));
  await build({
    absWorkingDir: root,
    entryPoints: present,
    outdir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "neutral",
    target: "node20",
    external: ["zod", "express", "fastify", "next", "ioredis", "redis", "pg", "node:*"],
    logLevel: "warning",
  });
  return Object.keys(present);
}

/** Imports one bundled entry (after `buildTradehook`), from bench/.build or another `outdir`. */
export async function loadEntry<T>(name: keyof typeof ENTRIES, outdir = BUILD_DIR): Promise<T> {
  const file = `${outdir}${name}.js`;
  if (!existsSync(file)) throw new Error(`bench: ${name} is not built (does src/${ENTRIES[name]} exist?)`);
  return (await import(pathToFileURL(file).href)) as T;
}

/**
 * Bundles `src/` as it was at a git ref (a branch, `HEAD~3`, a commit) into
 * bench/.compare/<sha>/build/; returns the short sha and that directory. The snapshot sits inside
 * the repository, so the bundle's bare imports (zod) resolve to the root's node_modules.
 */
export async function buildAtRef(ref: string): Promise<{ sha: string; outdir: string }> {
  const sha = execFileSync("git", ["rev-parse", "--short", ref], { cwd: ROOT, encoding: "utf8" }).trim();
  const snapshot = fileURLToPath(new URL(`./.compare/${sha}/`, import.meta.url));
  rmSync(snapshot, { recursive: true, force: true });
  mkdirSync(snapshot, { recursive: true });
  execFileSync("sh", ["-c", `git archive ${sha} src | tar -x -C "${snapshot}"`], { cwd: ROOT });
  const outdir = `${snapshot}build/`;
  await buildTradehook(snapshot, outdir);
  return { sha, outdir };
}
