/** @module Conformance row: tradehook/express on Express 5. */
import express from "express";
import type { Transport } from "../spec.js";
import { startExpress } from "../servers/express-app.js";

export const transport: Transport = { name: "express 5", start: () => startExpress(express) };
