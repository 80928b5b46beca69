/**
 * Driving the console in Debian's Chromium (playwright-core) for the console tests: a fresh
 * browser context per test file (its own cookies, storage and cache, like a fresh profile), a
 * record of everything that went wrong on a page (console errors and warnings, page errors, failed
 * requests, CSP violations), and axe-core's accessibility check.
 *
 * One headless Chromium serves every file a test worker runs: the worker processes keep their
 * modules from file to file (vitest.config.ts, isolate: false), and launching and closing a
 * Chromium per file cost seconds of wall time each on a small machine. It is launched on first
 * use, launched again if it went away, and killed by playwright-core when the worker exits.
 *
 * Installs nothing: without /usr/bin/chromium (or CHROMIUM_PATH) the tests skip with a printed
 * reason locally, and fail when CI=true (.ci/run installs chromium).
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { chromium, type Browser as PlaywrightBrowser, type BrowserContext, type Page } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
export const CI = process.env.CI === "true";
/** True when the browser tests run (Chromium here, or CI, where its absence is a failure). */
export const RUN_BROWSER = HAVE_CHROMIUM || CI;

/** Warns once per file when the browser tests are skipped. */
export function warnIfSkipped(file: string): void {
  if (!RUN_BROWSER) console.warn(`${file}: skipped: ${CHROMIUM} is not installed (apt-get install -y chromium; CI installs it)`);
}

/** A fresh browser context of the worker's Chromium; `close()` closes the context. */
export interface Browser {
  readonly context: BrowserContext;
  newPage(): Promise<WatchedPage>;
  close(): Promise<void>;
}

/** A page and what went wrong on it so far. */
export interface WatchedPage {
  readonly page: Page;
  /** `console error: …`, `console warning: …`, `page error: …`, `request failed: …`, in order. */
  readonly problems: string[];
}

let shared: Promise<PlaywrightBrowser> | undefined;

/** The worker's headless Chromium, launched on first use (and again if it went away). */
async function sharedChromium(): Promise<PlaywrightBrowser> {
  if (!HAVE_CHROMIUM) throw new Error(`${CHROMIUM} is missing: CI must install Debian's chromium (.ci/run)`);
  if (shared !== undefined) {
    const running = await shared.catch(() => undefined);
    if (running?.isConnected() === true) return running;
  }
  shared = chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  return await shared;
}

/** A new context (1280×900) of the worker's Chromium: nothing shared with another file's. */
export async function newBrowserContext(): Promise<BrowserContext> {
  return await (await sharedChromium()).newContext({ viewport: { width: 1280, height: 900 } });
}

/** A fresh context of the worker's headless Chromium (1280×900), with watched pages. */
export async function launchBrowser(): Promise<Browser> {
  const context = await newBrowserContext();
  return {
    context,
    async newPage() {
      const page = await context.newPage();
      const problems: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`);
      });
      page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
      page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ""}`));
      return { page, problems };
    },
    async close() {
      await context.close();
    },
  };
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** One axe-core violation, shortened for an assertion message. */
export interface AxeFinding {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly targets: string[];
}

/**
 * Runs axe-core (WCAG 2.x A and AA rules, and best practices) on the page as it is now and returns
 * the violations of impact `serious` or `critical`. axe is evaluated through the DevTools protocol,
 * so the page's Content-Security-Policy stays in force and is not loosened for the check.
 */
export async function seriousViolations(page: Page): Promise<AxeFinding[]> {
  if (!(await page.evaluate(() => typeof (globalThis as { axe?: unknown }).axe === "object"))) {
    await page.evaluate(`${AXE_SOURCE}\n;undefined`);
  }
  const results = (await page.evaluate('axe.run(document, { resultTypes: ["violations"] })')) as { violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: string[] }> }> };
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 5).map((n) => n.target.join(" ")) }));
}

/** Waits until `predicate()` resolves true (polling every 50 ms), else throws with `what` after `timeoutMs`. */
export async function eventually(what: string, predicate: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
