/**
 * @module Smoke tests of the Next.js and Lambda docs and examples: README.md's Next.js and Lambda section's
 * ```ts blocks and examples/next-app-router typecheck against the built package and answer a
 * signed delivery; examples/lambda's handler processes a signed Function URL event.
 *
 * No npm install runs: test/examples/register.mjs maps "tradehook" and "tradehook/*" to this
 * repo's dist/ (built by the global setup); tsx runs the TypeScript.
 */
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { beforeAll, describe, expect, test } from "vitest";

import { readmeSection } from "./helpers.js";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DIR = join(ROOT, ".tmp/readme-next-lambda");
const REGISTER = join(ROOT, "test/examples/register.mjs");
const doc = readmeSection("next-lambda");
const blocks = [...doc.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
const env = { ...process.env, APINDICATORS_SECRET: "readme-secret", TRADINGVIEW_TOKEN: "readme-token", NODE_ENV: "production" };

beforeAll(() => {
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  blocks.forEach((code, i) => writeFileSync(join(DIR, `block-${i}.ts`), code));
  // Types as a user gets them: the built package's .d.ts files, next's and aws-lambda's from node_modules.
  writeFileSync(
    join(DIR, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "ES2022",
        module: "ESNext",
        moduleResolution: "Bundler",
        lib: ["ES2022", "DOM", "DOM.Iterable"],
        types: ["node"],
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        baseUrl: ROOT,
        paths: { tradehook: ["dist/index.d.ts"], "tradehook/*": ["dist/*.d.ts"] },
      },
      files: [...blocks.map((_, i) => `block-${i}.ts`), join(ROOT, "examples/next-app-router/app/webhooks/apindicators/route.ts")],
    }),
  );
});

test("the fragment has the App Router, Pages Router, ip option and Lambda snippets", () => {
  expect(blocks).toHaveLength(4);
  expect(blocks[0]).toContain("export const POST = nextRoute(receiver)");
  expect(blocks[1]).toContain("export const config = { api: { bodyParser: false } };");
  expect(blocks[2]).toContain("ip: (request) =>");
  expect(blocks[3]).toContain("export const handler = lambdaHandler(receiver)");
});

test("the snippets and the Next example typecheck against the built package (skipLibCheck off)", async () => {
  const result = await run(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", join(DIR, "tsconfig.json")], { cwd: ROOT }).catch((error) => error);
  expect(`${result.stdout ?? ""}${result.stderr ?? ""}`).toBe("");
}, 60_000);

describe("run as their platform calls them", () => {
  let report: any;
  beforeAll(async () => {
    const { stdout } = await run(process.execPath, ["--import", "tsx", "--import", REGISTER, join(ROOT, "test/examples/run-next-lambda.mts"), DIR], { cwd: ROOT, env });
    const line = stdout.split("\n").find((l) => l.startsWith("REPORT "));
    if (!line) throw new Error(`no report in:\n${stdout}`);
    report = JSON.parse(line.slice("REPORT ".length));
  }, 60_000);

  test("App Router snippet: a signed POST is processed, GET is 405", () => {
    expect(report.readme.appRouter.post).toMatchObject({ status: 200, body: { ok: true, outcome: "processed" } });
    expect(report.readme.appRouter.get).toBe(405);
  });

  test("Pages Router snippet: bodyParser is off and a signed POST over HTTP is processed", () => {
    expect(report.readme.pagesRouter.config).toEqual({ api: { bodyParser: false } });
    expect(report.readme.pagesRouter.post).toMatchObject({ status: 200, body: { ok: true, outcome: "processed" } });
  });

  test("ip option snippet: TradingView's address passes, others and none are refused", () => {
    expect(report.readme.tradingview.fromTradingView).toMatchObject({ status: 200, body: { ok: true, outcome: "processed" } });
    expect(report.readme.tradingview.fromElsewhere).toMatchObject({ status: 403, body: { error: { code: "IP_NOT_ALLOWED" } } });
    expect(report.readme.tradingview.noAddress).toBe(403);
  });

  test("Lambda snippet: a base64 Function URL event is processed", () => {
    expect(report.readme.lambda).toMatchObject({ statusCode: 200, body: { ok: true, outcome: "processed" } });
  });

  test("examples/next-app-router route: processed, and GET is 405", () => {
    expect(report.example.post).toMatchObject({ status: 200, body: { ok: true, outcome: "processed" } });
    expect(report.example.get).toBe(405);
  });
});

test("examples/lambda: npm run local invokes the handler with a signed event and it places the order", async () => {
  const { stdout } = await run(process.execPath, ["--import", REGISTER, "local.mjs"], { cwd: join(ROOT, "examples/lambda"), env: { ...env, APINDICATORS_SECRET: "test-secret" } });
  expect(stdout).toContain("order: buy BTCUSDT (score 0.87)");
  expect(stdout).toMatch(/^200 \{"ok":true,"outcome":"processed","id":"[0-9a-f]{64}"\}$/m);
});
