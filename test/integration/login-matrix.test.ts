/**
 * The login situations (docs/agora-behaviour.md, "Login"; docs/reasons.md, "Login codes"): one test per row, for both profiles, through the
 * client SDK over real sockets. Each refusal asserts the reply code and name, the reason, and
 * the state events the profile shows (§6.2, §6.3).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { build007 } from "../../core/token/index.js";
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

type App = keyof typeof APPS;
interface Row {
  situation: string;
  app: App | { appId: string };
  uid: string;
  token: () => string | null | undefined;
  rtm1: { code: number; name: string } | "ok";
  rtm2: { code: number; name: string } | "ok";
  reason: string;
  /** The 2.x link-state reason on failure. */
  link?: string;
}

const OTHER_CERT = "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f";
const rtcOnly = () =>
  build007({
    appId: APPS.token.appId,
    certificate: APPS.token.certificate,
    issueTs: T0,
    expire: 3600,
    salt: 9,
    services: [{ type: 1, privileges: [[1, 3600]], channelName: "alice", uid: "" }],
  });

const L = (code: number, name: string) => ({ code, name: `LOGIN_ERR_${name}` });
const E = (code: number, name: string) => ({ code, name: `RTM_ERROR_${name}` });

const ROWS: Row[] = [
  { situation: "uid empty", app: "token", uid: "", token: () => h.token("token", "x"), rtm1: L(3, "INVALID_ARGUMENT"), rtm2: E(-10006, "INVALID_USER_ID"), reason: "invalid_uid", link: "INVALID_USER_ID" },
  { situation: "uid > 64 bytes", app: "token", uid: "u".repeat(65), token: () => h.token("token", "x"), rtm1: L(3, "INVALID_ARGUMENT"), rtm2: E(-10006, "INVALID_USER_ID"), reason: "invalid_uid", link: "INVALID_USER_ID" },
  { situation: "uid with an illegal character", app: "token", uid: "d’oh", token: () => h.token("token", "x"), rtm1: L(3, "INVALID_ARGUMENT"), rtm2: E(-10006, "INVALID_USER_ID"), reason: "invalid_uid", link: "INVALID_USER_ID" },
  { situation: 'uid "null"', app: "token", uid: "null", token: () => h.token("token", "x"), rtm1: L(3, "INVALID_ARGUMENT"), rtm2: E(-10006, "INVALID_USER_ID"), reason: "invalid_uid", link: "INVALID_USER_ID" },
  { situation: "App ID unknown", app: { appId: "0123456789abcdef0123456789abcdef" }, uid: "alice", token: () => null, rtm1: L(4, "INVALID_APP_ID"), rtm2: E(-10003, "INVALID_APP_ID"), reason: "unknown_app_id", link: "LOGIN_REJECTED" },
  { situation: "token malformed", app: "token", uid: "alice", token: () => "007eJx!!notbase64", rtm1: L(5, "INVALID_TOKEN"), rtm2: E(-10005, "INVALID_TOKEN"), reason: "malformed", link: "INVALID_TOKEN" },
  { situation: "token of an unsupported version", app: "token", uid: "alice", token: () => `008${h.token("token", "alice").slice(3)}`, rtm1: L(5, "INVALID_TOKEN"), rtm2: E(-10005, "INVALID_TOKEN"), reason: "unsupported_version", link: "INVALID_TOKEN" },
  { situation: "token for another App ID", app: "token", uid: "alice", token: () => h.token("either", "alice"), rtm1: L(5, "INVALID_TOKEN"), rtm2: E(-10016, "INCONSISTENT_APPID"), reason: "app_id_mismatch", link: "INCONSISTENT_APP_ID" },
  { situation: "token signed with a wrong certificate", app: "token", uid: "alice", token: () => h.token("token", "alice", { certificate: OTHER_CERT }), rtm1: L(5, "INVALID_TOKEN"), rtm2: E(-10005, "INVALID_TOKEN"), reason: "invalid_signature", link: "INVALID_TOKEN" },
  { situation: "006 token built for another account", app: "token", uid: "alice", token: () => h.token("token", "bob", { version: "006" }), rtm1: L(5, "INVALID_TOKEN"), rtm2: E(-10005, "INVALID_TOKEN"), reason: "invalid_signature", link: "INVALID_TOKEN" },
  { situation: "RTC token (not an RTM token)", app: "token", uid: "alice", token: rtcOnly, rtm1: L(2, "REJECTED"), rtm2: E(-10015, "LOGIN_NOT_AUTHORIZED"), reason: "not_rtm_token", link: "LOGIN_NOT_AUTHORIZED" },
  { situation: "007 token for another uid", app: "token", uid: "alice", token: () => h.token("token", "bob"), rtm1: L(3, "INVALID_ARGUMENT"), rtm2: E(-10005, "INVALID_TOKEN"), reason: "uid_mismatch", link: "INVALID_TOKEN" },
  { situation: "token expired", app: "token", uid: "alice", token: () => h.token("token", "alice", { issueTs: T0 - 7200, expireSeconds: 3600 }), rtm1: L(6, "TOKEN_EXPIRED"), rtm2: E(-10009, "TOKEN_EXPIRED"), reason: "token_expired", link: "TOKEN_EXPIRED" },
  { situation: "006 privilege expired", app: "token", uid: "alice", token: () => h.token("token", "alice", { version: "006", issueTs: T0 - 7200, expireSeconds: 3600 }), rtm1: L(6, "TOKEN_EXPIRED"), rtm2: E(-10009, "TOKEN_EXPIRED"), reason: "privilege_expired", link: "TOKEN_EXPIRED" },
  { situation: "certificate project, no token", app: "token", uid: "alice", token: () => null, rtm1: L(5, "INVALID_TOKEN"), rtm2: E(-10005, "INVALID_TOKEN"), reason: "token_required", link: "INVALID_TOKEN" },
  { situation: "App-ID project, a real token", app: "appid", uid: "alice", token: () => h.token("token", "alice"), rtm1: L(5, "INVALID_TOKEN"), rtm2: E(-10003, "INVALID_APP_ID"), reason: "token_not_accepted", link: "LOGIN_REJECTED" },
  { situation: "App-ID project, no token", app: "appid", uid: "alice", token: () => undefined, rtm1: "ok", rtm2: "ok", reason: "ok" },
  { situation: 'App-ID project, token ""', app: "appid", uid: "alice", token: () => "", rtm1: "ok", rtm2: "ok", reason: "ok" },
  { situation: "either project, no token", app: "either", uid: "alice", token: () => null, rtm1: "ok", rtm2: "ok", reason: "ok" },
  { situation: "either project, valid token", app: "either", uid: "alice", token: () => h.token("either", "alice"), rtm1: "ok", rtm2: "ok", reason: "ok" },
  { situation: "either project, invalid token", app: "either", uid: "alice", token: () => h.token("either", "alice", { certificate: OTHER_CERT }), rtm1: L(5, "INVALID_TOKEN"), rtm2: E(-10005, "INVALID_TOKEN"), reason: "invalid_signature", link: "INVALID_TOKEN" },
  { situation: "either project, expired token", app: "either", uid: "alice", token: () => h.token("either", "alice", { issueTs: T0 - 7200 }), rtm1: L(6, "TOKEN_EXPIRED"), rtm2: E(-10009, "TOKEN_EXPIRED"), reason: "token_expired", link: "TOKEN_EXPIRED" },
  { situation: "token project, valid 006 token", app: "token", uid: "alice", token: () => h.token("token", "alice", { version: "006" }), rtm1: "ok", rtm2: "ok", reason: "ok" },
  { situation: "token project, secondary certificate", app: "rotating", uid: "alice", token: () => h.token("rotating", "alice", { certificate: APPS.rotating.secondary }), rtm1: "ok", rtm2: "ok", reason: "ok" },
];

