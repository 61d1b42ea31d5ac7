/**
 * @module The `tradehook` command run as a person runs it (the built bin, in child processes): real loopback servers, exit codes and output, and README.md's CLI section run as written.
 */
import { type ChildProcessWithoutNullStreams, execFile, execSync, spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  APINDICATORS_SIGNAL_BUY,
  TICKERAPI_DATA_READY,
  TICKERAPI_WATCHLIST_CHANGES,
  TRADINGVIEW_STRATEGY_FILL,
} from "../src/cli/samples.js";
import { fixture, fixtureJson, readmeSection } from "./helpers.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(ROOT, "dist/cli/index.js");
const ENTRY = [BIN];


// The tests run the built bin, as npm links it; test/global-setup.ts builds dist/ when it is stale.

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment a person's shell would give, minus colour and any secret of the machine running the tests. */
function baseEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", ...extra };
  if (!("TRADEHOOK_SECRET" in extra)) delete env.TRADEHOOK_SECRET;
  return env;
}

function tradehook(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...ENTRY, ...args], { cwd: ROOT, env: baseEnv(env), timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A running `tradehook listen`, with its output so far and the URL it printed first. */
interface Listener {
  url: string;
  output: () => string;
  stop(): Promise<{ code: number | null; output: string }>;
}

async function listen(args: string[], env: Record<string, string> = {}): Promise<Listener> {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [...ENTRY, "listen", "--port", "0", ...args], { cwd: ROOT, env: baseEnv(env) });
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const check = () => {
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) {
        child.stdout.off("data", check);
        resolve(match[1]!);
      }
    };
    child.stdout.on("data", check);
    exited.then((code) => reject(new Error(`listen exited ${code}: ${out}`)));
  });
  return {
    url,
    output: () => out,
    async stop() {
      child.kill("SIGINT");
      const code = await exited;
      return { code, output: out };
    },
  };
}

/** Waits until the listener has printed `count` delivery lines (the response can arrive before the line is flushed). */
async function lines(listener: Listener, pattern: RegExp, count: number): Promise<string[]> {
  for (;;) {
    const found = listener.output().split("\n").filter((line) => pattern.test(line));
    if (found.length >= count) return found;
    await new Promise((r) => setTimeout(r, 20));
  }
}

