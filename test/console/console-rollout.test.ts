/**
 * The Migration page after the newcomer's report (issue 12 follow-up), in Debian's Chromium:
 * - the shadow target warns when it names a certificate the project lacks, or the primary (the
 *   step itself is impossible); its "set" line goes once the target is no longer the one set;
 * - Start rollout asks first, saying whose logins are refused at once (the first stage's cohort);
 *   the dialog opens on Cancel;
 * - action lines are in words ("Rollout paused: now paused, …", "rolled back") and go once the
 *   rollout moves on (another revision);
 * - the final step's button stays disabled, with the reason, while a guard of the last stage does
 *   not hold, and is enabled once they hold; Abort opens on Cancel; closing a dialog gives the
 *   focus back to its button, or to the panel's heading when the step took the button away.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { createRtmClient } from "../../client/index.js";
import { startGateway, type TestGateway } from "../../client/testing.js";
import { eventually, launchBrowser, RUN_BROWSER, seriousViolations, warnIfSkipped, type Browser } from "./browser.js";

warnIfSkipped("console-rollout.test.ts");

const APP = "ab000000000000000000000000000007";
let gw: TestGateway;
let browser: Browser;

beforeAll(async () => {
  if (!RUN_BROWSER) return;
  gw = await startGateway({ clock: "manual", now: 1_800_000_000, config: { rolloutTickMs: 0 }, projects: [{ appId: APP, mode: "either" }] });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await gw?.close();
});

const PLAN = {
  target: { target: "token_only" },
  advance: "manual",
  stages: [
    { name: "canary", cohort: { uidPattern: "u*" }, minSeconds: 600 },
    { name: "everyone", cohort: { percent: 100 }, minSeconds: 600, guards: [{ reason: "token_required", maxPercent: 50, minLogins: 2 }] },
  ],
};

it.skipIf(!RUN_BROWSER)(
  "shadow warnings; start asks first; lines in words that go with the state; the final step waits for its guards; focus goes back",
  async () => {
    const { page, problems } = await browser.newPage();
    page.setDefaultTimeout(10_000);
    const focused = (): Promise<string> => page.evaluate('document.activeElement?.tagName + " " + (document.activeElement?.textContent?.trim() ?? "")');
    const focusIs = (what: string) => eventually(`the focus on ${what}`, async () => (await focused()) === what, 3000);
    await page.goto(`${gw.httpUrl}/console/#/migration/${APP}`);
    await page.getByRole("heading", { name: "What each step would do now" }).waitFor();
    // Nothing refused in the window: "0 logins", not "0 (0.0 %)".
    expect(await page.locator('tr[data-step="delete_no_certificate"] td:nth-child(3)').innerText()).toBe("0 logins");

    // Shadow targets that name what the project lacks, or the primary.
    const shadow = page.locator("section", { has: page.getByRole("heading", { name: "Shadow decisions" }) });
    await shadow.getByLabel("Shadow target").selectOption("delete_secondary");
    await shadow.locator("#shadow-warning").getByText("This project has no secondary certificate: deleting it is impossible (the real call answers secondary_not_found)").waitFor();
    await shadow.getByLabel("Shadow target").selectOption("delete_primary");
    await shadow.locator("#shadow-warning").getByText("The primary certificate cannot be deleted").waitFor();
    await shadow.getByText("but the step itself is impossible").waitFor();
    await shadow.getByRole("button", { name: "Set shadow target" }).click();
    await shadow.getByText("Shadow target set: every login is now decided a second time against it.").waitFor();
    await shadow.getByLabel("Shadow target").selectOption("token_only");
    expect(await shadow.locator("#shadow-warning").count()).toBe(0);
    await shadow.locator("#shadow-current-warning").getByText("The primary certificate cannot be deleted").waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    // Cleared by someone else: the "set" line goes with the target it reported.
    const cleared = await fetch(`${gw.httpUrl}/admin/projects/${APP}/shadow`, { method: "DELETE" });
    expect(cleared.status).toBe(204);
    await shadow.getByText("Shadow target set").waitFor({ state: "detached" });

    // Start rollout asks first, on Cancel, naming the cohort and what it loses.
    const rollout = page.locator("section", { has: page.getByRole("heading", { name: "Staged rollout" }) });
    await rollout.getByLabel(/^Plan \(JSON/).fill(JSON.stringify(PLAN));
    await rollout.getByRole("button", { name: "Start rollout" }).click();
    const start = page.getByRole("dialog", { name: "Start the rollout" });
    await start.getByText(/From the moment it starts, for uids matching u\* \(stage 1, “canary”\) of project ab0+7, their App ID logins \(no token\) are refused with token_required/).waitFor();
    await focusIs("BUTTON Cancel");
    await page.keyboard.press("Escape");
    await start.waitFor({ state: "hidden" });
    await focusIs("BUTTON Start rollout");
    expect((await fetch(`${gw.httpUrl}/admin/projects/${APP}/rollout`)).status).toBe(404);
    await rollout.getByRole("button", { name: "Start rollout" }).click();
    await start.getByRole("button", { name: "Start rollout" }).click();
    await rollout.locator("#rollout-said").getByText("Rollout started at its first stage, “canary”.").waitFor();
    expect((await gw.admin.migration.rollout.get(APP)).status).toBe("running");

    // Pause: said in words; gone once the rollout moves on without this page.
    await rollout.getByRole("button", { name: "Pause" }).click();
    await rollout.locator("#rollout-said").getByText("Rollout paused: now paused, at stage 1, “canary”.").waitFor();
    await gw.admin.migration.rollout.act(APP, "resume");
    await rollout.locator("#rollout-said").getByText("Rollout paused").waitFor({ state: "detached" });

    // Roll back through its dialog: "rolled back", in words, and gone once resumed elsewhere.
    await rollout.getByRole("button", { name: "Roll back" }).click();
    await page.getByRole("dialog", { name: "Roll back one stage" }).getByRole("button", { name: "Roll back" }).click();
    await rollout.locator("#rollout-said").getByText("Rollout rolled back one stage: now rolled back, no stage applied.").waitFor();
    await rollout.locator(".badge", { hasText: "rolled back" }).first().waitFor();
    expect(await rollout.locator("#rollout-said").innerText()).not.toContain("rolled_back");
    await gw.admin.migration.rollout.act(APP, "resume");
    await rollout.locator("#rollout-said").getByText("Rollout rolled back").waitFor({ state: "detached" });

    // Abort opens on Cancel, and Escape gives the focus back to Abort.
    await rollout.getByRole("button", { name: "Abort" }).click();
    await page.getByRole("dialog", { name: "Abort the rollout" }).waitFor();
    await focusIs("BUTTON Cancel");
    await page.keyboard.press("Escape");
    await focusIs("BUTTON Abort");

    // To the last stage; its guard has seen none of its two logins: the final step is held, and says why.
    await gw.admin.migration.rollout.act(APP, "advance");
    await gw.admin.migration.rollout.act(APP, "advance");
    const finalButton = rollout.getByRole("button", { name: "Advance: take the final step" });
    await finalButton.click();
    const final = page.getByRole("dialog", { name: "Take the final step: delete “No certificate”" });
    await final.getByRole("table", { name: "Dry-run figures" }).waitFor();
    await focusIs("BUTTON Cancel");
    await final.getByText("The final step is only taken when every guard of the last stage holds, and one does not: token_required ≤ 50 % has seen 0 of its 2 decisions.").waitFor();
    await final.getByLabel(/Type the App ID/).fill(APP);
    const take = final.getByRole("button", { name: "Take the final step" });
    expect(await take.isDisabled()).toBe(true);
    expect(await seriousViolations(page)).toEqual([]);
    // Two token logins of the cohort: the guard holds, the note goes, the button is enabled.
    for (const uid of ["t1", "t2"]) {
      const c = createRtmClient({ url: gw.url, appId: APP });
      await c.login({ uid, token: (await gw.admin.tokens.mint({ appId: APP, uid, version: "007", expireSeconds: 600 })).token });
      await c.close();
    }
    await final.getByText("The final step is only taken").waitFor({ state: "detached" });
    await eventually("the final step's button is enabled", async () => !(await take.isDisabled()));
    await take.click();
    await final.waitFor({ state: "hidden" });
    await rollout.locator("#rollout-said").getByText("Rollout advanced: now completed, the final step was taken.").waitFor();
    expect((await gw.admin.projects.get(APP)).noCertificate).toBe(false);
    await page.waitForFunction('document.activeElement?.id === "rollout-title"');

    expect(problems).toEqual([]);
  },
  30_000,
);
