#!/usr/bin/env node
// Packs the package and runs publint and @arethetypeswrong/cli on the tarball, as a user's install would see it.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "tradehook-pack-"));
const run = (cmd, args) => execFileSync(cmd, args, { stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" });
try {
  const out = run("npm", ["pack", "--json", "--pack-destination", dir]);
  const tarball = join(dir, JSON.parse(out)[0].filename);
  console.log(`packed ${tarball}`);
  execFileSync("npx", ["--no-install", "publint", "run", tarball, "--strict"], { stdio: "inherit" });
  // Every resolution mode, node10 included: "module": "commonjs" projects on TypeScript 5 find subpaths through typesVersions.
  execFileSync("npx", ["--no-install", "attw", tarball], { stdio: "inherit" });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
