/**
 * renewToken and logout (docs/agora-behaviour.md, "renewToken"; "Logout"), both profiles, through the client SDK.
 * RTM 1.x swaps 5 and 6 between login and renew: renew uses TOKEN_EXPIRED = 5, INVALID_TOKEN = 6.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Profile } from "../../core/protocol/wire.js";
import { APPS, startHarness, T0, type Harness } from "../support/gateway-harness.js";
import { expectRtmError, recordedClient, settle } from "../support/recorder.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

const OTHER_CERT = "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f";
const R1 = (code: number, name: string) => ({ code, name: `RENEW_TOKEN_ERR_${name}` });
const E = (code: number, name: string) => ({ code, name: `RTM_ERROR_${name}` });

interface RenewRow {
  situation: string;
  token: (uid: string) => string;
  rtm1: { code: number; name: string };
  rtm2: { code: number; name: string };
  reason: string;
}

const RENEW_ROWS: RenewRow[] = [
  { situation: "invalid signature", token: (uid) => h.token("token", uid, { certificate: OTHER_CERT }), rtm1: R1(6, "INVALID_TOKEN"), rtm2: E(-10005, "INVALID_TOKEN"), reason: "invalid_signature" },
  { situation: "malformed", token: () => "007AAAA", rtm1: R1(6, "INVALID_TOKEN"), rtm2: E(-10005, "INVALID_TOKEN"), reason: "malformed" },
  { situation: "already expired", token: (uid) => h.token("token", uid, { issueTs: T0 - 7200 }), rtm1: R1(5, "TOKEN_EXPIRED"), rtm2: E(-10009, "TOKEN_EXPIRED"), reason: "token_expired" },
  { situation: "for another uid (renew keeps the identity)", token: () => h.token("token", "somebody-else"), rtm1: R1(6, "INVALID_TOKEN"), rtm2: E(-10005, "INVALID_TOKEN"), reason: "uid_mismatch" },
  { situation: "for another App ID", token: (uid) => h.token("either", uid), rtm1: R1(6, "INVALID_TOKEN"), rtm2: E(-10016, "INCONSISTENT_APPID"), reason: "app_id_mismatch" },
];

let n = 0;
const freshUid = () => `renew-${++n}`;

describe.each(["rtm1", "rtm2"] as Profile[])("renewToken, profile %s", (profile) => {
  it("before login: 1.x 102 USER_NOT_LOGGED_IN, 2.x -10025 NOT_CONNECTED", async () => {
    const r = recordedClient(h.gateway.url, APPS.token.appId, profile);
    try {
      // A refused login leaves the socket open and the connection not logged in.
      await expectRtmError(r.client.login({ uid: "x", token: null }), { code: profile === "rtm1" ? 5 : -10005, reason: "token_required" });
      await expectRtmError(
        r.client.renewToken(h.token("token", "x")),
        profile === "rtm1" ? { ...R1(102, "USER_NOT_LOGGED_IN"), reason: "not_logged_in" } : { ...E(-10025, "NOT_CONNECTED"), reason: "not_logged_in" },
      );
    } finally {
      await r.client.close();
    }
  });

  it("a valid token renews: new expiresAt, no state event", async () => {
    const uid = freshUid();
    const r = recordedClient(h.gateway.url, APPS.token.appId, profile);
    try {
      const now = h.clock.nowSeconds();
      const login = await r.client.login({ uid, token: h.token("token", uid, { expireSeconds: 600 }) });
      expect(login.expiresAt).toBe(now + 600);
      await settle(10);
      r.clear();
      const renewed = await r.client.renewToken(h.token("token", uid, { expireSeconds: 7200 }));
      expect(renewed).toMatchObject({ expiresAt: now + 7200, tokenVersion: "007" });
      await settle(10);
      expect(r.states()).toEqual([]);
    } finally {
      await r.client.close();
    }
  });

  it.each(RENEW_ROWS.map((row) => [row.situation, row] as const))("refused: %s; the session keeps its old token", async (_s, row) => {
    const uid = freshUid();
    const r = recordedClient(h.gateway.url, APPS.token.appId, profile);
    try {
      await r.client.login({ uid, token: h.token("token", uid) });
      await expectRtmError(r.client.renewToken(row.token(uid)), { ...(profile === "rtm1" ? row.rtm1 : row.rtm2), reason: row.reason });
      // Still logged in on the old token: a valid renew now works.
      h.clock.advance(1);
      await expect(r.client.renewToken(h.token("token", uid))).resolves.toMatchObject({ tokenVersion: "007" });
    } finally {
      await r.client.close();
    }
  });

  it("more than 2 renews in a second: 1.x 4 TOO_OFTEN, 2.x -10021", async () => {
    const uid = freshUid();
    const r = recordedClient(h.gateway.url, APPS.token.appId, profile);
    try {
      await r.client.login({ uid, token: h.token("token", uid) });
      // renewToken has its own window (the login is not counted in it): the third renew is one too many.
      await r.client.renewToken(h.token("token", uid));
      await r.client.renewToken(h.token("token", uid));
      await expectRtmError(
        r.client.renewToken(h.token("token", uid)),
        profile === "rtm1" ? { ...R1(4, "TOO_OFTEN"), reason: "too_often" } : { ...E(-10021, "OPERATION_RATE_EXCEED_LIMITATION"), reason: "too_often" },
      );
    } finally {
      await r.client.close();
    }
  });

  it("a missing/empty token is an argument error: 1.x 2 INVALID_ARGUMENT, 2.x -10005", async () => {
    const uid = freshUid();
    const r = recordedClient(h.gateway.url, APPS.token.appId, profile);
    try {
      await r.client.login({ uid, token: h.token("token", uid) });
      await expectRtmError(
        r.client.renewToken(""),
        profile === "rtm1" ? { ...R1(2, "INVALID_ARGUMENT"), reason: "malformed" } : { ...E(-10005, "INVALID_TOKEN"), reason: "malformed" },
      );
    } finally {
      await r.client.close();
    }
  });

  it("an App ID session in an 'either' project becomes a token session by renewing", async () => {
    const uid = freshUid();
    const r = recordedClient(h.gateway.url, APPS.either.appId, profile);
    try {
      const login = await r.client.login({ uid });
      expect(login).toMatchObject({ credential: "appid", expiresAt: null, tokenVersion: null });
      const now = h.clock.nowSeconds();
      await expect(r.client.renewToken(h.token("either", uid, { expireSeconds: 900 }))).resolves.toMatchObject({ expiresAt: now + 900 });
    } finally {
      await r.client.close();
    }
  });
});

describe.each(["rtm1", "rtm2"] as Profile[])("logout, profile %s", (profile) => {
  it("logs out with the profile's event, and a new login works after it", async () => {
    const uid = freshUid();
    const r = recordedClient(h.gateway.url, APPS.token.appId, profile);
    try {
      await r.client.login({ uid, token: h.token("token", uid) });
      await settle(10);
      r.clear();
      await r.client.logout();
      await settle(10);
      expect(r.states()).toEqual(profile === "rtm1" ? ["DISCONNECTED/LOGOUT"] : ["CONNECTED>IDLE/LOGOUT/LOGOUT"]);
      expect(h.gateway.sessions.list({ uid })).toEqual([]);
      h.clock.advance(1);
      await expect(r.client.login({ uid, token: h.token("token", uid) })).resolves.toMatchObject({ uid });
    } finally {
      await r.client.close();
    }
  });

  it("logout while not logged in: 1.x 102 LOGOUT_ERR_USER_NOT_LOGGED_IN; 2.x resolves", async () => {
    const r = recordedClient(h.gateway.url, APPS.token.appId, profile);
    try {
      await expectRtmError(r.client.login({ uid: "x", token: null }), { code: profile === "rtm1" ? 5 : -10005, reason: "token_required" });
      if (profile === "rtm1") {
        await expectRtmError(r.client.logout(), { code: 102, name: "LOGOUT_ERR_USER_NOT_LOGGED_IN", reason: "not_logged_in" });
      } else {
        await expect(r.client.logout()).resolves.toBeUndefined();
      }
    } finally {
      await r.client.close();
    }
  });
});
