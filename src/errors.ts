/**
 * @module The `WebhookError` hierarchy: every rejected delivery carries a stable `code` and HTTP `status`.
 */

/** Every error code tradehook answers with, mapped to its HTTP status (DESIGN §3). */
export const ERROR_STATUS = {
  INVALID_JSON: 400,
  INVALID_PAYLOAD: 400,
  UNKNOWN_EVENT: 400,
  EVENT_MISMATCH: 400,
  MISSING_SIGNATURE: 401,
  INVALID_SIGNATURE: 401,
  MISSING_TOKEN: 401,
  INVALID_TOKEN: 401,
  MISSING_TIMESTAMP: 401,
  TIMESTAMP_INVALID: 401,
  TIMESTAMP_TOO_OLD: 401,
  TIMESTAMP_IN_FUTURE: 401,
  IP_NOT_ALLOWED: 403,
  METHOD_NOT_ALLOWED: 405,
  IN_PROGRESS: 409,
  PAYLOAD_TOO_LARGE: 413,
  KEY_REUSED: 422,
  HANDLER_FAILED: 500,
  BODY_ALREADY_PARSED: 500,
  INTERNAL_ERROR: 500,
  STORE_UNAVAILABLE: 503,
  QUEUE_UNAVAILABLE: 503,
} as const;

/** A machine-readable error code, e.g. `"INVALID_SIGNATURE"`. */
export type ErrorCode = keyof typeof ERROR_STATUS;

type CodeOf<T extends ErrorCode> = T;

/** One schema problem of an `INVALID_PAYLOAD` error: where it is and what is wrong, never the value. */
export interface PayloadIssue {
  path: (string | number)[];
  code: string;
  message: string;
}

/**
 * Base class of every error tradehook raises for a delivery.
 *
 * `code` and `status` are fixed at construction; `message` is safe to send back to the sender
 * (it never holds a secret, an expected signature or a handler's own error text).
 *
 * @example
 * ```ts
 * try {
 *   await receiver.verify(delivery);
 * } catch (error) {
 *   if (isWebhookError(error)) console.log(error.status, error.code, error.message);
 * }
 * ```
 */
export class WebhookError extends Error {
  override name: string = "WebhookError";
  readonly code: ErrorCode;
  readonly status: number;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.status = ERROR_STATUS[code];
  }
}

/** 401: the signature or token is missing or does not match any configured secret. */
export class SignatureError extends WebhookError {
  override name = "SignatureError" as const;
  declare readonly code: CodeOf<"MISSING_SIGNATURE" | "INVALID_SIGNATURE" | "MISSING_TOKEN" | "INVALID_TOKEN">;
  constructor(
    code: "MISSING_SIGNATURE" | "INVALID_SIGNATURE" | "MISSING_TOKEN" | "INVALID_TOKEN",
    message: string,
  ) {
    super(code, message);
  }
}

/** 401: the delivery's timestamp is missing, malformed, or outside the tolerance window. */
export class TimestampError extends WebhookError {
  override name = "TimestampError" as const;
  declare readonly code: CodeOf<"MISSING_TIMESTAMP" | "TIMESTAMP_INVALID" | "TIMESTAMP_TOO_OLD" | "TIMESTAMP_IN_FUTURE">;
  constructor(
    code: "MISSING_TIMESTAMP" | "TIMESTAMP_INVALID" | "TIMESTAMP_TOO_OLD" | "TIMESTAMP_IN_FUTURE",
    message: string,
  ) {
    super(code, message);
  }
}

/** 400: the authenticated body is not valid JSON, fails its event schema, or names an unknown event. */
export class PayloadError extends WebhookError {
  override name = "PayloadError" as const;
  declare readonly code: CodeOf<"INVALID_JSON" | "INVALID_PAYLOAD" | "UNKNOWN_EVENT" | "EVENT_MISMATCH">;
  /** The schema's issues, for `INVALID_PAYLOAD`: paths and messages, never the offending values. */
  readonly issues: PayloadIssue[] | undefined;
  constructor(
    code: "INVALID_JSON" | "INVALID_PAYLOAD" | "UNKNOWN_EVENT" | "EVENT_MISMATCH",
    message: string,
    issues?: PayloadIssue[],
  ) {
    super(code, message);
    this.issues = issues;
  }
}

