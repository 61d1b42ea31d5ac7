/** @module The inspector's HTTP glue: serves the page, its assets, the live stream and the per-delivery API on `tradehook listen`'s port, loopback only. */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { CliProvider } from "../cli/provider-options.js";
import type { DeliveryRecord, RunningServer } from "../cli/server.js";
import { ASSETS } from "./assets.js";
import { diagnoseRecord } from "./diagnosis.js";
import { JobsView, type JobsSource } from "./jobs.js";
import { type Entry, Journal, KEEP_DELIVERIES } from "./journal.js";
import { curlCommand, fixture, headerPairs, Redactor, viewBody } from "./present.js";
import { freshCopy } from "./resign.js";

/** What the inspector needs to know about the listener. */
export interface InspectorOptions {
  cli: CliProvider;
  /** Freshness window in seconds, as the receiver applies it. */
  tolerance: number;
  /** The webhook path, e.g. `/webhook`. */
  path: string;
  /** With `--queue`: the BullMQ queue the Jobs view reads and repairs. */
  jobs?: JobsSource | undefined;
}

/** The inspector of one `tradehook listen`. */
export interface Inspector {
  /** Answers the page's own requests; false for everything else (the webhook routes). */
  intercept(req: IncomingMessage, res: ServerResponse): boolean;
  /** Records a delivery. */
  record(record: DeliveryRecord): void;
  /** Gives the inspector the running server, for replays. */
  attach(server: RunningServer): void;
  close(): Promise<void>;
}

/** Whether an address to bind is loopback: the page is served only there. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || /^::ffff:127\./.test(h);
}

const PREFIX = "/_tradehook/";
const SECURITY_HEADERS = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
};
const PAGE_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function send(res: ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, "content-type": type, ...extra });
  res.end(body);
}

function json(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, "application/json; charset=utf-8", JSON.stringify(value));
}

function fail(res: ServerResponse, status: number, message: string): void {
  json(res, status, { ok: false, error: { message } });
}

/** Whether every byte of the request is kept (an oversized body is never read past the cap). */
function complete(entry: Entry): boolean {
  return entry.body !== undefined && entry.record.outcome !== "PAYLOAD_TOO_LARGE";
}

/** Whether a replay can reach a receiver: the whole body is kept and a webhook path took it. */
function sendable(entry: Entry): boolean {
  return complete(entry) && entry.record.request !== undefined && entry.record.provider !== undefined;
}

function whyNotSendable(entry: Entry): string {
  if (entry.record.outcome === "PAYLOAD_TOO_LARGE") return "its body was not read past the size cap";
  if (entry.body === undefined) return "its body is no longer kept (bodies over 1 MiB, or past 32 MiB in all, are dropped)";
  return "it reached no webhook path";
}

