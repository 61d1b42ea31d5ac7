/**
 * @module Test helpers: the provider fixtures, byte for byte, and their clocks.
 */
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

/** The provider fixtures, inside the repository (test/fixtures/providers). */
export const FIXTURES_DIR = fileURLToPath(new URL("./fixtures/providers/", import.meta.url));

/** A fixture's exact text. */
export function fixture(name: string): string {
  return readFileSync(`${FIXTURES_DIR}${name}`, "utf8");
}

/** A fixture parsed. */
export function fixtureJson<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(fixture(name)) as T;
}

/** Standard Webhooks' own known-answer vector, as every reference library tests it. */
export const STANDARD_WEBHOOKS_VECTOR = {
  secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
  timestamp: "1614265330",
  body: '{"test": 2432232314}',
  signature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
} as const;

/** Epoch ms of an ISO string. */
export const at = (iso: string) => Date.parse(iso);

/** A section of README.md between `<!-- section:NAME -->` and `<!-- /section:NAME -->`. */
export function readmeSection(name: string): string {
  const readme = readFileSync(fileURLToPath(new URL("../README.md", import.meta.url)), "utf8");
  const open = `<!-- section:${name} -->`;
  const start = readme.indexOf(open);
  const end = readme.indexOf(`<!-- /section:${name} -->`);
  if (start === -1 || end === -1) throw new Error(`README.md has no section ${name}`);
  return readme.slice(start + open.length, end);
}

/** A loopback port free right now (bound, then released), for a child process to listen on. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Stops every child still running (SIGTERM) and waits for each to exit; empties the list. */
export async function stopChildren(children: ChildProcess[]): Promise<void> {
  for (const child of children.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    await exited;
  }
}
