/** @module Conformance rows: tradehook/next in a real Next.js 16 app (`next build` + `next start`): App Router and Pages Router. */
import type { Transport } from "../spec.js";
import { startNextApp } from "../servers/next-app.js";

export const transports: Transport[] = [
  {
    name: "next-app",
    start: startNextApp,
    skip: {
      "allow-ips":
        "Next.js 16 App Router route handlers get no client address (no request.ip, no socket) and tradehook never trusts X-Forwarded-For by default, so /local cannot pass; /denied failing closed (403) is asserted in test/next.test.ts",
    },
  },
  {
    name: "next-pages",
    // Pages Router API routes of the same server, under /api/pages/{webhook,tv,denied,local,json,count}.
    start: async () => {
      const server = await startNextApp();
      return { ...server, baseUrl: `${server.baseUrl}/api/pages` };
    },
  },
];
