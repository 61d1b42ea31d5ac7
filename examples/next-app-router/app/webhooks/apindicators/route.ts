// POST /webhooks/apindicators: verified APIndicators signals in, orders out (here: a log line).
import { apindicators, createReceiver } from "tradehook";
import { nextRoute } from "tradehook/next";

const receiver = createReceiver({
  provider: apindicators({ secret: process.env.APINDICATORS_SECRET ?? "" }),
  // Serverless hosts run many instances: use tradehook/redis or tradehook/postgres there
  // so each delivery runs once across them.
});

receiver.on("signal.buy", async (event) => {
  console.log(`order: buy ${event.data.pair} (score ${event.data.score})`);
});
receiver.on("signal.sell", async (event) => {
  console.log(`order: sell ${event.data.pair} (score ${event.data.score})`);
});

// App Router never parses the body first, so tradehook gets the exact signed bytes.
export const POST = nextRoute(receiver);
export const GET = POST; // answers 405 in tradehook's JSON format
