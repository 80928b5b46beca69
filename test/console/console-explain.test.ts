/**
 * The Live page's journal explain and filters, and its fault rules, as a newcomer met them (issue 12
 * follow-up), in Debian's Chromium:
 * - a valid token login failed by a fault rule records no credential: Explain does not explain it
 *   as a login without a token (which it was not); it says the credential is unknown and asks for
 *   the token, or explains "as a login without a token" only when asked, said as an assumption;
 * - a pasted token is checked against the journal's tokenId (the explain API answers the pasted
 *   token's): another token of the same uid is called out, the right one confirmed;
 * - filters that match nothing say so; the App ID filter takes the first characters the table
 *   shows; an App ID filter that cannot be one is refused inline;
 * - a fault rule's App ID is checked (32 hex) before it is sent; a rule used up by its limit says so.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { createRtmClient } from "../../client/index.js";
import { startGateway, type TestGateway } from "../../client/testing.js";
import { eventually, launchBrowser, RUN_BROWSER, seriousViolations, warnIfSkipped, type Browser } from "./browser.js";

warnIfSkipped("console-explain.test.ts");

const TOKEN_APP = "7c000000000000000000000000000003";
const OTHER_APP = "8d000000000000000000000000000004";
let gw: TestGateway;
let browser: Browser;

beforeAll(async () => {
  if (!RUN_BROWSER) return;
  gw = await startGateway({
    clock: "manual",
    now: 1_800_000_000,
    projects: [
      { appId: TOKEN_APP, mode: "token" },
      { appId: OTHER_APP, mode: "appid" },
    ],
  });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await gw?.close();
});

it.skipIf(!RUN_BROWSER)(
  "a fault-failed token login is not explained as a token-less one; a pasted token is checked against the journal's tokenId; filters say when nothing matches",
  async () => {
    const { page, problems } = await browser.newPage();
    page.setDefaultTimeout(10_000);
    await page.goto(`${gw.httpUrl}/console/#/live`);
    await page.getByRole("heading", { level: 1, name: "Live" }).waitFor();
    const journal = page.locator("#journal");
    const explain = page.locator("#explain-entry");

    // alice's valid token login, failed by a fault rule (used once, then removed by the gateway).
    const rule = await gw.admin.faults.add({ op: "login", uid: "alice", count: 1, action: { type: "fail", reason: "fault_injected" } });
    await page.getByRole("table", { name: "Fault rules" }).getByText(rule.id).waitFor();
    const aliceToken = (await gw.admin.tokens.mint({ appId: TOKEN_APP, uid: "alice", version: "007", expireSeconds: 3600 })).token;
    const alice = createRtmClient({ url: gw.url, appId: TOKEN_APP });
    await expect(alice.login({ uid: "alice", token: aliceToken })).rejects.toMatchObject({ reason: "fault_injected" });
    await alice.close();
    const faulted = (await gw.admin.journal.query({ uid: "alice", reason: "fault_injected" })).entries[0];
    expect(faulted).toMatchObject({ credential: null, tokenId: null, faultId: rule.id });

    const aliceRow = journal.locator(`tbody tr[data-seq="${faulted?.seq}"]`);
    await aliceRow.getByRole("button", { name: `Explain decision ${faulted?.seq}` }).click();
    await explain.getByText(`Fault rule ${rule.id} decided this login before the checks ran`).waitFor();
    await explain.getByText("Paste the token it sent, or explain it as a login without a token.").waitFor();
    // Nothing is explained by itself: no token_required verdict for a login that sent a token.
    await page.waitForTimeout(800);
    expect(await explain.getByRole("table", { name: "Explanation" }).count()).toBe(0);
    expect(await explain.getByRole("button", { name: "Explain", exact: true }).isDisabled()).toBe(true);
    // With the token it sent: accepted (what it gets without the rule), and the journal has no tokenId to compare.
    await explain.getByLabel(/Token of decision/).fill(aliceToken);
    await explain.getByRole("button", { name: "Explain", exact: true }).click();
    await explain.getByRole("heading", { name: "Explain now, with the pasted token" }).waitFor();
    await explain.getByRole("table", { name: "Explanation" }).getByText("accept", { exact: true }).waitFor();
    await explain.getByText(`The journal recorded no tokenId for decision #${faulted?.seq}`).waitFor();
    // Without a token only when asked, and said to be an assumption.
    await explain.getByRole("button", { name: "Explain as a login without a token" }).click();
    await explain.getByRole("heading", { name: /as a login without a token \(an assumption: the journal does not say\)/ }).waitFor();
    await explain.getByRole("table", { name: "Explanation" }).getByText("token_required").waitFor();

    // The rule reached its limit: the page says so instead of dropping it silently.
    await page.getByText(`Fault rule ${rule.id} reached its limit (1 time) and was removed.`).waitFor();
    expect(await gw.admin.faults.list()).toEqual([]);

    // A token login refused (uid_mismatch): the journal has its tokenId; a different token is called out.
    const carolToken = (await gw.admin.tokens.mint({ appId: TOKEN_APP, uid: "Carol", version: "007", expireSeconds: 600 })).token;
    const otherToken = (await gw.admin.tokens.mint({ appId: TOKEN_APP, uid: "Carol", version: "007", expireSeconds: 601 })).token;
    const carol = createRtmClient({ url: gw.url, appId: TOKEN_APP });
    await expect(carol.login({ uid: "carol", token: carolToken })).rejects.toMatchObject({ reason: "uid_mismatch" });
    await carol.close();
    const refused = (await gw.admin.journal.query({ uid: "carol" })).entries[0];
    expect(refused?.tokenId).toMatch(/^[0-9a-f]{32}$/);
    await journal.locator(`tbody tr[data-seq="${refused?.seq}"]`).getByRole("button", { name: /Explain decision/ }).click();
    await explain.getByText("The journal keeps no token, only its tokenId.").waitFor();
    await explain.getByLabel(/Token of decision/).fill(otherToken);
    await explain.getByRole("button", { name: "Explain", exact: true }).click();
    const different = explain.locator('[data-token-match="different"]');
    await different.getByText(`This is not the token decision #${refused?.seq} saw.`).waitFor();
    const otherId = (await gw.admin.explain({ appId: TOKEN_APP, uid: "carol", token: otherToken })).tokenId;
    expect(otherId).toMatch(/^[0-9a-f]{32}$/);
    expect(otherId).not.toBe(refused?.tokenId);
    expect(await different.innerText()).toContain(otherId as string);
    expect(await different.innerText()).toContain(refused?.tokenId as string);
    await explain.getByLabel(/Token of decision/).fill(carolToken);
    await explain.getByRole("button", { name: "Explain", exact: true }).click();
    await explain.locator('[data-token-match="same"]').getByText(refused?.tokenId as string).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    expect(await explain.locator('[data-token-match="different"]').count()).toBe(0);

    // Filters: the App ID column shows 8 characters, its title the whole App ID; a prefix filters.
    const bob = createRtmClient({ url: gw.url, appId: OTHER_APP });
    await bob.login({ uid: "bob", token: null });
    await bob.close();
    const bobCell = journal.locator("tbody tr", { hasText: "bob" }).first().locator("td:nth-child(6) span");
    await bobCell.waitFor();
    expect(await bobCell.innerText()).toBe(`${OTHER_APP.slice(0, 8)}…`);
    expect(await bobCell.getAttribute("title")).toBe(OTHER_APP);
    await page.getByLabel(/^App ID \(whole, or its first characters\)/).fill(OTHER_APP.slice(0, 8));
    await page.getByRole("button", { name: "Apply filters" }).click();
    await eventually("only the other project's rows", async () => {
      const ids = await journal.locator("tbody tr td:nth-child(6) span").evaluateAll((els) => els.map((e) => e.getAttribute("title")));
      return ids.length > 0 && ids.every((id) => id === OTHER_APP);
    });
    // A filter nothing matches says so.
    await page.locator('select[name="filter-reason"]').selectOption("banned");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await journal.getByText("No decision matches these filters").waitFor();
    expect(await journal.getByText("No decision yet").count()).toBe(0);
    // An App ID filter that cannot be one is refused inline, and nothing is asked.
    await page.getByLabel(/^App ID \(whole, or its first characters\)/).fill("not-an-app");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await page.locator("#filter-appId-error").getByText("An App ID is up to 32 hexadecimal characters").waitFor();
    expect(await page.locator("#filter-appId").getAttribute("aria-invalid")).toBe("true");

    // A fault rule's App ID is checked before it is sent.
    await page.locator("#fault-appId").fill("nothex");
    await page.getByRole("button", { name: "Add fault rule" }).click();
    await page.locator("#fault-appId-error").getByText("An App ID is 32 hexadecimal characters").waitFor();
    expect(await gw.admin.faults.list()).toEqual([]);
    await page.locator("#fault-appId").fill(TOKEN_APP.toUpperCase());
    await page.getByRole("button", { name: "Add fault rule" }).click();
    await page.getByRole("table", { name: "Fault rules" }).getByText(`${TOKEN_APP.slice(0, 8)}…`).waitFor();
    expect((await gw.admin.faults.list())[0]?.appId).toBe(TOKEN_APP);
    expect(await page.locator("#fault-appId-error").count()).toBe(0);
    expect(await seriousViolations(page)).toEqual([]);

    expect(problems).toEqual([]);
  },
  30_000,
);
