/**
 * @module The conformance app on Fastify (4 or 5): one encapsulated fastifyWebhook registration per route, JSON routes beside them.
 */
import type { AddressInfo } from "node:net";
import type Fastify from "fastify";
import { fastifyWebhook } from "../../../src/adapters/fastify.js";
import { buildApp, type RunningServer } from "../spec.js";

/** Starts the conformance app on the given Fastify factory, on a free loopback port. */
export async function startFastify(fastifyFactory: typeof Fastify): Promise<RunningServer> {
  const { counter, webhook, tv, denied, local } = buildApp();
  const app = fastifyFactory();
  await app.register(fastifyWebhook, { receiver: webhook, path: "/webhook" });
  await app.register(fastifyWebhook, { receiver: tv, path: "/tv" });
  await app.register(fastifyWebhook, { receiver: denied, path: "/denied" });
  await app.register(fastifyWebhook, { receiver: local, path: "/local" });
  app.post("/json", async (request) => ({ received: request.body }));
  app.get("/count", async () => ({ count: counter.count }));
  await app.listen({ port: 0, host: "127.0.0.1" });
  const { port } = app.server.address() as AddressInfo;
  return { baseUrl: `http://127.0.0.1:${port}`, close: () => app.close() };
}
