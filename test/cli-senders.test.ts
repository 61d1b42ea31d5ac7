/**
 * @module `tradehook send/verify/listen` with the sender-scheme flags (--signature-format, --timestamp-unit, --body-format,
 * --secret-encoding, --public-url), run as the built bin in child processes, and verify's diagnosis of the new failure causes.
 */
import { type ChildProcessWithoutNullStreams, execFile, spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { send } from "./conformance/client.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(ROOT, "dist/cli/index.js");
const STRIPE = ["--provider", "hmac", "--signature-header", "Stripe-Signature"];
const STRIPE_SCHEME = [...STRIPE, "--signature-format", "t={timestamp},v1={signature}", "--signed-content", "{timestamp}.{body}"];
const SECRET = "whsec_cli_senders";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function tradehook(args: string[]): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
  delete env.TRADEHOOK_SECRET;
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, env, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tradehook-cli-senders-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: string) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
const hex = (key: string | Buffer, content: string) => createHmac("sha256", key).update(content).digest("hex");

/** A loopback server that records what `tradehook send` sent and answers 200. */
async function capture(): Promise<{ url: string; received: Promise<{ body: string; headers: IncomingHttpHeaders }>; close(): void }> {
  let deliver!: (value: { body: string; headers: IncomingHttpHeaders }) => void;
  const received = new Promise<{ body: string; headers: IncomingHttpHeaders }>((resolve) => (deliver = resolve));
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    deliver({ body: Buffer.concat(chunks).toString("utf8"), headers: req.headers });
    res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received, close: () => server.close() };
}

describe("send", () => {
  it("signs Stripe's key=value header as Stripe's own SDK verifies it", async () => {
    const target = await capture();
    const run = await tradehook(["send", "invoice.paid", ...STRIPE_SCHEME, "--secret", SECRET, "--url", target.url, "--data", '{"type":"invoice.paid","id":"evt_1"}']);
    expect(run.code, run.stderr).toBe(0);
    const { body, headers } = await target.received;
    target.close();
    expect(headers["stripe-signature"]).toMatch(/^t=\d{10},v1=[0-9a-f]{64}$/);
    expect(new Stripe("sk_test_x").webhooks.constructEvent(body, headers["stripe-signature"] as string, SECRET).type).toBe("invoice.paid");
  });

  it("sends millisecond timestamps, form bodies and URL-signed content when asked", async () => {
    const target = await capture();
    const run = await tradehook([
      "send", "--provider", "hmac", "--signature-header", "X-Sig", "--timestamp-header", "X-Ts", "--timestamp-unit", "ms", "--body-format", "form",
      "--signed-content", "{url}{timestamp}{body}", "--secret", "s", "--url", target.url, "--data", '{"type":"a","Digits":"12"}', "--timestamp", "1775226600",
    ]);
    expect(run.code, run.stderr).toBe(0);
    const { body, headers } = await target.received;
    target.close();
    expect(headers["x-ts"]).toBe("1775226600000");
    expect(headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(body).toBe("type=a&Digits=12");
    expect(headers["x-sig"]).toBe(hex("s", `${target.url}1775226600000${body}`));
  });

  it("refuses flags that cannot apply, and a layout it cannot read, as usage errors", async () => {
    const runs = await Promise.all([
      tradehook(["send", "signal.buy", "--provider", "apindicators", "--secret", "s", "--url", "http://127.0.0.1:9/x", "--signature-format", "t={timestamp},v1={signature}"]),
      tradehook(["send", "a", ...STRIPE, "--secret", "s", "--url", "http://127.0.0.1:9/x", "--signature-format", "v1"]),
      tradehook(["send", "a", ...STRIPE, "--secret", "s", "--url", "http://127.0.0.1:9/x", "--timestamp-unit", "us"]),
      tradehook(["send", "a", "--provider", "tickerapi", "--secret", "s", "--url", "http://127.0.0.1:9/x", "--secret-encoding", "raw"]),
    ]);
    expect(runs.map((r) => r.code)).toEqual([2, 2, 2, 2]);
    expect(runs[0]!.stderr).toContain("--signature-format applies to --provider hmac only");
    expect(runs[1]!.stderr).toContain("--signature-format must look like");
    expect(runs[2]!.stderr).toContain("--timestamp-unit must be s or ms");
    expect(runs[3]!.stderr).toContain("--secret-encoding applies to --provider hmac and standard-webhooks only");
  });
});

/** `tradehook listen` with these flags, as a child process, once it prints its address. */
async function startListen(args: string[]): Promise<{ url: string; output: () => string; stop: () => Promise<void> }> {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [BIN, "listen", "--port", "0", ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: "1" },
  });
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (out += chunk.toString()));
  const stop = async () => {
    child.kill("SIGINT");
    if (child.exitCode === null && child.signalCode === null) await once(child, "exit");
  };
  while (!/listening on (http:\/\/\S+)/.test(out)) {
    if (child.exitCode !== null) throw new Error(out);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url: /listening on (http:\/\/\S+)/.exec(out)![1]!, output: () => out, stop };
}

describe("listen", () => {
  it("receives a delivery Stripe's SDK signed, with the same flags", async () => {
    const listener = await startListen([...STRIPE_SCHEME, "--secret", SECRET]);
    try {
      const url = listener.url;
      const body = '{"type":"invoice.paid","id":"evt_2"}';
      const header = new Stripe("sk_test_x").webhooks.generateTestHeaderString({ payload: body, secret: SECRET });
      const reply = await send(url, { body, headers: { "content-type": "application/json", "stripe-signature": header } });
      expect(reply.status).toBe(200);
      const forgedHeader = new Stripe("sk_test_x").webhooks.generateTestHeaderString({ payload: body, secret: "whsec_another" });
      const forged = await send(url, { body, headers: { "stripe-signature": forgedHeader } });
      expect(forged.status).toBe(401);
    } finally {
      await listener.stop();
    }
  });
});

