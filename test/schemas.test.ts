/**
 * @module Any Standard Schema types and validates events: zod 4 (classic and Mini), valibot, arktype and a hand-written async one; broken schemas are 400s.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { type } from "arktype";
import * as v from "valibot";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import * as zm from "zod/v4/mini";
import { apindicators, createReceiver, signalSchema, type StandardSchemaV1 } from "../src/index.js";
import { signDelivery } from "../src/testing/index.js";
import { at, fixtureJson, readmeSection } from "./helpers.js";

const NOW = at("2026-04-03T14:30:30Z");
const provider = apindicators({ secret: "schema-secret" });
const signal = fixtureJson<{ event: string; data: Record<string, unknown> }>("apindicators.signal.buy.json");
const deliver = (data: unknown, event = "signal.buy") => ({
  ...signDelivery(provider, { ...signal, event, data }, { timestamp: Math.floor(NOW / 1000) }),
  method: "POST",
});
const body = (result: { body: string }) =>
  JSON.parse(result.body) as { outcome?: string; error?: { code: string; message: string; issues?: { path: unknown[]; code: string; message: string }[] } };

/** A hand-written Standard Schema whose validate is async: a positive `size`, doubled. */
const asyncSize: StandardSchemaV1<unknown, { size: number }> = {
  "~standard": {
    version: 1,
    vendor: "hand-written",
    async validate(value) {
      await new Promise((resolve) => setTimeout(resolve, 1));
      const size = (value as { size?: unknown } | null)?.size;
      if (typeof size !== "number" || size <= 0) return { issues: [{ message: "size must be a positive number", path: [{ key: "size" }] }] };
      return { value: { size: size * 2 } };
    },
  },
};

const LIBRARIES = [
  ["zod 4", z.object({ pair: z.string(), qty: z.number().positive() })],
  ["zod Mini", zm.object({ pair: zm.string(), qty: zm.number().check(zm.positive()) })],
  ["valibot", v.object({ pair: v.string(), qty: v.pipe(v.number(), v.minValue(1)) })],
  ["arktype", type({ pair: "string", qty: "number > 0" })],
] as const;

describe.each(LIBRARIES)("%s schema in events", (_name, schema) => {
  it("types and validates the event's data: a valid delivery reaches the handler, an invalid one is 400 INVALID_PAYLOAD with the schema's issues", async () => {
    const receiver = createReceiver({ provider, now: () => NOW, logger: {}, events: { "order.placed": schema } });
    const seen: { pair: string; qty: number }[] = [];
    receiver.on("order.placed", (event) => void seen.push({ pair: event.data.pair, qty: event.data.qty }));

    const ok = await receiver.handle(deliver({ pair: "ETHUSDT", qty: 2 }, "order.placed"));
    expect([ok.status, body(ok).outcome]).toEqual([200, "processed"]);
    expect(seen).toEqual([{ pair: "ETHUSDT", qty: 2 }]);

    const bad = await receiver.handle(deliver({ pair: "ETHUSDT", qty: "two" }, "order.placed"));
    expect(bad.status).toBe(400);
    expect(body(bad).error!.code).toBe("INVALID_PAYLOAD");
    expect(body(bad).error!.message).toMatch(/^"order\.placed" payload is invalid: data\.qty: /);
    expect(body(bad).error!.issues![0]!.path).toEqual(["data", "qty"]);
    expect(body(bad).error!.issues![0]!.code).toEqual(expect.any(String));
    expect(seen).toHaveLength(1);
  });
});

