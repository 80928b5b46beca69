/**
 * The state-event sequences (docs/protocol.md, "State events": remote login, ban, relogin) and
 * token expiry (docs/protocol.md, "Token expiry"), both profiles,
 * through the client SDK, with the simulated clock: no test waits for wall time.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Profile } from "../../core/protocol/wire.js";
import { SimulatedClock } from "../../gateway/clock/simulated-clock.js";
import { loadConfig } from "../../gateway/config.js";
import { createLogger } from "../../gateway/logger.js";
import { SessionManager } from "../../gateway/sessions/session-manager.js";
import { APPS, startHarness, T0, type Harness } from "../support/gateway-harness.js";
import { expectRtmError, recordedClient, settle } from "../support/recorder.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

let n = 0;
const freshUid = () => `seq-${++n}`;

describe.each(["rtm1", "rtm2"] as Profile[])("sequences, profile %s", (profile) => {
  it("remote login: the newest session wins; the old one gets the profile's event, then close 4501", async () => {
    const uid = freshUid();
    const a = recordedClient(h.gateway.url, APPS.token.appId, profile);
    const b = recordedClient(h.gateway.url, APPS.token.appId, profile);
    try {
      await a.client.login({ uid, token: h.token("token", uid) });
      await settle(10);
      a.clear();
      const second = await b.client.login({ uid, token: h.token("token", uid) });
      expect(await a.closed()).toBe(4501);
      expect(a.states()).toEqual(profile === "rtm1" ? ["ABORTED/REMOTE_LOGIN"] : ["CONNECTED>FAILED/SERVER_REJECT/SAME_UID_LOGIN"]);
      expect(h.gateway.sessions.list({ uid }).map((s) => s.sessionId)).toEqual([second.sessionId]);
    } finally {
      await a.client.close();
      await b.client.close();
    }
  });

  it("kick (ban): the profile's event, then close 4502", async () => {
    const uid = freshUid();
    const a = recordedClient(h.gateway.url, APPS.token.appId, profile);
    try {
      const s = await a.client.login({ uid, token: h.token("token", uid) });
      await settle(10);
      a.clear();
      expect(h.gateway.sessions.kick(s.sessionId)).toBe(true);
      expect(await a.closed()).toBe(4502);
      expect(a.states()).toEqual(profile === "rtm1" ? ["ABORTED/BANNED_BY_SERVER"] : ["CONNECTED>FAILED/SERVER_REJECT/KICKED_OUT_BY_SERVER"]);
      expect(h.gateway.sessions.kick(s.sessionId)).toBe(false);
    } finally {
      await a.client.close();
    }
  });

  it("a failed login then a successful one on the same connection (2.x: FAILED → CONNECTING with RELOGIN)", async () => {
    const uid = freshUid();
    const a = recordedClient(h.gateway.url, APPS.token.appId, profile);
    try {
      await expectRtmError(a.client.login({ uid, token: null }), { code: profile === "rtm1" ? 5 : -10005, reason: "token_required" });
      await a.client.login({ uid, token: h.token("token", uid) });
      await settle(10);
      expect(a.states()).toEqual(
        profile === "rtm1"
          ? ["CONNECTING/LOGIN", "DISCONNECTED/LOGIN_FAILURE", "CONNECTING/LOGIN", "CONNECTED/LOGIN_SUCCESS"]
          : [
              "IDLE>CONNECTING/LOGIN/LOGIN",
              "CONNECTING>FAILED/LOGIN/INVALID_TOKEN",
              "FAILED>CONNECTING/LOGIN/RELOGIN",
              "CONNECTING>CONNECTED/LOGIN/LOGIN_SUCCESS",
            ],
      );
    } finally {
      await a.client.close();
    }
  });
});

/** §7.5: what happens at T−30 s and at T, per profile and token version. */
const EXPIRY_TABLE: Array<{ profile: Profile; version: "006" | "007"; warns: boolean; kicked: string[] | null }> = [
  { profile: "rtm1", version: "006", warns: false, kicked: null },
  { profile: "rtm1", version: "007", warns: true, kicked: ["tokenExpired", "ABORTED/TOKEN_EXPIRED"] },
  { profile: "rtm2", version: "007", warns: true, kicked: ["CONNECTED>FAILED/SERVER_REJECT/TOKEN_EXPIRED"] },
  { profile: "rtm2", version: "006", warns: true, kicked: ["CONNECTED>FAILED/SERVER_REJECT/TOKEN_EXPIRED"] },
];

