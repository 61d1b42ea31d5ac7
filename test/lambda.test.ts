/**
 * @module tradehook/lambda on recorded-shape events of each trigger: body encodings, header layouts, query tokens, client addresses and response shapes.
 *
 * The events follow AWS's documented examples (API Gateway REST proxy integration, HTTP API
 * payload 2.0, Lambda Function URLs, ALB with and without multi-value headers).
 */
import { createHmac } from "node:crypto";
import type { ALBEvent, APIGatewayProxyEvent, APIGatewayProxyEventV2 } from "aws-lambda";
import { describe, expect, test } from "vitest";
import { lambdaHandler } from "../src/adapters/lambda.js";
import { apindicators, createReceiver, tradingview } from "../src/index.js";
import { signDelivery } from "../src/testing/index.js";
import { at, fixtureJson } from "./helpers.js";

const SECRET = "lambda-secret";
const TOKEN = "tv token/with+specials&=";
const NOW = at("2026-04-03T14:30:10Z");
const signal = fixtureJson("apindicators.signal.buy.json");
const provider = apindicators({ secret: SECRET });
const signed = () => signDelivery(provider, signal);
const b64 = (text: string | Uint8Array) => Buffer.from(text).toString("base64");

function setup(options: { allowIps?: string[] } = {}) {
  const runs: string[] = [];
  const receiver = createReceiver({ provider, now: () => NOW, allowIps: options.allowIps });
  receiver.on("signal.buy", (event) => {
    runs.push(event.data.pair);
  });
  return { runs, handler: lambdaHandler(receiver) };
}

function tvSetup() {
  const alerts: unknown[] = [];
  const receiver = createReceiver({ provider: tradingview({ token: TOKEN }), now: () => NOW });
  receiver.on("tradingview.alert", (event) => {
    alerts.push(event.data);
  });
  return { alerts, handler: lambdaHandler(receiver) };
}

function restEvent(overrides: Partial<APIGatewayProxyEvent> = {}): APIGatewayProxyEvent {
  const { body, headers } = signed();
  return {
    resource: "/webhooks/apindicators",
    path: "/webhooks/apindicators",
    httpMethod: "POST",
    headers: { "Content-Type": headers["content-type"]!, "X-Webhook-Signature": headers["x-webhook-signature"]!, Host: "abc123.execute-api.us-east-1.amazonaws.com" },
    multiValueHeaders: {
      "Content-Type": [headers["content-type"]!],
      "X-Webhook-Signature": [headers["x-webhook-signature"]!],
      Host: ["abc123.execute-api.us-east-1.amazonaws.com"],
    },
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    requestContext: {
      accountId: "123456789012",
      apiId: "abc123",
      authorizer: undefined,
      httpMethod: "POST",
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: "198.51.100.23",
        user: null,
        userAgent: "apindicators-webhooks/1.0",
        userArn: null,
      },
      path: "/prod/webhooks/apindicators",
      protocol: "HTTP/1.1",
      requestId: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
      requestTimeEpoch: 1775226610000,
      resourceId: "123456",
      resourcePath: "/webhooks/apindicators",
      stage: "prod",
    },
    body,
    isBase64Encoded: false,
    ...overrides,
  };
}

function httpEvent(overrides: Partial<APIGatewayProxyEventV2> = {}, functionUrl = false): APIGatewayProxyEventV2 {
  const { body, headers } = signed();
  const domain = functionUrl ? "a1b2c3d4e5f6g7h8.lambda-url.us-east-1.on.aws" : "r3pmxmplak.execute-api.us-east-1.amazonaws.com";
  return {
    version: "2.0",
    routeKey: functionUrl ? "$default" : "POST /webhooks/apindicators",
    rawPath: "/webhooks/apindicators",
    rawQueryString: "",
    headers: { "content-type": headers["content-type"]!, "x-webhook-signature": headers["x-webhook-signature"]!, host: domain, "x-forwarded-for": "198.51.100.23" },
    requestContext: {
      accountId: functionUrl ? "anonymous" : "123456789012",
      apiId: domain.split(".")[0]!,
      domainName: domain,
      domainPrefix: domain.split(".")[0]!,
      http: { method: "POST", path: "/webhooks/apindicators", protocol: "HTTP/1.1", sourceIp: "198.51.100.23", userAgent: "apindicators-webhooks/1.0" },
      requestId: "JKJaXmPLvHcESHA=",
      routeKey: functionUrl ? "$default" : "POST /webhooks/apindicators",
      stage: "$default",
      time: "03/Apr/2026:14:30:10 +0000",
      timeEpoch: 1775226610000,
    },
    body,
    isBase64Encoded: false,
    ...overrides,
  };
}

