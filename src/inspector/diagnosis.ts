/** @module The diagnosis the inspector shows for one delivery: what `tradehook verify` would say about the same bytes and headers, plus what the live receiver decided (freshness, duplicate). */
import { AUTHENTICITY_CODES, attempt, type CapturedHeaders, diagnose, explainNoMatch } from "../cli/diagnose.js";
import { formatAge } from "../cli/format.js";
import type { CliProvider } from "../cli/provider-options.js";
import type { DeliveryRecord } from "../cli/server.js";
import { headerPairs } from "./present.js";

/** One line of a diagnosis: a short title and what it means. */
export interface Finding {
  title: string;
  detail: string;
}

/** What the page shows under "Diagnosis". */
export interface Diagnosis {
  /** `verified` when the signature (or token) is right, whatever happened next; the page says "authentic". */
  verdict: "verified" | "not verified" | "not checked";
  /** The first line: the code or the event. */
  headline: string;
  findings: Finding[];
}

/** Codes answered before authenticity is checked: nothing to diagnose about the signature. */
const BEFORE_AUTHENTICITY = new Set(["NOT_FOUND", "METHOD_NOT_ALLOWED", "PAYLOAD_TOO_LARGE", "IP_NOT_ALLOWED", "INTERNAL_ERROR"]);

/** Headers by name, several values kept, as `verify` takes them. */
export function capturedHeaders(rawHeaders: readonly string[]): CapturedHeaders {
  const headers: CapturedHeaders = {};
  for (const [name, value] of headerPairs(rawHeaders)) {
    const key = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase()) ?? name;
    (headers[key] ??= []).push(value);
  }
  return headers;
}

function hasHeader(headers: CapturedHeaders, name: string | undefined): boolean {
  return name !== undefined && Object.keys(headers).some((k) => k.toLowerCase() === name.toLowerCase());
}

const AFTER: Record<string, Finding> = {
  duplicate: { title: "duplicate", detail: "this delivery key was already processed: the receiver answered 200 and ran no handler again. Senders retry, so this is expected." },
  KEY_REUSED: { title: "key reused", detail: "a delivery with this id but another body was processed before: no handler runs (422). The sender reused an id, or the body was altered." },
  IN_PROGRESS: { title: "in progress", detail: "the same delivery is still being handled: the receiver answered 409 with Retry-After so the sender tries again later." },
  HANDLER_FAILED: { title: "handler failed", detail: "a handler threw (with --forward: your app did not answer 2xx); the claim was released, so the sender's retry runs again." },
  ignored: { title: "ignored", detail: "valid, but no handler for this event type (or a type outside the provider's catalogue): answered 200." },
};

/**
 * Diagnoses a delivery from its kept bytes. `body` is `undefined` when the bytes were not kept
 * (too large, or evicted to bound memory).
 */
export async function diagnoseRecord(cli: CliProvider, tolerance: number, record: DeliveryRecord, body: Uint8Array | undefined): Promise<Diagnosis> {
  if (BEFORE_AUTHENTICITY.has(record.outcome)) {
    return { verdict: "not checked", headline: record.outcome, findings: [{ title: "refused before the signature check", detail: record.message ?? "" }] };
  }
  if (body === undefined || record.request === undefined) {
    return { verdict: "not checked", headline: record.outcome, findings: [{ title: "body not kept", detail: "the inspector keeps bodies up to 1 MiB and 32 MiB in all; this one is gone, so it cannot be re-checked." }] };
  }
  const headers = capturedHeaders(record.request.rawHeaders);
  const url = record.request.url;
  const result = await attempt(cli.build(cli.secrets), { body, headers, method: "POST", url });
  const findings: Finding[] = [];
  if (result.event) {
    const event = result.event;
    findings.push({ title: "signature", detail: cli.name === "tradingview" ? "the token matches the listener's secret." : `${cli.scheme.signatureHeader} matches the body for the listener's secret.` });
    if (event.timestamp) {
      const age = (record.time.getTime() - event.timestamp.getTime()) / 1000;
      const when = age >= 0 ? `${formatAge(age)} old` : `${formatAge(age)} in the future`;
      const stale = Math.abs(age) > tolerance;
      findings.push({
        title: stale ? "stale timestamp" : "timestamp",
        detail: stale
          ? `the timestamp was ${when} when it arrived (tolerance ${tolerance} s): a replayed or late delivery, or a clock that is off. Send a fresh copy to check the rest.`
          : `${event.timestamp.toISOString().replace(".000Z", "Z")}, ${when} when it arrived (tolerance ${tolerance} s).`,
      });
    } else {
      findings.push({ title: "timestamp", detail: "none in this delivery: freshness cannot be checked for it." });
    }
    const after = AFTER[record.outcome];
    if (after) findings.push(after);
    const answered = record.status >= 300 ? `, refused with ${record.status} ${record.outcome}` : "";
    return { verdict: "verified", headline: `${cli.name} ${event.type}${answered}`, findings };
  }
  const error = result.error;
  findings.push({ title: `the receiver answered ${error.status} ${error.code}`, detail: error.message });
  if (!AUTHENTICITY_CODES.has(error.code)) {
    if (error.status === 400) findings.push({ title: "payload", detail: "the signature is valid, but a receiver rejects the payload (400)." });
    else if (error.status === 401) findings.push({ title: "signature", detail: "the signature is valid; the timestamp is what fails." });
    return { verdict: error.status === 400 || error.status === 401 ? "verified" : "not verified", headline: error.code, findings };
  }
  const causes = await diagnose(cli, body, headers, url);
  if (causes) {
    for (const cause of causes) findings.push({ title: `likely cause: ${cause.title}`, detail: cause.detail });
  } else {
    const cause = explainNoMatch(cli, error, headers, hasHeader(headers, cli.scheme.signatureHeader), "request");
    findings.push({ title: `likely cause: ${cause.title}`, detail: cause.detail });
  }
  return { verdict: "not verified", headline: error.code, findings };
}