describe.each(["rtm1", "rtm2"] as Profile[])("login matrix, profile %s", (profile) => {
  it.each(ROWS.map((r) => [r.situation, r] as const))("%s", async (_s, row) => {
    const appId = typeof row.app === "string" ? APPS[row.app].appId : row.app.appId;
    const uid = row.uid;
    const r = recordedClient(h.gateway.url, appId, profile);
    const token = row.token();
    const expected = profile === "rtm1" ? row.rtm1 : row.rtm2;
    try {
      if (expected === "ok") {
        const result = await r.client.login({ uid, token });
        expect(result.appId).toBe(appId);
        expect(result.credential).toBe(token ? "token" : "appid");
        await settle(10);
        expect(r.states()).toEqual(
          profile === "rtm1" ? ["CONNECTING/LOGIN", "CONNECTED/LOGIN_SUCCESS"] : ["IDLE>CONNECTING/LOGIN/LOGIN", "CONNECTING>CONNECTED/LOGIN/LOGIN_SUCCESS"],
        );
        await r.client.logout();
      } else {
        await expectRtmError(r.client.login({ uid, token }), { ...expected, reason: row.reason });
        await settle(10);
        const states = r.states();
        if (row.reason === "invalid_uid") {
          // Local check in the SDKs: 1.x shows no change; 2.x goes straight to FAILED (§2.2).
          expect(states).toEqual(profile === "rtm1" ? [] : [`IDLE>FAILED/LOGIN/${row.link}`]);
        } else {
          expect(states).toEqual(
            profile === "rtm1"
              ? ["CONNECTING/LOGIN", "DISCONNECTED/LOGIN_FAILURE"]
              : ["IDLE>CONNECTING/LOGIN/LOGIN", `CONNECTING>FAILED/LOGIN/${row.link}`],
          );
        }
      }
    } finally {
      await r.client.close();
    }
  });
});

