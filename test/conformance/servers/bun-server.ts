/**
 * @module The conformance app on Bun.serve with receiver.fetch; run by transports/bun.ts with node_modules/.bin/bun. Prints its port.
 */
import { buildApp } from "../spec.js";

interface BunServer {
  port: number;
  requestIP(request: Request): { address: string } | null;
}
interface BunGlobal {
  serve(options: { port: number; hostname: string; fetch(request: Request, server: BunServer): Response | Promise<Response> }): BunServer;
}
const Bun = (globalThis as unknown as { Bun: BunGlobal }).Bun;

const { counter, webhook, tv, denied, local } = buildApp();
const receivers = new Map([
  ["/webhook", webhook],
  ["/tv", tv],
  ["/denied", denied],
  ["/local", local],
]);

const server = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  async fetch(request, srv) {
    const { pathname } = new URL(request.url);
    const receiver = receivers.get(pathname);
    if (receiver) return receiver.fetch(request, { ip: srv.requestIP(request)?.address });
    if (pathname === "/json" && request.method === "POST") return Response.json({ received: await request.json() });
    if (pathname === "/count" && request.method === "GET") return Response.json({ count: counter.count });
    return new Response("not found", { status: 404 });
  },
});
console.log(`PORT ${server.port}`);
