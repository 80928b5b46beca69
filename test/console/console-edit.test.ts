/**
 * The Edit Project page after the newcomer's report (issue 12 follow-up), in Debian's Chromium:
 * - a result belongs to the state it was made in: the "Decision now" explanation is cleared once
 *   the certificates change, a mint error once the project changes;
 * - Reveal follows the certificate, not the row: after a swap the new primary is masked and the
 *   revealed certificate stays revealed in its new row;
 * - Mint refuses a uid every login would refuse (invalid_uid) without sending it, warns about a uid
 *   of spaces, and says when the gateway caps the expiry (MAX_TOKEN_LIFETIME_SECONDS);
 * - dialogs: a destructive one opens on Cancel; closing gives the focus back to the button that
 *   opened it, or, when that button is gone, to the section's heading;
 * - spellcheck is off on the App ID, uid and token fields; at 420 px the page does not scroll
 *   sideways, the certificate and decoded-token tables included;
 * - the Migration link keeps the project.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { startGateway, type TestGateway } from "../../client/testing.js";
import { eventually, launchBrowser, RUN_BROWSER, seriousViolations, warnIfSkipped, type Browser } from "./browser.js";

warnIfSkipped("console-edit.test.ts");

const APP = "ed000000000000000000000000000006";
let gw: TestGateway;
let browser: Browser;

beforeAll(async () => {
  if (!RUN_BROWSER) return;
  gw = await startGateway({ clock: "manual", now: 1_800_000_000, config: { maxTokenLifetimeSeconds: 3600 }, projects: [{ appId: APP, mode: "token" }] });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await gw?.close();
});

/** What `document.activeElement` is: its tag, and its accessible words (aria-label or text). */
const focused = (page: import("playwright-core").Page): Promise<string> =>
  page.evaluate(`(() => {
    const a = document.activeElement;
    return a === null ? "" : a.tagName + " " + (a.getAttribute("aria-label") ?? a.textContent?.trim() ?? "");
  })()`);

/** Waits until the focused element is `what` (a dialog gives the focus back once it is gone). */
const focusIs = async (page: import("playwright-core").Page, what: string) => {
  let last = "";
  await eventually(`the focus on ${what} (it is on ${last.slice(0, 60)})`, async () => (last = await focused(page)) === what, 3000).catch(() => {
    throw new Error(`the focus is on ${last.slice(0, 80)}, not on ${what}`);
  });
};

