/**
 * @module Every ```ts block of README.md type-checks as a careful user's project sees it: strict,
 * exactOptionalPropertyTypes, noUncheckedIndexedAccess, no skipLibCheck, against the published types.
 */
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

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

describe("README.md's TypeScript blocks", () => {
  const blocks = readmeTsBlocks(readme);

  it("are all found (indented ones too)", () => {
    expect(blocks.length).toBeGreaterThanOrEqual(20);
    expect(blocks.some((b) => b.code.startsWith("import { createReceiver, tradingview, TRADINGVIEW_IPS }"))).toBe(true);
  });

  it("type-check under strict, exactOptionalPropertyTypes and noUncheckedIndexedAccess", async () => {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    // Each block is its own module, named after its README line so errors point at it.
    for (const { line, code } of blocks) writeFileSync(`${dir}readme-line-${line}.ts`, /^(import|export) /m.test(code) ? code : `${code}\nexport {};\n`);
    writeFileSync(
      `${dir}tsconfig.json`,
      JSON.stringify({
        compilerOptions: {
          strict: true,
          exactOptionalPropertyTypes: true,
          noUncheckedIndexedAccess: true,
          skipLibCheck: false,
          module: "nodenext",
          moduleResolution: "nodenext",
          target: "es2022",
          lib: ["es2022", "dom"],
          jsx: "preserve",
          noEmit: true,
          types: ["node"],
        },
        include: ["*.ts"],
      }),
    );
    const tsc = spawn(process.execPath, ["node_modules/typescript/bin/tsc", "-p", `${dir}tsconfig.json`], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    tsc.stdout!.on("data", (c) => (out += c));
    tsc.stderr!.on("data", (c) => (out += c));
    const code = await new Promise<number | null>((resolve) => tsc.on("exit", resolve));
    expect(out).toBe("");
    expect(code).toBe(0);
  }, 120_000);
});
