/**
 * @module The packed tarball installed into a fresh app with zod 3.25 and with zod 4: npm accepts the peer, `tsc --strict` is clean, and the app answers processed, duplicate and forged.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "..");
const work = join(root, ".tmp/install");
const tsc = join(root, "node_modules/typescript/bin/tsc");
let tarball = "";

beforeAll(() => {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  execFileSync("npm", ["pack", "--silent", "--pack-destination", work], { cwd: root, stdio: "ignore" });
  tarball = join(work, readdirSync(work).find((name) => name.endsWith(".tgz"))!);
}, 120_000);

describe.each([
  ["zod 3.25", "zod@~3.25.0", /^3\.25\./],
  ["zod 4 (latest)", "zod@latest", /^4\./],
])("a fresh app with %s", (_name, zodSpec, zodVersion) => {
  it("installs the tarball (the peer range accepts it), compiles under tsc --strict, and answers processed, duplicate, forged", () => {
    const app = join(work, zodSpec.replace(/[^a-z0-9]+/gi, "-"));
    mkdirSync(app, { recursive: true });
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
    // A strict install: a peer range that refuses this zod fails here with ERESOLVE.
    execFileSync("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--strict-peer-deps", tarball, zodSpec, "@types/node@^20"], {
      cwd: app,
      stdio: "pipe",
    });
    expect(JSON.parse(readFileSync(join(app, "node_modules/zod/package.json"), "utf8")).version).toMatch(zodVersion);
    copyFileSync(join(root, "test/install/app.ts"), join(app, "app.ts"));
    copyFileSync(join(root, "test/install/tsconfig.json"), join(app, "tsconfig.json"));

    const compiled = (() => {
      try {
        return execFileSync(process.execPath, [tsc, "-p", app], { encoding: "utf8" });
      } catch (error) {
        return String((error as { stdout?: string }).stdout ?? error);
      }
    })();
    expect(compiled).toBe("");
    const output = execFileSync(process.execPath, [join(app, "out/app.js")], { cwd: app, encoding: "utf8" });
    expect(JSON.parse(output)).toEqual({
      results: ["200 processed", "200 duplicate", "401 INVALID_SIGNATURE", "200 processed", "400 INVALID_PAYLOAD"],
      seen: ["BTCUSDT breakout", "ETHUSDT x2"],
    });
  }, 300_000);
});
