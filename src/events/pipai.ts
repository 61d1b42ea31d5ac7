/**
 * @module Zod schemas of PipAI events: `strategy.*`, `backtest.*` and `account.*`.
 */
import { z } from "zod";

// PipAI sends decimals as strings so no precision is lost; keep them as strings.
const decimal = z.string().regex(/^-?\d+(\.\d+)?$/, "expected a decimal number as a string");
const id = z.string().min(1);

/** `strategy.deployed` */
export const strategyDeployedSchema = z.looseObject({ strategy_id: id });

/** `strategy.position_opened` */
export const strategyPositionOpenedSchema = z.looseObject({
  strategy_id: id,
  symbol: z.string().min(1),
  side: z.string().min(1),
  quantity: decimal.optional(),
  price: decimal.optional(),
});

/** `strategy.error` */
export const strategyErrorSchema = z.looseObject({
  strategy_id: id,
  message: z.string(),
  code: z.union([z.string(), z.number()]).optional(),
});

/** `backtest.job_done` */
export const backtestJobDoneSchema = z.looseObject({
  job_id: id,
  status: z.string().min(1),
  metrics: z.record(z.string(), z.unknown()).optional(),
});

/** `account.balance_low` */
export const accountBalanceLowSchema = z.looseObject({
  asset: z.string().min(1),
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
