/** @module The inspector's memory: the last 500 deliveries, bodies within a byte budget, and the Server-Sent Events streams that watch them. */
import { randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import type { DeliveryRecord } from "../cli/server.js";
import type { Diagnosis } from "./diagnosis.js";

/** How many deliveries are kept (and shown). */
export const KEEP_DELIVERIES = 500;
/** The largest body kept whole; a larger one is listed, not replayable. */
export const KEEP_BODY_BYTES = 1024 * 1024;
/** All kept bodies together; past it the oldest bodies are dropped first. */
export const KEEP_TOTAL_BYTES = 32 * 1024 * 1024;
/** A watcher this far behind is disconnected; its EventSource reconnects and catches up. */
const MAX_BACKLOG_BYTES = 1024 * 1024;
/** Open pages at once; each holds one stream. */
export const MAX_WATCHERS = 32;
/** The largest response body kept (an INVALID_PAYLOAD answer lists schema issues). */
const KEEP_RESPONSE_CHARS = 64 * 1024;

/** Signature, freshness and duplicate badges of a delivery. */
export interface Badges {
  signature: "valid" | "invalid" | "missing" | "unchecked";
  freshness: "fresh" | "stale" | "future" | "missing" | "invalid" | "none" | "unchecked";
  duplicate: "new" | "duplicate" | "reused" | "in-progress" | "unchecked";
}

/** One row of the list, as sent to the page: the record's own fields, plus what the page shows of the rest. */
export interface Summary extends Pick<DeliveryRecord, "path" | "status" | "outcome" | "message" | "type" | "id" | "ms"> {
  seq: number;
  time: number;
  method: string;
  bytes: number;
  badges: Badges;
  forward: number | "failed" | undefined;
  via: string | undefined;
}

/** A kept delivery. */
export interface Entry {
  seq: number;
  record: DeliveryRecord;
  /** The exact body, or `undefined` when it was too large to keep or was dropped for the budget. */
  body: Uint8Array | undefined;
  summary: Summary;
  diagnosis?: Promise<Diagnosis>;
}

const SIGNATURE: Record<string, Badges["signature"]> = {
  MISSING_SIGNATURE: "missing", MISSING_TOKEN: "missing", INVALID_SIGNATURE: "invalid", INVALID_TOKEN: "invalid",
};
const UNCHECKED = new Set(["NOT_FOUND", "METHOD_NOT_ALLOWED", "PAYLOAD_TOO_LARGE", "IP_NOT_ALLOWED", "INTERNAL_ERROR"]);
const FRESHNESS: Record<string, Badges["freshness"]> = {
  TIMESTAMP_TOO_OLD: "stale", TIMESTAMP_IN_FUTURE: "future", MISSING_TIMESTAMP: "missing", TIMESTAMP_INVALID: "invalid",
};
const DUPLICATE: Record<string, Badges["duplicate"]> = { duplicate: "duplicate", KEY_REUSED: "reused", IN_PROGRESS: "in-progress" };

/** The badges a record earns, from how far it got through the pipeline. */
export function badgesOf(record: DeliveryRecord): Badges {
  const signature = SIGNATURE[record.outcome] ?? (UNCHECKED.has(record.outcome) ? "unchecked" : "valid");
  const freshness = FRESHNESS[record.outcome] ?? (signature !== "valid" || record.id === undefined ? "unchecked" : record.timestamp ? "fresh" : "none");
  const duplicate = DUPLICATE[record.outcome] ?? (record.id === undefined ? "unchecked" : "new");
  return { signature, freshness, duplicate };
}

function summarize(seq: number, record: DeliveryRecord): Summary {
  return {
    seq,
    time: record.time.getTime(),
    method: record.request?.method ?? "POST",
    path: record.path,
    status: record.status,
    outcome: record.outcome,
    message: record.message === undefined ? undefined : record.message.slice(0, 300),
    type: record.type === undefined ? undefined : record.type.slice(0, 200),
    id: record.id === undefined ? undefined : record.id.slice(0, 200),
    ms: Math.round(record.ms * 10) / 10,
    bytes: record.request?.body.byteLength ?? 0,
    badges: badgesOf(record),
    forward: record.forward ? (record.forward.status ?? "failed") : undefined,
    via: record.via,
  };
}

/** The last {@link KEEP_DELIVERIES} deliveries and the pages watching them. */
export class Journal {
  readonly #entries: Entry[] = [];
  readonly #watchers = new Set<ServerResponse>();
  /** Tells a page that reconnects whether it still talks to the same listener. */
  readonly #run = randomUUID();
  #seq = 0;
  #bodyBytes = 0;

  /** Records a delivery and tells every watcher. */
  add(record: DeliveryRecord): Entry {
    const seq = ++this.#seq;
    const bytes = record.request?.body;
    const body = bytes && bytes.byteLength <= KEEP_BODY_BYTES ? bytes : undefined;
    const summary = summarize(seq, record);
    if (record.response && record.response.body.length > KEEP_RESPONSE_CHARS) {
      record.response = { ...record.response, body: `${record.response.body.slice(0, KEEP_RESPONSE_CHARS)}… (cut)` };
    }
    // A body too large to keep is cut to what the page shows; subarray would pin the whole buffer.
    if (record.request && body === undefined) record.request = { ...record.request, body: (bytes ?? new Uint8Array(0)).slice(0, 64 * 1024) };
    const entry: Entry = { seq, record, body, summary };
    this.#entries.push(entry);
    this.#bodyBytes += body?.byteLength ?? 0;
    while (this.#entries.length > KEEP_DELIVERIES) this.#bodyBytes -= this.#entries.shift()!.body?.byteLength ?? 0;
    for (let i = 0; this.#bodyBytes > KEEP_TOTAL_BYTES && i < this.#entries.length; i++) {
      const old = this.#entries[i]!;
      if (old.body === undefined) continue;
      this.#bodyBytes -= old.body.byteLength;
      old.body = undefined;
      if (old.record.request) old.record.request = { ...old.record.request, body: new Uint8Array(0) };
    }
    const message = `id: ${seq}\nevent: delivery\ndata: ${JSON.stringify(entry.summary)}\n\n`;
    for (const watcher of this.#watchers) this.#send(watcher, message);
    return entry;
  }

  /** A kept delivery by its number. */
  get(seq: number): Entry | undefined {
    const first = this.#entries[0];
    if (!first) return undefined;
    return this.#entries[seq - first.seq];
  }

  /** How many deliveries are kept now. */
  get size(): number {
    return this.#entries.length;
  }

  /** Total bytes of the bodies kept now. */
  get bodyBytes(): number {
    return this.#bodyBytes;
  }

  /** Streams the kept deliveries after `after` and then every new one, as Server-Sent Events. */
  watch(res: ServerResponse, after: number): void {
    if (this.#watchers.size >= MAX_WATCHERS) {
      res.writeHead(503, { "content-type": "text/plain; charset=utf-8", "retry-after": "5" });
      res.end(`at most ${MAX_WATCHERS} inspector pages at once: close one`);
      return;
    }
    // A page that remembers a later delivery than exist talks to a restarted listener: send it all.
    const from = after > this.#seq ? 0 : after;
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    });
    res.write(`retry: 1000\nevent: hello\ndata: ${JSON.stringify({ run: this.#run })}\n\n`);
    for (const entry of this.#entries) {
      if (entry.seq > from) this.#send(res, `id: ${entry.seq}\nevent: delivery\ndata: ${JSON.stringify(entry.summary)}\n\n`);
    }
    this.#watchers.add(res);
    res.on("close", () => this.#watchers.delete(res));
  }

  #send(res: ServerResponse, message: string): void {
    if (res.writableLength > MAX_BACKLOG_BYTES) {
      this.#watchers.delete(res);
      res.destroy();
      return;
    }
    res.write(message);
  }

  /** Ends every stream (the server is stopping). */
  close(): void {
    for (const watcher of this.#watchers) watcher.end();
    this.#watchers.clear();
  }
}
