/**
 * @module The fetch cases every runtime answers (valid, duplicate, forged, stale, GET, oversized), one list for all of them.
 */
import { apindicators } from "../../src/index.js";
import { signDelivery } from "../../src/testing/index.js";

/** The secret the runtimes' receivers are given (APINDICATORS_SECRET). */
export const SECRET = "runtime-matrix-secret";

/** One request, as plain data, so it crosses into any runtime as JSON. */
export interface FetchCase {
  name: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  expected: { status: number; outcome?: string; code?: string };
}

/** What a runtime answered to one case. */
export interface FetchAnswer {
  name: string;
  status: number;
  body: string;
}

const SIGNAL = { event: "signal.buy", data: { pair: "BTCUSDT", side: "buy", score: 0.9, market_type: "trending", interval: "1h" } };

/** The handler's log line in the README snippets: it must appear once after valid + duplicate. */
export const HANDLER_LINE = "buy BTCUSDT 0.9";

/** The six cases, in order (the duplicate repeats the valid delivery), signed against `nowSeconds`. */
export function buildCases(nowSeconds = Math.floor(Date.now() / 1000)): FetchCase[] {
  const provider = apindicators({ secret: SECRET });
  const valid = signDelivery(provider, SIGNAL, { timestamp: nowSeconds });
  const forged = signDelivery(provider, SIGNAL, { timestamp: nowSeconds, secret: "not-the-secret" });
  const stale = signDelivery(provider, SIGNAL, { timestamp: nowSeconds - 3600 });
  return [
    { name: "valid", method: "POST", headers: valid.headers, body: valid.body, expected: { status: 200, outcome: "processed" } },
    { name: "duplicate", method: "POST", headers: valid.headers, body: valid.body, expected: { status: 200, outcome: "duplicate" } },
    { name: "forged", method: "POST", headers: forged.headers, body: forged.body, expected: { status: 401, code: "INVALID_SIGNATURE" } },
    { name: "stale", method: "POST", headers: stale.headers, body: stale.body, expected: { status: 401, code: "TIMESTAMP_TOO_OLD" } },
    { name: "GET", method: "GET", headers: {}, expected: { status: 405, code: "METHOD_NOT_ALLOWED" } },
    {
      name: "oversized",
      method: "POST",
      headers: valid.headers,
      body: `{"pad":"${"x".repeat(1_048_576)}"}`,
      expected: { status: 413, code: "PAYLOAD_TOO_LARGE" },
    },
  ];
}

/** Sends the cases one after another to a server at `origin`. */
export async function sendCases(origin: string, cases: readonly FetchCase[]): Promise<FetchAnswer[]> {
  const answers: FetchAnswer[] = [];
  for (const c of cases) {
    const response = await fetch(`${origin}/webhooks/apindicators`, { method: c.method, headers: c.headers, body: c.body });
    answers.push({ name: c.name, status: response.status, body: await response.text() });
  }
  return answers;
}

/** Each answer's status and its outcome or error code, next to what each case expects. */
export function summarize(cases: readonly FetchCase[], answers: readonly FetchAnswer[]) {
  const got = answers.map((a) => {
    const body = JSON.parse(a.body) as { outcome?: string; error?: { code?: string } };
    return { name: a.name, status: a.status, ...(body.outcome ? { outcome: body.outcome } : { code: body.error?.code }) };
  });
  const expected = cases.map((c) => ({ name: c.name, ...c.expected }));
  return { got, expected };
}
