/**
 * @module tradehook: verified, typed, exactly-once webhooks from trading-signal platforms.
 */
export { createReceiver } from "./receiver/index.js";
export type {
  AdapterReceiver,
  AnyEvent,
  DataMap,
  ErrorListener,
  EventFor,
  EventPattern,
  Receiver,
  ReceiverOptions,
} from "./receiver/index.js";

export { apindicators, type ApindicatorsOptions } from "./providers/apindicators.js";
export { tickerapi, type TickerapiOptions } from "./providers/tickerapi.js";
export { pipai, type PipaiOptions } from "./providers/pipai.js";
export { tradingview, type TradingviewOptions } from "./providers/tradingview.js";
export { standardWebhooks, type StandardWebhooksOptions } from "./providers/standard-webhooks.js";
export { hmac, type HmacOptions, type PublicUrl, type SecretEncoding, type SignatureFormat, type SignedContentInput } from "./providers/hmac.js";
export type { EventCatalogue, Provider } from "./providers/provider.js";
export type { StandardSchemaV1 } from "./standard-schema.js";
export type { SecretInput } from "./providers/shared.js";
export { TRADINGVIEW_IPS } from "./ip.js";

export { MemoryStore, type MemoryStoreOptions } from "./stores/memory.js";

export {
  ERROR_STATUS,
  HandlerError,
  IdempotencyError,
  isWebhookError,
  MethodNotAllowedError,
  PayloadError,
  PayloadTooLargeError,
  QueueError,
  SetupError,
  SignatureError,
  SourceError,
  StoreError,
  TimestampError,
  WebhookError,
} from "./errors.js";
export type { ErrorCode, PayloadIssue } from "./errors.js";

export { apindicatorsEvents, signalSchema, type Signal } from "./events/apindicators.js";
export {
  dataReadySchema,
  tickerapiEvents,
  watchlistChangeSchema,
  watchlistChangesSchema,
  type DataReady,
  type WatchlistChanges,
} from "./events/tickerapi.js";
export {
  accountBalanceLowSchema,
  backtestJobDoneSchema,
  pipaiEvents,
  strategyDeployedSchema,
  strategyErrorSchema,
  strategyPositionOpenedSchema,
} from "./events/pipai.js";
export { tradingviewAlertSchema, tradingviewEvents } from "./events/tradingview.js";

export type { HeaderReader } from "./headers.js";
export type {
  ClaimResult,
  Delivery,
  DeliveryQueue,
  HandleResult,
  Handler,
  HandlerContext,
  HeadersInput,
  IdempotencyStore,
  Logger,
  Outcome,
  QueuedEvent,
  WebhookEvent,
} from "./types.js";
