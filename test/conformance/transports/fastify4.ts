/** @module Conformance row: tradehook/fastify on Fastify 4 (installed as the alias "fastify4"). */
import Fastify4 from "fastify4";
import type Fastify from "fastify";
import type { Transport } from "../spec.js";
import { startFastify } from "../servers/fastify-app.js";

// The plugin is typed against the installed Fastify 5 types; at runtime the v4 API it uses is the same.
export const transport: Transport = { name: "fastify 4", start: () => startFastify(Fastify4 as unknown as typeof Fastify) };
