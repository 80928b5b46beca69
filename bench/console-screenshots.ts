/**
 * `npm run docs:console`: the README's pictures of the console (docs/console.md), from a real
 * gateway. Starts a gateway in this process (manual clock at 2027-01-15 08:00 UTC, an activation
 * delay of one hour), states three projects (App ID, either, token), sends logins through the client
 * SDK, puts a staged rollout on the `either` project whose canary guard trips, then opens each page
 * in headless Chromium (playwright-core: CHROMIUM_PATH, default /usr/bin/chromium) and writes
 * docs/images/console-projects.png, console-edit-project.png, console-delete-dialog.png,
 * console-migration.png and console-live.png (1280 px wide). Every page is checked for browser
 * console errors on the way; any makes the script fail.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Page } from "playwright-core";
import { createRtmClient } from "../client/index.js";
import type { RtmClient } from "../client/rtm-client.js";
import { startGateway } from "../client/testing.js";

const ROOT = fileURLToPath(new URL(import.meta.url.includes("/dist/") ? "../../" : "../", import.meta.url));
const IMAGES = join(ROOT, "docs/images");
const APPID = "a1000000000000000000000000000001";
const EITHER = "e2000000000000000000000000000002";
const TOKEN = "f3000000000000000000000000000003";
const START = 1_800_000_000;

const gw = await startGateway({
  clock: "manual",
  now: START,
  config: { certActivationDelaySeconds: 3600 },
  projects: [
    { appId: APPID, mode: "appid" },
    { appId: EITHER, mode: "either" },
    { appId: TOKEN, mode: "token" },
  ],
});
const open: RtmClient[] = [];

/** One SDK login; kept open when `hold`, else closed. Refusals are expected and swallowed. */
async function login(appId: string, uid: string, token: string | null, hold = false): Promise<void> {
  const c = createRtmClient({ url: gw.url, appId, profile: uid.length % 2 === 0 ? "rtm1" : "rtm2" });
  try {
    await c.login({ uid, token });
    if (hold) {
      open.push(c);
      return;
    }
  } catch {
    // A refusal: it is what the figures are about.
  }
  await c.close();
}

const mint = async (appId: string, uid: string): Promise<string> => (await gw.admin.tokens.mint({ appId, uid, version: "007", expireSeconds: 86400 })).token;

// The either project: App ID logins and token logins, so that the readiness and the dry-runs have figures.
for (let i = 0; i < 12; i++) await login(EITHER, `player-${i}`, null, i < 4);
for (let i = 12; i < 20; i++) await login(EITHER, `player-${i}`, await mint(EITHER, `player-${i}`), i < 15);
for (let i = 0; i < 6; i++) await login(TOKEN, `viewer-${i}`, await mint(TOKEN, `viewer-${i}`), true);
await login(TOKEN, "legacy-1", null);
// A staged rollout whose canary guard trips, resumed and advanced by an operator.
await gw.admin.migration.rollout.put(EITHER, {
  target: { target: "token_only" },
  advance: "manual",
  stages: [
    { name: "canary", cohort: { uidPattern: "canary-*" }, minSeconds: 3600, guards: [{ reason: "token_required", maxPercent: 1, minLogins: 3 }] },
    { name: "10%", cohort: { percent: 10 }, minSeconds: 86400, guards: [{ reason: "token_required", maxPercent: 1, minLogins: 200 }] },
    { name: "everyone", cohort: { percent: 100 }, minSeconds: 86400, guards: [{ reason: "token_required", maxPercent: 0.5, minLogins: 1000 }] },
  ],
});
await gw.clock.advance(600);
for (let i = 1; i <= 3; i++) await login(EITHER, `canary-${i}`, null);
await gw.clock.advance(60);
await gw.admin.migration.rollout.act(EITHER, "resume");
await gw.clock.advance(1800);
for (let i = 4; i <= 6; i++) await login(EITHER, `canary-${i}`, await mint(EITHER, `canary-${i}`));
await gw.admin.migration.rollout.act(EITHER, "advance");
await gw.clock.advance(900);
await gw.admin.certificates.enableSecondary(EITHER);
await fetch(`${gw.httpUrl}/admin/projects/${EITHER}/shadow`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ target: "token_only" }) });
for (let i = 0; i < 5; i++) await login(EITHER, `player-${i}`, null);
await gw.admin.faults.add({ op: "login", uid: "flaky-*", probability: 0.5, seed: 7, action: { type: "delay", ms: 800 } });

