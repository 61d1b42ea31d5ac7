/**
 * @module A loopback stand-in for AWS's HTTP front doors: turns each HTTP request into the Lambda event of one trigger, invokes the handler and writes its result back as that trigger would.
 *
 * Event layouts follow AWS's documented examples and @types/aws-lambda:
 *   rest-v1       API Gateway REST API, proxy integration (payload 1.0): client header case kept,
 *                 `multiValueHeaders`, decoded `multiValueQueryStringParameters`, `body: null` when
 *                 empty, base64 only for `binaryMediaTypes` (here `application/octet-stream`).
 *   http-v2       API Gateway HTTP API (payload 2.0): lower-case headers, repeats joined with ",",
 *                 `cookies` array, `rawQueryString`, base64 for every non-text content type.
 *   function-url  Lambda Function URL: the 2.0 shape with `lambda-url` domain, same body rules.
 *   alb           Application Load Balancer: `headers`, query values passed on still percent-encoded,
 *                 body always base64, no client address in the event (the ALB appends it to
 *                 X-Forwarded-For); answers 502 when the response lacks what ALB needs.
 *   alb-multi     ALB target group with multi-value headers on: `multiValueHeaders` and
 *                 `multiValueQueryStringParameters` only, and only `multiValueHeaders` is read back.
 */
import { createServer, type IncomingMessage } from "node:http";
import type { ALBEvent, APIGatewayProxyEvent, APIGatewayProxyEventV2 } from "aws-lambda";
import { listenOnLoopback } from "../loopback.js";
import type { RunningServer } from "../spec.js";

export type Trigger = "rest-v1" | "http-v2" | "function-url" | "alb" | "alb-multi";

/** An HTTP request as the front door saw it. */
export interface RawRequest {
  method: string;
  /** Path and raw query, as on the request line: `/tv?token=a%20b`. */
  target: string;
  /** Header pairs in arrival order, names as sent. */
  headers: [string, string][];
  body: Uint8Array;
  sourceIp: string;
}

/** What the front door sends back to the client. */
export interface GatewayResponse {
  status: number;
  statusText?: string | undefined;
  headers: [string, string][];
  body: Buffer;
}

const ACCOUNT = "123456789012";
const TEXT_TYPE = /^(text\/|application\/(json|javascript|xml|x-www-form-urlencoded)\b|application\/[\w.+-]+\+(json|xml)\b)/i;

const isText = (contentType: string | undefined) => contentType !== undefined && TEXT_TYPE.test(contentType.trim());
const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
const utf8 = (bytes: Uint8Array) => Buffer.from(bytes).toString("utf8");

function splitTarget(target: string): { path: string; rawQuery: string } {
  const q = target.indexOf("?");
  return q === -1 ? { path: target, rawQuery: "" } : { path: target.slice(0, q), rawQuery: target.slice(q + 1) };
}

/** Raw `k=v` pairs of a query string, still percent-encoded. */
function rawPairs(rawQuery: string): [string, string][] {
  if (!rawQuery) return [];
  return rawQuery.split("&").filter(Boolean).map((part) => {
    const eq = part.indexOf("=");
    return eq === -1 ? [part, ""] : [part.slice(0, eq), part.slice(eq + 1)];
  });
}

function decodedPairs(rawQuery: string): [string, string][] {
  return [...new URLSearchParams(rawQuery)];
}

function group(pairs: [string, string][], lowerCase: boolean): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of pairs) (out[lowerCase ? name.toLowerCase() : name] ??= []).push(value);
  return out;
}

function last(grouped: Record<string, string[]>): Record<string, string> {
  return Object.fromEntries(Object.entries(grouped).map(([name, values]) => [name, values[values.length - 1]!]));
}

function contentType(request: RawRequest): string | undefined {
  return request.headers.find(([name]) => name.toLowerCase() === "content-type")?.[1];
}

function withForwarded(request: RawRequest): [string, string][] {
  // The front door appends the peer address to X-Forwarded-For, keeping what the client sent.
  const sent = request.headers.filter(([name]) => name.toLowerCase() === "x-forwarded-for").map(([, value]) => value);
  const others = request.headers.filter(([name]) => !["x-forwarded-for", "x-forwarded-proto", "x-forwarded-port"].includes(name.toLowerCase()));
  return [
    ...others,
    ["X-Forwarded-For", [...sent, request.sourceIp].join(", ")],
    ["X-Forwarded-Port", "443"],
    ["X-Forwarded-Proto", "https"],
  ];
}

