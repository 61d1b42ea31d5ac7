/**
 * @module Runs the fetch cases through receiver.fetch in-process on whichever Node runs it; the receiver is the fetch-runtimes README one.
 */
import { readFileSync } from "node:fs";
import { apindicators, createReceiver } from "tradehook";

const receiver = createReceiver({ provider: apindicators({ secret: process.env.APINDICATORS_SECRET }) });
receiver.on("signal.buy", (event) => {
  console.log("buy", event.data.pair, event.data.score);
});

const answers = [];
for (const c of JSON.parse(readFileSync(process.argv[2], "utf8"))) {
  const request = new Request("http://127.0.0.1/webhooks/apindicators", { method: c.method, headers: c.headers, body: c.body });
  const response = await receiver.fetch(request);
  answers.push({ name: c.name, status: response.status, body: await response.text() });
}
console.log(`ANSWERS ${JSON.stringify(answers)}`);