mkdirSync(IMAGES, { recursive: true });
const profile = mkdtempSync(join(tmpdir(), "rtm-console-shot-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  headless: true,
  viewport: { width: 1280, height: 900 },
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const problems: string[] = [];
let traffic: Promise<void> | null = null;
try {
  const page = await context.newPage();
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") problems.push(`${page.url()}: console ${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`${page.url()}: page error: ${e.message}`));
  const shot = async (p: Page, name: string, fullPage = true) => {
    await p.screenshot({ path: join(IMAGES, `console-${name}.png`), fullPage });
    console.log(`wrote docs/images/console-${name}.png`);
  };

  await page.goto(`${gw.httpUrl}/console/#/projects`);
  await page.locator("tr", { hasText: TOKEN }).waitFor();
  await shot(page, "projects");

  await page.goto(`${gw.httpUrl}/console/#/projects/${EITHER}`);
  await page.getByText(/pending until/).waitFor();
  await page.getByRole("button", { name: "Mint token" }).click();
  await page.locator("#minted-token").waitFor();
  await page.getByRole("button", { name: "Explain this token" }).click();
  await page.getByRole("table", { name: "Decoded token" }).waitFor();
  await page.evaluate("window.scrollTo(0, 0)");
  await shot(page, "edit-project", false);
  await page.getByRole("button", { name: "Delete No certificate" }).click();
  const dialog = page.getByRole("dialog", { name: "Delete “No certificate”" });
  await dialog.getByRole("table", { name: "Dry-run figures" }).waitFor();
  await dialog.getByLabel(/Type the App ID/).fill(EITHER.slice(0, 20));
  await shot(page, "delete-dialog", false);
  await page.keyboard.press("Escape");

  await page.goto(`${gw.httpUrl}/console/#/migration/${EITHER}`);
  await page.getByRole("list", { name: "Rollout timeline" }).getByText(/guard 0 tripped/).first().waitFor();
  await shot(page, "migration");

  await page.goto(`${gw.httpUrl}/console/#/live`);
  await page.locator("#journal tbody tr").first().waitFor();
  // Fifteen seconds of traffic while the chart watches: accepts, and refusals of three reasons, in a
  // seeded random order; the picture is taken while it runs.
  let seed = 12345;
  const draw = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  traffic = (async () => {
    for (let t = 0; t < 150; t++) {
      const n = draw();
      if (n < 0.5) await login(EITHER, `player-${20 + t}`, await mint(EITHER, `player-${20 + t}`), n < 0.08);
      else if (n < 0.7) await login(TOKEN, `viewer-${t}`, await mint(TOKEN, `viewer-${t}`));
      else if (n < 0.88) await login(TOKEN, `legacy-${t}`, null);
      else await login(TOKEN, `viewer-${t}`, `${await mint(TOKEN, `viewer-${t}`)}x`);
      await new Promise((resolve) => setTimeout(resolve, 40 + draw() * 120));
    }
  })();
  await page.waitForTimeout(9000);
  const refused = page.locator("#journal tbody tr", { hasText: "token_required" }).first();
  await refused.getByRole("button", { name: /Explain decision/ }).click();
  await page.locator("#explain-entry").getByRole("heading", { name: "Hints" }).waitFor();
  await page.waitForTimeout(1500);
  await page.evaluate("window.scrollTo(0, 0)");
  await shot(page, "live");
  await traffic;
} finally {
  await traffic?.catch(() => {});
  await context.close();
  rmSync(profile, { recursive: true, force: true });
  for (const c of open) await c.close();
  await gw.close();
}
if (problems.length > 0) {
  console.error(`browser problems:\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
