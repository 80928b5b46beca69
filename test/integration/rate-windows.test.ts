/**
 * Per-method rate windows (issue 10, docs/fidelity.md, "Rate windows"): login,
 * renewToken and logout each have their own window of CALLS_PER_SECOND (2) calls in any 1000 ms,
 * on the gateway's real monotonic clock. The harness's simulated clock is frozen throughout, and
 * every pause here is real time, as a user's suite on a manual clock paces its calls.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
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

/** The too_often code of each method, per profile (gateway/protocol/wire-codes.ts). */
const TOO_OFTEN = {
  rtm1: {
    login: { code: 10, name: "LOGIN_ERR_TOO_OFTEN" },
    renewToken: { code: 4, name: "RENEW_TOKEN_ERR_TOO_OFTEN" },
    // RTM 1.x has no logout rate code: LOGOUT_ERR_REJECTED.
    logout: { code: 1, name: "LOGOUT_ERR_REJECTED" },
  },
  rtm2: {
    login: { code: -10021, name: "RTM_ERROR_OPERATION_RATE_EXCEED_LIMITATION" },
    renewToken: { code: -10021, name: "RTM_ERROR_OPERATION_RATE_EXCEED_LIMITATION" },
    logout: { code: -10021, name: "RTM_ERROR_OPERATION_RATE_EXCEED_LIMITATION" },
  },
} as const;

let n = 0;
const freshUid = () => `rate-${++n}`;

interface Reply {
  id: number;
  ok: boolean;
  op: string;
  result?: Record<string, unknown>;
  error?: { code: number; name: string; reason: string };
}

/** A raw protocol connection: the client SDK closes its socket after a logout, so a logout burst needs frames. */
async function rawConnection(): Promise<{ call(frame: Record<string, unknown>): Promise<Reply>; close(): void }> {
  const ws = new WebSocket(h.gateway.url);
  const waiting = new Map<number, (r: Reply) => void>();
  ws.on("message", (data) => {
    const msg = JSON.parse(String(data)) as Partial<Reply>;
    if (typeof msg.id === "number") waiting.get(msg.id)?.(msg as Reply);
  });
  await new Promise<void>((resolve, reject) => ws.once("open", () => resolve()).once("error", reject));
  let id = 0;
  return {
    call(frame) {
      const myId = ++id;
      return new Promise<Reply>((resolve) => {
        waiting.set(myId, resolve);
        ws.send(JSON.stringify({ id: myId, ...frame }));
      });
    },
    close: () => ws.close(),
  };
}

