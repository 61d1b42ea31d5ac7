/** @module tradehook/lambda: AWS Lambda behind API Gateway REST (v1), HTTP API (v2), Function URLs and ALB. */
import type {
  ALBEvent,
  ALBResult,
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2,
  APIGatewayProxyResult,
  APIGatewayProxyStructuredResultV2,
} from "aws-lambda";
import type { AdapterReceiver } from "../receiver/index.js";
import type { Delivery, HandleResult } from "../types.js";

/** Any event `lambdaHandler` accepts: REST API / HTTP API v1.0 payload, HTTP API v2.0 or Function URL, ALB. */
export type LambdaEvent = APIGatewayProxyEvent | APIGatewayProxyEventV2 | ALBEvent;

/** The response in the shape the trigger expects. */
export type LambdaResult = APIGatewayProxyResult | APIGatewayProxyStructuredResultV2 | ALBResult;

/**
 * Options of {@link lambdaHandler}.
 *
 * @example
 * ```ts
 * // An ALB behind CloudFront: the client is the second entry from the right.
 * export const handler = lambdaHandler(receiver, {
 *   ip: (event) => event.headers?.["x-forwarded-for"]?.split(",").at(-2)?.trim(),
 * });
 * ```
 */
export interface LambdaHandlerOptions {
  /**
   * The client address, for `allowIps`. Default: API Gateway's and Function URLs'
   * `sourceIp`; for ALB (whose event has no address) the right-most `X-Forwarded-For`
   * entry, which the load balancer appends itself in its default `append` mode.
   */
  ip?: (event: LambdaEvent) => string | undefined;
}

/** A Lambda handler: `export const handler = lambdaHandler(receiver)`. */
export type LambdaWebhookHandler = <E extends LambdaEvent>(
  event: E,
  context?: unknown,
) => Promise<E extends ALBEvent ? ALBResult : E extends APIGatewayProxyEventV2 ? APIGatewayProxyStructuredResultV2 : APIGatewayProxyResult>;

type Headers = Record<string, string | string[] | undefined>;

/** The one place bodies are decoded: API Gateway and ALB base64-encode binary (ALB: any) bodies. */
function eventBody(body: string | null | undefined, isBase64Encoded: boolean | undefined): Uint8Array | string {
  if (body === null || body === undefined) return "";
  if (!isBase64Encoded) return body;
  const NodeBuffer = (globalThis as { Buffer?: { from(text: string, encoding: "base64"): Uint8Array } }).Buffer;
  if (NodeBuffer) return NodeBuffer.from(body, "base64");
  const binary = atob(body);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** v1 and ALB: `multiValueHeaders` holds every value when present; `headers` only the last. */
function pickHeaders(headers: Headers | null | undefined, multi: Headers | null | undefined): Headers {
  return multi && Object.keys(multi).length > 0 ? multi : (headers ?? {});
}

function headerValue(headers: Headers, name: string): string | undefined {
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() !== name) continue;
    const value = headers[key];
    return Array.isArray(value) ? value[value.length - 1] : value;
  }
  return undefined;
}

function withQuery(path: string, query: string): string {
  return query ? `${path}?${query}` : path;
}

/** Query from parameters API Gateway v1 has already percent-decoded. */
function encodeQuery(single: Record<string, string | undefined> | null | undefined, multi: Record<string, string[] | undefined> | null | undefined): string {
  const params = new URLSearchParams();
  if (multi) {
    for (const [key, values] of Object.entries(multi)) for (const value of values ?? []) params.append(key, value);
  } else if (single) {
    for (const [key, value] of Object.entries(single)) if (value !== undefined) params.append(key, value);
  }
  return params.toString();
}

/** Query from ALB parameters, which ALB passes on exactly as sent (still percent-encoded). */
function rawQuery(single: Record<string, string | undefined> | undefined, multi: Record<string, string[] | undefined> | undefined): string {
  const pairs: string[] = [];
  if (multi) {
    for (const [key, values] of Object.entries(multi)) for (const value of values ?? []) pairs.push(`${key}=${value}`);
  } else if (single) {
    for (const [key, value] of Object.entries(single)) if (value !== undefined) pairs.push(`${key}=${value}`);
  }
  return pairs.join("&");
}

function isAlb(event: LambdaEvent): event is ALBEvent {
  return typeof (event as ALBEvent).requestContext?.elb === "object";
}

