/** @module The `tradehook` command: `listen`, `send`, `verify`, `demo` and `jobs` (DESIGN §8, §9). */
import { readFileSync } from "node:fs";
import { UsageError } from "./args.js";
import { runDemo } from "./demo.js";
import { runJobs } from "./jobs.js";
import { createStyle, type Io, wantsColor } from "./format.js";
import { runListen } from "./listen.js";
import { runSend } from "./send.js";
import { runVerify } from "./verify.js";

/** Top-level help. */
export const MAIN_HELP = `Usage: tradehook <command> [options]

Try webhook providers locally: receive, send, and debug signatures.

Commands:
  listen    run a local receiver and print one line per delivery (--forward to your app)
  send      sign a sample or your payload as the provider does, and POST it
  verify    check a captured delivery and name why it does not verify
  demo      run a receiver and a scripted series of deliveries, print the outcomes
  jobs      list, show, retry or remove the jobs of a queue (tradehook/bullmq) in Redis

Run tradehook <command> --help for a command's options and examples.
Secrets can come from TRADEHOOK_SECRET instead of --secret (keeps them out of shell history).
Colour is used on a terminal unless NO_COLOR is set.

Examples:
  export TRADEHOOK_SECRET=s3cret
  tradehook listen --provider apindicators
  tradehook send signal.buy --provider apindicators --url http://127.0.0.1:8787/webhook
  tradehook verify --provider apindicators --body-file body.json --header 'X-Webhook-Signature: sha256=...'
  tradehook demo`;

const COMMANDS: Record<string, (argv: readonly string[], io: Io) => Promise<number>> = {
  listen: runListen,
  send: runSend,
  verify: runVerify,
  demo: runDemo,
  jobs: runJobs,
};

function version(): string {
  try {
    // dist/cli/index.js and src/cli/index.ts both sit two levels below package.json.
    return (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

/** Runs the command line `argv` (without `node` and the script) and returns the exit code. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    io.err(MAIN_HELP);
    return 2;
  }
  if (first === "--help" || first === "-h") {
    io.out(MAIN_HELP);
    return 0;
  }
  if (first === "--version" || first === "-v") {
    io.out(version());
    return 0;
  }
  if (first === "help") {
    const topic = rest[0];
    if (topic === undefined) {
      io.out(MAIN_HELP);
      return 0;
    }
    return main([topic, "--help"], io);
  }
  const run = COMMANDS[first];
  try {
    if (!run) {
      const what = first.startsWith("-") ? `unknown option ${first}` : `unknown command ${JSON.stringify(first)}`;
      throw new UsageError(`${what}; commands: ${Object.keys(COMMANDS).join(", ")}`);
    }
    return await run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      const command = run ? `tradehook ${first} --help` : "tradehook --help";
      io.err(`${io.errStyle.red(`tradehook${run ? " " : ": "}${error.message}`)} (see ${command})`);
      return 2;
    }
    io.err(`tradehook ${first}: ${(error as Error)?.stack ?? String(error)}`);
    return 1;
  }
}

const io: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
  style: createStyle(wantsColor(process.stdout, process.env)),
  errStyle: createStyle(wantsColor(process.stderr, process.env)),
  stdin: process.stdin,
};

main(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`tradehook: ${String((error as Error)?.stack ?? error)}\n`);
    process.exitCode = 1;
  },
);
