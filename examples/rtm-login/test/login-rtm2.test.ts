/**
 * The RTM 2.x login module (../src/login-rtm2.ts) against a gateway embedded in the test, through
 * the alias of ../vitest.config.ts only: login, renewal on tokenPrivilegeWillExpire, expiry, a
 * remote login and a wrong token. Here the gateway is found through RTM_AUTH_EMULATOR_URL.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { startGateway, type TestGateway } from "rtm-auth-gateway/client/testing";
import { buildRtmToken } from "rtm-auth-gateway/token";
import { createLogin, type FetchToken, type LoginView } from "../src/login-rtm2.js";

const APP_ID = "5e1f0a11c0ffee00000000000000e2e2";
let gw: TestGateway;
const saved = process.env.RTM_AUTH_EMULATOR_URL;

beforeAll(async () => {
  gw = await startGateway({ clock: "manual", projects: [{ appId: APP_ID, mode: "token" }] });
  process.env.RTM_AUTH_EMULATOR_URL = gw.url;
});
afterAll(async () => {
  if (saved === undefined) delete process.env.RTM_AUTH_EMULATOR_URL;
  else process.env.RTM_AUTH_EMULATOR_URL = saved;
  await gw.close();
});

function tokenServer(seconds: number): FetchToken & { calls: number } {
  const fetchToken = async (uid: string) => {
    fetchToken.calls++;
    return (await gw.admin.tokens.mint({ appId: APP_ID, uid, version: "007", expireSeconds: seconds })).token;
  };
  fetchToken.calls = 0;
  return fetchToken;
}

async function until(view: LoginView, status: string): Promise<void> {
  for (let i = 0; i < 500 && view.status !== status; i++) await new Promise((r) => setTimeout(r, 10));
  expect(view.status).toBe(status);
}

it("login: online after IDLE -> CONNECTING -> CONNECTED, the response's timestamp is the gateway's clock; logout goes back to IDLE", async () => {
  const app = createLogin(APP_ID, "alice", tokenServer(3600));
  await app.login();
  expect(app.view).toMatchObject({ status: "online", error: null });
  expect(app.view.log).toEqual(["link state IDLE -> CONNECTING (LOGIN)", "link state CONNECTING -> CONNECTED (LOGIN_SUCCESS)", `logged in at ${gw.clock.now() * 1000}`]);
  await app.logout();
  await until(app.view, "offline");
});

it("renew on warning: tokenPrivilegeWillExpire 30 s before expiry, the app renews, the session outlives the first token", async () => {
  const fetchToken = tokenServer(600);
  const app = createLogin(APP_ID, "bob", fetchToken);
  await app.login();
  await gw.clock.advance(570);
  for (let i = 0; i < 500 && !app.view.log.includes("token renewed"); i++) await new Promise((r) => setTimeout(r, 10));
  expect(fetchToken.calls).toBe(2);
  await gw.clock.advance(300);
  expect(app.view.status).toBe("online");
  await app.logout();
});

it("expiry: without a renewal the link fails with TOKEN_EXPIRED and the app shows the session expired", async () => {
  let up = true;
  const fetchToken: FetchToken = async (uid) => {
    if (!up) throw new Error("token server unavailable");
    return (await gw.admin.tokens.mint({ appId: APP_ID, uid, version: "007", expireSeconds: 120 })).token;
  };
  const app = createLogin(APP_ID, "carol", fetchToken);
  await app.login();
  up = false;
  await gw.clock.advance(121);
  await until(app.view, "session expired");
  expect(app.view.log).toContain("link state CONNECTED -> FAILED (TOKEN_EXPIRED)");
  await expect.poll(() => app.view.log).toContain("token renewal failed: token server unavailable");
});

it("remote login: the same user on another device; the first app shows it was signed in elsewhere", async () => {
  const laptop = createLogin(APP_ID, "dave", tokenServer(3600));
  const phone = createLogin(APP_ID, "dave", tokenServer(3600));
  await laptop.login();
  await phone.login();
  await until(laptop.view, "signed in elsewhere");
  expect(phone.view.status).toBe("online");
  await phone.logout();
});

it("wrong token: refused with errorCode -10005 and the reason text", async () => {
  const forged: FetchToken = async (uid) =>
    buildRtmToken({ version: "007", appId: APP_ID, certificate: "0123456789abcdef0123456789abcdef", uid, expireSeconds: 600, issueTs: gw.clock.now(), salt: 2 });
  const app = createLogin(APP_ID, "erin", forged);
  await app.login();
  expect(app.view).toMatchObject({ status: "disconnected", error: "Login failed (-10005)" });
  expect(app.view.log.at(-1)).toBe("login failed: -10005 The token signature is invalid.");
});
