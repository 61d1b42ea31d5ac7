// node --import tsx --import ./test/examples/register.mjs test/examples/run-next-lambda.mts <dir>
// Imports the Next.js and Lambda code of README.md's Next.js and Lambda section (written to <dir> as block-N.ts)
// and examples/next-app-router, calls each the way its platform would, and prints one JSON report.
import { once } from "node:events";
import { createServer, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { apindicators, tradingview, TRADINGVIEW_IPS } from "tradehook";
import { signDelivery } from "tradehook/testing";

const dir = process.argv[2]!;
const secret = process.env.APINDICATORS_SECRET!;
const signal = { event: "signal.buy", data: { pair: "BTCUSDT", side: "buy", score: 0.87, market_type: "trending", interval: "1h" } };
const signed = () => signDelivery(apindicators({ secret }), signal);
const load = (file: string) => import(pathToFileURL(file).href);
const answer = async (response: Response) => ({ status: response.status, body: await response.json() });

function appRequest(url: string, init: { headers?: Record<string, string> } = {}) {
  const { body, headers } = signed();
  return new Request(url, { method: "POST", body, headers: { ...headers, ...init.headers } });
}

async function appRoute(file: string) {
  const route = await load(file);
  return {
    post: await answer(await route.POST(appRequest("https://example.test/webhooks/apindicators"))),
    get: route.GET ? (await route.GET(new Request("https://example.test/webhooks/apindicators"))).status : undefined,
  };
}

async function pagesRoute(file: string) {
  const route = await load(file);
  // With bodyParser: false, Next hands the API route the Node request and response as they are.
  const server = createServer((req, res) => void route.default(req, res));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  const { body, headers } = signed();
  const reply = await new Promise<{ status: number; body: unknown }>((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, path: "/api/webhooks/apindicators", method: "POST", headers }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on("error", reject);
    req.end(body);
  });
  server.close();
  return { config: route.config, post: reply };
}

async function tradingviewRoute(file: string) {
  const route = await load(file);
  const { body, headers } = signDelivery(tradingview({ token: process.env.TRADINGVIEW_TOKEN! }), { ticker: "BTCUSDT", action: "buy" });
  const send = (ip?: string) =>
    route.POST(new Request("https://example.test/webhooks/tradingview", { method: "POST", body, headers: { ...headers, ...(ip ? { "x-real-ip": ip } : {}) } }));
  return { fromTradingView: await answer(await send(TRADINGVIEW_IPS[0])), fromElsewhere: await answer(await send("198.51.100.1")), noAddress: (await send()).status };
}

async function lambda(file: string) {
  const { handler } = await load(file);
  const { body, headers } = signed();
  const event = {
    version: "2.0",
    routeKey: "$default",
    rawPath: "/",
    rawQueryString: "",
    headers,
    requestContext: { http: { method: "POST", path: "/", protocol: "HTTP/1.1", sourceIp: "203.0.113.10", userAgent: "test" } },
    body: Buffer.from(body).toString("base64"),
    isBase64Encoded: true,
  };
  const result = await handler(event);
  return { statusCode: result.statusCode, body: JSON.parse(result.body) };
}

const report = {
  readme: {
    appRouter: await appRoute(join(dir, "block-0.ts")),
    pagesRouter: await pagesRoute(join(dir, "block-1.ts")),
    tradingview: await tradingviewRoute(join(dir, "block-2.ts")),
    lambda: await lambda(join(dir, "block-3.ts")),
  },
  example: await appRoute(new URL("../../examples/next-app-router/app/webhooks/apindicators/route.ts", import.meta.url).pathname),
};
console.log(`REPORT ${JSON.stringify(report)}`);
