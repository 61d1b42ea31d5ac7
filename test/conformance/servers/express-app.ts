/**
 * @module The conformance app on Express (4 or 5): webhook routes first, then express.json() for the rest, as the docs tell users.
 */
import { createServer } from "node:http";
import type express from "express";
import { expressWebhook } from "../../../src/adapters/express.js";
import { listenOnLoopback } from "../loopback.js";
import { buildApp, type ConformanceApp, type RunningServer } from "../spec.js";

/** Starts the conformance app (default `buildApp()`) on the given Express module, on a free loopback port. */
export async function startExpress(expressModule: typeof express, built: ConformanceApp = buildApp()): Promise<RunningServer> {
  const { counter, webhook, tv, denied, local } = built;
  const app = expressModule();
  app.all("/webhook", expressWebhook(webhook));
  app.all("/tv", expressWebhook(tv));
  app.all("/denied", expressWebhook(denied));
  app.all("/local", expressWebhook(local));
  app.use(expressModule.json());
  app.post("/json", (req, res) => {
    res.json({ received: req.body });
  });
  app.get("/count", (_req, res) => {
    res.json({ count: counter.count });
  });
  const server = createServer(app);
  return listenOnLoopback(server);
}
