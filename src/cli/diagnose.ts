/** @module Why a captured delivery does not verify: re-runs the receiver on small changes of the capture (body, header, encoding, key) and names the change that makes it verify. */
import type { WebhookError } from "../errors.js";
import type { Provider } from "../providers/provider.js";
import { createReceiver } from "../receiver/index.js";
import type { Delivery, WebhookEvent } from "../types.js";
import type { CliProvider } from "./provider-options.js";

/** A common reason a delivery fails to verify. */
export type CauseKind =
  | "trailing-newline"
  | "byte-order-mark"
  | "reserialised-json"
  | "missing-prefix"
  | "hex-vs-base64"
  | "wrong-header"
  | "whsec-raw"
  | "secret-whitespace";

/** One cause, with the text a person reads. */
export interface Cause {
  kind: CauseKind;
  title: string;
  detail: string;
}

/** Header values by name as captured (names as given; several values per name kept). */
export type CapturedHeaders = Record<string, string[]>;

/** The outcome of one verification attempt. */
export type Attempt = { event: WebhookEvent; error?: undefined } | { event?: undefined; error: WebhookError };

// Authenticity is judged with a window wide enough for any capture: age is reported, not enforced.
const ANY_AGE_SECONDS = 1e11;
const MAX_BODY = 256 * 1024 * 1024;

/** Runs the receiver's verify (steps 1 to 6) on a delivery, with freshness out of the way. */
export async function attempt(provider: Provider, delivery: Delivery): Promise<Attempt> {
  const receiver = createReceiver({ provider, tolerance: ANY_AGE_SECONDS, maxBodyBytes: MAX_BODY, logger: {} });
  try {
    return { event: (await receiver.verify(delivery)) as WebhookEvent };
  } catch (error) {
    return { error: error as WebhookError };
  }
}

/** Errors that say "not authentic", which a change of the capture may explain. */
export const AUTHENTICITY_CODES = new Set(["MISSING_SIGNATURE", "INVALID_SIGNATURE", "MISSING_TOKEN", "INVALID_TOKEN"]);

/** Whether an attempt got past authentication (a later payload error still proves the signature). */
function authentic(result: Attempt): boolean {
  return result.event !== undefined || !AUTHENTICITY_CODES.has(result.error.code);
}

interface Option<T> {
  value: T;
  causes: Cause[];
}

const encoder = new TextEncoder();

function bodyVariants(body: Uint8Array): Option<Uint8Array>[] {
  const out: Option<Uint8Array>[] = [{ value: body, causes: [] }];
  const n = body.length;
  if (n > 0 && body[n - 1] === 0x0a) {
    const cut = n > 1 && body[n - 2] === 0x0d ? 2 : 1;
    out.push({
      value: body.subarray(0, n - cut),
      causes: [{
        kind: "trailing-newline",
        title: "trailing newline",
        detail: `the body ends with ${cut === 2 ? "\\r\\n" : "\\n"} that the sender did not sign (an editor, echo or a copy-paste added it); it verifies without it. Save captured bodies byte for byte (curl --data-binary @file, printf '%s').`,
      }],
    });
  }
  if (n >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) {
    out.push({
      value: body.subarray(3),
      causes: [{ kind: "byte-order-mark", title: "byte-order mark", detail: "the body starts with a UTF-8 BOM that the sender did not sign; it verifies without it." }],
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(body));
  } catch {
    return out;
  }
  const cause: Cause = {
    kind: "reserialised-json",
    title: "re-serialised JSON",
    detail:
      "the signature matches the same JSON with other whitespace or key order: the body was parsed and written out again after it was signed. In an app this means a JSON body parser ran before the receiver, which then saw JSON.stringify(req.body), not the raw bytes: give the webhook route the raw body.",
  };
  for (const text of [JSON.stringify(parsed), JSON.stringify(parsed, null, 2)]) {
    const bytes = encoder.encode(text);
    if (!out.some((o) => sameBytes(o.value, bytes))) out.push({ value: bytes, causes: [cause] });
  }
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const saved = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = saved;
    }
  }
  return row[b.length]!;
}

/** Captured headers other than `expected` whose name looks like a signature header. */
export function similarHeaders(headers: CapturedHeaders, expected: string): string[] {
  const want = expected.toLowerCase();
  return Object.keys(headers)
    .filter((name) => {
      const lower = name.toLowerCase();
      if (lower === want) return false;
      return /sig|hmac|hash|digest/.test(lower) || distance(lower, want) <= 4;
    })
    .slice(0, 6);
}

function findHeader(headers: CapturedHeaders, name: string): string | undefined {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : headers[key]!.join(", ");
}

function withHeader(headers: CapturedHeaders, name: string, value: string): CapturedHeaders {
  const out: CapturedHeaders = {};
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() !== name.toLowerCase()) out[k] = v;
  out[name] = [value];
  return out;
}

/** The signature in the other encoding (hex <-> base64), or `undefined` when it is not one. */
function reencode(signature: string, to: "hex" | "base64"): string | undefined {
  if (to === "hex") {
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(signature) || /^[0-9a-f]+$/.test(signature)) return undefined;
    const bytes = Buffer.from(signature.replace(/-/g, "+").replace(/_/g, "/"), "base64");
    return bytes.length >= 16 ? bytes.toString("hex") : undefined;
  }
  if (!/^[0-9a-fA-F]+$/.test(signature) || signature.length % 2 !== 0) return undefined;
  return Buffer.from(signature, "hex").toString("base64");
}

