/**
 * The RTM 1.x login module (../src/login-rtm1.ts) against a gateway embedded in the test, through
 * the alias of ../vitest.config.ts only: login, renewal on TokenPrivilegeWillExpire, expiry, a
 * remote login and a wrong token. The simulated clock is moved by the test; an hour takes
 * milliseconds.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { startGateway, type TestGateway } from "rtm-auth-gateway/client/testing";
import { connectRtmEmulator } from "rtm-auth-gateway/compat/agora-rtm-sdk";
import { buildRtmToken } from "rtm-auth-gateway/token";
import { createLogin, type FetchToken, type LoginView } from "../src/login-rtm1.js";

const APP_ID = "5e1f0a11c0ffee00000000000000e1e1";
let gw: TestGateway;

beforeAll(async () => {
  gw = await startGateway({ clock: "manual", projects: [{ appId: APP_ID, mode: "token" }] });
  connectRtmEmulator(gw.url); // the compat module's gateway; RTM_AUTH_EMULATOR_URL works too
});
afterAll(() => gw.close());

/** The app's token server, played by the gateway's admin API: tokens valid for `seconds`. */
function tokenServer(seconds: number): FetchToken & { calls: number } {
  const fetchToken = async (uid: string) => {
    fetchToken.calls++;
    return (await gw.admin.tokens.mint({ appId: APP_ID, uid, version: "007", expireSeconds: seconds })).token;
  };
  fetchToken.calls = 0;
  return fetchToken;
}

/** Waits (up to 5 s) until the app shows `status`. */
async function until(view: LoginView, status: string): Promise<void> {
  for (let i = 0; i < 500 && view.status !== status; i++) await new Promise((r) => setTimeout(r, 10));
  expect(view.status).toBe(status);
}

it("login: the app shows online after CONNECTING and CONNECTED; logout takes it offline", async () => {
  const app = createLogin(APP_ID, tokenServer(3600));
  await app.login("alice");
  expect(app.view).toMatchObject({ status: "online", error: null });
  expect(app.view.log.slice(0, 2)).toEqual(["on connection state changed to CONNECTING reason: LOGIN", "on connection state changed to CONNECTED reason: LOGIN_SUCCESS"]);
  await app.logout();
  await until(app.view, "offline");
});

it("renew on warning: TokenPrivilegeWillExpire 30 s before expiry, the app renews, the session outlives the first token", async () => {
  const fetchToken = tokenServer(600);
  const app = createLogin(APP_ID, fetchToken);
  await app.login("bob");
  await gw.clock.advance(570);
  for (let i = 0; i < 500 && !app.view.log.includes("token renewed"); i++) await new Promise((r) => setTimeout(r, 10));
  expect(fetchToken.calls).toBe(2);
  await gw.clock.advance(300); // past the first token's expiry, before the second's
  expect(app.view.status).toBe("online");
  await app.logout();
});

it("expiry: with the token server down at renewal time, the app shows the session expired", async () => {
  let up = true;
  const fetchToken: FetchToken = async (uid) => {
    if (!up) throw new Error("token server unavailable");
    return (await gw.admin.tokens.mint({ appId: APP_ID, uid, version: "007", expireSeconds: 120 })).token;
  };
  const app = createLogin(APP_ID, fetchToken);
  await app.login("carol");
  up = false;
  await gw.clock.advance(121);
  await until(app.view, "session expired");
  // The warning came first (its renewal failed: the log line follows the failed fetch), then the expiry.
  await expect.poll(() => app.view.log).toContain("token renewal failed: token server unavailable");
  const expired = app.view.log.indexOf("token expired");
  expect(app.view.log.slice(expired, expired + 2)).toEqual(["token expired", "on connection state changed to ABORTED reason: TOKEN_EXPIRED"]);
});

it("remote login: the same user on another device, and the first app shows it was signed in elsewhere", async () => {
  const laptop = createLogin(APP_ID, tokenServer(3600));
  const phone = createLogin(APP_ID, tokenServer(3600));
  await laptop.login("dave");
  await phone.login("dave");
  await until(laptop.view, "signed in elsewhere");
  expect(phone.view.status).toBe("online");
  await phone.logout();
});

it("wrong token: a token signed with another certificate is refused with 1.x code 5", async () => {
  const forged: FetchToken = async (uid) =>
    buildRtmToken({ version: "007", appId: APP_ID, certificate: "0123456789abcdef0123456789abcdef", uid, expireSeconds: 600, issueTs: gw.clock.now(), salt: 1 });
  const app = createLogin(APP_ID, forged);
  await app.login("erin");
  expect(app.view).toMatchObject({ status: "offline", error: "Login failed (5)" });
  expect(app.view.log.at(-1)).toBe("login failed: The token signature is invalid.");
});