describe("token expiry (docs/protocol.md, \"Token expiry\")", () => {
  it.each(EXPIRY_TABLE.map((row) => [`${row.profile} + ${row.version}`, row] as const))("%s", async (_name, row) => {
    const uid = freshUid();
    const a = recordedClient(h.gateway.url, APPS.token.appId, row.profile);
    try {
      const login = await a.client.login({ uid, token: h.token("token", uid, { version: row.version, expireSeconds: 600 }) });
      const expiresAt = login.expiresAt as number;
      await settle(10);
      a.clear();
      h.clock.set(expiresAt - 31);
      await settle(10);
      expect(a.seen).toEqual([]);
      h.clock.set(expiresAt - 30);
      await settle(10);
      expect(a.seen).toEqual(row.warns ? [{ type: "willExpire", expiresAt, remainingSeconds: 30 }] : []);
      a.clear();
      // The expiry second itself is still valid (expired when now > expiresAt).
      h.clock.set(expiresAt);
      await settle(10);
      expect(a.seen).toEqual([]);
      h.clock.set(expiresAt + 1);
      if (row.kicked === null) {
        await settle(20);
        expect(a.seen).toEqual([]);
        expect(h.gateway.sessions.list({ uid })).toHaveLength(1);
      } else {
        expect(await a.closed()).toBe(4503);
        const seen = a.seen.flatMap((o) => (o.type === "tokenExpired" ? ["tokenExpired"] : o.type === "state" ? [a.states().shift() as string] : []));
        expect(seen).toEqual(row.kicked);
        expect(h.gateway.sessions.list({ uid })).toEqual([]);
      }
    } finally {
      await a.client.close();
    }
  });

  it("a renew re-arms both timers: a new warning for the new token, no kick at the old expiry", async () => {
    const uid = freshUid();
    const a = recordedClient(h.gateway.url, APPS.token.appId, "rtm1");
    try {
      const login = await a.client.login({ uid, token: h.token("token", uid, { expireSeconds: 3600 }) });
      const first = login.expiresAt as number;
      h.clock.set(first - 30);
      await settle(10);
      expect(a.seen.filter((o) => o.type === "willExpire")).toHaveLength(1);
      const renewed = await a.client.renewToken(h.token("token", uid, { expireSeconds: 3600 }));
      const second = renewed.expiresAt as number;
      a.clear();
      h.clock.set(first + 10);
      await settle(10);
      expect(a.seen).toEqual([]);
      h.clock.set(second - 30);
      await settle(10);
      expect(a.seen).toEqual([{ type: "willExpire", expiresAt: second, remainingSeconds: 30 }]);
      h.clock.set(second + 1);
      expect(await a.closed()).toBe(4503);
    } finally {
      await a.client.close();
    }
  });

  it("a token with less than 30 s left warns right after login", async () => {
    const uid = freshUid();
    const a = recordedClient(h.gateway.url, APPS.token.appId, "rtm2");
    try {
      const login = await a.client.login({ uid, token: h.token("token", uid, { expireSeconds: 10 }) });
      await settle(10);
      expect(a.seen.filter((o) => o.type === "willExpire")).toEqual([{ type: "willExpire", expiresAt: login.expiresAt, remainingSeconds: 10 }]);
    } finally {
      await a.client.close();
    }
  });

  it("one clock jump fires everything due, in time order, across sessions (frames recorded at the gateway)", async () => {
    // Frames on different sockets may arrive in any order, so record what the gateway sends, in order.
    const clock = new SimulatedClock({ frozenAtSeconds: T0 });
    const sent: string[] = [];
    const manager = new SessionManager({
      config: loadConfig({ logLevel: "silent", loginDeadlineSeconds: 0 }),
      clock,
      store: h.store,
      logger: createLogger("silent"),
    });
    try {
      for (const life of [600, 300, 900]) {
        const uid = freshUid();
        const conn = manager.open({ remoteAddress: "127.0.0.1", send: (t) => sent.push(`${life}:${t}`), close: (code) => sent.push(`${life}:close ${code}`) });
        manager.onText(conn, JSON.stringify({ id: 1, op: "login", appId: APPS.token.appId, uid, token: h.token("token", uid, { expireSeconds: life, issueTs: T0 }) }));
      }
      sent.length = 0;
      clock.advance(3600);
      const summary = sent.map((f) => {
        const [life, rest] = [f.slice(0, f.indexOf(":")), f.slice(f.indexOf(":") + 1)];
        return rest.startsWith("close") ? `${life} ${rest}` : `${life} ${(JSON.parse(rest) as { event: string; state?: string }).state ?? (JSON.parse(rest) as { event: string }).event}`;
      });
      expect(summary).toEqual([
        "300 tokenPrivilegeWillExpire",
        "300 tokenExpired",
        "300 ABORTED",
        "300 close 4503",
        "600 tokenPrivilegeWillExpire",
        "600 tokenExpired",
        "600 ABORTED",
        "600 close 4503",
        "900 tokenPrivilegeWillExpire",
        "900 tokenExpired",
        "900 ABORTED",
        "900 close 4503",
      ]);
      expect(manager.sessionCount).toBe(0);
    } finally {
      manager.shutdown();
    }
  });
});