describe.concurrent.each(["rtm1", "rtm2"] as Profile[])("per-method rate windows, profile %s", (profile) => {
  it("a login and renews, each method under its limit, are never refused, on a frozen simulated clock paced in real time", async () => {
    const uid = freshUid();
    const r = recordedClient(h.gateway.url, APPS.token.appId, profile);
    try {
      // Login and two renews within a few milliseconds: three calls in one second, but two methods.
      // (One window shared by login and renew refused the second renew here.)
      await r.client.login({ uid, token: h.token("token", uid) });
      await r.client.renewToken(h.token("token", uid));
      await r.client.renewToken(h.token("token", uid));
      // A real second later the renew window has room again; the simulated clock has not moved.
      await settle(1_050);
      expect(h.clock.nowSeconds()).toBe(T0);
      await expect(r.client.renewToken(h.token("token", uid))).resolves.toMatchObject({ tokenVersion: "007" });
      await expect(r.client.renewToken(h.token("token", uid))).resolves.toMatchObject({ tokenVersion: "007" });
      expect(h.gateway.sessions.list({ uid })).toHaveLength(1);
    } finally {
      await r.client.close();
    }
  });

  it("a burst of logins: the third within a second is too_often with the login code; a real second later it goes through", async () => {
    const uid = freshUid();
    const r = recordedClient(h.gateway.url, APPS.token.appId, profile);
    try {
      // Refused logins count too (App ID login on a token project: token_required).
      await expectRtmError(r.client.login({ uid, token: null }), { code: profile === "rtm1" ? 5 : -10005, reason: "token_required" });
      await expectRtmError(r.client.login({ uid, token: null }), { code: profile === "rtm1" ? 5 : -10005, reason: "token_required" });
      await expectRtmError(r.client.login({ uid, token: h.token("token", uid) }), { ...TOO_OFTEN[profile].login, reason: "too_often" });
      await settle(1_050);
      await expect(r.client.login({ uid, token: h.token("token", uid) })).resolves.toMatchObject({ uid });
    } finally {
      await r.client.close();
    }
  });

  it("a burst of renews: the third within a second is too_often with the renew code; the session keeps its token", async () => {
    const uid = freshUid();
    const r = recordedClient(h.gateway.url, APPS.token.appId, profile);
    try {
      const login = await r.client.login({ uid, token: h.token("token", uid, { expireSeconds: 600 }) });
      await r.client.renewToken(h.token("token", uid, { expireSeconds: 600 }));
      await r.client.renewToken(h.token("token", uid, { expireSeconds: 600 }));
      await settle(10);
      r.clear();
      await expectRtmError(r.client.renewToken(h.token("token", uid, { expireSeconds: 7200 })), { ...TOO_OFTEN[profile].renewToken, reason: "too_often" });
      await settle(10);
      expect(r.states()).toEqual([]);
      expect(h.gateway.sessions.list({ uid })).toMatchObject([{ uid, expiresAt: login.expiresAt }]);
    } finally {
      await r.client.close();
    }
  });

  it("a burst of logouts: the third within a second is too_often with the logout code, and the session stays logged in", async () => {
    const uid = freshUid();
    const c = await rawConnection();
    try {
      const login = (token: string) => c.call({ op: "login", appId: APPS.token.appId, uid, token, profile });
      expect(await login(h.token("token", uid))).toMatchObject({ ok: true, op: "login" });
      // A real second later: logout, login, logout, login, logout. Three logouts in a second; the
      // logins are two in that second (and the first one is a second old).
      await settle(1_050);
      expect(await c.call({ op: "logout" })).toMatchObject({ ok: true });
      expect(await login(h.token("token", uid))).toMatchObject({ ok: true });
      expect(await c.call({ op: "logout" })).toMatchObject({ ok: true });
      expect(await login(h.token("token", uid))).toMatchObject({ ok: true });
      expect(await c.call({ op: "logout" })).toMatchObject({ ok: false, op: "logout", error: { ...TOO_OFTEN[profile].logout, reason: "too_often" } });
      expect(h.gateway.sessions.list({ uid })).toHaveLength(1);
      // The window reopens a real second after the first of those logouts.
      await settle(1_050);
      expect(await c.call({ op: "logout" })).toMatchObject({ ok: true });
      expect(h.gateway.sessions.list({ uid })).toEqual([]);
    } finally {
      c.close();
    }
  });

  it("the windows are per connection: a second connection of the same client is not slowed by the first", async () => {
    const uid = freshUid();
    const a = recordedClient(h.gateway.url, APPS.token.appId, profile);
    const b = recordedClient(h.gateway.url, APPS.appid.appId, profile);
    try {
      await expectRtmError(a.client.login({ uid, token: null }), { code: profile === "rtm1" ? 5 : -10005, reason: "token_required" });
      await expectRtmError(a.client.login({ uid, token: null }), { code: profile === "rtm1" ? 5 : -10005, reason: "token_required" });
      await expectRtmError(a.client.login({ uid, token: null }), { ...TOO_OFTEN[profile].login, reason: "too_often" });
      await expect(b.client.login({ uid: `${uid}-b`, token: null })).resolves.toMatchObject({ credential: "appid" });
    } finally {
      await Promise.all([a.client.close(), b.client.close()]);
    }
  });
});

// Not concurrent with the above: it moves the shared simulated clock.
describe.each(["rtm1", "rtm2"] as Profile[])("the simulated clock does not pace the windows, profile %s", (profile) => {
  it("advancing the simulated clock by minutes does not reopen a full login window; a real second does", async () => {
    const uid = freshUid();
    const r = recordedClient(h.gateway.url, APPS.token.appId, profile);
    try {
      await expectRtmError(r.client.login({ uid, token: null }), { code: profile === "rtm1" ? 5 : -10005, reason: "token_required" });
      await expectRtmError(r.client.login({ uid, token: null }), { code: profile === "rtm1" ? 5 : -10005, reason: "token_required" });
      h.clock.advance(300);
      await expectRtmError(r.client.login({ uid, token: h.token("token", uid) }), { ...TOO_OFTEN[profile].login, reason: "too_often" });
      await settle(1_050);
      await expect(r.client.login({ uid, token: h.token("token", uid) })).resolves.toMatchObject({ uid });
    } finally {
      await r.client.close();
    }
  });
});