describe("listen with a sender that signs the URL", () => {
  it("verifies {url}-signed deliveries against the absolute URL it was called at, with no --public-url", async () => {
    const listener = await startListen(["--no-inspector", "--provider", "hmac", "--signature-header", "X-Sig", "--signed-content", "{url}{body}", "--secret", "s"]);
    try {
      const url = listener.url;
      const body = '{"type":"call.completed"}';
      const signed = await send(url, { body, headers: { "content-type": "application/json", "x-sig": hex("s", `${url}${body}`) } });
      expect(signed.status, listener.output()).toBe(200);
      const otherUrl = await send(url, { body, headers: { "content-type": "application/json", "x-sig": hex("s", `${url}?x=1${body}`) } });
      expect(otherUrl.status).toBe(401);
    } finally {
      await listener.stop();
    }
  });
});

describe("verify names the new causes", () => {
  const body = '{"type":"invoice.paid","id":"evt_3"}';
  const t = 1775226600;
  const stripeHeader = `Stripe-Signature: t=${t},v1=${hex(SECRET, `${t}.${body}`)}`;

  it("a key=value header verifies with --signature-format, and without it the diagnosis says which flags to pass", async () => {
    const path = file("stripe.json", body);
    const [ok, missing] = await Promise.all([
      tradehook(["verify", ...STRIPE_SCHEME, "--secret", SECRET, "--body-file", path, "--header", stripeHeader]),
      tradehook(["verify", ...STRIPE, "--secret", SECRET, "--body-file", path, "--header", stripeHeader]),
    ]);
    expect(ok.code, ok.stdout).toBe(0);
    expect(ok.stdout).toContain("timestamp  2026-04-03T14:30:00Z");
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain("likely cause: key=value signature header");
    expect(missing.stdout).toContain("--signature-format 't={timestamp},v1={signature}' and --signed-content '{timestamp}.{body}'");
    const shown = await tradehook(["verify", ...STRIPE_SCHEME, "--secret", "other", "--body-file", path, "--header", stripeHeader, "--show-expected"]);
    expect(shown.stdout).toContain(`expected   Stripe-Signature: t=${t},v1=${hex("other", `${t}.${body}`)}`);
  });

  it("a base64 secret, a millisecond timestamp and a form body each get their cause", async () => {
    const key = Buffer.from("k3y-bytes-for-the-test");
    const secret = `whsec_${key.toString("base64")}`;
    const ms = "1775226600123";
    const form = "command=%2Fdeploy&text=prod";
    const [b64, millis, formRun] = await Promise.all([
      tradehook(["verify", "--provider", "hmac", "--signature-header", "X-Sig", "--secret", secret, "--body-file", file("b64.json", body), "--header", `X-Sig: ${hex(key, body)}`]),
      tradehook([
        "verify", "--provider", "hmac", "--signature-header", "X-Sig", "--timestamp-header", "X-Ts", "--signed-content", "{timestamp}{body}", "--secret", "s",
        "--body-file", file("ms.json", body), "--header", `X-Sig: ${hex("s", ms + body)}`, "--header", `X-Ts: ${ms}`,
      ]),
      tradehook(["verify", "--provider", "hmac", "--signature-header", "X-Sig", "--secret", "s", "--body-file", file("form.txt", form), "--header", `X-Sig: ${hex("s", form)}`]),
    ]);
    expect(b64.stdout).toContain("likely cause: base64 secret");
    expect(b64.stdout).toContain("--secret-encoding base64");
    expect(millis.stdout).toContain("likely cause: timestamp in milliseconds");
    expect(millis.stdout).toContain("--timestamp-unit ms");
    expect(formRun.stdout).toContain("likely cause: form-encoded body");
    expect(formRun.stdout).toContain("--body-format form");
    const fixed = await Promise.all([
      tradehook(["verify", "--provider", "hmac", "--signature-header", "X-Sig", "--secret-encoding", "base64", "--secret", secret, "--body-file", file("b64b.json", body), "--header", `X-Sig: ${hex(key, body)}`]),
      tradehook(["verify", "--provider", "hmac", "--signature-header", "X-Sig", "--body-format", "form", "--event", "slack.command", "--secret", "s", "--body-file", file("form2.txt", form), "--header", `X-Sig: ${hex("s", form)}`]),
    ]);
    expect(fixed.map((r) => r.code)).toEqual([0, 0]);
    expect(fixed[1]!.stdout).toContain("verified: hmac slack.command");
  });

  it("standard-webhooks --secret-encoding raw verifies a raw secret; svix-* headers verify as they are", async () => {
    const raw = "a raw secret";
    const path = file("raw.json", body);
    const sig = createHmac("sha256", raw).update(`msg_1.${t}.${body}`).digest("base64");
    const headers = (family: string) => ["--header", `${family}-id: msg_1`, "--header", `${family}-timestamp: ${t}`, "--header", `${family}-signature: v1,${sig}`];
    const [webhook, svix, refused] = await Promise.all([
      tradehook(["verify", "--provider", "standard-webhooks", "--secret-encoding", "raw", "--secret", raw, "--body-file", path, ...headers("webhook")]),
      tradehook(["verify", "--provider", "standard-webhooks", "--secret-encoding", "raw", "--secret", raw, "--body-file", path, ...headers("svix")]),
      tradehook(["verify", "--provider", "standard-webhooks", "--secret", raw, "--body-file", path, ...headers("webhook")]),
    ]);
    expect([webhook.code, svix.code]).toEqual([0, 0]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('secretEncoding: "raw"');
  });
});
