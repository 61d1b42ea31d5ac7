/** @module What the inspector shows of a request (masked signatures, tokens and secrets; bodies as JSON, text or hex) and what it exports (curl with the exact bytes, JSON fixtures). */
import type { CapturedRequest } from "../cli/server.js";

/** Header names whose values are credentials: shown only up to 8 characters. */
const SENSITIVE_HEADER = /sig|token|secret|auth|key|hmac|cookie|passphrase|password/i;
/** JSON fields that carry a token (TradingView's `passphrase`), masked in a displayed body. */
const SENSITIVE_FIELD = /"(passphrase|token|secret|password|api_?key)"(\s*:\s*)"((?:[^"\\]|\\.)*)"/gi;
/** What a displayed body is cut to; the whole body is still replayed and exported. */
export const DISPLAY_BYTES = 256 * 1024;

/** Shows the first 8 characters of a credential (fewer for a short one) and its length, never the rest. */
export function maskValue(value: string): string {
  const keep = Math.min(8, Math.floor(value.length / 2));
  return `${value.slice(0, keep)}… (${value.length} chars, masked)`;
}

/** Hides what must never be shown: configured secrets anywhere in a text, credential fields in JSON. */
export class Redactor {
  readonly #secrets: string[];
  readonly #signatureHeader: string | undefined;

  constructor(secrets: readonly string[], signatureHeader: string | undefined) {
    // Longest first, so a secret containing another is hidden whole.
    this.#secrets = secrets.filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
    this.#signatureHeader = signatureHeader?.toLowerCase();
  }

  /** Replaces every configured secret in `text`. */
  text(text: string): string {
    let out = text;
    for (const secret of this.#secrets) out = out.split(secret).join("‹secret›");
    return out;
  }

  /** A header's value as displayed. */
  header(name: string, value: string): string {
    const lower = name.toLowerCase();
    if (lower === this.#signatureHeader || SENSITIVE_HEADER.test(lower)) return maskValue(this.text(value));
    return this.text(value);
  }

  /** A path and query as displayed: a `token` (or any credential-like) query value masked. */
  url(url: string): string {
    const [path, query] = splitOnce(url, "?");
    if (query === undefined) return this.text(url);
    const params = query.split("&").map((pair) => {
      const [name, value] = splitOnce(pair, "=");
      if (value === undefined || !SENSITIVE_HEADER.test(name)) return pair;
      return `${name}=${maskValue(safeDecode(value))}`;
    });
    return this.text(`${path}?${params.join("&")}`);
  }

  /** A body's text as displayed: credential fields masked, secrets removed. */
  body(text: string): string {
    return this.text(text.replace(SENSITIVE_FIELD, (_, field: string, colon: string, value: string) => `"${field}"${colon}"${maskValue(value)}"`));
  }
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, " "));
  } catch {
    return value;
  }
}