/** Creates the inspector; `listen` mounts it on its server when bound to loopback. */
export function createInspector(options: InspectorOptions): Inspector {
  const { cli, tolerance } = options;
  const journal = new Journal();
  const redact = new Redactor(cli.secrets, cli.scheme.signatureHeader);
  const entries = new WeakMap<DeliveryRecord, Entry>();
  let server: RunningServer | undefined;
  const jobs = options.jobs ? new JobsView(options.jobs, redact) : undefined;

  function detail(entry: Entry): Promise<unknown> {
    const { record, body } = entry;
    entry.diagnosis ??= diagnoseRecord(cli, tolerance, record, body).catch((error: unknown) => ({
      verdict: "not checked" as const,
      headline: "diagnosis failed",
      findings: [{ title: "error", detail: String((error as Error)?.message ?? error) }],
    }));
    return entry.diagnosis.then((diagnosis) => {
      const request = record.request;
      const bytes = body ?? request?.body ?? new Uint8Array(0);
      return {
        summary: entry.summary,
        provider: record.provider,
        request: request && {
          method: request.method,
          url: redact.url(request.url),
          headers: headerPairs(request.rawHeaders).map(([name, value]) => [name, redact.header(name, value)]),
          body: viewBody(bytes, redact, body !== undefined),
        },
        response: record.response && {
          status: record.status,
          headers: Object.entries(record.response.headers),
          body: redact.text(record.response.body),
        },
        forward: record.forward,
        diagnosis,
        actions: { replay: sendable(entry), fresh: sendable(entry), export: complete(entry) },
      };
    });
  }

  async function act(res: ServerResponse, entry: Entry, action: "replay" | "fresh"): Promise<void> {
    const request = entry.record.request;
    if (!server || !request || entry.body === undefined || !sendable(entry)) {
      return fail(res, 409, `#${entry.seq} cannot be sent again: ${whyNotSendable(entry)}`);
    }
    const copy = action === "replay" ? { ...request, body: entry.body } : freshCopy(cli, request, entry.body);
    if (typeof copy === "string") return fail(res, 422, copy);
    const record = await server.inject(copy, `${action === "replay" ? "replay" : "fresh copy"} of #${entry.seq}`);
    const created = entries.get(record);
    json(res, 200, { ok: true, seq: created?.seq, status: record.status, outcome: record.outcome, body: redact.text(record.response?.body ?? "") });
  }

  async function api(req: IncomingMessage, res: ServerResponse, route: string): Promise<void> {
    const method = (req.method ?? "GET").toUpperCase();
    if (route === "api/events" && method === "GET") {
      const last = Number(req.headers["last-event-id"] ?? new URL(req.url ?? "/", "http://x").searchParams.get("after") ?? 0);
      return journal.watch(res, Number.isSafeInteger(last) ? last : 0);
    }
    if (route === "api/config" && method === "GET") {
      return json(res, 200, { provider: cli.name, path: options.path, keep: KEEP_DELIVERIES, tolerance, jobs: jobs?.config ?? null });
    }
    if (route === "api/jobs" || route.startsWith("api/jobs/")) return jobsApi(res, method, route);
    const match = /^api\/deliveries\/(\d{1,12})(?:\/(curl|fixture|replay|fresh))?$/.exec(route);
    if (!match) return fail(res, 404, `no inspector resource at ${PREFIX}${route}`);
    const entry = journal.get(Number(match[1]));
    if (!entry) return fail(res, 404, `delivery #${match[1]} is not kept (the inspector keeps the last ${KEEP_DELIVERIES})`);
    const action = match[2];
    if (action === "replay" || action === "fresh") {
      if (method !== "POST") return fail(res, 405, `${action} takes POST`);
      return act(res, entry, action);
    }
    if (method !== "GET") return fail(res, 405, "GET only");
    const request = entry.record.request;
    if (action === "curl" || action === "fixture") {
      if (!request || !server || !complete(entry)) return fail(res, 409, `#${entry.seq} cannot be exported: ${whyNotSendable(entry)}`);
      const exact = { ...request, body: entry.body ?? request.body };
      if (action === "curl") return send(res, 200, "text/plain; charset=utf-8", curlCommand(server.origin, exact));
      const response = entry.record.response && { status: entry.record.status, body: entry.record.response.body };
      return send(res, 200, "application/json; charset=utf-8", fixture(entry.record.provider, entry.record.time, exact, response), {
        "content-disposition": `attachment; filename="tradehook-delivery-${entry.seq}.json"`,
      });
    }
    return json(res, 200, await detail(entry));
  }

  async function jobsApi(res: ServerResponse, method: string, route: string): Promise<void> {
    if (!jobs) return fail(res, 404, "the Jobs view needs a queue: tradehook listen --queue <redis url> [--queue-name <name>]");
    let answer;
    if (route === "api/jobs") {
      if (method !== "GET") return fail(res, 405, "GET only");
      answer = await jobs.snapshot();
    } else if (route === "api/jobs/retry-failed") {
      if (method !== "POST") return fail(res, 405, "retry-failed takes POST");
      answer = await jobs.retryAll();
    } else {
      const match = /^api\/jobs\/([^/]{1,256})\/retry$/.exec(route);
      if (!match) return fail(res, 404, `no inspector resource at ${PREFIX}${route}`);
      if (method !== "POST") return fail(res, 405, "retry takes POST");
      let id: string;
      try {
        id = decodeURIComponent(match[1]!);
      } catch {
        return fail(res, 400, "the job id is not valid percent-encoding");
      }
      answer = await jobs.retry(id);
    }
    json(res, answer.status, answer.body);
  }

  function allowed(req: IncomingMessage): string | undefined {
    // DNS rebinding: a page from another site resolving its name to 127.0.0.1 still sends its own Host.
    const host = req.headers.host ?? "";
    const name = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.split(":")[0]!;
    if (!isLoopback(name)) return "the inspector answers only requests addressed to a loopback host";
    if ((req.method ?? "GET").toUpperCase() === "GET" || req.method === "HEAD") return undefined;
    // Another site's form or fetch cannot set this header without a preflight the inspector never grants.
    if (req.headers["x-tradehook-inspector"] !== "1") return "inspector actions need the X-Tradehook-Inspector: 1 header";
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${host}`) return "inspector actions are accepted from the inspector's own page only";
    return undefined;
  }

  return {
    intercept(req, res) {
      const url = req.url ?? "/";
      const path = url.split("?")[0]!;
      const method = (req.method ?? "GET").toUpperCase();
      const page = path === "/" && (method === "GET" || method === "HEAD");
      if (!page && !path.startsWith(PREFIX)) return false;
      req.resume();
      const refused = allowed(req);
      if (refused) {
        fail(res, 403, refused);
        return true;
      }
      if (page) {
        send(res, 200, "text/html; charset=utf-8", ASSETS.html, { "content-security-policy": PAGE_POLICY });
        return true;
      }
      const route = path.slice(PREFIX.length);
      if (route === "app.js") send(res, 200, "text/javascript; charset=utf-8", ASSETS.js);
      else if (route === "app.css") send(res, 200, "text/css; charset=utf-8", ASSETS.css);
      else if (route === "icon.svg") send(res, 200, "image/svg+xml", ASSETS.icon);
      else {
        api(req, res, route).catch((error: unknown) => {
          if (!res.headersSent) fail(res, 500, `the inspector failed: ${String((error as Error)?.message ?? error)}`);
          else res.end();
        });
      }
      return true;
    },
    record(record) {
      entries.set(record, journal.add(record));
    },
    attach(running) {
      server = running;
    },
    async close() {
      journal.close();
      await jobs?.close();
    },
  };
}
