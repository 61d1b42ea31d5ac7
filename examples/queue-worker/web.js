// The web process: verify, de-duplicate, enqueue, answer 202 in milliseconds. No order is placed here.
import express from "express";
import { expressWebhook } from "tradehook/express";
import { queue, receiver, redis } from "./receiver.js";

const app = express();
app.post("/webhooks/apindicators", expressWebhook(receiver));

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? "0.0.0.0";
const server = app.listen(port, host, () => {
  console.log(`listening on http://${host}:${server.address().port}/webhooks/apindicators (queue ${queue.name})`);
});
process.on("SIGTERM", () => {
  server.close(async () => {
    await queue.close();
    redis.disconnect();
  });
});
