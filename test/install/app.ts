/**
 * @module A user's app on the packed tarball: a receiver with a custom event in the app's own zod (3.25 or 4), fed processed, duplicate and forged deliveries.
 */
import { apindicators, createReceiver, signalSchema, type Signal } from "tradehook";
import { signDelivery } from "tradehook/testing";
import { z } from "zod";
import * as zm from "zod/v4/mini";

const provider = apindicators({ secret: "install-secret" });
// The app's own zod ("zod": v3 classic on 3.25, v4 on 4) and the built-in Zod Mini schemas, side by side.
const receiver = createReceiver({
  provider,
  events: {
    "signal.buy": zm.extend(signalSchema, { strategy: zm.optional(zm.string()) }),
    "order.filled": z.object({ pair: z.string(), qty: z.number() }),
  },
});

const seen: string[] = [];
receiver.on("signal.buy", (event) => {
  const signal: Signal = event.data;
  const strategy: string | undefined = event.data.strategy;
  seen.push(`${signal.pair} ${strategy ?? "-"}`);
});
receiver.on("order.filled", (event) => {
  const qty: number = event.data.qty;
  seen.push(`${event.data.pair} x${qty}`);
});

const data = { pair: "BTCUSDT", side: "buy", score: 0.9, market_type: "trending", interval: "1h", strategy: "breakout" };
const valid = signDelivery(provider, { event: "signal.buy", data });
const order = signDelivery(provider, { event: "order.filled", data: { pair: "ETHUSDT", qty: 2 } });
const badOrder = signDelivery(provider, { event: "order.filled", data: { pair: "ETHUSDT", qty: "two" } });
const forged = signDelivery(provider, { event: "signal.buy", data }, { secret: "not-the-secret" });

const results = [];
for (const delivery of [valid, valid, forged, order, badOrder]) {
  const result = await receiver.handle({ ...delivery, method: "POST" });
  const body = JSON.parse(result.body) as { outcome?: string; error?: { code: string } };
  results.push(`${result.status} ${body.outcome ?? body.error?.code}`);
}
console.log(JSON.stringify({ results, seen }));
