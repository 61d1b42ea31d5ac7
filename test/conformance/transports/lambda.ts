/** @module Conformance rows: tradehook/lambda behind loopback stand-ins for API Gateway REST (v1), HTTP API (v2), Function URLs and ALB. */
import { lambdaHandler, type LambdaEvent } from "../../../src/adapters/lambda.js";
import { buildApp, type Transport } from "../spec.js";
import { startLambdaGateway, type Trigger } from "../servers/lambda-gateway.js";

const pathOf = (event: any): string => event.rawPath ?? event.path;

/** A plain JSON response in the trigger's shape, for the routes tradehook does not serve. */
function jsonResult(event: any, value: unknown) {
  const body = JSON.stringify(value);
  if (event.requestContext?.elb) {
    const headers = event.multiValueHeaders ? { multiValueHeaders: { "content-type": ["application/json"] } } : { headers: { "content-type": "application/json" } };
    return { statusCode: 200, statusDescription: "200 OK", ...headers, body, isBase64Encoded: false };
  }
  return { statusCode: 200, headers: { "content-type": "application/json" }, body, isBase64Encoded: false };
}

/** The conformance app as Lambda functions, one per route, behind one front door. */
function startRow(trigger: Trigger) {
  const { counter, webhook, tv, denied, local } = buildApp();
  const functions: Record<string, (event: any) => Promise<unknown>> = {
    "/webhook": lambdaHandler(webhook),
    "/tv": lambdaHandler(tv),
    "/denied": lambdaHandler(denied),
    "/local": lambdaHandler(local),
    // Lambda has no body parser of its own: a JSON function decodes the event body itself.
    "/json": async (event: LambdaEvent) => {
      const text = event.isBase64Encoded ? Buffer.from(event.body ?? "", "base64").toString("utf8") : (event.body ?? "");
      return jsonResult(event, { received: JSON.parse(text) });
    },
    "/count": async (event: LambdaEvent) => jsonResult(event, { count: counter.count }),
  };
  return startLambdaGateway(trigger, async (event) => {
    const fn = functions[pathOf(event)];
    return fn ? fn(event) : { statusCode: 404, body: "" };
  });
}

export const transports: Transport[] = [
  { name: "lambda-rest-v1", start: () => startRow("rest-v1") },
  { name: "lambda-http-v2", start: () => startRow("http-v2") },
  { name: "lambda-function-url", start: () => startRow("function-url") },
  { name: "lambda-alb", start: () => startRow("alb") },
  { name: "lambda-alb-multi-value", start: () => startRow("alb-multi") },
];
