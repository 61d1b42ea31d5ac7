// A Fastify app with two webhook routes (APIndicators, TickerAPI) beside ordinary JSON routes.
import Fastify from "fastify";
import { apindicators, createReceiver, tickerapi } from "tradehook";
import { fastifyWebhook } from "tradehook/fastify";

const { APINDICATORS_SECRET, TICKERAPI_SECRET } = process.env;
if (!APINDICATORS_SECRET || !TICKERAPI_SECRET) {
  console.error("Set APINDICATORS_SECRET and TICKERAPI_SECRET to your webhook secrets.");
  process.exit(1);
}

const signals = createReceiver({ provider: apindicators({ secret: APINDICATORS_SECRET }) });
signals.on("signal.*", async (event) => {
  console.log(`signal: ${event.type} ${event.data.pair} score=${event.data.score}`);
});

const watchlist = createReceiver({ provider: tickerapi({ secret: TICKERAPI_SECRET }) });
watchlist.on("watchlist.changes", async (event) => {
  console.log(`watchlist: ${event.data.tickers_changed} of ${event.data.tickers_checked} tickers changed`);
});
watchlist.on("data.ready", async (event) => {
  console.log(`data ready: ${event.data.tickers_computed} tickers (${event.data.timeframe})`);
});

// Behind a proxy, set trustProxy so request.ip is the real client: Fastify({ trustProxy: "127.0.0.1" }).
const app = Fastify({ logger: process.env.LOG === "1" });

// Each registration is its own scope: only these routes read raw bytes.
await app.register(fastifyWebhook, { receiver: signals, path: "/webhooks/apindicators" });
await app.register(fastifyWebhook, { receiver: watchlist, path: "/webhooks/tickerapi" });

// Everything else keeps Fastify's JSON parser.
app.post("/api/notes", async (request) => ({ saved: request.body }));

const address = await app.listen({ port: Number(process.env.PORT ?? 3000), host: process.env.HOST ?? "0.0.0.0" });
console.log(`listening on ${address}/webhooks/apindicators and ${address}/webhooks/tickerapi`);
