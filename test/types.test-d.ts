import { describe, expectTypeOf, it } from "vitest";
import { type } from "arktype";
import * as v from "valibot";
import { z } from "zod";
import * as zm from "zod/v4/mini";
import {
  apindicators,
  createReceiver,
  hmac,
  pipai,
  standardWebhooks,
  tickerapi,
  tradingview,
  signalSchema,
  type HandleResult,
  type Signal,
  type StandardSchemaV1,
  type WebhookEvent,
} from "../src/index.js";

describe("receiver.on types", () => {
  it("types an exact APIndicators event from its schema", () => {
    const receiver = createReceiver({ provider: apindicators({ secret: "s" }) });
    receiver.on("signal.buy", (event) => {
      expectTypeOf(event.type).toEqualTypeOf<"signal.buy">();
      expectTypeOf(event.data.score).toEqualTypeOf<number>();
      expectTypeOf(event.data.side).toEqualTypeOf<"buy" | "sell">();
      expectTypeOf(event.data.pair).toEqualTypeOf<string>();
      expectTypeOf(event.id).toEqualTypeOf<string>();
    });
    // @ts-expect-error not an APIndicators event
    receiver.on("signal.hold", () => {});
  });

  it("gives wildcards the union of the events they match", () => {
    const receiver = createReceiver({ provider: pipai({ secret: "s" }) });
    receiver.on("strategy.*", (event) => {
      expectTypeOf(event.type).toEqualTypeOf<"strategy.deployed" | "strategy.position_opened" | "strategy.error">();
      expectTypeOf(event.data.strategy_id).toEqualTypeOf<string>();
      if (event.type === "strategy.error") expectTypeOf(event.data.message).toEqualTypeOf<string>();
    });
    receiver.on("account.*", (event) => {
      expectTypeOf(event.data.available).toEqualTypeOf<string>();
    });
    receiver.on("*", (event) => {
      expectTypeOf(event.type).toEqualTypeOf<
        "strategy.deployed" | "strategy.position_opened" | "strategy.error" | "backtest.job_done" | "account.balance_low"
      >();
    });
    // @ts-expect-error no such prefix
    receiver.on("orders.*", () => {});
  });

  it("types TickerAPI watchlist changes", () => {
    const receiver = createReceiver({ provider: tickerapi({ secret: "s" }) });
    receiver.on("watchlist.changes", (event) => {
      type Change = (typeof event.data.changes)[string][number];
      expectTypeOf<Change["field"]>().toEqualTypeOf<string>();
      expectTypeOf<Change["from"]>().toEqualTypeOf<string | number | boolean>();
      expectTypeOf<Change["stability"]>().toEqualTypeOf<string | undefined>();
      expectTypeOf(event.data.tickers_changed).toEqualTypeOf<number>();
    });
  });

  it("lets users add and override schemas", () => {
    const receiver = createReceiver({
      provider: tradingview({ token: "t" }),
      events: { "tradingview.alert": z.object({ ticker: z.string(), close: z.number() }) },
    });
    receiver.on("tradingview.alert", (event) => {
      expectTypeOf(event.data).toEqualTypeOf<{ ticker: string; close: number }>();
    });
    const plain = createReceiver({ provider: tradingview({ token: "t" }) });
    plain.on("tradingview.alert", (event) => {
      expectTypeOf(event.data).toEqualTypeOf<Record<string, unknown> | string>();
    });
  });

  it("lets open providers take any type, typed when a schema is registered", () => {
    const receiver = createReceiver({
      provider: standardWebhooks({ secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }),
      events: { "invoice.paid": z.object({ amount: z.number() }) },
    });
    receiver.on("invoice.paid", (event) => {
      expectTypeOf(event.data).toEqualTypeOf<{ amount: number }>();
    });
    receiver.on("anything.else", (event) => {
      expectTypeOf(event.data).toEqualTypeOf<unknown>();
    });
    const generic = createReceiver({ provider: hmac({ secret: "s", header: "x-sig" }) });
    generic.on("*", (event) => {
      expectTypeOf(event).toEqualTypeOf<WebhookEvent<string, unknown>>();
    });
  });

  it("types handle, verify and fetch", () => {
    const receiver = createReceiver({ provider: apindicators({ secret: "s" }) });
    expectTypeOf(receiver.handle).returns.toEqualTypeOf<Promise<HandleResult>>();
    expectTypeOf(receiver.fetch).parameter(0).toEqualTypeOf<Request>();
    expectTypeOf(receiver.fetch).returns.toEqualTypeOf<Promise<Response>>();
    expectTypeOf(receiver.verify).returns.resolves.toHaveProperty("data");
  });

  it("types events from any Standard Schema's output: zod Mini, valibot, arktype, a hand-written async one", () => {
    const sized: StandardSchemaV1<unknown, { size: number }> = {
      "~standard": { version: 1, vendor: "hand-written", validate: async () => ({ value: { size: 1 } }) },
    };
    const receiver = createReceiver({
      provider: standardWebhooks({ secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }),
      events: {
        "a.mini": zm.object({ qty: zm.number(), note: zm.optional(zm.string()) }),
        "b.valibot": v.object({ qty: v.pipe(v.string(), v.transform(Number)) }),
        "c.arktype": type({ qty: "number", "note?": "string" }),
        "d.async": sized,
      },
    });
    receiver.on("a.mini", (event) => {
      expectTypeOf(event.data).toEqualTypeOf<{ qty: number; note?: string | undefined }>();
    });
    // The output, not the input: valibot's transform turns the string into a number.
    receiver.on("b.valibot", (event) => {
      expectTypeOf(event.data).toEqualTypeOf<{ qty: number }>();
    });
    receiver.on("c.arktype", (event) => {
      expectTypeOf(event.data).toEqualTypeOf<{ qty: number; note?: string }>();
    });
    receiver.on("d.async", (event) => {
      expectTypeOf(event.data).toEqualTypeOf<{ size: number }>();
    });
  });

  it("keeps the exported catalogue schemas composable with Zod Mini, and their types", () => {
    expectTypeOf<StandardSchemaV1.InferOutput<typeof signalSchema>>().toEqualTypeOf<Signal>();
    const extended = zm.extend(signalSchema, { strategy: zm.string() });
    const receiver = createReceiver({ provider: apindicators({ secret: "s" }), events: { "signal.buy": extended } });
    receiver.on("signal.buy", (event) => {
      expectTypeOf(event.data.strategy).toEqualTypeOf<string>();
      expectTypeOf(event.data.score).toEqualTypeOf<number>();
    });
    receiver.on("signal.sell", (event) => {
      expectTypeOf(event.data).toEqualTypeOf<Signal>();
    });
  });

  it("refuses events values that are not Standard Schemas", () => {
    // @ts-expect-error a plain object is not a schema
    createReceiver({ provider: apindicators({ secret: "s" }), events: { "x.y": { parse: () => 1 } } });
  });
});
