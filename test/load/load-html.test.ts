/**
 * The HTML report of `rtm-auth load --html` (and of a capacity search) is self-contained and loads
 * in headless Chromium (Debian's chromium driven by playwright-core) with no console error, no
 * page error and no request other than the file itself. The runs mint their tokens through the
 * admin API (`--admin-url`), so that path is exercised too.
 *
 * This test installs nothing: without /usr/bin/chromium (or CHROMIUM_PATH) it is skipped with a
 * printed reason locally, and FAILS when CI=true (.ci/run installs chromium).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { CapacityResult, LoadReport } from "../../client/load/index.js";
import type { Gateway } from "../../gateway/main.js";
import { CHROMIUM, CI, HAVE_CHROMIUM, newBrowserContext } from "../console/browser.js";
import { EITHER, ensureBuilt, runLoad, startTestGateway } from "./load-cli.js";

if (!HAVE_CHROMIUM && !CI) console.warn(`load-html.test.ts: skipped: ${CHROMIUM} is not installed (apt-get install -y chromium; CI installs it)`);

let gw: Gateway;
let dir: string;

beforeAll(async () => {
  ensureBuilt();
  gw = await startTestGateway();
  dir = mkdtempSync(join(tmpdir(), "rtm-load-html-"));
});

afterAll(async () => {
  await gw?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface PageCheck {
  readonly problems: string[];
  readonly requests: string[];
  readonly svgs: number;
  readonly title: string;
  readonly text: string;
}

/** Opens `file` in a fresh context of the worker's headless Chromium and collects what went wrong. */
async function openInChromium(file: string): Promise<PageCheck> {
  const context = await newBrowserContext();
  try {
    const page = await context.newPage();
    const problems: string[] = [];
    const requests: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()}`));
    page.on("request", (r) => requests.push(r.url()));
    const url = pathToFileURL(file).href;
    const response = await page.goto(url, { waitUntil: "load" });
    if (response !== null && !response.ok()) problems.push(`status ${response.status()}`);
    return { problems, requests: requests.filter((r) => r !== url), svgs: await page.locator("svg").count(), title: await page.title(), text: await page.locator("body").innerText() };
  } finally {
    await context.close();
  }
}

it.skipIf(!HAVE_CHROMIUM && !CI)(
  "a run's report and a capacity search's report load in headless Chromium without errors",
  async () => {
    expect(HAVE_CHROMIUM, `${CHROMIUM} is missing: CI must install Debian's chromium (.ci/run)`).toBe(true);
    const admin = ["--url", gw.url, "--app-id", EITHER.appId, "--admin-url", gw.httpUrl, "--quiet", "--seed", "9"];

    const runHtml = join(dir, "run.html");
    const runJson = join(dir, "run.json");
    const run = await runLoad([...admin, "--rate", "40", "--duration", "2s", "--mix", "token007:0.5,token006:0.25,appid:0.25", "--invalid", "0.1", "--hold", "1200ms", "--renew-every", "1s", "--threshold", "unexpected==0", "--html", runHtml, "--json", runJson]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const report = JSON.parse(readFileSync(runJson, "utf8")) as LoadReport;
    expect(report.target.minting).toBe("admin");
    expect(report.login.attempts).toBe(80);
    expect(report.unexpected.total).toBe(0);

    const capHtml = join(dir, "capacity.html");
    const capJson = join(dir, "capacity.json");
    const cap = await runLoad([...admin, "--find-capacity", "--rate", "20", "--step-duration", "1s", "--max-steps", "2", "--threshold", "p99<5s", "--html", capHtml, "--json", capJson]);
    expect(cap.code).toBe(0);
    const capacity = (JSON.parse(readFileSync(capJson, "utf8")) as { capacity: CapacityResult }).capacity;
    expect(capacity.steps.map((s) => s.rate)).toEqual([20, 30]);
    expect([capacity.highestPassingRate, capacity.stoppedBecause]).toEqual([30, "max_steps"]);

    const html = readFileSync(runHtml, "utf8");
    // Self-contained, and no secret in it: no script, no external reference, no token.
    expect(html).not.toMatch(/<script|\bsrc=|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect(html).not.toMatch(/00[67][A-Za-z0-9+/=]{40,}/);

    const page = await openInChromium(runHtml);
    expect(page.problems).toEqual([]);
    expect(page.requests).toEqual([]);
    expect(page.title).toBe("rtm-auth load report");
    expect(page.svgs).toBe(4);
    expect(page.text).toContain("Login latency over time");
    expect(page.text).toContain("invalid_signature");

    const capPage = await openInChromium(capHtml);
    expect(capPage.problems).toEqual([]);
    expect(capPage.requests).toEqual([]);
    expect(capPage.title).toBe("rtm-auth capacity search");
    expect(capPage.svgs).toBe(6);
    expect(capPage.text).toContain("Highest passing rate: 30/s");
  },
  60_000,
);
