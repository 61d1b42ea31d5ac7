/**
 * @module Every ```ts block of README.md type-checks as a careful user's project sees it: strict,
 * exactOptionalPropertyTypes, noUncheckedIndexedAccess, no skipLibCheck, against the published types (the Bun and
 * Workers programs with their runtime's types; the Deno one with deno check, in runtimes.test.ts).
 */
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { readmeSection } from "./helpers.js";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
const dir = fileURLToPath(new URL("../.tmp/readme-types/", import.meta.url));

/** Each ts block (indented ones dedented) with the line it starts on. */
export function readmeTsBlocks(text: string): { line: number; code: string }[] {
  const blocks: { line: number; code: string }[] = [];
  for (const match of text.matchAll(/^( *)```ts\n([\s\S]*?)^\1```/gm)) {
    const indent = match[1]!;
    const code = match[2]!.replace(new RegExp(`^${indent}`, "gm"), "");
    blocks.push({ line: text.slice(0, match.index).split("\n").length, code });
  }
  return blocks;
}

/** Runs tsc on a folder of blocks with the strictest options a user might set, plus `extra`. */
async function typeCheck(folder: string, files: Record<string, string>, extra: Record<string, unknown>): Promise<{ code: number | null; out: string }> {
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  for (const [name, code] of Object.entries(files)) writeFileSync(`${folder}${name}`, code);
  writeFileSync(
    `${folder}tsconfig.json`,
    JSON.stringify({
      compilerOptions: {
        strict: true,
        exactOptionalPropertyTypes: true,
        noUncheckedIndexedAccess: true,
        skipLibCheck: false,
        module: "nodenext",
        moduleResolution: "nodenext",
        target: "es2022",
        noEmit: true,
        ...extra,
      },
      include: ["*.ts"],
    }),
  );
  const tsc = spawn(process.execPath, ["node_modules/typescript/bin/tsc", "-p", `${folder}tsconfig.json`], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  tsc.stdout!.on("data", (c) => (out += c));
  tsc.stderr!.on("data", (c) => (out += c));
  const code = await new Promise<number | null>((resolve) => tsc.on("exit", resolve));
  return { code, out };
}

/**
 * Each block is its own module, named after its README line so errors point at it, or after the
 * file it names on its first line (`// worker.ts`) when blocks import each other.
 */
const asModules = (blocks: { line: number; code: string }[]) =>
  Object.fromEntries(
    blocks.map(({ line, code }) => [/^\/\/ (\w[\w-]*\.ts)\n/.exec(code)?.[1] ?? `readme-line-${line}.ts`, /^(import|export) /m.test(code) ? code : `${code}\nexport {};\n`]),
  );

describe("README.md's TypeScript blocks", () => {
  const blocks = readmeTsBlocks(readme);
  // The fetch-runtimes programs need their runtime's globals; Bun and Workers are checked below with those types, Deno by deno check in runtimes.test.ts (where all three run).
  const runtimeSection = readmeTsBlocks(readmeSection("fetch-runtimes")).map((b) => b.code);
  const nodeBlocks = blocks.filter((b) => !runtimeSection.includes(b.code));
  const [bun, deno, workers] = blocks.filter((b) => runtimeSection.includes(b.code));

  it("are all found (indented ones too)", () => {
    expect(blocks.length).toBeGreaterThanOrEqual(20);
    expect(blocks.some((b) => b.code.startsWith("import { createReceiver, tradingview, TRADINGVIEW_IPS }"))).toBe(true);
    expect(runtimeSection).toHaveLength(3);
    expect(deno!.code).toContain("Deno.serve");
  });

  it("type-check under strict, exactOptionalPropertyTypes and noUncheckedIndexedAccess", async () => {
    const { code, out } = await typeCheck(`${dir}node/`, asModules(nodeBlocks), { lib: ["es2022", "dom"], jsx: "preserve", types: ["node"] });
    expect(out).toBe("");
    expect(code).toBe(0);
  }, 120_000);

  it("the Bun program type-checks with Bun's own types and bun init's skipLibCheck", async () => {
    // skipLibCheck as `bun init` writes it: bun-types and this repo's @types/node 20 disagree inside their own .d.ts.
    const { code, out } = await typeCheck(`${dir}bun/`, asModules([bun!]), { lib: ["esnext"], types: ["bun"], skipLibCheck: true });
    expect(out).toBe("");
    expect(code).toBe(0);
  }, 120_000);

  it("the Workers program type-checks with @cloudflare/workers-types and the Env `wrangler types` writes, as strictly", async () => {
    const env = "declare namespace Cloudflare {\n  interface Env {\n    APINDICATORS_SECRET: string;\n  }\n}\n";
    const { code, out } = await typeCheck(`${dir}workers/`, { ...asModules([workers!]), "worker-configuration.d.ts": env }, {
      lib: ["esnext"],
      types: ["@cloudflare/workers-types"],
    });
    expect(out).toBe("");
    expect(code).toBe(0);
  }, 120_000);
});
