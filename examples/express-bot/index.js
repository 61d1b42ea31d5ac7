// An Express bot: verified APIndicators signals in, orders out (here: a log line).
import express from "express";
import { apindicators, createReceiver } from "tradehook";
import { expressWebhook } from "tradehook/express";

const secret = process.env.APINDICATORS_SECRET;
if (!secret) {
  console.error("Set APINDICATORS_SECRET to the webhook secret from your APIndicators dashboard.");
  process.exit(1);
}

const receiver = createReceiver({ provider: apindicators({ secret }) });

// Stand-in for your exchange client.
async function placeOrder(side, pair, score) {
  console.log(`order: ${side} ${pair} (score ${score})`);
}

receiver.on("signal.buy", async (event) => {
  await placeOrder("buy", event.data.pair, event.data.score);
});
receiver.on("signal.sell", async (event) => {
  await placeOrder("sell", event.data.pair, event.data.score);
});
receiver.onError((error) => console.warn(`rejected: ${error.code} ${error.message}`));

const app = express();
// Behind a reverse proxy, tell Express which hops to trust so req.ip is the real client:
// app.set("trust proxy", "loopback");

// The webhook route comes before express.json(): it needs the exact bytes that were signed.
app.post("/webhooks/apindicators", expressWebhook(receiver));

app.use(express.json());
app.get("/health", (_req, res) => {
  res.json({ ok: true });
});

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? "0.0.0.0";
const server = app.listen(port, host, () => {
  console.log(`listening on http://${host}:${server.address().port}/webhooks/apindicators`);
});
