// Invokes the handler locally with a signed Function URL event (payload 2.0), as AWS would.
// Run: APINDICATORS_SECRET=test-secret npm run local
import { apindicators } from "tradehook";
import { signDelivery } from "tradehook/testing";
import { handler } from "./index.mjs";

const secret = process.env.APINDICATORS_SECRET;
if (!secret) {
  console.error("Set APINDICATORS_SECRET (any value) to sign the test event with it.");
  process.exit(1);
}

const signal = {
  event: "signal.buy",
  data: { pair: "BTCUSDT", side: "buy", score: 0.87, market_type: "trending", interval: "1h" },
};
const { body, headers } = signDelivery(apindicators({ secret }), signal);

const event = {
  version: "2.0",
  routeKey: "$default",
  rawPath: "/",
  rawQueryString: "",
  headers: { ...headers, host: "example.lambda-url.us-east-1.on.aws" },
  requestContext: {
    accountId: "anonymous",
    apiId: "example",
    domainName: "example.lambda-url.us-east-1.on.aws",
    domainPrefix: "example",
    http: { method: "POST", path: "/", protocol: "HTTP/1.1", sourceIp: "203.0.113.10", userAgent: "local" },
    requestId: "local",
    routeKey: "$default",
    stage: "$default",
    time: new Date().toUTCString(),
    timeEpoch: Date.now(),
  },
  body: Buffer.from(body).toString("base64"),
  isBase64Encoded: true,
};

const result = await handler(event);
console.log(`${result.statusCode} ${result.body}`);
