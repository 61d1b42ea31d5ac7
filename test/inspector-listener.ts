/**
 * @module Test helper for the inspector suites: `tradehook listen` (the built bin) as a child process, and raw HTTP requests with any Host header.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { request } from "node:http";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const BIN = join(ROOT, "dist/cli/index.js");

export interface Listener {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  output: () => string;
  stop(): Promise<void>;
}

/**
 * Starts `tradehook listen --port 0 ...args` with `secret` as TRADEHOOK_SECRET and resolves once it
 * has printed its address and its Ctrl-C line; the listener is added to `running` for cleanup.
 */
export async function startListener(args: string[], secret: string, running: Listener[]): Promise<Listener> {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [BIN, "listen", "--port", "0", ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: "1", TRADEHOOK_SECRET: secret },
  });
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise((resolve) => child.once("exit", resolve));
  for (;;) {
    const match = /listening on (http:\/\/[^/\s]+)/.exec(out);
    if (match && /Ctrl-C/.test(out)) {
      const listener = {
        origin: match[1]!.replace("0.0.0.0", "127.0.0.1"),
        output: () => out,
        async stop() {
          if (child.exitCode === null) child.kill("SIGINT");
          await exited;
        },
      };
      running.push(listener);
      return listener;
    }
    if (child.exitCode !== null) throw new Error(`listen exited: ${out}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A raw request with any headers, Host included (fetch does not let a test set Host). */
export function raw(origin: string, path: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; body: string }> {
  const url = new URL(path, origin);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: options.method ?? "GET", headers: options.headers }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () => resolve({ status: res.statusCode!, body }));
    });
    req.on("error", reject);
    req.end();
  });
}
