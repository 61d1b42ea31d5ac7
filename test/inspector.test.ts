/**
 * @module The inspector's server side without a browser: served only on loopback and to loopback host names, actions only from its own page, assets inside the bundle and under budget, memory bounded, nothing secret in what it shows.
 */
import { execFile } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { createHmac } from "node:crypto";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { DeliveryRecord } from "../src/cli/server.js";
import { Journal, KEEP_DELIVERIES, KEEP_TOTAL_BYTES } from "../src/inspector/journal.js";
import { Redactor } from "../src/inspector/present.js";
import { readmeSection } from "./helpers.js";
import { BIN, type Listener, raw, startListener } from "./inspector-listener.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SECRET = "inspector-unit-secret";

const running: Listener[] = [];
afterAll(async () => {
  await Promise.all(running.map((l) => l.stop()));
});

const listen = (args: string[]) => startListener([...args], SECRET, running);

function tradehook(args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: "1", TRADEHOOK_SECRET: SECRET } }, (error, stdout) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout }),
    );
  });
}


describe("serving the page", () => {
  it("serves the page and its assets from the built bin, under 50 KB together, with a strict content security policy", async () => {
    const listener = await listen(["--provider", "apindicators"]);
    expect(listener.output()).toContain(`inspector on ${listener.origin}/`);
    const page = await fetch(`${listener.origin}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("default-src 'none'");
    const html = await page.text();
    expect(html).toContain("tradehook inspector");
    // Every asset the page loads is served from the same origin: no network asset.
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!).filter((r) => !r.startsWith("#"));
    expect(refs.every((r) => r.startsWith("/_tradehook/"))).toBe(true);
    let total = Buffer.byteLength(html);
    for (const ref of refs) {
      const response = await fetch(`${listener.origin}${ref}`);
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(text).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
      total += Buffer.byteLength(text);
    }
    expect(total).toBeLessThan(50 * 1024);
  });

  it("README's inspector section shows a committed PNG screenshot under 100 KB and describes the Jobs view", () => {
    const section = readmeSection("inspector");
    const image = /!\[[^\]]+\]\(([^)]+\.png)\)/.exec(section)![1]!;
    const bytes = readFileSync(join(ROOT, image));
    expect(bytes.subarray(1, 4).toString()).toBe("PNG");
    expect(statSync(join(ROOT, image)).size).toBeLessThan(100 * 1024);
    expect(section).toContain("Jobs view");
    expect(section).toContain("--queue redis://");
  });

  it("keeps src/inspector/assets.ts in step with src/inspector/assets/", async () => {
    const check = await new Promise<number>((resolve) => execFile(process.execPath, ["scripts/inline-inspector-assets.mjs", "--check"], { cwd: ROOT }, (e) => resolve(e ? 1 : 0)));
    expect(check).toBe(0);
  });

  it("is not served on a non-loopback bind address, nor with --no-inspector: / is then an unknown webhook path", async () => {
    const [open, off] = await Promise.all([listen(["--provider", "apindicators", "--host", "0.0.0.0"]), listen(["--provider", "apindicators", "--no-inspector"])]);
    expect(open.output()).toContain("no inspector: 0.0.0.0 is not a loopback address");
    expect(off.output()).not.toContain("inspector");
    for (const listener of [open, off]) {
      const page = await raw(listener.origin, "/");
      expect(page.status).toBe(404);
      expect(JSON.parse(page.body).error.code).toBe("NOT_FOUND");
      expect((await raw(listener.origin, "/_tradehook/api/events")).status).toBe(404);
    }
  });

  it("answers only loopback host names (DNS rebinding) and takes actions only from its own page", async () => {
    const listener = await listen(["--provider", "apindicators"]);
    const port = new URL(listener.origin).port;
    expect((await tradehook(["send", "signal.buy", "--provider", "apindicators", "--url", `${listener.origin}/webhook`])).code).toBe(0);
    const rebound = await raw(listener.origin, "/", { headers: { host: `attacker.example:${port}` } });
    expect(rebound.status).toBe(403);
    expect(rebound.body).toContain("loopback host");
    expect((await raw(listener.origin, "/", { headers: { host: `localhost:${port}` } })).status).toBe(200);
    const path = "/_tradehook/api/deliveries/1/replay";
    const plain = await raw(listener.origin, path, { method: "POST" });
    expect(plain.status).toBe(403);
    expect(plain.body).toContain("X-Tradehook-Inspector");
    const foreign = await raw(listener.origin, path, { method: "POST", headers: { "x-tradehook-inspector": "1", origin: "http://attacker.example" } });
    expect(foreign.status).toBe(403);
    const own = await raw(listener.origin, path, { method: "POST", headers: { "x-tradehook-inspector": "1", origin: listener.origin } });
    expect(own.status).toBe(200);
    expect(JSON.parse(own.body)).toMatchObject({ ok: true, seq: 2, status: 200, outcome: "duplicate" });
    // The line reaches this process through a pipe, maybe after the answer.
    while (!/200 duplicate .*\(replay of #1\)/.test(listener.output())) await new Promise((r) => setTimeout(r, 20));
  });
});

describe("the API behind the page", () => {
  it("streams kept deliveries after Last-Event-ID, then new ones; Ctrl-C ends the stream and the listener", async () => {
    const listener = await listen(["--provider", "apindicators"]);
    const url = `${listener.origin}/webhook`;
    for (let i = 0; i < 3; i++) expect((await tradehook(["send", "signal.buy", "--provider", "apindicators", "--url", url])).code).toBe(0);
    const events: number[] = [];
    let text = "";
    const response = await fetch(`${listener.origin}/_tradehook/api/events`, { headers: { "last-event-id": "1" } });
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const reader = response.body!.getReader();
    const read = async (count: number) => {
      while (events.length < count) {
        const { value, done } = await reader.read();
        if (done) return;
        text += new TextDecoder().decode(value);
        events.splice(0, events.length, ...[...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1])));
      }
    };
    await read(2);
    expect(events).toEqual([2, 3]);
    expect((await tradehook(["send", "signal.sell", "--provider", "apindicators", "--url", url])).code).toBe(0);
    await read(3);
    expect(events).toEqual([2, 3, 4]);
    expect(text).toContain('"type":"signal.sell"');
    await listener.stop();
    expect((await reader.read().catch(() => ({ done: true }))).done).toBe(true);
    expect(listener.output()).toContain("stopped after 4 deliveries");
  });

  it.each([
    ["apindicators", "signal.sell", []],
    ["pipai", "strategy.deployed", []],
    ["standard-webhooks", "order.filled", ["--secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]],
    ["tradingview", "tradingview.alert", ["--via", "url", "--data", JSON.stringify({ ticker: "ETHUSDT", action: "buy" })]],
  ])("re-signs a stale %s delivery now: the fresh copy is processed", async (provider, type, extra) => {
    const secret = extra[0] === "--secret" ? extra : [];
    const listener = await listen(["--provider", provider, ...secret]);
    const url = `${listener.origin}/webhook`;
    const stale = await tradehook(["send", type, "--provider", provider, "--url", url, "--timestamp", "2026-01-01T00:00:00Z", ...extra]);
    expect(stale.stdout).toContain("TIMESTAMP_TOO_OLD");
    const fresh = await fetch(`${listener.origin}/_tradehook/api/deliveries/1/fresh`, { method: "POST", headers: { "x-tradehook-inspector": "1" } });
    expect(await fresh.json()).toMatchObject({ ok: true, seq: 2, status: 200, outcome: "processed" });
  });

  it.each([
    ["quotes, $(…), backticks, ! and a trailing newline (printf)", '{"event":"signal.buy","note":"it\'s $(echo pwned) `id` !x \\ é \'\'"}\n', "printf '%s'"],
    ["CRLF line ends (base64)", '{"event":"signal.buy",\r\n"note":"x"}\r\n', "base64 -d"],
  ])("copies as curl a body with %s: bash sends the exact bytes", async (_, body, how) => {
    const listener = await listen(["--provider", "apindicators"]);
    const signature = `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`;
    const first = await fetch(`${listener.origin}/webhook`, { method: "POST", headers: { "x-webhook-signature": signature }, body });
    const answer = (await first.json()) as { error: { code: string } };
    // Authentic, then refused for what it says: any changed byte would make it 401 INVALID_SIGNATURE instead.
    expect(["INVALID_SIGNATURE", "MISSING_SIGNATURE"]).not.toContain(answer.error.code);
    const command = await (await fetch(`${listener.origin}/_tradehook/api/deliveries/1/curl`)).text();
    expect(command).toContain(how);
    const again = await new Promise<string>((resolve) => execFile("bash", ["-c", command], (_e, stdout) => resolve(stdout)));
    expect(JSON.parse(again)).toEqual(answer);
    const saved = (await (await fetch(`${listener.origin}/_tradehook/api/deliveries/2/fixture`)).json()) as { body: string };
    expect(saved.body).toBe(body);
  });

  it("offers no replay, curl or fixture of an oversized delivery, whose body was never read past the cap", async () => {
    const listener = await listen(["--provider", "apindicators", "--max-body-bytes", "100"]);
    const first = await fetch(`${listener.origin}/webhook`, { method: "POST", headers: { "x-webhook-signature": "sha256=00" }, body: "x".repeat(200) });
    expect(first.status).toBe(413);
    const detail = (await (await fetch(`${listener.origin}/_tradehook/api/deliveries/1`)).json()) as { actions: Record<string, boolean>; diagnosis: { verdict: string } };
    expect(detail.actions).toEqual({ replay: false, fresh: false, export: false });
    expect(detail.diagnosis.verdict).toBe("not checked");
    const replay = await fetch(`${listener.origin}/_tradehook/api/deliveries/1/replay`, { method: "POST", headers: { "x-tradehook-inspector": "1" } });
    expect(replay.status).toBe(409);
    expect(((await replay.json()) as { error: { message: string } }).error.message).toContain("not read past the size cap");
    expect((await fetch(`${listener.origin}/_tradehook/api/deliveries/1/curl`)).status).toBe(409);
  });

  it("shows what the app answered a forwarded delivery", async () => {
    const app = await listen(["--provider", "pipai", "--path", "/app", "--no-inspector"]);
    const proxy = await listen(["--provider", "pipai", "--forward", `${app.origin}/app`]);
    expect((await tradehook(["send", "strategy.deployed", "--provider", "pipai", "--url", `${proxy.origin}/webhook`])).code).toBe(0);
    const detail = (await (await fetch(`${proxy.origin}/_tradehook/api/deliveries/1`)).json()) as { forward: { status: number }; diagnosis: { verdict: string } };
    expect(detail.forward).toEqual({ status: 200 });
    expect(detail.diagnosis.verdict).toBe("verified");
  });
});

describe("what it shows", () => {
  it("never shows TradingView's token, in the body or in the URL; the exact request is still exported", async () => {
    const listener = await listen(["--provider", "tradingview"]);
    const url = `${listener.origin}/webhook`;
    expect((await tradehook(["send", "--provider", "tradingview", "--url", url])).code).toBe(0);
    expect((await tradehook(["send", "--provider", "tradingview", "--url", url, "--via", "url", "--data", '{"ticker":"ETHUSDT"}'])).code).toBe(0);
    for (const seq of [1, 2]) {
      const detail = await (await fetch(`${listener.origin}/_tradehook/api/deliveries/${seq}`)).text();
      expect(detail).not.toContain(SECRET);
      expect(detail).toContain("masked");
      const saved = await (await fetch(`${listener.origin}/_tradehook/api/deliveries/${seq}/fixture`)).text();
      expect(saved).toContain(SECRET);
    }
  });

  it("masks signature and credential headers after at most 8 characters and removes configured secrets anywhere", () => {
    const redact = new Redactor(["s3cret-value"], "X-Webhook-Signature");
    const signature = `sha256=${"ab".repeat(32)}`;
    expect(redact.header("x-webhook-signature", signature)).toBe("sha256=a… (71 chars, masked)");
    expect(redact.header("Authorization", "Bearer abcdefghijkl")).toBe("Bearer a… (19 chars, masked)");
    expect(redact.header("X-Note", "uses s3cret-value here")).toBe("uses ‹secret› here");
    expect(redact.url("/hook?token=tv-token-123&x=1")).toBe("/hook?token=tv-tok… (12 chars, masked)&x=1");
    expect(redact.body('{"passphrase":"abcdefghijkl","n":1}')).toBe('{"passphrase":"abcdef… (12 chars, masked)","n":1}');
    expect(redact.header("x-webhook-signature", "short")).toBe("sh… (5 chars, masked)");
  });
});

describe("bounded memory", () => {
  const record = (body: Uint8Array): DeliveryRecord => ({
    time: new Date(), path: "/webhook", provider: "apindicators", status: 401, outcome: "INVALID_SIGNATURE", message: undefined,
    type: undefined, id: undefined, ms: 0.1, forward: undefined,
    request: { method: "POST", url: "/webhook", rawHeaders: ["content-type", "application/json"], body, ip: "127.0.0.1" },
  });

  it(`keeps the last ${KEEP_DELIVERIES} deliveries`, () => {
    const journal = new Journal();
    for (let i = 0; i < KEEP_DELIVERIES + 100; i++) journal.add(record(new Uint8Array(10)));
    expect(journal.size).toBe(KEEP_DELIVERIES);
    expect(journal.get(100)).toBeUndefined();
    expect(journal.get(101)?.seq).toBe(101);
    expect(journal.get(KEEP_DELIVERIES + 100)?.seq).toBe(KEEP_DELIVERIES + 100);
    expect(journal.bodyBytes).toBe(KEEP_DELIVERIES * 10);
  });

  it("keeps bodies of up to 1 MiB whole within a total budget, dropping the oldest bodies first; a larger body is cut", () => {
    const journal = new Journal();
    const mib = 1024 * 1024;
    for (let i = 0; i < 40; i++) journal.add(record(new Uint8Array(mib)));
    expect(journal.bodyBytes).toBeLessThanOrEqual(KEEP_TOTAL_BYTES);
    expect(journal.get(1)!.body).toBeUndefined();
    expect(journal.get(40)!.body!.byteLength).toBe(mib);
    const huge = journal.add(record(new Uint8Array(2 * mib)));
    expect(huge.body).toBeUndefined();
    expect(huge.record.request!.body.byteLength).toBe(64 * 1024);
    expect(huge.summary.bytes).toBe(2 * mib);
  });
});
