/** @module Argument handling shared by every command: strict `parseArgs`, one-line usage errors (exit 2), secrets, headers, numbers, timestamps. */
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";

/** A mistake in how the command was called: printed as one line on stderr, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError" as const;
}

/** Option definitions in `util.parseArgs` form. */
export type OptionSpec = Record<string, { type: "string" | "boolean"; multiple?: boolean; short?: string }>;

/** Parsed option values. */
export type Values = Record<string, string | boolean | string[] | undefined>;

/** Parses `argv` strictly; every parse failure becomes a `UsageError` naming the option. */
export function parseCommand(
  command: string,
  argv: readonly string[],
  options: OptionSpec,
  allowPositionals = false,
): { values: Values; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: { ...options, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals,
    });
    return { values: values as Values, positionals };
  } catch (error) {
    throw new UsageError(`${command}: ${describeParseError(error)}`);
  }
}

/** Rewrites Node's parseArgs messages (long, with advice about `--`) as one short clause. */
function describeParseError(error: unknown): string {
  const e = error as { code?: string; message?: string };
  const message = String(e.message ?? error);
  const quoted = /'([^']+)'/.exec(message)?.[1] ?? "";
  const option = quoted.replace(/ <value>$/, "").split(", ").pop() ?? quoted;
  switch (e.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown option ${option}`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      return /does not take an argument/.test(message) ? `option ${option} takes no value` : `option ${option} needs a value`;
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return `unexpected argument ${JSON.stringify(quoted)}`;
    default:
      return message.split("\n")[0]!;
  }
}

/** A string option's value (the last one when repeated). */
export function stringOption(values: Values, name: string): string | undefined {
  const value = values[name];
  if (Array.isArray(value)) return value[value.length - 1];
  return typeof value === "string" ? value : undefined;
}

/** A string option's every value. */
export function listOption(values: Values, name: string): string[] {
  const value = values[name];
  if (Array.isArray(value)) return value;
  return typeof value === "string" ? [value] : [];
}

/** A required string option, or a `UsageError`. */
export function requireOption(command: string, values: Values, name: string, hint = ""): string {
  const value = stringOption(values, name);
  if (value === undefined || value === "") throw new UsageError(`${command}: missing --${name}${hint}`);
  return value;
}

/** The secrets: every `--secret` (several while rotating), else `TRADEHOOK_SECRET`. */
export function readSecrets(command: string, values: Values, env: Record<string, string | undefined>): string[] {
  const given = listOption(values, "secret");
  if (given.length > 0) {
    if (given.some((s) => s === "")) throw new UsageError(`${command}: --secret is empty`);
    return given;
  }
  const fromEnv = env.TRADEHOOK_SECRET;
  if (fromEnv !== undefined && fromEnv !== "") return [fromEnv];
  throw new UsageError(`${command}: missing --secret (or set TRADEHOOK_SECRET to keep it out of shell history)`);
}

/** An integer option within bounds. */
export function integerOption(command: string, values: Values, name: string, fallback: number, min: number, max: number): number {
  const raw = stringOption(values, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new UsageError(`${command}: --${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return Number(raw);
}

/** A positive number of seconds. */
export function secondsOption(command: string, values: Values, name: string): number | undefined {
  const raw = stringOption(values, name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(n) || n < 1) {
    throw new UsageError(`${command}: --${name} must be a number of seconds >= 1, got ${JSON.stringify(raw)}`);
  }
  return n;
}

/** Parses `--timestamp`: unix seconds, or an ISO 8601 date-time with a zone. Returns unix seconds. */
export function parseTimestampOption(command: string, raw: string): number {
  if (/^\d{1,10}$/.test(raw)) return Number(raw);
  const zoned = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})$/.test(raw);
  const ms = zoned ? Date.parse(raw) : Number.NaN;
  if (!Number.isFinite(ms)) {
    throw new UsageError(`${command}: --timestamp must be unix seconds or an ISO 8601 date-time with a zone (e.g. 2026-04-03T14:30:00Z), got ${JSON.stringify(raw)}`);
  }
  return Math.floor(ms / 1000);
}

/** Parses one `Name: value` header argument. */
export function parseHeader(command: string, raw: string): [string, string] {
  const colon = raw.indexOf(":");
  const name = colon > 0 ? raw.slice(0, colon).trim() : "";
  if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) {
    throw new UsageError(`${command}: --header must look like 'Name: value', got ${JSON.stringify(raw.slice(0, 60))}`);
  }
  return [name, raw.slice(colon + 1).trim()];
}

/** Reads a file, or standard input for `-`; a missing file is a `UsageError`. */
export async function readInput(command: string, option: string, path: string, stdin: NodeJS.ReadableStream): Promise<Uint8Array> {
  if (path === "-") {
    const chunks: Buffer[] = [];
    for await (const chunk of stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
    return new Uint8Array(Buffer.concat(chunks));
  }
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    const code = (error as { code?: string }).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : code === "EACCES" ? "permission denied" : String(code ?? error);
    throw new UsageError(`${command}: --${option} ${JSON.stringify(path)}: ${why}`);
  }
}

/** Checks an http(s) URL. */
export function parseHttpUrl(command: string, option: string, raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`${command}: --${option} must be an absolute http:// or https:// URL, got ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`${command}: --${option} must be an http:// or https:// URL, got ${JSON.stringify(raw)}`);
  }
  return url;
}
