/** @module Conformance row: tradehook/express on Express 4 (installed as the alias "express4"). */
import express4 from "express4";
import type { Transport } from "../spec.js";
import { startExpress } from "../servers/express-app.js";

export const transport: Transport = { name: "express 4", start: () => startExpress(express4) };