/** 413: the body is larger than `maxBodyBytes`. */
export class PayloadTooLargeError extends WebhookError {
  override name = "PayloadTooLargeError" as const;
  declare readonly code: "PAYLOAD_TOO_LARGE";
  constructor(limit: number) {
    super("PAYLOAD_TOO_LARGE", `body is larger than the ${limit}-byte limit (maxBodyBytes)`);
  }
}

/** 403: the client address is not in `allowIps`. */
export class SourceError extends WebhookError {
  override name = "SourceError" as const;
  declare readonly code: "IP_NOT_ALLOWED";
  constructor(message: string) {
    super("IP_NOT_ALLOWED", message);
  }
}

/** 405: the request is not a POST. */
export class MethodNotAllowedError extends WebhookError {
  override name = "MethodNotAllowedError" as const;
  declare readonly code: "METHOD_NOT_ALLOWED";
  constructor(method: string) {
    super("METHOD_NOT_ALLOWED", `method ${printable(method, 16)} is not allowed; webhooks are delivered with POST`);
  }
}

/** 409 or 422: the delivery key is being processed right now, or was seen with another body. */
export class IdempotencyError extends WebhookError {
  override name = "IdempotencyError" as const;
  declare readonly code: "IN_PROGRESS" | "KEY_REUSED";
  constructor(code: "IN_PROGRESS" | "KEY_REUSED", message: string) {
    super(code, message);
  }
}

/** 503: the idempotency store could not be reached, so no handler ran. */
export class StoreError extends WebhookError {
  override name = "StoreError" as const;
  declare readonly code: "STORE_UNAVAILABLE";
  constructor(message: string, options?: { cause?: unknown }) {
    super("STORE_UNAVAILABLE", message, options);
  }
}

/** 503: the receiver's queue could not store the event, so nothing was acknowledged and the claim was released. */
export class QueueError extends WebhookError {
  override name = "QueueError" as const;
  declare readonly code: "QUEUE_UNAVAILABLE";
  constructor(message: string, options?: { cause?: unknown }) {
    super("QUEUE_UNAVAILABLE", message, options);
  }
}

/** 500: a handler threw. The handler's own error is `cause`; it never reaches the response. */
export class HandlerError extends WebhookError {
  override name = "HandlerError" as const;
  declare readonly code: "HANDLER_FAILED";
  constructor(eventType: string, options?: { cause?: unknown }) {
    super("HANDLER_FAILED", `a handler for ${printable(eventType, 64)} failed; the delivery was not marked done, so a retry will run it again`, options);
  }
}

/** 500: the framework is set up so that the exact raw body cannot be read (e.g. a JSON parser ran first). */
export class SetupError extends WebhookError {
  override name = "SetupError" as const;
  declare readonly code: "BODY_ALREADY_PARSED";
  constructor(message: string) {
    super("BODY_ALREADY_PARSED", message);
  }
}

const NAMES = new Set([
  "WebhookError",
  "SignatureError",
  "TimestampError",
  "PayloadError",
  "PayloadTooLargeError",
  "SourceError",
  "MethodNotAllowedError",
  "IdempotencyError",
  "StoreError",
  "QueueError",
  "HandlerError",
  "SetupError",
]);

/**
 * Whether `value` is a tradehook `WebhookError`. Matches on `name`, `code` and `status`,
 * so it also works across realms and duplicate installs where `instanceof` fails.
 *
 * @example
 * ```ts
 * if (isWebhookError(error) && error.status === 401) alertSecurityTeam(error.code);
 * ```
 */
export function isWebhookError(value: unknown): value is WebhookError {
  if (typeof value !== "object" || value === null) return false;
  const v = value as { name?: unknown; code?: unknown; status?: unknown };
  return (
    typeof v.name === "string" &&
    NAMES.has(v.name) &&
    typeof v.code === "string" &&
    Object.hasOwn(ERROR_STATUS, v.code) &&
    typeof v.status === "number"
  );
}

/** Quotes an attacker-controlled string for a message: bounded length, control characters escaped. */
export function printable(value: string, max = 64): string {
  const cut = value.length > max ? `${value.slice(0, max)}…` : value;
  return JSON.stringify(cut);
}
