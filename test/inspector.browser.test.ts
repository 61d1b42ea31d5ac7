/**
 * @module The inspector in a real headless Chromium: `tradehook listen` (the built bin) serves the page, `tradehook send` (child processes) delivers valid, forged, stale and duplicate requests, and the page shows, diagnoses, replays and copies them as curl.
 */
import { execFile } from "node:child_process";
import { createHmac, randomUUID } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumAvailable, launchChromium, openInspector, seriousAxeViolations } from "./browser.js";
import { BIN, type Listener, startListener } from "./inspector-listener.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SECRET = "inspector-test-secret";
const SHOTS = join(ROOT, ".tmp", "inspector-screenshots", new Date().toISOString().replace(/[:.]/g, "-"));
const available = chromiumAvailable();

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, NO_COLOR: "1", TRADEHOOK_SECRET: SECRET, ...extra };
}

function run(file: string, args: string[], extra: Record<string, string> = {}, input?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(file, args, { cwd: ROOT, env: env(extra), timeout: 30_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

const tradehook = (args: string[], extra: Record<string, string> = {}) => run(process.execPath, [BIN, ...args], extra);

const running: Listener[] = [];
let origin = "";
let webhook = "";
let browser: Awaited<ReturnType<typeof launchChromium>>;
let page: Page;
const dialogs: string[] = [];

async function until<T>(probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
}

const send = (args: string[], extra: Record<string, string> = {}) => tradehook(["send", ...args, "--provider", "apindicators", "--url", webhook], extra);
const rowTexts = () => page.locator("#rows tr").allInnerTexts();
const row = (text: string) => page.locator("#rows tr", { hasText: text });

describe.skipIf(!available)("the inspector in headless Chromium", () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    console.log(`inspector screenshots: ${SHOTS}`);
    ({ origin } = await startListener(["--provider", "apindicators"], SECRET, running));
    webhook = `${origin}/webhook`;
    browser = await launchChromium();
    await browser.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin });
    page = await openInspector(browser.context, origin, dialogs);
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all(running.map((l) => l.stop()));
  });

  it("shows valid, duplicate, forged and stale deliveries live, newest first, with their codes and badges", async () => {
    const now = String(Math.floor(Date.now() / 1000));
    expect((await send(["signal.buy", "--timestamp", now])).code).toBe(0);
    expect((await send(["signal.buy", "--timestamp", now])).code).toBe(0);
    expect((await send(["signal.sell"], { TRADEHOOK_SECRET: "not-the-secret" })).code).toBe(1);
    expect((await send(["signal.sell", "--timestamp", "2026-01-01T00:00:00Z"])).code).toBe(1);
    await page.locator("#rows tr").nth(3).waitFor();
    const rows = await page.$$eval("#rows tr", (trs) => trs.map((tr) => `${(tr as HTMLTableRowElement).cells[1]!.textContent} ${(tr as HTMLTableRowElement).cells[2]!.textContent}`));
    expect(rows).toEqual([
      "401 TIMESTAMP_TOO_OLD",
      "401 INVALID_SIGNATURE",
      "200 duplicate",
      "200 processed",
    ]);
    await expect(row("TIMESTAMP_TOO_OLD").getByRole("img", { name: "timestamp too old" }).count()).resolves.toBe(1);
    await expect(row("TIMESTAMP_TOO_OLD").getByRole("img", { name: "signature valid" }).count()).resolves.toBe(1);
    await expect(row("INVALID_SIGNATURE").getByRole("img", { name: "signature invalid" }).count()).resolves.toBe(1);
    await expect(row("duplicate").getByRole("img", { name: "duplicate delivery" }).count()).resolves.toBe(1);
    await expect(row("processed").getByRole("img", { name: "timestamp fresh" }).count()).resolves.toBe(1);
    await page.screenshot({ path: join(SHOTS, "list.png") });
    // Without --queue there is no Jobs view (test/inspector-jobs.browser.test.ts has it).
    expect(await page.getByRole("tab").count()).toBe(1);
  });

  it("opens a forged delivery: the diagnosis names the cause, the signature is masked, the secret is nowhere", async () => {
    await row("INVALID_SIGNATURE").click();
    const detail = page.locator("#detail");
    await detail.locator(".diag").waitFor();
    const text = await detail.innerText();
    expect(text).toContain("not authentic: INVALID_SIGNATURE");
    expect(text).toContain("likely cause: wrong secret");
    expect(text).toMatch(/X-Webhook-Signature\s+sha256=5?.{0,2}… \(71 chars, masked\)/i);
    // Neither the full signature nor a secret is anywhere in the page, shown or hidden.
    const seq = (await detail.locator("h2").innerText()).match(/#(\d+)/)![1];
    const saved = (await (await fetch(`${origin}/_tradehook/api/deliveries/${seq}/fixture`)).json()) as { headers: [string, string][] };
    const signature = saved.headers.find(([name]) => name.toLowerCase() === "x-webhook-signature")![1];
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    const html = await page.content();
    expect(html).not.toContain(signature.slice(16));
    expect(html).not.toContain(SECRET);
    expect(html).not.toContain("not-the-secret");
    expect(text).toContain('"event": "signal.sell"');
    await page.screenshot({ path: join(SHOTS, "failed-detail.png") });

    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Save as JSON fixture" }).click()]);
    expect(download.suggestedFilename()).toBe(`tradehook-delivery-${seq}.json`);
    const fixture = JSON.parse(readFileSync((await download.path())!, "utf8")) as { body: string; headers: [string, string][]; response: { status: number } };
    expect(fixture.headers).toContainEqual(["x-webhook-signature", signature]);
    expect(JSON.parse(fixture.body).event).toBe("signal.sell");
    expect(fixture.response.status).toBe(401);
  });

  it("replays the exact bytes of a processed delivery and the replay shows up as a duplicate", async () => {
    await row("processed").click();
    await page.locator("#detail .diag").waitFor();
    await page.getByRole("button", { name: "Replay exact bytes" }).click();
    const note = page.locator("#detail .note");
    await until(async () => /Replayed as #\d+/.test(await note.innerText()));
    expect(await note.innerText()).toMatch(/Replayed as #5: 200 duplicate/);
    await until(async () => (await rowTexts()).length === 5 || undefined);
    const top = (await rowTexts())[0]!;
    expect(top).toMatch(/200\s+duplicate/);
    expect(await page.locator("#rows tr").first().getByRole("img", { name: "replay of #1" }).count()).toBe(1);
  });

  it("copies a delivery as curl; the command, run in bash, gets the same answer as the replay", async () => {
    await page.getByRole("button", { name: "Copy as curl" }).click();
    await until(async () => /copied/.test(await page.locator("#detail .note").innerText()));
    const command = await page.evaluate(() => navigator.clipboard.readText());
    expect(command).toContain("--data-binary @-");
    const answer = await run("bash", ["-c", command]);
    expect(answer.stderr).toBe("");
    expect(answer.stdout).toMatch(/^\{"ok":true,"outcome":"duplicate","id":"[0-9a-f]{64}"\}\n$/);
    await until(async () => (await rowTexts()).length === 6 || undefined);
    expect((await rowTexts())[0]).toMatch(/200\s+duplicate/);
  });

  it("sends a fresh, re-signed copy of a stale delivery, which is processed", async () => {
    await row("TIMESTAMP_TOO_OLD").click();
    await page.locator("#detail .diag").waitFor();
    expect(await page.locator("#detail .diag").innerText()).toContain("stale timestamp");
    await page.screenshot({ path: join(SHOTS, "stale-detail.png") });
    await page.getByRole("button", { name: "Send fresh copy (re-signed now)" }).click();
    await until(async () => /Fresh copy sent as/.test(await page.locator("#detail .note").innerText()));
    expect(await page.locator("#detail .note").innerText()).toMatch(/200 processed/);
  });

  it("shows a header holding HTML as text, and a binary, non-UTF-8 body as hex that curl re-sends byte for byte", async () => {
    const body = Buffer.from([0xff, 0xfe, 0x00, 0x27, 0x22, 0x0d, 0x0a, 0x5c, 0x24, 0x21, 0x80]);
    const signature = `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`;
    const first = await fetch(webhook, {
      method: "POST",
      headers: { "x-webhook-signature": signature, "x-note": "<img src=x onerror=alert(1)>", "content-type": "application/octet-stream" },
      body,
    });
    const firstAnswer = await first.text();
    expect(first.status).toBe(400);
    await row("INVALID_JSON").first().click();
    const detail = page.locator("#detail");
    await detail.locator(".diag").waitFor();
    expect(await detail.getByRole("row", { name: /x-note/ }).locator("td").innerText()).toBe("<img src=x onerror=alert(1)>");
    expect(await page.locator("img").count()).toBe(0);
    expect(dialogs).toEqual([]);
    expect(await detail.innerText()).toContain("binary, 11 bytes");
    expect(await detail.getByLabel("Request body", { exact: true }).innerText()).toContain("ff fe 00 27 22 0d 0a 5c  24 21 80".replace("  ", " "));
    await page.getByRole("button", { name: "Copy as curl" }).click();
    await until(async () => /copied/.test(await page.locator("#detail .note").innerText()));
    const command = await page.evaluate(() => navigator.clipboard.readText());
    expect(command).toContain("base64 -d");
    await detail.getByLabel("Request body", { exact: true }).scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, "binary-detail.png") });
    const again = await run("bash", ["-c", command]);
    // The same 400 INVALID_JSON, not 401: the signature still matches, so every byte arrived as it was.
    expect(again.stdout).toBe(`${firstAnswer}\n`);
  });

  it("names re-serialised JSON as the likely cause when a body parser rewrote the signed bytes", async () => {
    const payload = { event: "signal.buy", timestamp: new Date().toISOString(), data: { pair: "BTCUSDT", side: "buy", score: 0.87, market_type: "trending", interval: "1h" } };
    const signature = `sha256=${createHmac("sha256", SECRET).update(JSON.stringify(payload)).digest("hex")}`;
    const response = await fetch(webhook, {
      method: "POST",
      headers: { "content-type": "application/json", "x-webhook-signature": signature, "user-agent": "my-bot/1.0 (express.json() ran first)" },
      body: JSON.stringify(payload, null, 2),
    });
    expect(response.status).toBe(401);
    await until(async () => /INVALID_SIGNATURE/.test((await rowTexts())[0] ?? "") || undefined);
    await page.locator("#rows tr").first().click();
    await page.locator("#detail .diag").waitFor();
    const diagnosis = await page.locator("#detail .diag").innerText();
    expect(diagnosis).toContain("likely cause: re-serialised JSON");
    expect(diagnosis).toContain("give the webhook route the raw body");
    await page.screenshot({ path: join(SHOTS, "failed-detail-reserialised.png") });
  });

  it("passes axe-core's WCAG 2 A and AA rules with no serious or critical violation, list and detail", async () => {
    const violations = await seriousAxeViolations(page);
    expect(await page.locator("#detail .diag").count()).toBe(1);
    expect(violations).toEqual([]);
  });

  it("reads on a narrow window: the detail covers the list and goes back to it", async () => {
    await page.keyboard.press("Escape");
    await page.setViewportSize({ width: 420, height: 800 });
    try {
      await page.locator("#rows tr").first().click();
      await page.locator("#detail .diag").waitFor();
      expect(await page.locator("#detail").boundingBox()).toMatchObject({ x: 0, width: 420 });
      await page.screenshot({ path: join(SHOTS, "narrow-detail.png") });
      await page.getByRole("button", { name: "← List" }).click();
      expect(await page.locator("#detail").isHidden()).toBe(true);
      expect(await page.locator("#rows tr").first().isVisible()).toBe(true);
      await page.screenshot({ path: join(SHOTS, "narrow-list.png") });
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });

  it("filters by outcome, type and text, and is driven by the keyboard", async () => {
    await page.keyboard.press("Escape");
    await page.selectOption("#f-outcome", "signature");
    expect((await rowTexts()).every((r) => /INVALID_SIGNATURE/.test(r))).toBe(true);
    await page.selectOption("#f-outcome", "");
    await page.selectOption("#f-type", "signal.buy");
    expect((await rowTexts()).length).toBeGreaterThan(0);
    expect((await rowTexts()).every((r) => /signal\.buy/.test(r))).toBe(true);
    await page.selectOption("#f-type", "");
    await page.fill("#f-text", "too_old");
    expect(await rowTexts()).toHaveLength(1);
    await page.fill("#f-text", "");
    const count = (await rowTexts()).length;
    expect(count).toBe(10);

    await page.locator("#rows tr").first().focus();
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("ArrowDown");
    const focused = await page.evaluate(() => (document.activeElement as HTMLElement).dataset.seq);
    await page.keyboard.press("Enter");
    await page.locator("#detail .diag").waitFor();
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe("H2");
    expect(await page.locator("#detail h2").innerText()).toContain(`#${focused}`);
    await page.keyboard.press("Escape");
    expect(await page.locator("#detail").isHidden()).toBe(true);
    expect(await page.evaluate(() => (document.activeElement as HTMLElement).dataset.seq)).toBe(focused);
  });

  it("keeps a 1 MiB body whole for replay, and the list bounded at 500 rows through 10,000 deliveries", { timeout: 180_000 }, async () => {
    const big = JSON.stringify({ event: "signal.buy", timestamp: new Date().toISOString(), data: { pair: "BTCUSDT", side: "buy", score: 0.5, market_type: "trending", interval: "1h", pad: "x".repeat(1024 * 1024 - 200) } });
    const bytes = Buffer.from(big);
    expect(bytes.byteLength).toBeLessThanOrEqual(1024 * 1024);
    const signature = `sha256=${createHmac("sha256", SECRET).update(bytes).digest("hex")}`;
    const first = await fetch(webhook, { method: "POST", headers: { "x-webhook-signature": signature }, body: bytes });
    expect(first.status).toBe(200);
    await until(async () => /processed/.test((await rowTexts())[0] ?? "") || undefined);
    await page.locator("#rows tr").first().click();
    await page.locator("#detail .diag").waitFor();
    expect(await page.locator("#detail").innerText()).toContain(`json, ${bytes.byteLength} bytes — cut for display`);
    await page.getByRole("button", { name: "Replay exact bytes" }).click();
    await until(async () => /Replayed as/.test(await page.locator("#detail .note").innerText()) || undefined);
    expect(await page.locator("#detail .note").innerText()).toMatch(/200 duplicate/);
    await page.keyboard.press("Escape");

    // 10,000 forged deliveries, 50 at a time.
    let next = 0;
    const worker = async () => {
      while (next < 10_000) {
        next++;
        const response = await fetch(webhook, { method: "POST", headers: { "x-webhook-signature": "sha256=00", "x-run": randomUUID() }, body: `{"n":${next}}` });
        await response.arrayBuffer();
      }
    };
    await Promise.all(Array.from({ length: 50 }, worker));
    await until(async () => /10\d{3} received/.test(await page.locator("#shown").innerText()) || undefined);
    expect(await page.locator("#rows tr").count()).toBe(500);
    expect(await page.locator("#count").innerText()).toBe("500");
    await page.screenshot({ path: join(SHOTS, "after-10000.png") });
    // Still responsive: a row opens and its diagnosis renders.
    await page.locator("#rows tr").first().click();
    await page.locator("#detail .diag").waitFor();
    expect(await page.locator("#detail .diag").innerText()).toContain("INVALID_SIGNATURE");
  });
});
