/**
 * The README's example suite for `rtm-auth-gateway/client/testing`, kept runnable here (the README
 * imports "rtm-auth-gateway/client" and "rtm-auth-gateway/client/testing"; this copy imports the
 * sources). If this file changes, change the README example with it.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { createRtmClient } from "../../client/index.js";
import { startGateway, waitForDecision, type TestGateway } from "../../client/testing.js";

const APP_ID = "0123456789abcdef0123456789abcdef";
let gw: TestGateway;

beforeAll(async () => {
  // A real gateway in this process, port 0, the clock frozen until the test moves it.
  gw = await startGateway({ clock: "manual", projects: [{ appId: APP_ID, mode: "token" }] });
});
afterAll(() => gw.close());

it("warns 30 s before expiry, renews, and ends the session after the new expiry", async () => {
  const client = createRtmClient({ url: gw.url, appId: APP_ID, profile: "rtm2" });
  const warned = new Promise((resolve) => client.once("tokenPrivilegeWillExpire", resolve));
  const mint = () => gw.admin.tokens.mint({ appId: APP_ID, uid: "alice", version: "007", expireSeconds: 3600 });

  await client.login({ uid: "alice", token: (await mint()).token });
  await gw.clock.advance(3570); // an hour, in milliseconds of wall time
  await warned;
  await client.renewToken((await mint()).token);

  await gw.clock.advance(3601); // past the renewed token's expiry
  const ended = await waitForDecision(gw.httpUrl, { uid: "alice", op: "session_end" });
  expect(ended.reason).toBe("session_token_expired");
});

it("a login the gateway never answers meets the client's own timeout", async () => {
  await gw.admin.faults.add({ op: "login", uid: "bob", action: { type: "never_reply" } });
  const bob = createRtmClient({ url: gw.url, appId: APP_ID, loginTimeoutMs: 200 });
  await expect(bob.login({ uid: "bob", token: null })).rejects.toMatchObject({ code: 9, reason: "login_timeout" });
});

it("the 2nd renewToken fails with TOO_OFTEN (RTM 1.x renew code 4)", async () => {
  await gw.admin.faults.add({ op: "renewToken", uid: "carol", nth: 2, action: { type: "fail", reason: "too_often" } });
  const carol = createRtmClient({ url: gw.url, appId: APP_ID });
  const mint = async () => (await gw.admin.tokens.mint({ appId: APP_ID, uid: "carol", version: "007", expireSeconds: 600 })).token;
  await carol.login({ uid: "carol", token: await mint() });
  await carol.renewToken(await mint());
  await expect(carol.renewToken(await mint())).rejects.toMatchObject({ code: 4, reason: "too_often" });
  await carol.close();
});
