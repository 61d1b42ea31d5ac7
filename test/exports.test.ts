/**
 * Pins the sorted list of exported names per entry point, in both the ESM and CJS builds,
 * so a rename or a lost export is a visible change.
 */
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";

const require = createRequire(import.meta.url);
const subpaths = ["tradehook", "tradehook/express", "tradehook/fastify", "tradehook/next", "tradehook/lambda", "tradehook/redis", "tradehook/postgres", "tradehook/testing", "tradehook/bullmq"];

describe("export names", () => {
  it.each(subpaths)("%s exports the same names from ESM and CJS", async (subpath) => {
    const esm = Object.keys(await import(subpath)).filter((k) => k !== "default").sort();
    const cjs = Object.keys(require(subpath)).filter((k) => k !== "default" && k !== "__esModule").sort();
    expect(cjs).toEqual(esm);
    expect(esm).toMatchSnapshot();
  });
});
