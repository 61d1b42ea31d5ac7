// The receiver both processes import: the web process enqueues with it, the worker runs its handlers.
import { Redis } from "ioredis";
import { apindicators, createReceiver } from "tradehook";
import { bullmqQueue } from "tradehook/bullmq";
import { RedisStore } from "tradehook/redis";

const secret = process.env.APINDICATORS_SECRET;
if (!secret) {
  console.error("Set APINDICATORS_SECRET to the webhook secret from your APIndicators dashboard.");
  process.exit(1);
}
const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

export const redis = new Redis(redisUrl);
export const queue = bullmqQueue({ connection: { url: redisUrl }, name: process.env.QUEUE_NAME ?? "signals" });
export const receiver = createReceiver({
  provider: apindicators({ secret }),
  store: new RedisStore({ client: redis, prefix: `${queue.name}:keys:` }),
  queue,
});

// Stand-in for your exchange client: the event id is the client order id, so a retried job
// (a worker killed mid-order, a timeout) cannot place the same order twice.
async function placeOrder({ side, pair, score, clientOrderId, attempt }) {
  console.log(`order: ${side} ${pair} (score ${score}, client order id ${clientOrderId.slice(0, 12)}, attempt ${attempt})`);
}

receiver.on("signal.buy", async (event, context) => {
  await placeOrder({ side: "buy", pair: event.data.pair, score: event.data.score, clientOrderId: event.id, attempt: context.attempt });
});
receiver.on("signal.sell", async (event, context) => {
  await placeOrder({ side: "sell", pair: event.data.pair, score: event.data.score, clientOrderId: event.id, attempt: context.attempt });
});
receiver.onError((error) => console.warn(`failed: ${error.code} ${error.message}`));
