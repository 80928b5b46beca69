/**
 * When the gateway stops answering (issue 12 follow-up), the console's panels say their figures
 * are stale instead of claiming them: each polled panel is dimmed (class `stale`) and says "Last
 * updated HH:MM:SS; the gateway did not answer", so the clock no longer just says "running" and
 * the fault list no longer just says "No fault rule". Three tabs (Projects, Migration, Live) are
 * open with data when the gateway is closed. In Debian's Chromium.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { startGateway, type TestGateway } from "../../client/testing.js";
import { eventually, launchBrowser, RUN_BROWSER, seriousViolations, warnIfSkipped, type Browser } from "./browser.js";

warnIfSkipped("console-stale.test.ts");

const APP = "5e000000000000000000000000000005";
let gw: TestGateway | undefined;
let browser: Browser;

beforeAll(async () => {
  if (!RUN_BROWSER) return;
  gw = await startGateway({ clock: "real", projects: [{ appId: APP, mode: "either" }] });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await gw?.close();
});

it.skipIf(!RUN_BROWSER)(
  "every polled panel says since when its figures are not current once the gateway stops answering",
  async () => {
    const running = gw as TestGateway;
    const projects = await browser.newPage();
    const migration = await browser.newPage();
    const live = await browser.newPage();
    for (const p of [projects, migration, live]) p.page.setDefaultTimeout(10_000);
    await projects.page.goto(`${running.httpUrl}/console/#/projects`);
    await projects.page.locator("tr", { hasText: APP }).waitFor();
    await migration.page.goto(`${running.httpUrl}/console/#/migration/${APP}`);
    await migration.page.getByRole("heading", { name: "What each step would do now" }).waitFor();
    await live.page.goto(`${running.httpUrl}/console/#/live`);
    await live.page.getByText("No fault rule: every request is decided normally.").waitFor();
    await live.page.locator("#clock-now").getByText(/UTC/).waitFor();
    await live.page.getByRole("table", { name: "The last second" }).getByText("/s").first().waitFor();
    const stale = (page: typeof live.page, title: string) => page.locator("section.stale", { has: page.getByRole("heading", { name: title, exact: true }) });
    for (const p of [projects, migration, live]) expect(await p.page.locator("section.stale").count()).toBe(0);

    const closedAt = new Date();
    await running.close();
    gw = undefined;

    const note = /^Last updated (\d\d):(\d\d):(\d\d); the gateway did not answer\. What is shown here may no longer be true\.$/;
    const checks: Array<[typeof live.page, string]> = [
      [projects.page, "Projects"],
      [migration.page, "Readiness"],
      [live.page, "Accepts and refusals per second"],
      [live.page, "Journal tail"],
      [live.page, "Simulated clock"],
      [live.page, "Fault rules"],
    ];
    for (const [page, title] of checks) {
      const section = stale(page, title);
      await section.waitFor({ timeout: 12_000 });
      const text = await section.locator(".stale-note").innerText();
      const m = note.exec(text);
      expect(m, `${title}: ${text}`).not.toBeNull();
      // The time is the browser's, of the last read that answered: before the gateway was closed.
      const [h, mi, s] = [Number(m?.[1]), Number(m?.[2]), Number(m?.[3])];
      const last = new Date(closedAt);
      last.setHours(h, mi, s, 0);
      let ago = (closedAt.getTime() - last.getTime()) / 1000;
      if (ago < -43_200) ago += 86_400; // the last read was before midnight, the close after
      expect(ago, title).toBeGreaterThanOrEqual(-1);
      expect(ago, title).toBeLessThan(10);
    }
    // The words that were true stay on screen, but inside the stale panel: "running" and "No fault rule".
    await stale(live.page, "Simulated clock").getByText("running").waitFor();
    await stale(live.page, "Fault rules").getByText("No fault rule").waitFor();
    // The dimming is the style of the stale panel's content, not of its note.
    await eventually("the clock panel's content is dimmed, its note is not", async () => {
      const [dim, plain] = (await live.page.evaluate(`(() => {
        const section = [...document.querySelectorAll("section.stale")].find((s) => s.querySelector("h2")?.textContent === "Simulated clock");
        const p = section?.querySelector("#clock-now")?.parentElement;
        const n = section?.querySelector(".stale-note");
        return [p ? getComputedStyle(p).opacity : "", n ? getComputedStyle(n).opacity : ""];
      })()`)) as [string, string];
      return Number(dim) < 1 && plain === "1";
    });

    // Dimmed is still readable: no serious or critical axe finding (contrast included) on the stale Live page.
    expect(await seriousViolations(live.page)).toEqual([]);

    // Nothing went wrong but the refused connections.
    for (const p of [projects, migration, live]) {
      expect(p.problems.filter((x) => !/ERR_CONNECTION_REFUSED|Failed to fetch|did not answer/.test(x))).toEqual([]);
    }
  },
  30_000,
);
