/** @module Conformance row: tradehook/fastify on Fastify 5. */
import Fastify from "fastify";
import type { Transport } from "../spec.js";
import { startFastify } from "../servers/fastify-app.js";

export const transport: Transport = { name: "fastify 5", start: () => startFastify(Fastify) };
