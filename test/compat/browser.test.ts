/**
 * The compat modules in a browser (docs/compat.md, "In a browser"): the example app's two login
 * modules (examples/rtm-login/src), bundled by esbuild for the browser with the two alias lines an
 * app's bundler config would hold, run in Debian's Chromium (playwright-core) against a gateway
 * embedded in this test: login, the will-expire warning and the app's renewal, a wrong token, logout,
 * on the page's own WebSocket. The bundle holds no `node:` module, no part of the gateway and none of
 * the `ws` package's code (only its browser entry, which the bundler picks and which is never called).
 *
 * Installs nothing: without /usr/bin/chromium (or CHROMIUM_PATH) it is skipped with a printed reason
 * locally, and fails when CI=true (.ci/run installs chromium).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { build, type Metafile } from "esbuild";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startGateway, type TestGateway } from "../../client/testing.js";
import { buildRtmToken } from "../../core/token/index.js";
import { eventually, launchBrowser, RUN_BROWSER, warnIfSkipped, type Browser } from "../console/browser.js";

warnIfSkipped("compat/browser.test.ts");

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const APP_ID = "b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b1";

/** The page's script: the example's login modules, and a count of the sockets the page opened. */
const ENTRY = `
import { connectRtmEmulator } from "rtm-auth-gateway/compat/agora-rtm-sdk";
import { createLogin as createLogin1 } from "./examples/rtm-login/src/login-rtm1.ts";
import { createLogin as createLogin2 } from "./examples/rtm-login/src/login-rtm2.ts";
const Platform = globalThis.WebSocket;
const sockets = [];
globalThis.WebSocket = class extends Platform {
  constructor(...args) {
    super(...args);
    sockets.push(args[0]);
  }
};
globalThis.compat = { connectRtmEmulator, createLogin1, createLogin2, sockets, apps: {} };
`;

let gw: TestGateway;
let server: Server;
let pageUrl: string;
let browser: Browser;
let bundle: string;
let metafile: Metafile;

beforeAll(async () => {
  if (!RUN_BROWSER) return;
  gw = await startGateway({ clock: "manual", projects: [{ appId: APP_ID, mode: "token" }] });
  const result = await build({
    stdin: { contents: ENTRY, resolveDir: ROOT, loader: "ts", sourcefile: "browser-entry.ts" },
    bundle: true,
    platform: "browser",
    format: "esm",
    target: "es2022",
    write: false,
    metafile: true,
    logLevel: "silent",
    // What an app's bundler config holds (docs/compat.md, "Vite and other bundlers").
    alias: { "agora-rtm-sdk": "rtm-auth-gateway/compat/agora-rtm-sdk", "agora-rtm": "rtm-auth-gateway/compat/agora-rtm" },
  });
  bundle = result.outputFiles[0]!.text;
  metafile = result.metafile;
  server = createServer((req, res) => {
    if (req.url === "/app.js") res.writeHead(200, { "content-type": "text/javascript" }).end(bundle);
    else res.writeHead(200, { "content-type": "text/html" }).end('<!doctype html><title>compat</title><script type="module" src="/app.js"></script>');
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  pageUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  if (!RUN_BROWSER) return;
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
  await gw?.close();
});

it.skipIf(!RUN_BROWSER)("the example app logs in, renews on the warning, is refused a wrong token and logs out, with both SDK generations, in Chromium", async () => {
  const inputs = Object.keys(metafile.inputs);
  expect(inputs.filter((p) => p.startsWith("node:"))).toEqual([]);
  expect(inputs.filter((p) => /(^|\/)gateway\//.test(p) && !p.includes("node_modules"))).toEqual([]);
  expect(inputs.filter((p) => p.includes("node_modules/ws/"))).toEqual(["node_modules/ws/browser.js"]);
  expect(inputs).toEqual(expect.arrayContaining(["dist/compat/agora-rtm-sdk.js", "dist/compat/agora-rtm.js", "dist/client/rtm-client.js"]));

  const { page, problems } = await browser.newPage();
  const mint = async (uid: string, seconds: number) => (await gw.admin.tokens.mint({ appId: APP_ID, uid, version: "007", expireSeconds: seconds })).token;
  await page.exposeFunction("mintToken", mint);
  const forged = (uid: string) => buildRtmToken({ version: "007", appId: APP_ID, certificate: "0123456789abcdef0123456789abcdef", uid, expireSeconds: 600, issueTs: gw.clock.now(), salt: 5 });
  await page.exposeFunction("forgedToken", forged);
  await page.goto(pageUrl);
  await page.waitForFunction(() => "compat" in globalThis);

  const view = (key: string) => page.evaluate((k) => (globalThis as any).compat.apps[k].view, key) as Promise<{ status: string; error: string | null; log: string[] }>;

  // Log in with a token that expires in 600 s, with each generation.
  await page.evaluate(
    async ({ appId, url }) => {
      const c = (globalThis as any).compat;
      c.connectRtmEmulator(url);
      const fetchToken = (uid: string) => (globalThis as any).mintToken(uid, 600);
      c.apps.one = c.createLogin1(appId, fetchToken);
      c.apps.two = c.createLogin2(appId, "bob", fetchToken);
      await c.apps.one.login("alice");
      await c.apps.two.login();
    },
    { appId: APP_ID, url: gw.url },
  );
  expect(await view("one")).toMatchObject({ status: "online", error: null });
  expect(await view("two")).toMatchObject({ status: "online", error: null });

  // 30 s before expiry both apps are warned and renew; the sessions outlive the first tokens.
  await gw.clock.advance(570);
  await eventually("both apps renewed", async () => (await view("one")).log.includes("token renewed") && (await view("two")).log.includes("token renewed"));
  await gw.clock.advance(300);
  expect((await view("one")).status).toBe("online");
  expect((await view("two")).status).toBe("online");

  // A wrong token: 1.x code 5, 2.x -10005.
  await page.evaluate(async (appId) => {
    const c = (globalThis as any).compat;
    const forgedToken = (uid: string) => (globalThis as any).forgedToken(uid);
    c.apps.bad1 = c.createLogin1(appId, forgedToken);
    c.apps.bad2 = c.createLogin2(appId, "erin", forgedToken);
    await c.apps.bad1.login("dave");
    await c.apps.bad2.login();
  }, APP_ID);
  expect((await view("bad1")).error).toBe("Login failed (5)");
  expect((await view("bad2")).error).toBe("Login failed (-10005)");

  await page.evaluate(async () => {
    const c = (globalThis as any).compat;
    await c.apps.one.logout();
    await c.apps.two.logout();
  });
  await eventually("both apps offline", async () => (await view("one")).status === "offline" && (await view("two")).status === "offline");
  expect((await view("one")).log).toContain("on connection state changed to DISCONNECTED reason: LOGOUT");
  expect((await view("two")).log).toContain("link state CONNECTED -> IDLE (LOGOUT)");

  // Every socket was the page's own WebSocket, to the gateway.
  const sockets = (await page.evaluate(() => (globalThis as any).compat.sockets)) as string[];
  expect(sockets.length).toBeGreaterThanOrEqual(4);
  expect(new Set(sockets)).toEqual(new Set([gw.url]));
  expect(problems).toEqual([]);
}, 60_000);
