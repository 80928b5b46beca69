/**
 * The login situations (docs/agora-behaviour.md, "Login"; docs/reasons.md, "Login codes"): one test per row, for both profiles, through the
 * client SDK over real sockets. Each refusal asserts the reply code and name, the reason, and
 * the state events the profile shows (§6.2, §6.3).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Profile } from "../../core/protocol/wire.js";
import { APPS, startHarness, type Harness } from "../support/gateway-harness.js";
import { LOGIN_MATRIX, rowAppId } from "../support/login-matrix-table.js";
import { expectRtmError, recordedClient, settle } from "../support/recorder.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

describe.each(["rtm1", "rtm2"] as Profile[])("login matrix, profile %s", (profile) => {
  it.each(LOGIN_MATRIX.map((r) => [r.situation, r] as const))("%s", async (_s, row) => {
    const appId = rowAppId(row);
    const uid = row.uid;
    const r = recordedClient(h.gateway.url, appId, profile);
    const token = row.token(h);
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