describe("async and broken schemas", () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => void unhandled.push(reason);
  beforeEach(() => void process.on("unhandledRejection", onUnhandled));
  afterEach(() => {
    process.off("unhandledRejection", onUnhandled);
    expect(unhandled).toEqual([]);
  });

  it("an async Standard Schema: its output is what handlers get; its issues are a 400", async () => {
    const receiver = createReceiver({ provider, now: () => NOW, logger: {}, events: { "order.sized": asyncSize } });
    const sizes: number[] = [];
    receiver.on("order.sized", (event) => void sizes.push(event.data.size));
    expect((await receiver.handle(deliver({ size: 3 }, "order.sized"))).status).toBe(200);
    expect(sizes).toEqual([6]);
    expect((await receiver.verify(deliver({ size: 4 }, "order.sized"))).data).toEqual({ size: 8 });

    const bad = await receiver.handle(deliver({ size: -1 }, "order.sized"));
    expect(bad.status).toBe(400);
    expect(body(bad).error).toEqual({
      code: "INVALID_PAYLOAD",
      message: '"order.sized" payload is invalid: data.size: size must be a positive number',
      issues: [{ path: ["data", "size"], code: "invalid", message: "size must be a positive number" }],
    });
    expect(sizes).toEqual([6]);
  });

  const broken: [string, StandardSchemaV1, RegExp][] = [
    ["throws", { "~standard": { version: 1, vendor: "x", validate: () => { throw new Error("secret detail"); } } }, /its schema threw/],
    ["rejects", { "~standard": { version: 1, vendor: "x", validate: () => Promise.reject(new Error("secret detail")) } }, /async validation rejected/],
    ["returns nothing", { "~standard": { version: 1, vendor: "x", validate: () => undefined as never } }, /returned no result/],
    ["zod refine that throws", z.object({ qty: z.number() }).refine(() => { throw new Error("secret detail"); }), /could not be validated/],
  ];
  // Not in the list: a zod async refine that rejects. zod's ~standard.validate first tries a
  // synchronous run, which calls the refine and drops the promise it returned; that promise's
  // rejection is unhandled inside zod (colinhacks/zod#4980), before tradehook sees a result.

  it("a zod async refine that fails is a 400 with zod's issue; one that passes lets the delivery through", async () => {
    const schema = z.object({ qty: z.number() }).refine(async (data) => data.qty < 10, { message: "qty too large", path: ["qty"] });
    const receiver = createReceiver({ provider, now: () => NOW, logger: {}, events: { "order.placed": schema } });
    expect((await receiver.handle(deliver({ qty: 1 }, "order.placed"))).status).toBe(200);
    const bad = await receiver.handle(deliver({ qty: 11 }, "order.placed"));
    expect([bad.status, body(bad).error!.message]).toEqual([400, '"order.placed" payload is invalid: data.qty: qty too large']);
  });
  it.each(broken)("a schema that %s is 400 INVALID_PAYLOAD, never 500; its own error stays out of the response", async (_what, schema, message) => {
    const receiver = createReceiver({ provider, now: () => NOW, logger: {}, events: { "order.placed": schema } });
    let ran = false;
    receiver.on("order.placed", () => void (ran = true));
    const result = await receiver.handle(deliver({ qty: 1 }, "order.placed"));
    expect(result.status).toBe(400);
    expect(body(result).error!.code).toBe("INVALID_PAYLOAD");
    expect(body(result).error!.message).toMatch(message);
    expect(result.body).not.toContain("secret detail");
    expect(ran).toBe(false);
    await expect(receiver.verify(deliver({ qty: 1 }, "order.placed"))).rejects.toMatchObject({ code: "INVALID_PAYLOAD", status: 400 });
  });
});

describe("events that are not schemas", () => {
  it.each([
    ["a number", 42, /got a number/],
    ["a function", () => true, /got a function/],
    ["a zod-like object with safeParse but no ~standard", { safeParse: () => ({ success: true }) }, /without a Standard Schema "~standard"/],
    ["a ~standard of another version", { "~standard": { version: 2, vendor: "x", validate: () => ({ value: 1 }) } }, /without a Standard Schema/],
    ["null", null, /got null/],
  ])("%s fails at createReceiver, naming the event and what is expected", (_what, schema, got) => {
    const create = () => createReceiver({ provider, events: { "my.event": schema as never } });
    expect(create).toThrow(TypeError);
    expect(create).toThrow(/^createReceiver: events\["my\.event"\] must be a Standard Schema v1 \(a zod 3\.25\+\/4, valibot or arktype schema/);
    expect(create).toThrow(got);
  });
});

describe("the exported catalogue schemas compose with Zod Mini", () => {
  it("z.extend(signalSchema, ...) adds a field, keeps the built-in checks, and types the handler", async () => {
    const withStrategy = zm.extend(signalSchema, { strategy: zm.string() });
    const receiver = createReceiver({ provider, now: () => NOW, logger: {}, events: { "signal.buy": withStrategy } });
    const strategies: string[] = [];
    receiver.on("signal.buy", (event) => void strategies.push(`${event.data.pair}:${event.data.strategy}`));
    expect((await receiver.handle(deliver({ ...signal.data, strategy: "breakout" }))).status).toBe(200);
    expect(strategies).toEqual(["BTCUSDT:breakout"]);
    const missing = await receiver.handle(deliver(signal.data));
    expect(body(missing).error!.issues![0]!.path).toEqual(["data", "strategy"]);
    const outOfRange = await receiver.handle(deliver({ ...signal.data, score: 7, strategy: "x" }));
    expect(body(outOfRange).error!.issues![0]!.path).toEqual(["data", "score"]);
  });
});

describe("README: Event schemas", () => {
  const root = resolve(import.meta.dirname, "..");
  const dir = join(root, ".tmp/readme-schemas");
  const snippet = () => /```ts\n([\s\S]*?)```/.exec(readmeSection("schemas"))![1]!;

  it("the snippet runs as written on the built package and its assertions hold", () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "schemas.ts"), snippet());
    const output = execFileSync(process.execPath, ["--import", "tsx", join(dir, "schemas.ts")], { cwd: root, encoding: "utf8" });
    expect(output).toBe("BTCUSDT via breakout\n");
  }, 60_000);

  it("the snippet type-checks as a user's strict tsc sees it (nodenext, the published types)", () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "schemas.ts"), snippet());
    const options = { strict: true, module: "nodenext", moduleResolution: "nodenext", target: "es2022", skipLibCheck: true, noEmit: true, types: ["node"] };
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: options, include: ["*.ts"] }));
    const tsc = join(root, "node_modules/typescript/bin/tsc");
    let out = "";
    try {
      out = execFileSync(process.execPath, [tsc, "-p", join(dir, "tsconfig.json")], { encoding: "utf8" });
    } catch (error) {
      out = String((error as { stdout?: string }).stdout ?? error);
    }
    expect(out).toBe("");
  }, 60_000);
});
