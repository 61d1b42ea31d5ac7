// A Lambda function: verified APIndicators signals in, orders out (here: a log line).
// Handler: index.handler. Works behind a Function URL, API Gateway (REST or HTTP API) and an ALB.
import { apindicators, createReceiver } from "tradehook";
import { lambdaHandler } from "tradehook/lambda";

const receiver = createReceiver({
  provider: apindicators({ secret: process.env.APINDICATORS_SECRET ?? "" }),
  // One Lambda instance serves many requests; use tradehook/redis or tradehook/postgres
  // so concurrent instances run each delivery once.
});

receiver.on("signal.buy", async (event) => {
  console.log(`order: buy ${event.data.pair} (score ${event.data.score})`);
});
receiver.on("signal.sell", async (event) => {
  console.log(`order: sell ${event.data.pair} (score ${event.data.score})`);
});
receiver.onError((error) => console.warn(`rejected: ${error.code} ${error.message}`));

export const handler = lambdaHandler(receiver);
