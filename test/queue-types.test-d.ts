import { describe, expectTypeOf, it } from "vitest";
import { apindicators, createReceiver, type DeliveryQueue, type Outcome, type QueuedEvent } from "../src/index.js";
import { bullmqQueue, type BullmqDeliveryQueue, startWorker, type TradehookWorker } from "../src/queues/bullmq.js";

describe("queue types", () => {
  it("takes a bullmqQueue as the receiver's queue, and a typed receiver in startWorker", () => {
    const queue = bullmqQueue({ connection: { host: "127.0.0.1", port: 6379 }, name: "signals", jobs: { attempts: 5, backoff: 500 } });
    expectTypeOf(queue).toMatchTypeOf<DeliveryQueue>();
    expectTypeOf(queue).toEqualTypeOf<BullmqDeliveryQueue>();
    const receiver = createReceiver({ provider: apindicators({ secret: "s" }), queue });
    receiver.on("signal.buy", (event, context) => {
      expectTypeOf(event.data.pair).toEqualTypeOf<string>();
      expectTypeOf(context.attempt).toEqualTypeOf<number>();
      expectTypeOf(context.signal).toEqualTypeOf<AbortSignal>();
    });
    expectTypeOf(startWorker(receiver, { concurrency: 2, closeTimeoutMs: 5000 })).toEqualTypeOf<TradehookWorker>();
    // @ts-expect-error a queue is not a plain object
    createReceiver({ provider: apindicators({ secret: "s" }), queue: { name: "x" } });
  });

  it("names the queued outcome and the job's data", () => {
    expectTypeOf<"queued">().toMatchTypeOf<Outcome>();
    expectTypeOf<QueuedEvent>().toEqualTypeOf<{
      id: string;
      type: string;
      provider: string;
      timestamp: string | null;
      receivedAt: string;
      payload: unknown;
      data: unknown;
    }>();
  });
});
