/**
 * @module Zod Mini schemas of PipAI events: `strategy.*`, `backtest.*` and `account.*`.
 */
// zod/v4/mini: served by zod 3.25+ and 4 alike, and a bundle keeps only the checks it uses.
import * as z from "zod/v4/mini";

// Each schema is built in a pure-marked call: a bundle that never uses one drops it, and the zod code only it needs.

// PipAI sends decimals as strings so no precision is lost; keep them as strings.
const decimal = /* @__PURE__ */ (() => z.string().check(z.regex(/^-?\d+(\.\d+)?$/, "expected a decimal number as a string")))();
const id = /* @__PURE__ */ (() => z.string().check(z.minLength(1)))();

/** `strategy.deployed` */
export const strategyDeployedSchema = /* @__PURE__ */ (() => z.looseObject({ strategy_id: id }))();

/** `strategy.position_opened` */
export const strategyPositionOpenedSchema = /* @__PURE__ */ (() =>
  z.looseObject({
    strategy_id: id,
    symbol: z.string().check(z.minLength(1)),
    side: z.string().check(z.minLength(1)),
    quantity: z.optional(decimal),
    price: z.optional(decimal),
  }))();

/** `strategy.error` */
export const strategyErrorSchema = /* @__PURE__ */ (() =>
  z.looseObject({
    strategy_id: id,
    message: z.string(),
    code: z.optional(z.union([z.string(), z.number()])),
  }))();

/** `backtest.job_done` */
export const backtestJobDoneSchema = /* @__PURE__ */ (() =>
  z.looseObject({
    job_id: id,
    status: z.string().check(z.minLength(1)),
    metrics: z.optional(z.record(z.string(), z.unknown())),
  }))();

/** `account.balance_low` */
export const accountBalanceLowSchema = /* @__PURE__ */ (() =>
  z.looseObject({
    asset: z.string().check(z.minLength(1)),
    available: decimal,
    threshold: decimal,
  }))();

/**
 * The PipAI event catalogue.
 *
 * @example
 * ```ts
 * receiver.on("strategy.*", (event) => console.log(event.type, event.data.strategy_id));
 * ```
 */
export const pipaiEvents = {
  "strategy.deployed": strategyDeployedSchema,
  "strategy.position_opened": strategyPositionOpenedSchema,
  "strategy.error": strategyErrorSchema,
  "backtest.job_done": backtestJobDoneSchema,
  "account.balance_low": accountBalanceLowSchema,
};
