/**
 * @module Builds dist/ once before the suite when it is missing or older than src/ (CLI, examples and README tests run the built package).
 */
import { execSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

export default function setup(): void {
  const built = existsSync("dist/index.js") ? statSync("dist/index.js").mtimeMs : 0;
  if (built >= newest("src") && built >= statSync("tsup.config.ts").mtimeMs) return;
  try {
    execSync("npm run build --silent", { stdio: "inherit" });
  } catch {
    // Suites that run the built package will fail and say why; the others still run.
    console.warn("[global-setup] npm run build failed; tests that run dist/ will fail");
  }
}