function isV2(event: LambdaEvent): event is APIGatewayProxyEventV2 {
  return (event as APIGatewayProxyEventV2).version === "2.0";
}

function fromV1(event: APIGatewayProxyEvent): Delivery {
  return {
    body: eventBody(event.body, event.isBase64Encoded),
    headers: pickHeaders(event.headers, event.multiValueHeaders),
    method: event.httpMethod,
    url: withQuery(event.path, encodeQuery(event.queryStringParameters, event.multiValueQueryStringParameters)),
    ip: event.requestContext?.identity?.sourceIp,
  };
}

function fromV2(event: APIGatewayProxyEventV2): Delivery {
  const headers: Headers = { ...event.headers };
  // v2 moves Cookie headers out into `cookies`.
  if (event.cookies?.length) headers.cookie = event.cookies.join("; ");
  return {
    body: eventBody(event.body, event.isBase64Encoded),
    headers,
    method: event.requestContext?.http?.method,
    url: withQuery(event.rawPath, event.rawQueryString ?? ""),
    ip: event.requestContext?.http?.sourceIp,
  };
}

function fromAlb(event: ALBEvent): Delivery {
  const headers = pickHeaders(event.headers, event.multiValueHeaders);
  const forwarded = headerValue(headers, "x-forwarded-for")?.split(",");
  return {
    body: eventBody(event.body, event.isBase64Encoded),
    headers,
    method: event.httpMethod,
    url: withQuery(event.path, rawQuery(event.queryStringParameters, event.multiValueQueryStringParameters)),
    ip: forwarded?.[forwarded.length - 1]?.trim() || undefined,
  };
}

const REASONS: Record<number, string> = {
  200: "OK",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Payload Too Large",
  422: "Unprocessable Entity",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

function toMultiValue(headers: Record<string, string>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]]));
}

function toV1(result: HandleResult, event: APIGatewayProxyEvent): APIGatewayProxyResult {
  const headers = event.multiValueHeaders ? { multiValueHeaders: toMultiValue(result.headers) } : { headers: result.headers };
  return { statusCode: result.status, ...headers, body: result.body, isBase64Encoded: false };
}

function toV2(result: HandleResult): APIGatewayProxyStructuredResultV2 {
  return { statusCode: result.status, headers: result.headers, body: result.body, isBase64Encoded: false };
}

function toAlb(result: HandleResult, event: ALBEvent): ALBResult {
  // With multi-value headers on, ALB reads only `multiValueHeaders` from the response.
  const headers = event.multiValueHeaders ? { multiValueHeaders: toMultiValue(result.headers) } : { headers: result.headers };
  const statusDescription = `${result.status} ${REASONS[result.status] ?? ""}`.trim();
  return { statusCode: result.status, statusDescription, ...headers, body: result.body, isBase64Encoded: false };
}

/**
 * A Lambda handler for API Gateway REST APIs (v1 payload), HTTP APIs (v2 payload), Lambda
 * Function URLs and Application Load Balancers. It takes the exact body from the event
 * (base64-decoded when the trigger encoded it), the method, path and query (so TradingView's
 * `?token=` works) and the client address, and answers in the trigger's response shape.
 *
 * @example
 * ```ts
 * // handler.ts
 * import { createReceiver, apindicators } from "tradehook";
 * import { lambdaHandler } from "tradehook/lambda";
 *
 * const receiver = createReceiver({ provider: apindicators({ secret: process.env.APINDICATORS_SECRET! }) });
 * receiver.on("signal.buy", async (event) => {
 *   console.log(event.data.pair, event.data.score);
 * });
 *
 * export const handler = lambdaHandler(receiver);
 * ```
 */
export function lambdaHandler(receiver: AdapterReceiver, options: LambdaHandlerOptions = {}): LambdaWebhookHandler {
  const handler = async (event: LambdaEvent): Promise<LambdaResult> => {
    if (isAlb(event)) {
      const delivery = fromAlb(event);
      if (options.ip) delivery.ip = options.ip(event);
      return toAlb(await receiver.handle(delivery), event);
    }
    if (isV2(event)) {
      const delivery = fromV2(event);
      if (options.ip) delivery.ip = options.ip(event);
      return toV2(await receiver.handle(delivery));
    }
    const delivery = fromV1(event);
    if (options.ip) delivery.ip = options.ip(event);
    return toV1(await receiver.handle(delivery), event);
  };
  return handler as LambdaWebhookHandler;
}