it.skipIf(!RUN_BROWSER)(
  "results are cleared when the certificates change; reveal follows the certificate; mint checks the uid and says a capped expiry; dialogs give the focus back; no sideways scroll at 420 px",
  async () => {
    const { page, problems } = await browser.newPage();
    page.setDefaultTimeout(10_000);
    const tokenPosts: string[] = [];
    page.on("request", (r) => {
      if (r.method() === "POST" && new URL(r.url()).pathname === "/admin/tokens") tokenPosts.push(r.postData() ?? "");
    });
    await page.goto(`${gw.httpUrl}/console/#/projects/${APP}`);
    await page.getByRole("heading", { level: 1, name: "Edit Project" }).waitFor();
    const mint = page.locator("section", { has: page.getByRole("heading", { name: "Mint a token" }) });
    const explain = page.locator("section", { has: page.getByRole("heading", { name: "Explain a token" }) });

    // The Migration link keeps this project.
    expect(await page.getByRole("navigation").getByRole("link", { name: "Migration" }).getAttribute("href")).toBe(`#/migration/${APP}`);

    // Spellcheck really off where App IDs, uids and tokens are typed. The heading shows before the
    // project's sections do, so wait for the three fields first (CI once read them too early).
    for (const name of ["uid", "explain-uid", "explain-token"]) await page.locator(`[name="${name}"]`).waitFor({ state: "attached" });
    const spell = await page.evaluate(`["uid", "explain-uid", "explain-token"].map((n) => [n, document.querySelector('[name="' + n + '"]')?.spellcheck])`);
    expect(spell).toEqual([
      ["uid", false],
      ["explain-uid", false],
      ["explain-token", false],
    ]);

    // Mint: a uid every login refuses is not sent; one of spaces is warned about and minted.
    await mint.getByLabel("uid").fill("u".repeat(65));
    await mint.locator("#mint-uid-note").getByText("This uid is 65 bytes long; a uid is 1 to 64 bytes").waitFor();
    await mint.getByRole("button", { name: "Mint token" }).click();
    await mint.getByLabel("uid").fill("caf\u00e9");
    await mint.locator("#mint-uid-note").getByText("has a character outside the allowed set").waitFor();
    await mint.getByRole("button", { name: "Mint token" }).click();
    expect(await mint.getByLabel("uid").getAttribute("aria-invalid")).toBe("true");
    await page.waitForTimeout(300);
    expect(tokenPosts).toEqual([]);
    await mint.getByLabel("uid").fill("   ");
    await mint.locator("#mint-uid-note").getByText("This uid is only spaces.").waitFor();
    await mint.getByRole("button", { name: "Mint token" }).click();
    await page.locator("#minted-token").waitFor();
    expect(tokenPosts).toHaveLength(1);

    // A capped expiry is said: this gateway caps lifetimes at an hour.
    await mint.getByLabel("uid").fill("alice");
    await mint.getByLabel("Expires in (seconds)").fill("7200");
    await mint.getByRole("button", { name: "Mint token" }).click();
    await mint.getByText("Capped: you asked for 2 h, but this gateway ends a token's logins 1 h after its issue (MAX_TOKEN_LIFETIME_SECONDS), so it expires at 2027-01-15 09:00:00 UTC.").waitFor();
    await mint.getByLabel("Expires in (seconds)").fill("600");
    await mint.getByRole("button", { name: "Mint token" }).click();
    await mint.getByText(/Minted token for alice \(007, expires 2027-01-15 08:10:00 UTC\)/).waitFor();
    expect(await mint.getByText(/^Capped:/).count()).toBe(0);

    // A mint error belongs to the project as it was: it goes once the project changes.
    await mint.getByLabel("Signed by").selectOption("secondary");
    await mint.getByRole("button", { name: "Mint token" }).click();
    await mint.getByRole("alert").getByText("secondary_not_found").waitFor();

    // Explain the primary's token: the decision now.
    await mint.getByLabel("Signed by").selectOption("primary");
    await mint.getByRole("button", { name: "Mint token" }).click();
    await mint.getByRole("button", { name: "Explain this token" }).click();
    await explain.getByRole("table", { name: "Explanation" }).getByText("primary", { exact: true }).waitFor();

    // Reveal the primary, then the project changes under the page: a secondary, swapped in.
    const primaryRow = page.locator('tr[data-row="primary"]');
    const secondaryRow = page.locator('tr[data-row="secondary"]');
    const first = (await gw.admin.projects.get(APP)).certificates.primary?.value as string;
    await primaryRow.getByRole("button", { name: "Reveal primary certificate" }).click();
    expect(await primaryRow.locator("code[data-secret]").innerText()).toBe(first);
    await gw.admin.certificates.enableSecondary(APP);
    await mint.getByRole("alert").waitFor({ state: "detached" });
    await gw.admin.certificates.swap(APP);
    await explain.locator("#explain-outdated").getByText("The project's certificates changed after this explanation").waitFor();
    expect(await explain.getByRole("table", { name: "Explanation" }).count()).toBe(0);
    expect(await seriousViolations(page)).toEqual([]);
    // The revealed certificate is revealed in its new row; the new primary is masked.
    await secondaryRow.locator('code[data-secret="shown"]').getByText(first).waitFor();
    expect(await primaryRow.locator("code[data-secret]").getAttribute("data-secret")).toBe("masked");
    await explain.getByRole("button", { name: "Explain again" }).click();
    await explain.getByRole("table", { name: "Explanation" }).getByText("secondary", { exact: true }).waitFor();
    expect(await explain.locator("#explain-outdated").count()).toBe(0);

    // Dialogs: the swap's (not destructive) gives the focus back to its button on Cancel.
    await secondaryRow.getByRole("button", { name: "Set as primary" }).click();
    const swap = page.getByRole("dialog", { name: "Set the secondary certificate as primary" });
    await swap.getByRole("table", { name: "Dry-run figures" }).waitFor();
    await swap.getByRole("button", { name: "Cancel" }).click();
    await swap.waitFor({ state: "hidden" });
    await focusIs(page, "BUTTON Set as primary");
    // A destructive one opens on Cancel, and Escape gives the focus back.
    await secondaryRow.getByRole("button", { name: "Delete the secondary certificate" }).focus();
    await page.keyboard.press("Enter");
    const del = page.getByRole("dialog", { name: "Delete the secondary certificate" });
    await del.getByRole("table", { name: "Dry-run figures" }).waitFor();
    await focusIs(page, "BUTTON Cancel");
    await page.keyboard.press("Escape");
    await del.waitFor({ state: "hidden" });
    await focusIs(page, "BUTTON Delete the secondary certificate");
    // Confirmed, its button is gone: the focus goes to the section's heading.
    await secondaryRow.getByRole("button", { name: "Delete the secondary certificate" }).click();
    await del.getByRole("table", { name: "Dry-run figures" }).waitFor();
    await del.getByRole("button", { name: "Delete the secondary certificate" }).click();
    await del.waitFor({ state: "hidden" });
    await secondaryRow.getByText("not enabled").waitFor();
    await page.waitForFunction('document.activeElement?.id === "cert-title"');

    // 420 px wide, with a decoded token on the page: nothing scrolls sideways but inside its box.
    await mint.getByRole("button", { name: "Mint token" }).click();
    await mint.getByRole("button", { name: "Explain this token" }).click();
    await explain.getByRole("table", { name: "Decoded token" }).waitFor();
    await explain.getByRole("table", { name: "Explanation" }).waitFor();
    await primaryRow.getByRole("button", { name: /Reveal primary certificate|Hide primary certificate/ }).click();
    await page.setViewportSize({ width: 420, height: 900 });
    await page.waitForTimeout(300);
    const widths = (await page.evaluate(`(() => {
      const view = document.documentElement.clientWidth;
      const inside = (el) => el.getBoundingClientRect().right <= view;
      return {
        page: document.documentElement.scrollWidth,
        view,
        tables: ["Decoded token", "Explanation"].map((name) => inside(document.querySelector('table[aria-label="' + name + '"]'))),
        certificates: inside(document.querySelector("table.certificates").parentElement),
      };
    })()`)) as { page: number; view: number; tables: boolean[]; certificates: boolean };
    expect(widths).toEqual({ page: widths.view, view: widths.view, tables: [true, true], certificates: true });

    // The one request refused on purpose: the mint with no secondary certificate (404 secondary_not_found).
    expect(problems).toEqual(["console error: Failed to load resource: the server responded with a status of 404 (Not Found)"]);
  },
  30_000,
);