const SECRET = "cli-test-secret";
const hmacHex = (key: string | Buffer, content: string) => createHmac("sha256", key).update(content).digest("hex");
const hmacBase64 = (key: string | Buffer, content: string) => createHmac("sha256", key).update(content).digest("base64");

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tradehook-cli-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe("help and usage errors", () => {
  it("prints the overview and every command's help with examples, exit 0", async () => {
    const main = await tradehook(["--help"]);
    expect(main.code).toBe(0);
    for (const command of ["listen", "send", "verify", "demo"]) expect(main.stdout).toContain(command);
    const helps = await Promise.all(["listen", "send", "verify", "demo"].map((c) => tradehook([c, "--help"])));
    for (const [i, help] of helps.entries()) {
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/^Usage: tradehook /);
      expect(help.stdout).toContain("Example");
      expect(help.stderr).toBe("");
      expect(help.stdout).toContain(["listen", "send", "verify", "demo"][i]!);
    }
  });

  it("answers an unknown flag, a missing value and an unknown command with one line on stderr and exit 2", async () => {
    const [unknown, missing, command, noSecret] = await Promise.all([
      tradehook(["listen", "--provider", "apindicators", "--secret", "x", "--bogus"]),
      tradehook(["send", "signal.buy", "--provider", "apindicators", "--url"]),
      tradehook(["lisen"]),
      tradehook(["verify", "--provider", "apindicators", "--body-file", "x.json"]),
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim().split("\n")).toHaveLength(1);
    expect(unknown.stderr).toContain("unknown option --bogus");
    expect(unknown.stdout).toBe("");
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split("\n")).toHaveLength(1);
    expect(missing.stderr).toContain("option --url needs a value");
    expect(command.code).toBe(2);
    expect(command.stderr).toContain('unknown command "lisen"');
    expect(noSecret.code).toBe(2);
    expect(noSecret.stderr).toContain("TRADEHOOK_SECRET");
  });

  it("refuses an event the provider does not send, listing the ones it does", async () => {
    const run = await tradehook(["send", "signal.hold", "--provider", "apindicators", "--secret", SECRET, "--url", "http://127.0.0.1:9/webhook"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("signal.buy, signal.sell");
  });
});

describe("send -> listen", () => {
  it("delivers a signed sample: processed, then the same bytes again are a duplicate; Ctrl-C stops cleanly", async () => {
    const listener = await listen(["--provider", "apindicators"], { TRADEHOOK_SECRET: SECRET });
    expect(listener.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/webhook$/);
    const timestamp = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString();
    const send = ["send", "signal.buy", "--provider", "apindicators", "--url", listener.url, "--timestamp", timestamp];
    const first = await tradehook(send, { TRADEHOOK_SECRET: SECRET });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("200 OK");
    expect(first.stdout).toContain('"outcome":"processed"');
    const second = await tradehook(send, { TRADEHOOK_SECRET: SECRET });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('"outcome":"duplicate"');
    const forged = await tradehook([...send, "--secret", "not-the-secret"]);
    expect(forged.code).toBe(1);
    expect(forged.stdout).toContain("401");
    expect(forged.stdout).toContain("INVALID_SIGNATURE");

    const printed = await lines(listener, /signal\.buy|INVALID_SIGNATURE/, 3);
    expect(printed[0]).toMatch(/^\d\d:\d\d:\d\d +200 processed +signal\.buy +\S+ +\d+ ms/);
    expect(printed[1]).toMatch(/200 duplicate +signal\.buy/);
    expect(printed[2]).toMatch(/401 INVALID_SIGNATURE/);
    const { code, output } = await listener.stop();
    expect(code).toBe(0);
    expect(output).toContain("stopped after 3 deliveries");
  });

  it("signs every provider's samples so a listener for that provider processes them", async () => {
    const cases: [string, string[], string][] = [
      ["tickerapi", ["watchlist.changes"], SECRET],
      ["pipai", ["account.balance_low"], SECRET],
      ["tradingview", [], SECRET],
      ["standard-webhooks", ["order.filled"], "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
      ["hmac", ["order.filled", "--signature-header", "X-Signature", "--prefix", "sha256="], SECRET],
    ];
    await Promise.all(
      cases.map(async ([provider, args, secret]) => {
        const extra = provider === "hmac" ? ["--signature-header", "X-Signature", "--prefix", "sha256="] : [];
        const listener = await listen(["--provider", provider, "--secret", secret, ...extra]);
        try {
          const run = await tradehook(["send", ...args, "--provider", provider, "--secret", secret, "--url", listener.url]);
          expect(run.stdout, provider).toContain('"outcome":"processed"');
          expect(run.code).toBe(0);
        } finally {
          await listener.stop();
        }
      }),
    );
  });

  it("--forward re-sends a verified delivery to the app with its headers and body and prints the app's status", async () => {
    const app = await listen(["--provider", "pipai", "--secret", SECRET, "--path", "/app"]);
    const proxy = await listen(["--provider", "pipai", "--secret", SECRET, "--forward", app.url]);
    try {
      const run = await tradehook(["send", "backtest.job_done", "--provider", "pipai", "--secret", SECRET, "--url", proxy.url, "--id", "dlv_forward_1"]);
      expect(run.code).toBe(0);
      const [appLine] = await lines(app, /backtest\.job_done/, 1);
      expect(appLine).toMatch(/200 processed +backtest\.job_done +dlv_forward_1/);
      const [proxyLine] = await lines(proxy, /backtest\.job_done/, 1);
      expect(proxyLine).toMatch(/200 processed .* -> app 200/);
    } finally {
      await Promise.all([app.stop(), proxy.stop()]);
    }
  });

  it("exits 1 with one line when nothing listens at the URL", async () => {
    const listener = await listen(["--provider", "apindicators", "--secret", SECRET]);
    await listener.stop();
    const run = await tradehook(["send", "signal.buy", "--provider", "apindicators", "--secret", SECRET, "--url", listener.url]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("connection refused");
  });
});

describe("verify", () => {
  const body = fixture("apindicators.signal.buy.json");
  const signature = hmacHex(SECRET, body);
  const verify = (bodyFile: string, header: string, extra: string[] = [], env: Record<string, string> = {}) =>
    tradehook(["verify", "--provider", "apindicators", ...("TRADEHOOK_SECRET" in env ? [] : ["--secret", SECRET]), "--body-file", bodyFile, "--header", header, ...extra], env);

  it("verifies an old capture by authenticity and reports its age; --tolerance makes the age count", async () => {
    const path = file("ok.json", body);
    const [ok, strict] = await Promise.all([
      verify(path, `X-Webhook-Signature: sha256=${signature}`),
      verify(path, `X-Webhook-Signature: sha256=${signature}`, ["--tolerance", "300"]),
    ]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("verified: apindicators signal.buy");
    expect(ok.stdout).toMatch(/timestamp +2026-04-03T14:30:00Z \(.* (ago|in the future)\)/);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toMatch(/TIMESTAMP_TOO_OLD|TIMESTAMP_IN_FUTURE/);
    expect(strict.stdout).toContain("stale timestamp");
  });

  it("reads the secret from TRADEHOOK_SECRET", async () => {
    const run = await verify(file("env.json", body), `X-Webhook-Signature: sha256=${signature}`, [], { TRADEHOOK_SECRET: SECRET });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("verified");
  });

  it("names the likely cause of a failure", async () => {
    const pretty = JSON.stringify(JSON.parse(body), null, 2);
    const base64 = createHmac("sha256", SECRET).update(body).digest("base64");
    const runs = await Promise.all([
      verify(file("wrong.json", body), `X-Webhook-Signature: sha256=${hmacHex("another-secret", body)}`),
      verify(file("newline.json", `${body}\n`), `X-Webhook-Signature: sha256=${signature}`),
      verify(file("crlf.json", `${body}\r\n`), `X-Webhook-Signature: sha256=${signature}`),
      verify(file("pretty.json", pretty), `X-Webhook-Signature: sha256=${signature}`),
      verify(file("b64.json", body), `X-Webhook-Signature: sha256=${base64}`),
      verify(file("prefix.json", body), `X-Webhook-Signature: ${signature}`),
      verify(file("header.json", body), `X-Signature: sha256=${signature}`),
    ]);
    const causes = ["wrong secret", "trailing newline", "trailing newline", "re-serialised JSON", "hex vs base64", "missing prefix", "wrong header name"];
    for (const [i, run] of runs.entries()) {
      expect(run.code, causes[i]).toBe(1);
      expect(run.stdout, causes[i]).toContain("not verified");
      expect(run.stdout, causes[i]).toContain(`likely cause: ${causes[i]}`);
      expect(run.stdout.match(/likely cause/g), causes[i]).toHaveLength(1);
    }
  });

  it("recognises a whsec_ secret the sender used as raw text, and hex where Standard Webhooks wants base64", async () => {
    const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const swBody = '{"test": 2432232314}';
    const id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const ts = "1614265330";
    const path = file("sw.json", swBody);
    const run = (sig: string) =>
      tradehook([
        "verify", "--provider", "standard-webhooks", "--secret", secret, "--body-file", path,
        "--header", `webhook-id: ${id}`, "--header", `webhook-timestamp: ${ts}`, "--header", `webhook-signature: ${sig}`,
      ]);
    const key = Buffer.from(secret.slice(6), "base64");
    const [vector, raw, hex] = await Promise.all([
      run("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="),
      run(`v1,${hmacBase64(secret, `${id}.${ts}.${swBody}`)}`),
      run(`v1,${hmacHex(key, `${id}.${ts}.${swBody}`)}`),
    ]);
    expect(vector.code).toBe(0);
    expect(vector.stdout).toContain("verified: standard-webhooks");
    expect(raw.code).toBe(1);
    expect(raw.stdout).toContain("likely cause: whsec_ secret used raw");
    expect(hex.code).toBe(1);
    expect(hex.stdout).toContain("likely cause: hex vs base64");
  });

  it("prints the expected signature only with --show-expected", async () => {
    const path = file("show.json", body);
    const wrong = `X-Webhook-Signature: sha256=${hmacHex("another-secret", body)}`;
    const [hidden, shown] = await Promise.all([verify(path, wrong), verify(path, wrong, ["--show-expected"])]);
    expect(hidden.code).toBe(1);
    expect(`${hidden.stdout}${hidden.stderr}`).not.toContain(signature);
    expect(hidden.stdout).toContain("--show-expected");
    expect(shown.code).toBe(1);
    expect(shown.stdout).toContain(`expected   X-Webhook-Signature: sha256=${signature}`);
  });
});

describe("demo and samples", () => {
  it("runs the scripted series and exits 0 when every row matched", async () => {
    const run = await tradehook(["demo"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    for (const row of ["200 duplicate", "401 INVALID_SIGNATURE", "401 TIMESTAMP_TOO_OLD", "413 PAYLOAD_TOO_LARGE", "standard-webhooks", "hmac"]) {
      expect(run.stdout).toContain(row);
    }
    expect(run.stdout).not.toContain("MISMATCH");
  });

  it("sends the documented payloads: the samples equal the provider fixtures", () => {
    expect(APINDICATORS_SIGNAL_BUY).toEqual(fixtureJson("apindicators.signal.buy.json"));
    expect(TICKERAPI_WATCHLIST_CHANGES).toEqual(fixtureJson("tickerapi.watchlist.changes.json"));
    expect(TICKERAPI_DATA_READY).toEqual(fixtureJson("tickerapi.data.ready.json"));
    expect(TRADINGVIEW_STRATEGY_FILL).toEqual(fixtureJson("tradingview.strategy-fill.json"));
  });
});

describe("README.md's CLI section", () => {
  const doc = readmeSection("cli");
  // Each sh block is followed by the text block of its real output.
  const pairs = [...doc.matchAll(/```sh\n([\s\S]*?)```\s*```text\n([\s\S]*?)```/g)].map((m) => ({ script: m[1]!, output: m[2]! }));
  const work = fileURLToPath(new URL("../.tmp/readme-cli/", import.meta.url));

  /** What changes between runs: times, durations, ports, body-hash ids, ages. */
  const normalise = (text: string) =>
    text
      .replace(/[0-9a-f]{64}/g, "<hash>")
      .replace(/[0-9a-f]{12}…/g, "<hash>…")
      .replace(/\d\d:\d\d:\d\d/g, "<time>")
      .replace(/\d+ ms/g, "<n> ms")
      .replace(/127\.0\.0\.1:\d+/g, "127.0.0.1:<port>")
      .replace(/\((\d+ (d|h|min|s) ?)+[^)]*ago\)/g, "(<age>)")
      .replace(/[ \t]+/g, " ")
      .trim();

  const bash = (script: string, env: Record<string, string> = {}) =>
    new Promise<Run>((resolve) => {
      execFile("bash", ["-c", script], { cwd: work, env: { ...baseEnv(env), PATH: `${work}bin:${process.env.PATH}` }, timeout: 60_000 }, (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
      });
    });

  beforeAll(() => {
    mkdirSync(`${work}bin`, { recursive: true });
    // `tradehook` on PATH, as npm links the bin.
    writeFileSync(`${work}bin/tradehook`, `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
    chmodSync(`${work}bin/tradehook`, 0o755);
  });

  it("has listen, send, two verify and the demo blocks, each with its output", () => {
    expect(pairs.map((p) => /tradehook (\w+)/.exec(p.script.split("\n").find((l) => l.startsWith("tradehook"))!)?.[1])).toEqual([
      "listen", "send", "verify", "verify", "demo",
    ]);
  });

  it("the listen and send blocks print what the fragment shows", async () => {
    const [listenBlock, sendBlock] = pairs;
    // Port 0 instead of 8787 so parallel runs cannot collide; the rest runs as written.
    const script = listenBlock!.script.replace("tradehook listen --provider apindicators", "exec tradehook listen --provider apindicators --port 0");
    const child = spawn("bash", ["-c", script], { cwd: work, env: { ...baseEnv(), PATH: `${work}bin:${process.env.PATH}` } });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const listener: Listener = {
      url: "",
      output: () => out,
      async stop() {
        child.kill("SIGINT");
        return { code: await exited, output: out };
      },
    };
    const [line] = await lines(listener, /listening on/, 1);
    const port = /127\.0\.0\.1:(\d+)/.exec(line!)![1]!;
    const send = await bash(sendBlock!.script.replaceAll("127.0.0.1:8787", `127.0.0.1:${port}`));
    expect(send.code).toBe(1);
    expect(normalise(send.stdout)).toBe(normalise(sendBlock!.output));
    await lines(listener, /INVALID_SIGNATURE/, 1);
    const { code, output } = await listener.stop();
    expect(code).toBe(0);
    expect(normalise(output)).toBe(normalise(listenBlock!.output));
  });

  it("the verify and demo blocks print what the fragment shows", async () => {
    const [, , ok, newline, demo] = pairs;
    const runs = await Promise.all([bash(ok!.script), bash(newline!.script.replaceAll("body.json", "body-newline.json")), bash(demo!.script)]);
    expect(runs.map((r) => r.code)).toEqual([0, 1, 0]);
    expect(normalise(runs[0]!.stdout)).toBe(normalise(ok!.output));
    expect(normalise(runs[1]!.stdout)).toBe(normalise(newline!.output));
    expect(normalise(runs[2]!.stdout)).toBe(normalise(demo!.output));
  });
});
