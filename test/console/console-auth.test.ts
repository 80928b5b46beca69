/**
 * The console's security (issue 12, docs/console.md): every `/console` reply carries the strict
 * Content-Security-Policy (scripts from the gateway's origin plus the one import map, by its hash;
 * no inline script, no eval), nosniff and no framing, and sets no cookie; only the known files are
 * served. With JWT auth on (ADMIN_JWT_SECRET), the console without a token sees nothing: every data
 * call is a 401 and the page shows only the token prompt; with a valid token it works, the token in
 * sessionStorage and in the Authorization header, never in a cookie; a refused token brings the
 * prompt back with the gateway's own 401 message (it names the failed check) and the way to make a
 * token (`npx rtm-auth admin-token`); a token refused mid-task keeps the page's half-filled forms
 * for when a good one is given. `GET /admin/decision-counts` answers the counts the live chart divides.
 */
import { createHash } from "node:crypto";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRtmClient } from "../../client/index.js";
import { startGateway, type TestGateway } from "../../client/testing.js";
import { launchBrowser, RUN_BROWSER, warnIfSkipped, type Browser } from "./browser.js";

warnIfSkipped("console-auth.test.ts");

const SECRET = "console-test-secret-0123456789abcdef0123456789";
const APP = "c0000000000000000000000000000001";

async function adminJwt(secret = SECRET): Promise<string> {
  return new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setAudience("rtm-auth-admin").setIssuedAt().setExpirationTime("10m").sign(new TextEncoder().encode(secret));
}

