/** @module Conformance row: receiver.fetch under Bun.serve, in a bun child process that imports src directly. */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import type { RunningServer, Transport } from "../spec.js";

const BUN = fileURLToPath(new URL("../../../node_modules/.bin/bun", import.meta.url));
const SCRIPT = fileURLToPath(new URL("../servers/bun-server.ts", import.meta.url));

async function start(): Promise<RunningServer> {
  const child = spawn(BUN, [SCRIPT], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
  const port = await new Promise<number>((resolve, reject) => {
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (text: string) => {
      stdout += text;
      const match = /PORT (\d+)/.exec(stdout);
      if (match) resolve(Number(match[1]));
    });
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`bun exited with ${code} before listening: ${stderr}`)));
  });
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      await exited;
    },
  };
}

export const transport: Transport = { name: "bun (receiver.fetch)", start };
