/**
 * axe-core on every page of the console, with data on it (issue 12): Projects, Edit Project (a
 * pending certificate, a revealed one, the delete dialog open), Migration (readiness with logins, a
 * shadow target, a rollout with a tripped guard on its timeline, the advance dialog open), Live
 * (the chart, journal rows, an explanation open, a fault rule). No violation of impact serious or
 * critical, and no console error, failed request or page error on any of them. The keyboard alone
 * reaches and opens the dialog and Escape closes it.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { createRtmClient } from "../../client/index.js";
import { startGateway, type TestGateway } from "../../client/testing.js";
import { eventually, launchBrowser, RUN_BROWSER, seriousViolations, warnIfSkipped, type Browser } from "./browser.js";

warnIfSkipped("console-a11y.test.ts");

const EITHER = "a1100000000000000000000000000001";
const TOKEN = "a2200000000000000000000000000002";
let gw: TestGateway;
let browser: Browser;

beforeAll(async () => {
  if (!RUN_BROWSER) return;
  gw = await startGateway({
    clock: "manual",
    now: 1_800_000_000,
    config: { certActivationDelaySeconds: 3600, rolloutTickMs: 0 },
    projects: [
      { appId: EITHER, mode: "either" },
      { appId: TOKEN, mode: "token" },
    ],
  });
  // Traffic for the figures: App ID logins on the either project, a refusal on the token project.
  for (const uid of ["u1", "u2", "u3"]) {
    const c = createRtmClient({ url: gw.url, appId: EITHER });
    await c.login({ uid, token: null });
    await c.close();
  }
  const r = createRtmClient({ url: gw.url, appId: TOKEN, profile: "rtm2" });
  await expect(r.login({ uid: "nobody", token: null })).rejects.toMatchObject({ reason: "token_required" });
  await r.close();
  // A secondary pending its activation, a shadow target, and a rollout whose guard tripped.
  await gw.admin.certificates.enableSecondary(EITHER);
  await gw.admin.migration.rollout.put(EITHER, {
    target: { target: "token_only" },
    stages: [
      { name: "canary", cohort: { uidPattern: "u*" }, minSeconds: 600, guards: [{ reason: "token_required", maxPercent: 1, minLogins: 1 }] },
      { name: "everyone", cohort: { percent: 100 }, minSeconds: 600 },
    ],
  });
  const c = createRtmClient({ url: gw.url, appId: EITHER });
  await expect(c.login({ uid: "u9", token: null })).rejects.toMatchObject({ reason: "token_required" });
  await c.close();
  await gw.clock.advance(1); // the controller judges on clock jumps (ROLLOUT_TICK_MS 0): the guard trips
  expect((await gw.admin.migration.rollout.get(EITHER)).status).toBe("rolled_back");
  await gw.admin.migration.rollout.act(EITHER, "resume");
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await gw?.close();
});

it.skipIf(!RUN_BROWSER)(
  "no serious or critical axe violation and no console error on any page, dialogs included",
  async () => {
    const { page, problems } = await browser.newPage();
    const check = async (what: string) => {
      expect(await seriousViolations(page), what).toEqual([]);
      expect(problems, what).toEqual([]);
    };

    await page.goto(`${gw.httpUrl}/console/#/projects`);
    await page.locator("tr", { hasText: EITHER }).waitFor();
    await check("Projects");

    await page.goto(`${gw.httpUrl}/console/#/projects/${EITHER}`);
    await page.getByText(/pending until/).waitFor();
    await page.getByRole("button", { name: "Reveal primary certificate" }).click();
    await page.getByRole("button", { name: "Mint token" }).click();
    await page.locator("#minted-token").waitFor();
    await page.getByRole("button", { name: "Explain this token" }).click();
    await page.getByRole("table", { name: "Decoded token" }).waitFor();
    await check("Edit Project");

    // Keyboard: focus the Delete button, open its dialog with Enter, close it with Escape.
    await page.getByRole("button", { name: "Delete No certificate" }).focus();
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog", { name: "Delete “No certificate”" });
    await dialog.getByRole("table", { name: "Dry-run figures" }).waitFor();
    await check("Edit Project, delete dialog");
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    expect((await gw.admin.projects.get(EITHER)).noCertificate).toBe(true);

    await page.goto(`${gw.httpUrl}/console/#/migration/${EITHER}`);
    await page.getByRole("list", { name: "Rollout timeline" }).getByText(/guard 0 tripped: 1 of 1 refused/).first().waitFor();
    await page.locator('select[name="shadow-target"]').selectOption("token_only");
    await page.getByRole("button", { name: "Set shadow target" }).click();
    await page.getByText("token only (“No certificate” deleted)").waitFor();
    expect((await gw.admin.projects.get(EITHER)).shadow).toEqual({ target: "token_only" });
    await check("Migration");
    await page.getByRole("button", { name: "Advance", exact: true }).click();
    await page.getByRole("dialog", { name: /^Advance to “/ }).waitFor();
    await check("Migration, advance dialog");
    await page.getByRole("button", { name: "Cancel" }).click();

    await page.goto(`${gw.httpUrl}/console/#/live`);
    await page.locator("#journal tbody tr", { hasText: "nobody" }).waitFor();
    await page.locator("#journal tbody tr", { hasText: "nobody" }).getByRole("button", { name: /Explain decision/ }).click();
    await page.locator("#explain-entry").getByRole("heading", { name: "Hints" }).waitFor();
    await gw.admin.faults.add({ op: "login", uid: "x*", action: { type: "delay", ms: 10 } });
    await page.getByRole("table", { name: "Fault rules" }).waitFor();
    await eventually("the chart has drawn", async () => (await page.locator(".chart canvas").count()) === 1);
    await check("Live");
  },
  60_000,
);