function restV1Event(request: RawRequest): APIGatewayProxyEvent {
  const { path, rawQuery } = splitTarget(request.target);
  const headers = withForwarded(request);
  const query = group(decodedPairs(rawQuery), false);
  const hasQuery = Object.keys(query).length > 0;
  const binary = (contentType(request) ?? "").toLowerCase().startsWith("application/octet-stream");
  return {
    resource: "/{proxy+}",
    path,
    httpMethod: request.method,
    headers: last(group(headers, false)),
    multiValueHeaders: group(headers, false),
    queryStringParameters: hasQuery ? last(query) : null,
    multiValueQueryStringParameters: hasQuery ? query : null,
    pathParameters: { proxy: path.slice(1) },
    stageVariables: null,
    requestContext: {
      accountId: ACCOUNT,
      apiId: "1234567890",
      authorizer: undefined,
      domainName: "1234567890.execute-api.us-east-1.amazonaws.com",
      domainPrefix: "1234567890",
      extendedRequestId: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
      httpMethod: request.method,
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
        sourceIp: request.sourceIp,
        user: null,
        userAgent: request.headers.find(([name]) => name.toLowerCase() === "user-agent")?.[1] ?? null,
        userArn: null,
      },
      path: `/prod${path}`,
      protocol: "HTTP/1.1",
      requestId: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
      requestTimeEpoch: Date.now(),
      resourceId: "123456",
      resourcePath: "/{proxy+}",
      stage: "prod",
    },
    body: request.body.byteLength === 0 ? null : binary ? base64(request.body) : utf8(request.body),
    isBase64Encoded: binary && request.body.byteLength > 0,
  };
}

function v2Event(request: RawRequest, functionUrl: boolean): APIGatewayProxyEventV2 {
  const { path, rawQuery } = splitTarget(request.target);
  const all = withForwarded(request);
  const cookies = all.filter(([name]) => name.toLowerCase() === "cookie").flatMap(([, value]) => value.split(/;\s*/));
  const headers = Object.fromEntries(
    Object.entries(group(all.filter(([name]) => name.toLowerCase() !== "cookie"), true)).map(([name, values]) => [name, values.join(",")]),
  );
  const query = group(decodedPairs(rawQuery), false);
  const text = isText(contentType(request));
  const apiId = functionUrl ? "abcdefghijklmnopqrstuvwxyz123456" : "1234567890";
  const domainName = functionUrl ? `${apiId}.lambda-url.us-east-1.on.aws` : `${apiId}.execute-api.us-east-1.amazonaws.com`;
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: path,
    rawQueryString: rawQuery,
    ...(cookies.length ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length
      ? { queryStringParameters: Object.fromEntries(Object.entries(query).map(([name, values]) => [name, values.join(",")])) }
      : {}),
    requestContext: {
      accountId: functionUrl ? "anonymous" : ACCOUNT,
      apiId,
      domainName,
      domainPrefix: apiId,
      http: {
        method: request.method,
        path,
        protocol: "HTTP/1.1",
        sourceIp: request.sourceIp,
        userAgent: headers["user-agent"] ?? "",
      },
      requestId: "id",
      routeKey: "$default",
      stage: "$default",
      time: "12/Mar/2020:19:03:58 +0000",
      timeEpoch: Date.now(),
    },
    ...(request.body.byteLength > 0 ? { body: text ? utf8(request.body) : base64(request.body) } : {}),
    isBase64Encoded: request.body.byteLength > 0 && !text,
  };
}

function albEvent(request: RawRequest, multi: boolean): ALBEvent {
  const { path, rawQuery } = splitTarget(request.target);
  const headers = group(withForwarded(request), true);
  const query = group(rawPairs(rawQuery), false);
  return {
    requestContext: { elb: { targetGroupArn: `arn:aws:elasticloadbalancing:us-east-1:${ACCOUNT}:targetgroup/lambda-279XGJDqGZ5rsrHC2Fjr/49e9d65c45c6791a` } },
    httpMethod: request.method,
    path,
    ...(multi ? { multiValueQueryStringParameters: query, multiValueHeaders: headers } : { queryStringParameters: last(query), headers: last(headers) }),
    body: base64(request.body),
    isBase64Encoded: true,
  };
}

