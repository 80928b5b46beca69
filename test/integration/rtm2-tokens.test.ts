/**
 * RTM2 (type 8) tokens through a real gateway, in both profiles (issue 10, docs/token-services.md):
 * a login over the WebSocket through the client SDK, explain, the journal and the expiry timers.
 *
 * - an RTM2 token with the login privilege logs in, as an RTM (type 2) token does; explain shows
 *   its permissions;
 * - with an RTM and an RTM2 login service, both must name the uid (otherwise uid_mismatch, with the
 *   profile's code), and the earlier login limit is the session's expiry;
 * - an RTM2 service without the login privilege grants nothing (not_rtm_token);
 * - renewToken takes an RTM2 token.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRtmClient, isRtmError, type RtmClient } from "../../client/index.js";
import { startGateway, waitForDecision, type TestGateway } from "../../client/testing.js";
import type { Profile } from "../../core/protocol/wire.js";
import { build007, buildRtmToken, parseRtm2Permissions, type ServiceSpec } from "../../core/token/index.js";

const APP_ID = "a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8";
const CERT = "c8c8c8c8c8c8c8c8c8c8c8c8c8c8c8c8";
const T0 = 1_718_000_000;
const PERMISSIONS = parseRtm2Permissions("message:read,write=chan1;user:read=*");

let gw: TestGateway;
let salt = 1;

beforeAll(async () => {
  gw = await startGateway({ clock: "manual", now: T0, projects: [{ appId: APP_ID, mode: "token", primary: CERT }], config: { willExpireSeconds: 30 } });
});
afterAll(async () => {
  await gw.close();
});

/** A 007 token issued now on the project's certificate. */
function token(services: ServiceSpec[], expire = 3600): string {
  return build007({ appId: APP_ID, certificate: CERT, issueTs: gw.clock.now(), expire, salt: salt++, services });
}
const rtm = (userId: string, privilege: number): ServiceSpec => ({ type: 2, privileges: [[1, privilege]], userId });
const rtm2 = (userId: string, privileges: Array<[number, number]>): ServiceSpec => ({ type: 8, privileges, userId, permissions: PERMISSIONS });

/** A login through the SDK: the result, or the refusal's reason, code and name. */
async function login(profile: Profile, uid: string, tok: string): Promise<{ client: RtmClient; outcome: unknown }> {
  const client = createRtmClient({ url: gw.url, appId: APP_ID, profile, loginTimeoutMs: 5000 });
  try {
    return { client, outcome: await client.login({ uid, token: tok }) };
  } catch (err) {
    if (!isRtmError(err)) throw err;
    return { client, outcome: { reason: err.reason, code: err.code, name: err.name } };
  }
}

const UID_MISMATCH = { rtm1: { code: 3, name: "LOGIN_ERR_INVALID_ARGUMENT" }, rtm2: { code: -10005, name: "RTM_ERROR_INVALID_TOKEN" } } as const;
const NOT_RTM = { rtm1: { code: 2, name: "LOGIN_ERR_REJECTED" }, rtm2: { code: -10015, name: "RTM_ERROR_LOGIN_NOT_AUTHORIZED" } } as const;

describe.each(["rtm1", "rtm2"] as const)("profile %s", (profile) => {
  it("an RTM2 token with the login privilege logs in; explain shows its permissions", async () => {
    const uid = `rtm2-${profile}`;
    await gw.clock.set(T0);
    const tok = buildRtmToken({ version: "007", appId: APP_ID, certificate: CERT, uid, expireSeconds: 600, issueTs: gw.clock.now(), salt: salt++, permissions: PERMISSIONS });
    const explained = await gw.admin.explain({ appId: APP_ID, uid, token: tok, profile });
    expect({ decision: explained.decision, reason: explained.reason, expiresAt: explained.expiresAt }).toEqual({ decision: "accept", reason: "ok", expiresAt: T0 + 600 });
    expect((explained.token as { services: unknown[] }).services).toEqual([
      expect.objectContaining({
        type: 8,
        name: "rtm2",
        userId: uid,
        permissionSpec: "message:read,write=chan1;user:read=*",
        permissions: [
          { resourceType: 0, resourceName: "messageChannels", permissions: [{ permType: 0, permissionName: "read", resources: ["chan1"] }, { permType: 1, permissionName: "write", resources: ["chan1"] }] },
          { resourceType: 4, resourceName: "users", permissions: [{ permType: 0, permissionName: "read", resources: ["*"] }] },
        ],
      }),
    ]);
    const { client, outcome } = await login(profile, uid, tok);
    expect(outcome).toEqual(expect.objectContaining({ uid, credential: "token", tokenVersion: "007", expiresAt: T0 + 600 }));
    await client.logout();
  });

  it("RTM and RTM2 services for different users: uid_mismatch with the profile's code, through explain and the login", async () => {
    const tok = token([rtm("alice", 3600), rtm2("bob", [[1, 3600]])]);
    for (const uid of ["alice", "bob"]) {
      const explained = await gw.admin.explain({ appId: APP_ID, uid, token: tok, profile });
      const { client, outcome } = await login(profile, uid, tok);
      expect([uid, outcome]).toEqual([uid, { reason: "uid_mismatch", ...UID_MISMATCH[profile] }]);
      expect({ reason: explained.reason, code: explained.code, name: explained.name }).toEqual({ reason: "uid_mismatch", ...UID_MISMATCH[profile] });
      await client.close();
    }
  });

  it("an RTM2 service without the login privilege grants nothing: not_rtm_token", async () => {
    const { client, outcome } = await login(profile, "carol", token([rtm2("carol", [[2, 3600]])]));
    expect(outcome).toEqual({ reason: "not_rtm_token", ...NOT_RTM[profile] });
    await client.close();
  });

  it("RTM and RTM2 for the same user: the earlier login limit is the session's expiry (will-expire, then the end)", async () => {
    const uid = `both-${profile}`;
    await gw.clock.set(T0);
    const tok = token([rtm(uid, 3600), rtm2(uid, [[1, 600]])]);
    const { client, outcome } = await login(profile, uid, tok);
    expect(outcome).toEqual(expect.objectContaining({ expiresAt: T0 + 600 }));
    const warned = new Promise((resolve) => client.once("tokenPrivilegeWillExpire", resolve));
    await gw.clock.advance(570);
    await warned;
    await gw.clock.advance(31);
    const ended = await waitForDecision(gw.httpUrl, { uid, op: "session_end" });
    expect(ended.reason).toBe("session_token_expired");
    await client.close();
  });

  it("renewToken takes an RTM2 token and re-arms the expiry", async () => {
    const uid = `renew-${profile}`;
    await gw.clock.set(T0);
    const { client, outcome } = await login(profile, uid, token([rtm(uid, 60)], 60));
    expect(outcome).toEqual(expect.objectContaining({ expiresAt: T0 + 60 }));
    const renewed = await client.renewToken(token([rtm2(uid, [[1, 900]])], 900));
    expect(renewed).toEqual(expect.objectContaining({ tokenVersion: "007", expiresAt: T0 + 900 }));
    await gw.clock.advance(61); // past the first token: the session lives on, until the RTM2 token's end
    expect((await gw.admin.sessions.list({ appId: APP_ID, uid })).map((s) => s.expiresAt)).toEqual([T0 + 900]);
    await client.logout();
  });
});