describe("the console's files and headers", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway({ projects: [{ appId: APP, mode: "either" }] });
  });
  afterAll(async () => {
    await gw.close();
  });

  it("every reply has the strict CSP, nosniff, no framing and no cookie; the import map is the one inline script, allowed by its hash", async () => {
    const page = await fetch(`${gw.httpUrl}/console/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const html = await page.text();
    const csp = page.headers.get("content-security-policy") ?? "";
    const directives = Object.fromEntries(csp.split(";").map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));
    const importMap = /<script type="importmap">([^<]*)<\/script>/.exec(html)?.[1] ?? "";
    expect(importMap).toContain('"preact"');
    const hash = `'sha256-${createHash("sha256").update(importMap).digest("base64")}'`;
    expect(directives).toEqual({
      "default-src": ["'self'"],
      "script-src": ["'self'", hash],
      "style-src": ["'self'"],
      "img-src": ["'self'", "data:"],
      "font-src": ["'self'"],
      "connect-src": ["'self'"],
      "object-src": ["'none'"],
      "base-uri": ["'none'"],
      "form-action": ["'none'"],
      "frame-ancestors": ["'none'"],
    });
    // The only inline script is the import map; every other script has a src on this origin.
    expect(html.match(/<script\b[^>]*>/g)).toEqual(['<script type="importmap">', '<script type="module" src="/console/app/app.js">']);
    // No figure in the page: it is the same for everyone.
    expect(html).not.toContain(APP);

    for (const path of ["/console/", "/console/app/app.js", "/console/app/console.css", "/console/vendor/preact.mjs", "/console/vendor/uplot.css", "/console/meta.json", "/console/nope"]) {
      const r = await fetch(`${gw.httpUrl}${path}`);
      await r.arrayBuffer();
      expect(r.headers.get("content-security-policy"), path).toBe(csp);
      expect(r.headers.get("x-content-type-options"), path).toBe("nosniff");
      expect(r.headers.get("x-frame-options"), path).toBe("DENY");
      expect(r.headers.get("set-cookie"), path).toBeNull();
    }
    const js = await fetch(`${gw.httpUrl}/console/app/app.js`);
    expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(await js.text()).toContain('from "preact"');
    const meta = (await (await fetch(`${gw.httpUrl}/console/meta.json`)).json()) as { reasons: string[]; faultOps: string[] };
    expect(meta.reasons).toContain("token_required");
    expect(meta.faultOps).toEqual(["connect", "login", "renewToken", "logout"]);
  });

  it("only the console's own files and the listed library files are served: anything else is a 404", async () => {
    for (const path of [
      "/console/app/..%2Fconsole-routes.ts",
      "/console/app/../console-routes.ts",
      "/console/app/console-routes.ts",
      "/console/app/APP.JS",
      "/console/app/missing.js",
      "/console/vendor/package.json",
      "/console/vendor/..%2F..%2Fpackage.json",
      "/console/vendor/constructor",
      "/console/static/app.js",
    ]) {
      const r = await fetch(`${gw.httpUrl}${path}`);
      const body = await r.text();
      expect({ path, status: r.status }).toEqual({ path, status: 404 });
      expect(body).not.toContain("import ");
    }
    const post = await fetch(`${gw.httpUrl}/console/`, { method: "POST" });
    expect(post.status).toBe(404);
  });

  it("GET /admin/decision-counts: the decisions since start by op, result and reason, the live sessions and a monotonic time", async () => {
    const before = (await (await fetch(`${gw.httpUrl}/admin/decision-counts`)).json()) as { counts: Array<{ op: string; result: string; reason: string; count: number }>; activeSessions: number; uptimeMs: number };
    const count = (v: typeof before, op: string, result: string, reason: string) => v.counts.find((c) => c.op === op && c.result === result && c.reason === reason)?.count ?? 0;
    const a = createRtmClient({ url: gw.url, appId: APP });
    await a.login({ uid: "a", token: null });
    const b = createRtmClient({ url: gw.url, appId: APP });
    await expect(b.login({ uid: "b", token: "007nonsense" })).rejects.toMatchObject({ reason: "malformed" });
    const r = await fetch(`${gw.httpUrl}/admin/decision-counts`);
    expect(r.status).toBe(200);
    const after = (await r.json()) as typeof before;
    expect(count(after, "login", "accepted", "ok") - count(before, "login", "accepted", "ok")).toBe(1);
    expect(count(after, "login", "refused", "malformed") - count(before, "login", "refused", "malformed")).toBe(1);
    expect(after.activeSessions).toBe(1);
    expect(after.uptimeMs).toBeGreaterThan(before.uptimeMs);
    expect(after.counts.every((c) => c.count > 0)).toBe(true);
    await a.close();
    await b.close();
  });
});

describe.skipIf(!RUN_BROWSER)("the console with JWT auth on (ADMIN_JWT_SECRET)", () => {
  let gw: TestGateway;
  let browser: Browser;
  beforeAll(async () => {
    gw = await startGateway({ config: { adminJwtSecret: SECRET }, bearer: await adminJwt(), projects: [{ appId: APP, mode: "either" }] });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
  });

  it("without a token it sees nothing (every data call 401, only the token prompt); with a valid token it works; a refused token brings the prompt back", async () => {
    const { page, problems } = await browser.newPage();
    const adminCalls: Array<{ url: string; status: number; authorization: string | null }> = [];
    page.on("response", async (r) => {
      if (new URL(r.url()).pathname.startsWith("/admin/")) adminCalls.push({ url: r.url(), status: r.status(), authorization: (await r.request().headerValue("authorization")) ?? null });
    });

    for (const hash of ["#/projects", `#/projects/${APP}`, `#/migration/${APP}`, "#/live"]) {
      await page.goto(`${gw.httpUrl}/console/${hash}`);
      await page.getByRole("heading", { name: "Admin token needed" }).waitFor();
      expect(await page.locator("body").innerText()).not.toContain(APP);
      expect(await page.locator("main table").count()).toBe(0);
    }
    expect(adminCalls.length).toBeGreaterThan(0);
    expect(adminCalls.every((c) => c.status === 401 && c.authorization === null)).toBe(true);
    // The browser reports each 401 as a failed resource; nothing else went wrong.
    expect(problems.filter((p) => !/status of 401/.test(p))).toEqual([]);

    // A valid token: the same page now shows the project; the token is in sessionStorage, not in a cookie.
    const token = await adminJwt();
    await page.getByLabel("Admin bearer token (JWT)").fill(token);
    await page.getByRole("button", { name: "Use this token" }).click();
    await page.getByRole("heading", { level: 1, name: "Live" }).waitFor();
    await page.goto(`${gw.httpUrl}/console/#/projects`);
    await page.locator("tr", { hasText: APP }).locator(".badge.mode-either").waitFor();
    expect(await page.evaluate('sessionStorage.getItem("rtm-auth-console.admin-token")')).toBe(token);
    expect(await page.evaluate("localStorage.length")).toBe(0);
    expect(await page.evaluate("document.cookie")).toBe("");
    expect(await browser.context.cookies()).toEqual([]);
    const authorized = adminCalls.filter((c) => c.status === 200);
    expect(authorized.length).toBeGreaterThan(0);
    expect(authorized.every((c) => c.authorization === `Bearer ${token}`)).toBe(true);

    await page.goto(`${gw.httpUrl}/console/#/migration/${APP}`);
    const plan = page.getByLabel(/^Plan \(JSON/);
    await plan.waitFor();
    // A token that stops working mid-task: the prompt comes back with the gateway's own 401 message
    // (it names the failed check), and the half-typed plan is still there once a good token is given.
    await plan.fill('{"target": {"target": "token_only"}, "stages": [ half typed');
    const wrong = await adminJwt("another-secret-0123456789abcdef0123456789");
    await page.evaluate(`sessionStorage.setItem("rtm-auth-console.admin-token", ${JSON.stringify(wrong)})`);
    await page.getByRole("heading", { name: "Admin token needed" }).waitFor();
    await page.getByRole("alert").getByText("The gateway refused that token (401 unauthorized): a valid bearer token is required: signature").waitFor();
    await page.getByText("npx rtm-auth admin-token").waitFor();
    expect(await plan.isVisible()).toBe(false);
    expect(await page.locator("body").innerText()).not.toContain("half typed");
    await page.getByLabel("Admin bearer token (JWT)").fill(await adminJwt());
    await page.getByRole("button", { name: "Use this token" }).click();
    await page.getByRole("heading", { name: "Admin token needed" }).waitFor({ state: "detached" });
    expect(await plan.inputValue()).toBe('{"target": {"target": "token_only"}, "stages": [ half typed');
    expect((await fetch(`${gw.httpUrl}/admin/projects/${APP}/rollout`, { headers: { authorization: `Bearer ${await adminJwt()}` } })).status).toBe(404);

    // A token signed with another secret is refused: forgotten, and the prompt says so.
    await page.evaluate(`sessionStorage.setItem("rtm-auth-console.admin-token", ${JSON.stringify(await adminJwt("another-secret-0123456789abcdef0123456789"))})`);
    await page.reload();
    await page.getByRole("heading", { name: "Admin token needed" }).waitFor();
    await page.getByText("The gateway refused that token").waitFor();
    await page.getByText("npx rtm-auth admin-token").waitFor();
    expect(await page.evaluate('sessionStorage.getItem("rtm-auth-console.admin-token")')).toBeNull();
    expect(await page.locator("body").innerText()).not.toContain(APP);
    expect(problems.filter((p) => !/status of 401/.test(p))).toEqual([]);
  }, 60_000);
});
