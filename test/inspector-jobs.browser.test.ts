/**
 * @module The inspector's Jobs view in a real headless Chromium: `tradehook listen --queue` (the built bin) over a real BullMQ queue whose worker (startWorker) fails, then succeeds; the page shows counts and failure reasons as text and retries from the mouse and the keyboard.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apindicators, createReceiver, MemoryStore } from "../src/index.js";
import { bullmqQueue, startWorker, type TradehookWorker } from "../src/queues/bullmq.js";
import { signDelivery } from "../src/testing/index.js";
import { chromiumAvailable, launchChromium, openInspector, seriousAxeViolations } from "./browser.js";
import { BIN, type Listener, startListener } from "./inspector-listener.js";
import { closedPort, REDIS_URL, serviceAvailable } from "./services.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SECRET = "inspector-jobs-browser-secret";
const NAME = `th-insp-b-${randomBytes(4).toString("hex")}`;
const SHOTS = join(ROOT, ".tmp", "inspector-screenshots", `jobs-${new Date().toISOString().replace(/[:.]/g, "-")}`);
const available = chromiumAvailable() && (await serviceAvailable("redis"));
const REASON = "exchange rejected the order: insufficient margin <img src=x onerror=alert(1)>";

async function until<T>(probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.skipIf(!available)("the Jobs view in headless Chromium", () => {
  const queue = available ? bullmqQueue({ connection: { url: REDIS_URL }, name: NAME, jobs: { attempts: 1 } }) : undefined!;
  const receiver = createReceiver({ provider: apindicators({ secret: SECRET }), store: new MemoryStore(), queue, logger: {} });
  let failing = true;
  let completed = 0;
  let worker: TradehookWorker;
  const running: Listener[] = [];
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;
  const dialogs: string[] = [];
  const count = async (state: string) => Number((await page.locator("#jobs-counts li", { hasText: state }).locator("b").innerText()).trim());
  const failedRows = () => page.locator("#jobs-rows tr");

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    console.log(`inspector screenshots: ${SHOTS}`);
    receiver.on("signal.buy", () => {
      if (failing) throw new Error(REASON);
      completed++;
    });
    let failures = 0;
    const failed = new Promise<void>((resolve) => receiver.onError(() => ++failures === 3 && resolve()));
    worker = startWorker(receiver);
    for (const pair of ["BTCUSDT", "ETHUSDT", "SOLUSDT"]) {
      const payload = { event: "signal.buy", timestamp: new Date().toISOString(), data: { pair, side: "buy", score: 0.4, market_type: "trending", interval: "1h" } };
      const { body, headers } = signDelivery(apindicators({ secret: SECRET }), payload);
      expect((await receiver.handle({ body, headers, method: "POST" })).status).toBe(202);
    }
    await failed;

    const { origin } = await startListener(["--provider", "apindicators", "--queue", REDIS_URL, "--queue-name", NAME], SECRET, running);
    browser = await launchChromium();
    page = await openInspector(browser.context, origin, dialogs);
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all(running.map((l) => l.stop()));
    if (!available) return;
    await worker?.close();
    await queue.queue.obliterate({ force: true }).catch(() => {});
    await queue.close();
  });

  it("shows a Jobs tab with the failed count; it lists counts per state and each failed job with its reason as text", async () => {
    const tab = page.getByRole("tab", { name: /Jobs/ });
    await tab.waitFor();
    await until(async () => (await page.locator("#jobs-count").innerText()) === "3" || undefined);
    await tab.click();
    expect(await tab.getAttribute("aria-selected")).toBe("true");
    expect(await page.locator("#view-deliveries").isHidden()).toBe(true);
    await until(async () => (await failedRows().count()) === 3 || undefined);
    expect(await count("failed")).toBe(3);
    expect(await count("completed")).toBe(0);
    expect(await count("waiting")).toBe(0);
    expect(await page.locator("#jobs-where").innerText()).toBe(`queue ${NAME} on ${new URL(REDIS_URL).toString()}`);
    const first = failedRows().first();
    expect(await first.locator("td.reason").innerText()).toBe(REASON);
    expect(await first.locator("td.type").innerText()).toBe("signal.buy");
    expect(await first.locator("td.num").innerText()).toBe("1/1");
    // The reason's markup stays text: no image element, no script ran.
    expect(await page.locator("img").count()).toBe(0);
    expect(dialogs).toEqual([]);
    const html = await page.content();
    for (const hidden of [SECRET, "BTCUSDT", "market_type"]) expect(html).not.toContain(hidden);
    await page.screenshot({ path: join(SHOTS, "jobs.png") });
  });

  it("passes axe-core's WCAG 2 A and AA rules on the Jobs view with no serious or critical violation", async () => {
    const violations = await seriousAxeViolations(page);
    expect(violations).toEqual([]);
  });

  it("reads on a narrow window", async () => {
    await page.setViewportSize({ width: 420, height: 800 });
    try {
      const box = await failedRows().first().locator("button").boundingBox();
      expect(box!.x + box!.width).toBeLessThanOrEqual(420);
      expect(await failedRows().first().locator("td.reason").isVisible()).toBe(true);
      await page.screenshot({ path: join(SHOTS, "jobs-narrow.png") });
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });

  it("retries one failed job: it leaves the failed list and, the handler fixed, completes", async () => {
    failing = false;
    await failedRows().first().getByRole("button", { name: /^Retry signal\.buy / }).click();
    await until(async () => (await failedRows().count()) === 2 || undefined);
    expect(await page.locator("#jobs-say").innerText()).toMatch(/^Retried signal\.buy \S+: it is waiting for a worker again\.$/);
    // Focus stays in the list, on the next job's Retry button.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Retry");
    await until(async () => (await count("completed")) === 1 || undefined);
    expect(completed).toBe(1);
    expect(await count("failed")).toBe(2);
    expect(await page.locator("#jobs-count").innerText()).toBe("2");
  });

  it("is driven by the keyboard: arrow keys between tabs, Retry all failed with Enter", async () => {
    await page.getByRole("tab", { name: /Deliveries/ }).click();
    expect(await page.locator("#view-jobs").isHidden()).toBe(true);
    await page.keyboard.press("ArrowRight");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("tab-jobs");
    expect(await page.locator("#view-jobs").isVisible()).toBe(true);
    await page.locator("#jobs-retry-all").focus();
    await page.keyboard.press("Enter");
    await until(async () => (await failedRows().count()) === 0 || undefined);
    expect(await page.locator("#jobs-say").innerText()).toBe("Retried 2 failed jobs.");
    await until(async () => (await count("completed")) === 3 || undefined);
    expect(await page.locator("#jobs-empty").isVisible()).toBe(true);
    expect(await page.locator("#jobs-retry-all").isDisabled()).toBe(true);
    await page.screenshot({ path: join(SHOTS, "jobs-all-retried.png") });
  });
});

describe.skipIf(!chromiumAvailable())("the Jobs view when Redis cannot be reached", () => {
  it("says so in the view, and the deliveries go on", async () => {
    const port = await closedPort();
    const child = spawn(process.execPath, [BIN, "listen", "--provider", "apindicators", "--port", "0", "--queue", `redis://:hunter2-pass@127.0.0.1:${port}`], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: "1", TRADEHOOK_SECRET: SECRET },
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    const browser = await launchChromium();
    try {
      const origin = await until(() => /inspector on (http:\/\/127\.0\.0\.1:\d+)\//.exec(out)?.[1]);
      const page = await browser.context.newPage();
      await page.goto(`${origin}/`);
      await page.getByRole("tab", { name: /Jobs/ }).click();
      const alert = page.getByRole("alert");
      await alert.waitFor();
      expect(await alert.innerText()).toBe(`Cannot read the queue: cannot reach Redis at redis://:***@127.0.0.1:${port}. Retrying every few seconds; deliveries are not affected.`);
      expect(await page.locator("#jobs-retry-all").isDisabled()).toBe(true);
      // No numbers beside the error, none on the tab.
      expect(await page.locator("#jobs-counts").isHidden()).toBe(true);
      expect(await page.locator("#jobs-count").innerText()).toBe("–");
      mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: join(SHOTS, "jobs-redis-down.png") });
      expect(await page.content()).not.toContain("hunter2-pass");
      const payload = { event: "signal.buy", timestamp: new Date().toISOString(), data: { pair: "BTCUSDT", side: "buy", score: 0.4, market_type: "trending", interval: "1h" } };
      const { body, headers } = signDelivery(apindicators({ secret: SECRET }), payload);
      expect((await fetch(`${origin}/webhook`, { method: "POST", headers, body })).status).toBe(200);
      await page.getByRole("tab", { name: /Deliveries/ }).click();
      await page.locator("#rows tr", { hasText: "processed" }).waitFor();
    } finally {
      await browser.close();
      child.kill("SIGINT");
      await new Promise((resolve) => child.once("exit", resolve));
    }
  });
});