function signatureFixes(cli: CliProvider, value: string): Option<string>[] {
  const { prefix, encoding, signatureHeader } = cli.scheme;
  const spaced = cli.name === "standard-webhooks";
  const entries = (spaced ? value.split(/\s+/) : value.split(",")).map((e) => e.trim()).filter(Boolean);
  const join = (list: string[]) => list.join(spaced ? " " : ", ");
  const prefixOf = (entry: string) => {
    const known = [prefix, "sha256=", "v1,"].find((p) => p !== undefined && entry.toLowerCase().startsWith(p.toLowerCase()));
    return known === undefined ? "" : entry.slice(0, known.length);
  };
  const out: Option<string>[] = [{ value, causes: [] }];
  const prefixCause: Cause | undefined = prefix
    ? {
        kind: "missing-prefix",
        title: "missing prefix",
        detail: `${signatureHeader} must read ${prefix}<signature>; the signature is right but the ${prefix} prefix is missing.`,
      }
    : undefined;
  const other = encoding === "hex" ? "base64" : "hex";
  const encodingCause: Cause = {
    kind: "hex-vs-base64",
    title: "hex vs base64",
    detail: `the signature is the right HMAC written in ${other}; ${cli.name} sends and expects ${encoding}.`,
  };
  const prefixed = prefix ? entries.map((e) => (prefixOf(e) ? e : prefix + e)) : undefined;
  if (prefixed && prefixCause && join(prefixed) !== join(entries)) out.push({ value: join(prefixed), causes: [prefixCause] });
  const convert = (list: string[]) => {
    let changed = false;
    const converted = list.map((e) => {
      const p = prefixOf(e);
      const again = reencode(e.slice(p.length), encoding);
      if (again === undefined) return e;
      changed = true;
      return p + again;
    });
    return changed ? converted : undefined;
  };
  const converted = convert(entries);
  if (converted) out.push({ value: join(converted), causes: [encodingCause] });
  const both = prefixed && prefixCause ? convert(prefixed) : undefined;
  if (both && join(both) !== join(prefixed!)) out.push({ value: join(both), causes: [prefixCause!, encodingCause] });
  return out;
}

function headerVariants(cli: CliProvider, headers: CapturedHeaders): Option<CapturedHeaders>[] {
  const expected = cli.scheme.signatureHeader;
  if (expected === undefined) return [{ value: headers, causes: [] }];
  const sources: Option<string | undefined>[] = [{ value: findHeader(headers, expected), causes: [] }];
  for (const name of similarHeaders(headers, expected)) {
    sources.push({
      value: findHeader(headers, name),
      causes: [{ kind: "wrong-header", title: "wrong header name", detail: `${name} holds a valid signature, but ${cli.name} reads ${expected}.` }],
    });
  }
  const out: Option<CapturedHeaders>[] = [{ value: headers, causes: [] }];
  for (const source of sources) {
    if (source.value === undefined) continue;
    for (const fix of signatureFixes(cli, source.value)) {
      const causes = [...source.causes, ...fix.causes];
      if (causes.length > 0) out.push({ value: withHeader(headers, expected, fix.value), causes });
    }
  }
  return out;
}

function keyVariants(cli: CliProvider): Option<Provider>[] {
  const out: Option<Provider>[] = [{ value: cli.build(cli.secrets), causes: [] }];
  const tryBuild = (secrets: string[], cause: Cause) => {
    try {
      out.push({ value: cli.build(secrets), causes: [cause] });
    } catch {
      // a variant that is not a valid secret for this provider cannot be what the sender used
    }
  };
  if (cli.secrets.some((s) => s !== s.trim())) {
    tryBuild(cli.secrets.map((s) => s.trim()), {
      kind: "secret-whitespace",
      title: "secret has surrounding whitespace",
      detail: "the signature matches the secret without its leading or trailing whitespace (a copy-paste or a newline from a file).",
    });
  }
  if (cli.name === "standard-webhooks") {
    const raw: Cause = {
      kind: "whsec-raw",
      title: "whsec_ secret used raw",
      detail:
        "the sender used the secret's text as the HMAC key; Standard Webhooks signs with the base64-decoded bytes after whsec_ (as the official libraries do). Fix the sender, or use --provider hmac if it cannot change.",
    };
    // A key of the secret's UTF-8 text, expressed as a whsec_ secret so the same provider code runs.
    const asKey = (text: string) => `whsec_${Buffer.from(text, "utf8").toString("base64")}`;
    tryBuild(cli.secrets.map(asKey), raw);
    if (cli.secrets.some((s) => s.startsWith("whsec_"))) tryBuild(cli.secrets.map((s) => asKey(s.replace(/^whsec_/, ""))), raw);
  }
  return out;
}

/**
 * Finds the smallest change of the capture (at most two causes) that makes it verify.
 * Returns its causes, or `undefined` when nothing does (the secret is wrong).
 */
export async function diagnose(cli: CliProvider, body: Uint8Array, headers: CapturedHeaders, url: string | undefined): Promise<Cause[] | undefined> {
  const bodies = bodyVariants(body);
  const heads = headerVariants(cli, headers);
  const keys = keyVariants(cli);
  const combos: { causes: Cause[]; body: Uint8Array; headers: CapturedHeaders; provider: Provider }[] = [];
  for (const b of bodies) {
    for (const h of heads) {
      for (const k of keys) {
        const causes = [...b.causes, ...h.causes, ...k.causes];
        if (causes.length >= 1 && causes.length <= 2) combos.push({ causes, body: b.value, headers: h.value, provider: k.value });
      }
    }
  }
  combos.sort((a, b) => a.causes.length - b.causes.length);
  for (const combo of combos) {
    const result = await attempt(combo.provider, { body: combo.body, headers: combo.headers, method: "POST", url });
    if (authentic(result)) return combo.causes;
  }
  return undefined;
}