function albEvent(multi: boolean, overrides: Partial<ALBEvent> = {}): ALBEvent {
  const { body, headers } = signed();
  const single: Record<string, string> = {
    "content-type": headers["content-type"]!,
    "x-webhook-signature": headers["x-webhook-signature"]!,
    host: "lambda-alb-123578498.us-east-1.elb.amazonaws.com",
    "x-amzn-trace-id": "Root=1-5c536348-3d683b8b04734faae651f476",
    "x-forwarded-for": "198.51.100.23",
    "x-forwarded-port": "443",
    "x-forwarded-proto": "https",
  };
  return {
    requestContext: { elb: { targetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/lambda-279XGJDqGZ5rsrHC2Fjr/49e9d65c45c6791a" } },
    httpMethod: "POST",
    path: "/webhooks/apindicators",
    ...(multi
      ? { multiValueQueryStringParameters: {}, multiValueHeaders: Object.fromEntries(Object.entries(single).map(([k, v]) => [k, [v]])) }
      : { queryStringParameters: {}, headers: single }),
    body: b64(body),
    isBase64Encoded: true,
    ...overrides,
  };
}

const parse = (result: { body?: string | undefined }) => JSON.parse(result.body ?? "");

describe("API Gateway REST API (payload 1.0)", () => {
  test("a text body with multiValueHeaders is processed; the answer uses multiValueHeaders", async () => {
    const { runs, handler } = setup();
    const result = await handler(restEvent());
    expect(result.statusCode).toBe(200);
    expect(parse(result)).toMatchObject({ ok: true, outcome: "processed" });
    expect(result.multiValueHeaders?.["content-type"]).toEqual(["application/json; charset=utf-8"]);
    expect(result.isBase64Encoded).toBe(false);
    expect(result).not.toHaveProperty("statusDescription");
    expect(runs).toEqual(["BTCUSDT"]);
  });

  test("a base64 body (binaryMediaTypes) is decoded once, to the exact signed bytes", async () => {
    const { runs, handler } = setup();
    const event = restEvent();
    const result = await handler({ ...event, body: b64(event.body!), isBase64Encoded: true });
    expect(result.statusCode).toBe(200);
    expect(runs).toHaveLength(1);
  });

  test("without multiValueHeaders (null headers too) it reads `headers` and answers with `headers`", async () => {
    const { handler } = setup();
    const event = restEvent();
    const result = await handler({ ...event, multiValueHeaders: null as never });
    expect(result.statusCode).toBe(200);
    expect(result.headers?.["content-type"]).toBe("application/json; charset=utf-8");
    const missing = await handler({ ...event, headers: null as never, multiValueHeaders: null as never });
    expect(missing.statusCode).toBe(401);
    expect(parse(missing).error.code).toBe("MISSING_SIGNATURE");
  });

  test("a forged signature is 401 and the secret never appears", async () => {
    const { runs, handler } = setup();
    const forged = signDelivery(provider, signal, { secret: "wrong" });
    const event = restEvent({ body: forged.body });
    event.multiValueHeaders["X-Webhook-Signature"] = [forged.headers["x-webhook-signature"]!];
    const result = await handler(event);
    expect(result.statusCode).toBe(401);
    expect(parse(result).error.code).toBe("INVALID_SIGNATURE");
    expect(result.body).not.toContain(SECRET);
    expect(runs).toEqual([]);
  });

  test("TradingView ?token= arrives decoded in multiValueQueryStringParameters and still matches", async () => {
    const { alerts, handler } = tvSetup();
    const event = restEvent({
      body: "BUY BTCUSDT",
      headers: { "Content-Type": "text/plain" },
      multiValueHeaders: { "Content-Type": ["text/plain"] },
      queryStringParameters: { token: TOKEN },
      multiValueQueryStringParameters: { token: [TOKEN] },
    });
    const result = await handler(event);
    expect(result.statusCode).toBe(200);
    expect(alerts).toEqual(["BUY BTCUSDT"]);
    const wrong = await handler({ ...event, multiValueQueryStringParameters: { token: ["nope"] }, queryStringParameters: { token: "nope" } });
    expect(wrong.statusCode).toBe(401);
    expect(parse(wrong).error.code).toBe("INVALID_TOKEN");
  });

  test("allowIps reads requestContext.identity.sourceIp, not X-Forwarded-For", async () => {
    const { handler } = setup({ allowIps: ["198.51.100.0/24"] });
    expect((await handler(restEvent())).statusCode).toBe(200);
    const other = restEvent();
    other.requestContext.identity.sourceIp = "203.0.113.9";
    other.multiValueHeaders["X-Forwarded-For"] = ["198.51.100.23"];
    const refused = await handler(other);
    expect(refused.statusCode).toBe(403);
    expect(parse(refused).error.code).toBe("IP_NOT_ALLOWED");
  });
});

describe("API Gateway HTTP API and Function URLs (payload 2.0)", () => {
  test("a JSON body in plain text is processed; the answer has headers and no multiValueHeaders", async () => {
    const { runs, handler } = setup();
    const result = await handler(httpEvent());
    expect(result.statusCode).toBe(200);
    expect(parse(result)).toMatchObject({ ok: true, outcome: "processed" });
    expect(result.headers).toEqual({ "content-type": "application/json; charset=utf-8" });
    expect(result).not.toHaveProperty("multiValueHeaders");
    expect(result).not.toHaveProperty("statusDescription");
    expect(runs).toHaveLength(1);
  });

  test("a base64 body and a cookies array (Function URL) are processed", async () => {
    const { runs, handler } = setup();
    const event = httpEvent({}, true);
    const result = await handler({ ...event, body: b64(event.body!), isBase64Encoded: true, cookies: ["session=abc", "theme=dark"] });
    expect(result.statusCode).toBe(200);
    expect(runs).toHaveLength(1);
  });

  test("the exact bytes reach the signature check: a signed body that is not UTF-8 authenticates, then fails to parse", async () => {
    const { handler } = setup();
    const bytes = Buffer.concat([Buffer.from('{"event":"signal.buy","x":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    // Signed as bytes: any text round trip (UTF-8 decode, U+FFFD) would break the signature (401).
    const exact = `sha256=${createHmac("sha256", SECRET).update(bytes).digest("hex")}`;
    const event = httpEvent({ body: b64(bytes), isBase64Encoded: true });
    event.headers["x-webhook-signature"] = exact;
    const result = await handler(event);
    expect(result.statusCode).toBe(400);
    expect(parse(result).error.code).toBe("INVALID_JSON");
  });

  test("TradingView ?token= is read from rawQueryString as sent (percent-encoded)", async () => {
    const { alerts, handler } = tvSetup();
    const event = httpEvent({
      rawPath: "/tv",
      rawQueryString: `token=${encodeURIComponent(TOKEN)}&x=1`,
      queryStringParameters: { token: TOKEN, x: "1" },
      headers: { "content-type": "text/plain" },
      body: "SELL ETHUSDT",
    });
    const result = await handler(event);
    expect(result.statusCode).toBe(200);
    expect(alerts).toEqual(["SELL ETHUSDT"]);
  });

  test("allowIps reads requestContext.http.sourceIp; GET answers 405 with Allow", async () => {
    const { handler } = setup({ allowIps: ["203.0.113.9"] });
    const refused = await handler(httpEvent());
    expect(refused.statusCode).toBe(403);
    const event = httpEvent();
    event.requestContext.http.method = "GET";
    const get = await handler({ ...event, body: undefined });
    expect(get.statusCode).toBe(405);
    expect(get.headers?.allow).toBe("POST");
  });

  test("a body over maxBodyBytes is 413 and runs nothing", async () => {
    const runs: unknown[] = [];
    const receiver = createReceiver({ provider, now: () => NOW, maxBodyBytes: 256 });
    receiver.on("signal.buy", () => void runs.push(1));
    const big = signDelivery(provider, { ...signal, padding: "x".repeat(1000) });
    const event = httpEvent({ body: b64(big.body), isBase64Encoded: true });
    event.headers["x-webhook-signature"] = big.headers["x-webhook-signature"]!;
    const result = await lambdaHandler(receiver)(event);
    expect(result.statusCode).toBe(413);
    expect(parse(result).error.code).toBe("PAYLOAD_TOO_LARGE");
    expect(runs).toEqual([]);
  });
});

describe("Application Load Balancer", () => {
  test("single-value headers: base64 body processed; the answer has statusDescription and headers", async () => {
    const { runs, handler } = setup();
    const result = await handler(albEvent(false));
    expect(result).toMatchObject({ statusCode: 200, statusDescription: "200 OK", isBase64Encoded: false });
    expect(result.headers?.["content-type"]).toBe("application/json; charset=utf-8");
    expect(result).not.toHaveProperty("multiValueHeaders");
    expect(runs).toHaveLength(1);
  });

  test("multi-value headers: the answer uses multiValueHeaders only (ALB ignores `headers` then)", async () => {
    const { handler } = setup();
    const result = await handler(albEvent(true));
    expect(result).toMatchObject({ statusCode: 200, statusDescription: "200 OK" });
    expect(result.multiValueHeaders?.["content-type"]).toEqual(["application/json; charset=utf-8"]);
    expect(result).not.toHaveProperty("headers");
  });

  test("errors carry their status in statusDescription", async () => {
    const { handler } = setup();
    const result = await handler(albEvent(false, { body: b64("{}") }));
    expect(result).toMatchObject({ statusCode: 401, statusDescription: "401 Unauthorized" });
  });

  test("TradingView ?token= is passed on still percent-encoded, with and without multi-value", async () => {
    const { alerts, handler } = tvSetup();
    const encoded = encodeURIComponent(TOKEN);
    const single = albEvent(false, { path: "/tv", queryStringParameters: { token: encoded }, headers: { "content-type": "text/plain" }, body: b64("BUY"), isBase64Encoded: true });
    expect((await handler(single)).statusCode).toBe(200);
    const multi = albEvent(true, { path: "/tv", multiValueQueryStringParameters: { token: [encoded] }, multiValueHeaders: { "content-type": ["text/plain"] }, body: "SELL", isBase64Encoded: false });
    expect((await handler(multi)).statusCode).toBe(200);
    expect(alerts).toEqual(["BUY", "SELL"]);
  });

  test("allowIps uses the right-most X-Forwarded-For entry, the one the ALB appended", async () => {
    const { handler } = setup({ allowIps: ["198.51.100.23"] });
    const spoofed = albEvent(false);
    spoofed.headers!["x-forwarded-for"] = "198.51.100.23, 203.0.113.66";
    expect((await handler(spoofed)).statusCode).toBe(403);
    const proxied = albEvent(true);
    proxied.multiValueHeaders!["x-forwarded-for"] = ["203.0.113.66, 198.51.100.23"];
    expect((await handler(proxied)).statusCode).toBe(200);
  });

  test("the ip option overrides the default address", async () => {
    const receiver = createReceiver({ provider, now: () => NOW, allowIps: ["192.0.2.1"] });
    const handler = lambdaHandler(receiver, { ip: () => "192.0.2.1" });
    expect((await handler(albEvent(false))).statusCode).toBe(200);
    expect((await handler(httpEvent())).statusCode).toBe(200);
    expect((await handler(restEvent())).statusCode).toBe(200);
  });
});