describe.each(["rtm1", "rtm2"] as Profile[])("session rules, profile %s", (profile) => {
  it("a login while logged in: 1.x 8 ALREADY_LOGIN; 2.x same identity resolves at once with no event, other uid -10017", async () => {
    const r = recordedClient(h.gateway.url, APPS.either.appId, profile);
    try {
      const first = await r.client.login({ uid: "repeat-user" });
      await settle(10);
      r.clear();
      if (profile === "rtm1") {
        await expectRtmError(r.client.login({ uid: "repeat-user" }), { code: 8, name: "LOGIN_ERR_ALREADY_LOGIN", reason: "already_logged_in" });
      } else {
        const again = await r.client.login({ uid: "repeat-user" });
        expect(again.sessionId).toBe(first.sessionId);
        await expectRtmError(r.client.login({ uid: "another-user" }), { code: -10017, name: "RTM_ERROR_DUPLICATE_OPERATION", reason: "already_logged_in" });
      }
      await settle(10);
      expect(r.states()).toEqual([]);
    } finally {
      await r.client.close();
    }
  });

  it("a third login within a second on one connection is too_often (1.x 10, 2.x -10021), with no state event", async () => {
    const r = recordedClient(h.gateway.url, APPS.token.appId, profile);
    try {
      await expectRtmError(r.client.login({ uid: "rate-user", token: null }), { code: profile === "rtm1" ? 5 : -10005, reason: "token_required" });
      await expectRtmError(r.client.login({ uid: "rate-user", token: null }), { code: profile === "rtm1" ? 5 : -10005, reason: "token_required" });
      await settle(10);
      r.clear();
      await expectRtmError(r.client.login({ uid: "rate-user", token: h.token("token", "rate-user") }), {
        code: profile === "rtm1" ? 10 : -10021,
        name: profile === "rtm1" ? "LOGIN_ERR_TOO_OFTEN" : "RTM_ERROR_OPERATION_RATE_EXCEED_LIMITATION",
        reason: "too_often",
      });
      await settle(10);
      expect(r.states()).toEqual([]);
      // The window is a second of the gateway's real monotonic clock (the simulated one is frozen
      // here): once a real second has passed since the call two back, the login goes through.
      await settle(1000);
      await expect(r.client.login({ uid: "rate-user", token: h.token("token", "rate-user") })).resolves.toMatchObject({ uid: "rate-user" });
      await r.client.logout();
    } finally {
      await r.client.close();
    }
  });

  it("a disabled project answers unknown_app_id (1.x 4, 2.x -10003)", async () => {
    const appId = "ddddeeeeddddeeeeddddeeeeddddeeee";
    await h.store.update(appId, () => ({ appId, noCertificate: true, primary: null, secondary: null, enabled: false, version: 0 }));
    const r = recordedClient(h.gateway.url, appId, profile);
    try {
      await expectRtmError(r.client.login({ uid: "alice" }), { code: profile === "rtm1" ? 4 : -10003, reason: "unknown_app_id" });
    } finally {
      await r.client.close();
    }
  });
});

it("rtm2: the App ID given as the token means no token (docs/agora-behaviour.md, \"The token argument\")", async () => {
  const r = recordedClient(h.gateway.url, APPS.appid.appId, "rtm2");
  try {
    await expect(r.client.login({ uid: "carol", token: APPS.appid.appId })).resolves.toMatchObject({ credential: "appid", expiresAt: null });
  } finally {
    await r.client.close();
  }
});
