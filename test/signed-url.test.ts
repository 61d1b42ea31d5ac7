/**
 * @module Every adapter passes the absolute URL it received, so a sender that signs the URL it called (Twilio, Square)
 * verifies over real HTTP on Express 4 and 5, Fastify 4 and 5, Next's Pages Router API routes, receiver.fetch, and Lambda's event shapes.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import express5 from "express";
import express4 from "express4";
import fastify5 from "fastify";
import fastify4 from "fastify4";
import { afterAll, describe, expect, it } from "vitest";
import { expressWebhook } from "../src/adapters/express.js";
import { fastifyWebhook } from "../src/adapters/fastify.js";
import { lambdaHandler } from "../src/adapters/lambda.js";
import { nextApiRoute } from "../src/adapters/next.js";
import { createReceiver, hmac } from "../src/index.js";
import { signDelivery } from "../src/testing/index.js";
import { send } from "./conformance/client.js";
import { listenOnLoopback } from "./conformance/loopback.js";
import type { RunningServer } from "./conformance/spec.js";

/** Signs `${url}${body}`: the URL is part of what the sender signs. */
const provider = hmac({ secret: "url-secret", header: "X-Url-Signature", encoding: "base64", event: "url.signed", signedContent: ({ url, body }) => `${url}${body}` });
const payload = { amount: "12.50" };

function receiver() {
  const r = createReceiver({ provider });
  r.on("url.signed", () => {});
  return r;
}

const servers: RunningServer[] = [];
afterAll(async () => {
  for (const s of servers.splice(0)) await s.close();
});

const starters: [string, () => Promise<RunningServer>][] = [
  ["express 5", async () => {
    const app = express5();
    app.post("/hooks/url", expressWebhook(receiver()));
    return listenOnLoopback(createServer(app));
  }],
  ["express 4", async () => {
    const app = express4();
    app.post("/hooks/url", expressWebhook(receiver()));
    return listenOnLoopback(createServer(app));
  }],
  ...([["fastify 5", fastify5], ["fastify 4", fastify4]] as const).map(([name, factory]): [string, () => Promise<RunningServer>] => [name, async () => {
    const app = (factory as typeof fastify5)();
    await app.register(fastifyWebhook, { receiver: receiver(), path: "/hooks/url" });
    await app.listen({ port: 0, host: "127.0.0.1" });
    return { baseUrl: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, close: () => app.close() };
  }]),
  ["next pages (nextApiRoute)", async () => {
    const route = nextApiRoute(receiver());
    return listenOnLoopback(createServer((req, res) => void route(req as never, res as never)));
  }],
  ["receiver.fetch", async () => {
    const r = receiver();
    return listenOnLoopback(
      createServer(async (req, res) => {
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        const headers = new Headers();
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
        const response = await r.fetch(new Request(`http://${req.headers.host}${req.url}`, { method: req.method, headers, body: Buffer.concat(chunks) }));
        res.writeHead(response.status, Object.fromEntries(response.headers));
        res.end(await response.text());
      }),
    );
  }],
];

describe.each(starters)("%s", (_name, start) => {
  it("verifies a signature over the absolute URL called, query included, and refuses one made for another URL", async () => {
    const server = await start();
    servers.push(server);
    const url = `${server.baseUrl}/hooks/url?account=AC1`;
    const good = signDelivery(provider, payload, { url });
    const reply = await send(url, { body: good.body, headers: good.headers });
    expect(reply.json()).toMatchObject({ ok: true, outcome: "processed" });
    const other = signDelivery(provider, payload, { url: `${server.baseUrl}/hooks/other?account=AC1` });
    expect((await send(url, { body: other.body, headers: other.headers })).json().error.code).toBe("INVALID_SIGNATURE");
  });
});

describe("lambda", () => {
  const handler = lambdaHandler(receiver());
  const signed = (url: string) => signDelivery(provider, payload, { url });

  it("rebuilds https://<domain>/<stage path>?query for API Gateway REST (v1)", async () => {
    const d = signed("https://abc.execute-api.eu-west-1.amazonaws.com/prod/hooks/url?account=AC1");
    const event = {
      httpMethod: "POST", path: "/hooks/url", body: d.body, isBase64Encoded: false, headers: { ...d.headers, host: "abc.execute-api.eu-west-1.amazonaws.com", "x-forwarded-proto": "https" },
      multiValueHeaders: {}, queryStringParameters: { account: "AC1" }, multiValueQueryStringParameters: null,
      requestContext: { path: "/prod/hooks/url", domainName: "abc.execute-api.eu-west-1.amazonaws.com", identity: { sourceIp: "127.0.0.1" } },
    };
    expect(JSON.parse(((await handler(event as never)) as { body: string }).body)).toMatchObject({ ok: true });
  });

  it("uses rawPath and rawQueryString for HTTP API (v2) and Function URLs, and the Host header for ALB", async () => {
    const d2 = signed("https://xyz.lambda-url.eu-west-1.on.aws/hooks/url?account=AC1");
    const v2 = {
      version: "2.0", rawPath: "/hooks/url", rawQueryString: "account=AC1", body: d2.body, isBase64Encoded: false,
      headers: { ...d2.headers, "x-forwarded-proto": "https" },
      requestContext: { domainName: "xyz.lambda-url.eu-west-1.on.aws", http: { method: "POST", sourceIp: "127.0.0.1" } },
    };
    expect(JSON.parse(((await handler(v2 as never)) as { body: string }).body)).toMatchObject({ ok: true });
    const d3 = signed("https://hooks.example.com/hooks/url?account=AC1");
    const alb = {
      httpMethod: "POST", path: "/hooks/url", body: d3.body, isBase64Encoded: false, queryStringParameters: { account: "AC1" },
      headers: { ...d3.headers, host: "hooks.example.com", "x-forwarded-proto": "https", "x-forwarded-for": "127.0.0.1" },
      requestContext: { elb: { targetGroupArn: "arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/t/1" } },
    };
    expect(JSON.parse(((await handler(alb as never)) as { body: string }).body)).toMatchObject({ ok: true });
  });
});