/** A body as the detail view shows it. */
export interface BodyView {
  kind: "empty" | "json" | "text" | "binary";
  bytes: number;
  /** The raw text (UTF-8 bodies) or a hex dump (others), masked, cut to {@link DISPLAY_BYTES}. */
  raw: string;
  /** Indented JSON, for JSON bodies. */
  pretty?: string | undefined;
  truncated: boolean;
  /** Why the body is shown as it is, e.g. `not valid UTF-8`. */
  note?: string | undefined;
}

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Decodes UTF-8 strictly; `undefined` when the bytes are not UTF-8. */
export function utf8(bytes: Uint8Array): string | undefined {
  try {
    return decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

// Text a terminal or a page would mangle: control characters other than tab, newline and carriage return.
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** The body as the page shows it: pretty JSON and raw text, or a hex dump of binary bytes. */
export function viewBody(bytes: Uint8Array, redact: Redactor, complete: boolean): BodyView {
  if (bytes.byteLength === 0) return { kind: "empty", bytes: 0, raw: "", truncated: !complete };
  const text = utf8(bytes);
  if (text === undefined || CONTROL.test(text)) {
    const shown = bytes.subarray(0, 4096);
    return {
      kind: "binary",
      bytes: bytes.byteLength,
      raw: hexDump(shown),
      truncated: shown.byteLength < bytes.byteLength || !complete,
      note: text === undefined ? "not valid UTF-8: a receiver answers 400 INVALID_JSON once the signature is checked" : "holds control characters",
    };
  }
  let pretty: string | undefined;
  try {
    pretty = redact.body(JSON.stringify(JSON.parse(text.replace(/^\uFEFF/, "")), null, 2));
  } catch {
    pretty = undefined;
  }
  const raw = redact.body(text);
  const cut = (s: string) => (s.length > DISPLAY_BYTES ? s.slice(0, DISPLAY_BYTES) : s);
  return {
    kind: pretty === undefined ? "text" : "json",
    bytes: bytes.byteLength,
    raw: cut(raw),
    pretty: pretty === undefined ? undefined : cut(pretty),
    truncated: raw.length > DISPLAY_BYTES || (pretty?.length ?? 0) > DISPLAY_BYTES || !complete,
    note: pretty === undefined ? "not JSON" : undefined,
  };
}

/** Sixteen bytes a line: offset, hex, printable ASCII. */
export function hexDump(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let offset = 0; offset < bytes.byteLength; offset += 16) {
    const row = bytes.subarray(offset, offset + 16);
    const hex = [...row].map((b) => b.toString(16).padStart(2, "0")).join(" ");
    const ascii = [...row].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".")).join("");
    lines.push(`${offset.toString(16).padStart(8, "0")}  ${hex.padEnd(47)}  ${ascii}`);
  }
  return lines.join("\n");
}

/** Headers curl must not copy: they belong to one connection, or curl sets them from the body. */
const NOT_COPIED = new Set(["host", "content-length", "connection", "keep-alive", "transfer-encoding", "expect", "te", "trailer", "upgrade", "proxy-connection"]);

/** Quotes a word for bash: single quotes keep every byte but NUL as it is. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** Header pairs from Node's `rawHeaders`. */
export function headerPairs(rawHeaders: readonly string[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) pairs.push([rawHeaders[i]!, rawHeaders[i + 1]!]);
  return pairs;
}

/**
 * A bash command that sends the exact request again: the body through `--data-binary @-`,
 * from `printf '%s'` for plain UTF-8 text, or from base64 for binary bytes (which a clipboard
 * cannot carry).
 */
export function curlCommand(origin: string, request: CapturedRequest): string {
  const pairs = headerPairs(request.rawHeaders).filter(([name]) => !NOT_COPIED.has(name.toLowerCase()));
  const text = utf8(request.body);
  const plain = text !== undefined && !CONTROL.test(text) && !text.includes("\r");
  const source = plain ? `printf '%s' ${shellQuote(text)}` : `printf '%s' ${shellQuote(Buffer.from(request.body).toString("base64"))} | base64 -d`;
  const lines = [`${source} |`, `curl -sS -X ${request.method.toUpperCase()} ${shellQuote(origin + request.url)}`];
  for (const [name, value] of pairs) lines.push(`  -H ${shellQuote(`${name}: ${value}`)}`);
  // curl would add `Content-Type: application/x-www-form-urlencoded` and `Expect: 100-continue`; the sender sent neither.
  if (!pairs.some(([name]) => name.toLowerCase() === "content-type")) lines.push(`  -H 'Content-Type:'`);
  lines.push(`  -H 'Expect:'`, `  --data-binary @- -w '\\n'`);
  return lines.join(" \\\n");
}

/** A delivery as a JSON fixture for a test: exact body (text or base64), headers in order, and the answer. */
export function fixture(provider: string | undefined, time: Date, request: CapturedRequest, response: { status: number; body: string } | undefined): string {
  const text = utf8(request.body);
  let answer: unknown = response?.body;
  try {
    answer = response ? JSON.parse(response.body) : undefined;
  } catch {
    // kept as text
  }
  return `${JSON.stringify(
    {
      provider,
      receivedAt: time.toISOString(),
      method: request.method,
      url: request.url,
      headers: headerPairs(request.rawHeaders),
      ...(text !== undefined ? { body: text } : { bodyBase64: Buffer.from(request.body).toString("base64") }),
      response: response ? { status: response.status, body: answer } : undefined,
    },
    null,
    2,
  )}\n`;
}
