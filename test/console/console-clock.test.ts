/**
 * The Live page's simulated clock panel (issue 12 follow-up), in Debian's Chromium:
 * - "Set to" is strict: `-1`, `1.5`, `2026-02-30`, `24:00`, words are refused inline with a sentence
 *   saying why, and the clock is not moved; an ISO date-time (Z, an offset, or none: UTC) and whole
 *   Unix seconds are taken;
 * - an error stays until the next action: the once-a-second reading does not clear it, neither an
 *   inline one nor a refusal of the admin API;
 * - a success line goes once the clock is no longer as it said (moved by someone else);
 * - "Back to real time" sets the clock to the browser's time and lets it run.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { startGateway, type TestGateway } from "../../client/testing.js";
import { launchBrowser, RUN_BROWSER, warnIfSkipped, type Browser } from "./browser.js";

warnIfSkipped("console-clock.test.ts");

const START = 1_800_000_000; // 2027-01-15 08:00:00 UTC
let gw: TestGateway;
let browser: Browser;

beforeAll(async () => {
  if (!RUN_BROWSER) return;
  gw = await startGateway({ clock: "manual", now: START });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await gw?.close();
});

it.skipIf(!RUN_BROWSER)(
  "Set to refuses what is not a real date-time or whole Unix seconds; errors outlive the polling; a success line goes when the clock moves; back to real time",
  async () => {
    const { page, problems } = await browser.newPage();
    page.setDefaultTimeout(10_000);
    await page.goto(`${gw.httpUrl}/console/#/live`);
    const panel = page.locator("section", { has: page.getByRole("heading", { name: "Simulated clock" }) });
    const now = panel.locator("#clock-now");
    await now.getByText("2027-01-15 08:00:00 UTC").waitFor();
    const setTo = async (text: string) => {
      await panel.getByLabel(/Set to/).fill(text);
      await panel.getByRole("button", { name: "Set", exact: true }).click();
    };

    // Refused inline, the clock untouched; the error outlives three polls.
    for (const [text, why] of [
      ["-1", "is not Unix seconds: they are a whole number, 0 or more"],
      ["1.5", "is not Unix seconds"],
      ["2026-02-30", "is not a date: February 2026 has 28 days."],
      ["2026-02-29 10:00:00", "February 2026 has 28 days."],
      ["2030-01-01 24:00:00", "is not a time of day"],
      ["2030-13-01", "has no month 13"],
      ["yesterday", "is not a date-time"],
      ["1969-12-31T23:59:59Z", "is before 1970"],
      ["4294967296", "is after the clock's last second"],
    ] as const) {
      await setTo(text);
      await panel.locator("#set-clock-error").getByText(why).waitFor();
      expect(await panel.getByLabel(/Set to/).getAttribute("aria-invalid"), text).toBe("true");
    }
    await page.waitForTimeout(3000);
    await panel.locator("#set-clock-error").getByText("is after the clock's last second").waitFor();
    expect((await gw.admin.clock.get()).now).toBe(START);

    // Accepted forms, each read back by the admin API.
    for (const [text, seconds] of [
      ["2030-01-01T00:00:00Z", 1_893_456_000],
      ["2030-01-01 02:00:00+02:00", 1_893_456_000],
      ["2030-01-01 00:00", 1_893_456_000],
      ["1893456060", 1_893_456_060],
      ["2028-02-29", 1_835_395_200],
    ] as const) {
      await setTo(text);
      await panel.locator("#clock-said").getByText(/^Set: /).waitFor();
      expect((await gw.admin.clock.get()).now, text).toBe(seconds);
      expect(await panel.locator("#set-clock-error").count(), text).toBe(0);
    }

    // A refusal of the admin API stays until the next action, although the clock is read every second.
    await page.route("**/admin/clock/advance", (route) =>
      route.fulfill({ status: 503, contentType: "application/json", body: JSON.stringify({ error: { code: "store_unavailable", message: "the store did not answer" } }) }),
    );
    await panel.getByRole("button", { name: "+1 h" }).click();
    await panel.locator("#clock-error").getByText("store_unavailable").waitFor();
    await page.waitForTimeout(3000);
    expect(await panel.locator("#clock-error").innerText()).toContain("the store did not answer");
    await page.unroute("**/admin/clock/advance");
    await panel.getByRole("button", { name: "+1 min" }).click();
    await panel.locator("#clock-said").getByText(/^Advanced by 60 s: /).waitFor();
    expect(await panel.locator("#clock-error").count()).toBe(0);

    // A success line goes once the clock is no longer as it said: here someone else moves it.
    await gw.admin.clock.advance(86400);
    await panel.locator("#clock-said").getByText(/^Advanced by 60 s/).waitFor({ state: "detached" });
    await panel.getByRole("button", { name: "Unfreeze" }).click();
    await panel.locator("#clock-said").getByText(/^Running again: .*, running\.$/).waitFor();
    await gw.admin.clock.set({ frozen: true });
    await panel.locator("#clock-said").getByText(/^Running again/).waitFor({ state: "detached" });

    // Back to real time: the browser's time, running.
    await panel.getByRole("button", { name: "Back to real time" }).click();
    await panel.locator("#clock-said").getByText(/^Back to real time: .*, running\.$/).waitFor();
    const c = await gw.admin.clock.get();
    expect(c.frozen).toBe(false);
    expect(Math.abs(c.now - Date.now() / 1000)).toBeLessThan(5);

    // The one expected problem: the browser reports the 503 it was given.
    expect(problems.filter((p) => !/status of 503/.test(p))).toEqual([]);
  },
  30_000,
);
