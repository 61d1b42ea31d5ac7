// TradingView alerts into an Express app: JSON messages with a passphrase, or text messages with ?token= in the URL.
import express from "express";
import { createReceiver, TRADINGVIEW_IPS, tradingview } from "tradehook";
import { expressWebhook } from "tradehook/express";
import { z } from "zod";

const token = process.env.TRADINGVIEW_TOKEN;
if (!token) {
  console.error("Set TRADINGVIEW_TOKEN to a long random string (e.g. `openssl rand -hex 24`) and put it in your alert.");
  process.exit(1);
}

// The JSON message template from the README, or any text when the token is in the URL.
const alert = z.union([
  z.object({ ticker: z.string(), action: z.enum(["buy", "sell"]), price: z.number() }).loose(),
  z.string(),
]);

const receiver = createReceiver({
  provider: tradingview({ token }),
  events: { "tradingview.alert": alert },
  // TradingView sends from four published addresses; ALLOW_ANY_IP=1 lets you test with curl.
  allowIps: process.env.ALLOW_ANY_IP === "1" ? undefined : TRADINGVIEW_IPS,
});

receiver.on("tradingview.alert", async (event) => {
  if (typeof event.data === "string") console.log(`alert (text): ${event.data}`);
  else console.log(`alert: ${event.data.action} ${event.data.ticker} @ ${event.data.price}`);
});
receiver.onError((error) => console.warn(`rejected: ${error.code} ${error.message}`));

const app = express();
// Behind a proxy or load balancer, trust it so req.ip is TradingView's address, not the proxy's:
// app.set("trust proxy", 1);
app.post("/tradingview", expressWebhook(receiver));

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? "0.0.0.0";
const server = app.listen(port, host, () => {
  console.log(`listening on http://${host}:${server.address().port}/tradingview`);
});
