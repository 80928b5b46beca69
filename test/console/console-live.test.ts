/**
 * The console's Live page in Debian's Chromium (issue 12): logins made with the client SDK appear in
 * the journal tail without a reload, a refused one is explained in one click (an App ID login at
 * once; a token login once its token is pasted, since the journal keeps no token), with its hints;
 * the per-second chart grows a series for the refusal reason; the journal filters apply; the
 * simulated clock and the fault rules are driven from the page, each checked through the admin API.
 * No console error, failed request or page error.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { createRtmClient } from "../../client/index.js";
import { startGateway, type TestGateway } from "../../client/testing.js";
import { eventually, launchBrowser, RUN_BROWSER, warnIfSkipped, type Browser } from "./browser.js";

warnIfSkipped("console-live.test.ts");

const TOKEN_APP = "7a000000000000000000000000000001";
const APPID_APP = "7b000000000000000000000000000002";
const START = 1_800_000_000;
let gw: TestGateway;
let browser: Browser;

beforeAll(async () => {
  if (!RUN_BROWSER) return;
  gw = await startGateway({
    clock: "manual",
    now: START,
    projects: [
      { appId: TOKEN_APP, mode: "token" },
      { appId: APPID_APP, mode: "appid" },
    ],
  });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await gw?.close();
});

it.skipIf(!RUN_BROWSER)(
  "SDK logins appear in the journal tail without a reload; a refused login's explain opens with its hints; clock and faults from the page",
  async () => {
    const { page, problems } = await browser.newPage();
    await page.goto(`${gw.httpUrl}/console/#/live`);
    await page.getByRole("heading", { level: 1, name: "Live" }).waitFor();
    await page.getByText("No decision yet").waitFor();
    const navigations: string[] = [];
    page.on("framenavigated", (f) => {
      if (f === page.mainFrame()) navigations.push(f.url());
    });

    // An App ID login accepted, and one refused with token_required: the SDK, over the WebSocket.
    const alice = createRtmClient({ url: gw.url, appId: APPID_APP, profile: "rtm1" });
    await alice.login({ uid: "alice", token: null });
    const bob = createRtmClient({ url: gw.url, appId: TOKEN_APP, profile: "rtm2" });
    await expect(bob.login({ uid: "bob", token: null })).rejects.toMatchObject({ reason: "token_required", code: -10005 });

    const journal = page.locator("#journal");
    const bobRow = journal.locator("tbody tr", { hasText: "bob" });
    await bobRow.getByText("token_required").waitFor();
    await journal.locator("tbody tr", { hasText: "alice" }).getByText("accepted").waitFor();
    // The chart grew a series for the refusal reason (the legend), and counts the live session.
    await page.locator(".chart").getByText("refused token_required /s").waitFor();
    await eventually("one active session on the chart's table", async () => (await page.locator('#rates-now [data-series="sessions"]').innerText()) === "1");

    // One click: the App ID login is explained at once, with the decision now and the hints.
    const bobSeq = await bobRow.getAttribute("data-seq");
    await bobRow.getByRole("button", { name: `Explain decision ${bobSeq}` }).click();
    const explain = page.locator("#explain-entry");
    await explain.getByRole("heading", { name: /Explain decision #\d+: login of bob refused with token_required/ }).waitFor();
    await explain.getByRole("table", { name: "Explanation" }).getByText("token_required").waitFor();
    await explain.getByText("-10005").waitFor();
    await explain.getByRole("heading", { name: "Hints" }).waitFor();
    await explain.getByRole("table", { name: "The recorded decision" }).getByText("auth-mode").waitFor();

    // A token login refused for a uid that differs only by case: explained once the token is pasted.
    const minted = await gw.admin.tokens.mint({ appId: TOKEN_APP, uid: "Carol", version: "007", expireSeconds: 600 });
    const carol = createRtmClient({ url: gw.url, appId: TOKEN_APP, profile: "rtm1" });
    await expect(carol.login({ uid: "carol", token: minted.token })).rejects.toMatchObject({ reason: "uid_mismatch" });
    const carolRow = journal.locator("tbody tr", { hasText: "carol" });
    await carolRow.getByText("uid_mismatch").waitFor();
    await carolRow.getByRole("button", { name: /Explain decision/ }).click();
    await explain.getByText("The journal keeps no token").waitFor();
    await explain.getByLabel(/Token of decision/).fill(minted.token);
    await explain.getByRole("button", { name: "Explain", exact: true }).click();
    await explain.locator("ul.hints").getByText("built_for_other_account").waitFor();
    await explain.getByRole("table", { name: "Decoded token" }).waitFor();

    // Filters: only token_required.
    await page.locator('select[name="filter-reason"]').selectOption("token_required");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await eventually("only token_required rows", async () => {
      const reasons = await journal.locator("tbody tr td:nth-child(5)").allInnerTexts();
      return reasons.length === 1 && reasons[0] === "token_required";
    });

    // The simulated clock (frozen: a manual clock): advance and set go through the admin API.
    await page.getByRole("button", { name: "Unfreeze" }).waitFor();
    await page.locator("#clock-now").getByText("2027-01-15 08:00:00 UTC").waitFor();
    await page.getByRole("button", { name: "+1 h" }).click();
    await page.locator("#clock-now").getByText("2027-01-15 09:00:00 UTC").waitFor();
    expect((await gw.admin.clock.get()).now).toBe(START + 3600);
    await page.getByLabel(/Set to/).fill("2030-01-01 00:00:00");
    await page.getByRole("button", { name: "Set", exact: true }).click();
    await page.locator("#clock-now").getByText("2030-01-01 00:00:00 UTC").waitFor();
    expect((await gw.admin.clock.get()).now).toBe(1_893_456_000);

    // Fault rules: add one, see it, remove it.
    await page.locator('select[name="fault-op"]').selectOption("login");
    await page.getByLabel("uid glob or /regex/ (optional)").fill("eve*");
    await page.getByRole("button", { name: "Add fault rule" }).click();
    await page.getByRole("table", { name: "Fault rules" }).getByText("fail with fault_injected").waitFor();
    const [rule] = await gw.admin.faults.list();
    expect(rule).toMatchObject({ op: "login", uid: "eve*", action: { type: "fail", reason: "fault_injected" } });
    await page.getByRole("button", { name: `Remove fault rule ${rule?.id}` }).click();
    await page.getByText("No fault rule: every request is decided normally.").waitFor();
    expect(await gw.admin.faults.list()).toEqual([]);

    await alice.close();
    await bob.close();
    await carol.close();
    expect(navigations).toEqual([]);
    expect(problems).toEqual([]);
  },
  60_000,
);
