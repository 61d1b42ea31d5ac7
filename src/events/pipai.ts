/**
 * @module Zod Mini schemas of PipAI events: `strategy.*`, `backtest.*` and `account.*`.
 */
// zod/v4/mini: served by zod 3.25+ and 4 alike, and a bundle keeps only the checks it uses.
import * as z from "zod/v4/mini";

// PipAI sends decimals as strings so no precision is lost; keep them as strings.
const decimal = z.string().check(z.regex(/^-?\d+(\.\d+)?$/, "expected a decimal number as a string"));
const id = z.string().check(z.minLength(1));

/** `strategy.deployed` */
export const strategyDeployedSchema = z.looseObject({ strategy_id: id });

/** `strategy.position_opened` */
export const strategyPositionOpenedSchema = z.looseObject({
  strategy_id: id,
  symbol: z.string().check(z.minLength(1)),
  side: z.string().check(z.minLength(1)),
  quantity: z.optional(decimal),
  price: z.optional(decimal),
});

/** `strategy.error` */
export const strategyErrorSchema = z.looseObject({
  strategy_id: id,
  message: z.string(),
  code: z.optional(z.union([z.string(), z.number()])),
});

/** `backtest.job_done` */
export const backtestJobDoneSchema = z.looseObject({
  job_id: id,
  status: z.string().check(z.minLength(1)),
  metrics: z.optional(z.record(z.string(), z.unknown())),
});

/** `account.balance_low` */
export const accountBalanceLowSchema = z.looseObject({
  asset: z.string().check(z.minLength(1)),
  available: decimal,
  threshold: decimal,
});

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
