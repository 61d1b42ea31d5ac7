/**
 * @module Test helper: Debian's headless Chromium through playwright-core, or one line saying how to install it.
 *
 * A missing Chromium skips the browser suite locally, but under CI=true it fails the run: CI must
 * never pass by skipping the browser (scripts/ensure-chromium.sh installs it).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";

/** Where Debian's `chromium` package puts the browser; `CHROMIUM_PATH` overrides it. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Whether Chromium is installed; throws under CI=true when it is not. */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  const line = `${CHROMIUM} is missing: the inspector's browser tests are skipped. Install it with: sh scripts/ensure-chromium.sh (apt-get install chromium), or set CHROMIUM_PATH`;
  if (process.env.CI === "true") throw new Error(`CI=true and ${line.replace("are skipped", "cannot run")}`);
  console.warn(line);
  return false;
}

/** A headless Chromium with a fresh profile, nothing fetched from the network; `close()` removes the profile. */
export async function launchChromium(viewport = { width: 1280, height: 800 }): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), "tradehook-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Opens the inspector at `origin` in a new page of `context` and waits for its live stream.
 * Every dialog is dismissed and its message pushed to `dialogs`: an injected script would open one.
 */
export async function openInspector(context: BrowserContext, origin: string, dialogs: string[]): Promise<Page> {
  const page = await context.newPage();
  page.on("dialog", (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await page.goto(`${origin}/`);
  await page.locator("#conn[data-state=live]").waitFor();
  return page;
}

/** Runs axe-core's WCAG 2 A and AA rules on the page; returns its serious and critical violations, each as `rule: targets`. */
export async function seriousAxeViolations(page: Page): Promise<string[]> {
  // Evaluated over the DevTools protocol, which the page's content security policy does not govern.
  await page.evaluate(readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8"));
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa"] } });
    return result.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  });
}
