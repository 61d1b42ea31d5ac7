/** @module Conformance row: tradehook/express on Express 5 with a BullMQ queue on real Redis: /webhook answers 202 queued, a worker runs the handler. */
import { randomBytes } from "node:crypto";
import express from "express";
import { bullmqQueue, startWorker } from "../../../src/queues/bullmq.js";
import { REDIS_URL, serviceAvailable } from "../../services.js";
import { startExpress } from "../servers/express-app.js";
import { buildApp, type Transport } from "../spec.js";

const redisUp = await serviceAvailable("redis");

export const transports: Transport[] = redisUp
  ? [
      {
        name: "express 5 + bullmq queue",
        queued: true,
        async start() {
          const queue = bullmqQueue({ connection: { url: REDIS_URL }, name: `th-conformance-${randomBytes(4).toString("hex")}` });
          const app = buildApp({ queue });
          const worker = startWorker(app.webhook);
          const server = await startExpress(express, app);
          return {
            baseUrl: server.baseUrl,
            close: async () => {
              await server.close();
              await worker.close();
              await queue.queue.obliterate({ force: true }).catch(() => {});
              await queue.close();
            },
          };
        },
      },
    ]
  : [];