/** The Lambda event `trigger` would send for `request`. */
export function buildEvent(trigger: Trigger, request: RawRequest): APIGatewayProxyEvent | APIGatewayProxyEventV2 | ALBEvent {
  switch (trigger) {
    case "rest-v1":
      return restV1Event(request);
    case "http-v2":
      return v2Event(request, false);
    case "function-url":
      return v2Event(request, true);
    case "alb":
      return albEvent(request, false);
    case "alb-multi":
      return albEvent(request, true);
  }
}

type AnyResult = {
  statusCode?: unknown;
  statusDescription?: unknown;
  headers?: Record<string, unknown>;
  multiValueHeaders?: Record<string, unknown[]>;
  cookies?: unknown[];
  body?: unknown;
  isBase64Encoded?: unknown;
};

const BAD_GATEWAY: GatewayResponse = {
  status: 502,
  headers: [["content-type", "application/json"]],
  body: Buffer.from('{"message":"Internal server error"}'),
};

/** How `trigger` turns a handler's result into an HTTP response (502 when it would refuse it). */
export function applyResult(trigger: Trigger, result: unknown): GatewayResponse {
  const r = (typeof result === "object" && result !== null ? result : {}) as AnyResult;
  if (typeof r.statusCode !== "number") return BAD_GATEWAY;
  if (r.body !== undefined && typeof r.body !== "string") return BAD_GATEWAY;
  const single = Object.entries(r.headers ?? {}).map(([name, value]) => [name, String(value)] as [string, string]);
  const multi = Object.entries(r.multiValueHeaders ?? {}).flatMap(([name, values]) => values.map((value) => [name, String(value)] as [string, string]));
  let headers: [string, string][];
  if (trigger === "alb") headers = single;
  else if (trigger === "alb-multi") headers = multi;
  else if (trigger === "rest-v1") {
    const inMulti = new Set(multi.map(([name]) => name.toLowerCase()));
    headers = [...single.filter(([name]) => !inMulti.has(name.toLowerCase())), ...multi];
  } else headers = [...single, ...(r.cookies ?? []).map((cookie) => ["set-cookie", String(cookie)] as [string, string])];
  const text = (r.body as string | undefined) ?? "";
  return {
    status: r.statusCode,
    statusText: trigger.startsWith("alb") && typeof r.statusDescription === "string" ? r.statusDescription.replace(/^\d+\s*/, "") : undefined,
    headers,
    body: r.isBase64Encoded === true ? Buffer.from(text, "base64") : Buffer.from(text, "utf8"),
  };
}

async function readAll(req: IncomingMessage): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function pairs(raw: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i]!, raw[i + 1]!]);
  return out;
}

/** Serves `handler` behind a stand-in for `trigger` on a free loopback port. */
export async function startLambdaGateway(trigger: Trigger, handler: (event: any, context?: unknown) => Promise<unknown>): Promise<RunningServer> {
  const server = createServer(async (req, res) => {
    const request: RawRequest = {
      method: req.method ?? "GET",
      target: req.url ?? "/",
      // Hop-by-hop framing headers never reach a Lambda event.
      headers: pairs(req.rawHeaders).filter(([name]) => !["connection", "transfer-encoding", "keep-alive"].includes(name.toLowerCase())),
      body: await readAll(req),
      sourceIp: req.socket.remoteAddress ?? "",
    };
    let response: GatewayResponse;
    try {
      response = applyResult(trigger, await handler(JSON.parse(JSON.stringify(buildEvent(trigger, request))), {}));
    } catch {
      response = BAD_GATEWAY;
    }
    res.statusCode = response.status;
    if (response.statusText) res.statusMessage = response.statusText;
    for (const [name, value] of response.headers) res.appendHeader(name, value);
    res.end(response.body);
  });
  return listenOnLoopback(server);
}
