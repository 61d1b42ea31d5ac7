/** @module Output helpers for the `tradehook` command: colour only on a TTY (NO_COLOR honoured), tables, ages, clock times. */

/** Text styles; each is the identity when colour is off. */
export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  green(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

/** Where a command writes, and whether that place takes colour. */
export interface Io {
  out(line: string): void;
  err(line: string): void;
  env: Record<string, string | undefined>;
  /** Styles for stdout. */
  style: Style;
  /** Styles for stderr. */
  errStyle: Style;
  /** Standard input, for `--file -` and `--body-file -`. */
  stdin: NodeJS.ReadableStream;
}

const ANSI = /\x1b\[[0-9;]*m/g;

/** Whether to colour a stream: a TTY and no `NO_COLOR` (https://no-color.org: any non-empty value). */
export function wantsColor(stream: { isTTY?: boolean }, env: Record<string, string | undefined>): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  return stream.isTTY === true;
}

/** Styles that emit ANSI codes when `enabled`. */
export function createStyle(enabled: boolean): Style {
  const wrap = (open: number, close: number) => (text: string) => (enabled ? `\x1b[${open}m${text}\x1b[${close}m` : text);
  return { bold: wrap(1, 22), dim: wrap(2, 22), green: wrap(32, 39), red: wrap(31, 39), yellow: wrap(33, 39), cyan: wrap(36, 39) };
}

/** The visible length of text that may hold ANSI codes. */
export function visibleLength(text: string): number {
  return text.replace(ANSI, "").length;
}

/** Pads styled text to a visible width. */
export function pad(text: string, width: number): string {
  return text + " ".repeat(Math.max(0, width - visibleLength(text)));
}

/** Lays rows out in columns two spaces apart; the last column is not padded. */
export function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, visibleLength(cell))));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : pad(cell, widths[i]!))).join("  ").trimEnd());
}

/** A duration in seconds as a person reads it: `45 s`, `12 min 3 s`, `3 h 2 min`, `5 d 4 h`. */
export function formatAge(totalSeconds: number): string {
  const s = Math.round(Math.abs(totalSeconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}

/** Local wall-clock time `HH:MM:SS`. */
export function clockTime(date: Date): string {
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}

/** A URL for display, with any `token` query value masked so it never lands in a terminal log. */
export function redactUrl(url: string, query = "token"): string {
  try {
    const parsed = new URL(url);
    if (!parsed.searchParams.has(query)) return url;
    parsed.searchParams.set(query, "***");
    return parsed.toString().replace("%2A%2A%2A", "***");
  } catch {
    return url;
  }
}

/** The URL without its password, for the inspector and for messages. */
export function shownRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparsable URL)";
  }
}

/** Why a `fetch` failed, in a few words (undici hides the reason in `cause`). */
export function describeFetchError(error: unknown): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === "TimeoutError") return "no answer in time";
  const code = e.cause?.code;
  if (code === "ECONNREFUSED") return "connection refused";
  if (code === "ENOTFOUND") return "host not found";
  return code ?? e.cause?.message ?? e.message ?? String(error);
}
