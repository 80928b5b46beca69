/**
 * Fault rules (`/admin/faults`, issue 5) through the client SDK, both profiles: what a client
 * sees for each action — delay, fail with a reason (the profile's code through the wire-code
 * table), never reply (its own login timeout), drop (an unexplained drop), kick (banned, 4502) —
 * on requests and on the upgrade; nth and filters; time to live; validation; and a seeded 10 %
 * rule giving identical journals on two fresh gateways.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createRtmClient } from "../../client/index.js";
import { startGateway, type FaultRuleInput, type TestGateway } from "../../client/testing.js";
import type { Profile } from "../../core/protocol/wire.js";
import { expectRtmError, recordedClient, settle } from "../support/recorder.js";

const T0 = 1_718_000_000;
const APP = "fa01fa01fa01fa01fa01fa01fa01fa01";
const CERT = "0123456789abcdef0123456789abcdef";
const CONFIG = { callsPerSecond: 1000 } as const;

let tg: TestGateway;
beforeAll(async () => {
  tg = await startGateway({ clock: "manual", now: T0, config: CONFIG, projects: [{ appId: APP, mode: "token", primary: CERT }] });
});
afterEach(async () => {
  await tg.admin.faults.clear();
});
afterAll(async () => {
  await tg.close();
});

let n = 0;
const freshUid = () => `fault-${++n}`;
const token = async (uid: string, expireSeconds = 3600) => (await tg.admin.tokens.mint({ appId: APP, uid, version: "007", expireSeconds })).token;
const addFault = (rule: FaultRuleInput) => tg.admin.faults.add(rule);

/** The codes each profile's client sees. */
const CODES = {
  rtm1: { loginTimeout: 9, loginClosed: 1, renewClosed: 1, loginExpired: 6, renewExpired: 5, loginFault: 2, loginBanned: 2, renewTooOften: 4 },
  rtm2: { loginTimeout: -10011, loginClosed: -10013, renewClosed: -10025, loginExpired: -10009, renewExpired: -10009, loginFault: -10012, loginBanned: -10012, renewTooOften: -10021 },
} as const;

describe.each(["rtm1", "rtm2"] as Profile[])("fault actions through the client SDK (%s)", (profile) => {
  const codes = CODES[profile];

  it("delay: the reply comes late; frames behind the delayed one wait, in order; the journal names the rule", async () => {
    const uid = freshUid();
    const rule = await addFault({ op: "login", uid, action: { type: "delay", ms: 150 } });
    const r = recordedClient(tg.url, APP, profile);
    try {
      const order: string[] = [];
      const started = performance.now();
      const login = r.client.login({ uid, token: await token(uid) }).then(() => order.push("login"));
      const ping = r.client.ping().then(() => order.push("ping"));
      await Promise.all([login, ping]);
      expect(performance.now() - started).toBeGreaterThanOrEqual(140);
      expect(order).toEqual(["login", "ping"]);
      const [entry] = (await tg.admin.journal.query({ uid, op: "login" })).entries;
      expect(entry).toMatchObject({ result: "accepted", reason: "ok", faultId: rule.id });
      expect(entry?.latencyMs).toBeGreaterThanOrEqual(140);
    } finally {
      await r.client.close();
    }
  });

  it("delay longer than the client's login timeout: the client times out (code 9 / -10011)", async () => {
    const uid = freshUid();
    await addFault({ op: "login", uid, action: { type: "delay", ms: 400 } });
    const r = recordedClient(tg.url, APP, profile, 100);
    try {
      await expectRtmError(r.client.login({ uid, token: await token(uid) }), { code: codes.loginTimeout, reason: "login_timeout" });
    } finally {
      await r.client.close();
    }
  });

  it.each([
    ["login", "token_expired", "loginExpired"],
    ["login", undefined, "loginFault"],
    ["renewToken", "token_expired", "renewExpired"],
  ] as const)("fail %s with %s → the profile's code for that operation", async (op, reason, code) => {
    const uid = freshUid();
    const r = recordedClient(tg.url, APP, profile);
    try {
      if (op === "renewToken") await r.client.login({ uid, token: await token(uid) });
      const rule = await addFault({ op, uid, action: reason === undefined ? { type: "fail" } : { type: "fail", reason } });
      expect(rule.action).toEqual({ type: "fail", reason: reason ?? "fault_injected" });
      const call = op === "login" ? r.client.login({ uid, token: await token(uid) }) : r.client.renewToken(await token(uid));
      await expectRtmError(call, { code: codes[code], reason: reason ?? "fault_injected" });
      const [entry] = (await tg.admin.journal.query({ uid, op })).entries;
      expect(entry).toMatchObject({ result: "refused", reason: reason ?? "fault_injected", faultId: rule.id });
      if (op === "login") {
        await settle(5);
        expect(r.states()).toEqual(
          profile === "rtm1"
            ? ["CONNECTING/LOGIN", "DISCONNECTED/LOGIN_FAILURE"]
            : ["IDLE>CONNECTING/LOGIN/LOGIN", reason === undefined ? "CONNECTING>FAILED/LOGIN/LOGIN_REJECTED" : "CONNECTING>FAILED/LOGIN/TOKEN_EXPIRED"],
        );
      }
    } finally {
      await r.client.close();
    }
  });

  it("never reply: the client meets its own login timeout (code 9 / -10011) and reports it", async () => {
    const uid = freshUid();
    const rule = await addFault({ op: "login", uid, action: { type: "never_reply" } });
    const r = recordedClient(tg.url, APP, profile, 150);
    try {
      await expectRtmError(r.client.login({ uid, token: await token(uid) }), { code: codes.loginTimeout, name: profile === "rtm1" ? "LOGIN_ERR_TIMEOUT" : "RTM_ERROR_LOGIN_TIMEOUT", reason: "login_timeout" });
      expect(r.states()).toEqual(profile === "rtm1" ? ["DISCONNECTED/LOGIN_TIMEOUT"] : ["IDLE>FAILED/LOGIN/LOGIN_TIMEOUT"]);
      expect((await tg.admin.journal.query({ uid })).entries).toMatchObject([{ op: "login", result: "unanswered", reason: "fault_injected", faultId: rule.id }]);
    } finally {
      await r.client.close();
    }
  });

  it("drop on a live session: no close frame; the client sees the INTERRUPTED-style change", async () => {
    const uid = freshUid();
    const r = recordedClient(tg.url, APP, profile);
    try {
      await r.client.login({ uid, token: await token(uid) });
      await settle(5);
      r.clear();
      const rule = await addFault({ op: "renewToken", uid, action: { type: "drop" } });
      await expectRtmError(r.client.renewToken(await token(uid)), { code: codes.renewClosed, reason: "connection_closed" });
      expect(await r.closed()).toBe(1006);
      expect(r.states()).toEqual(profile === "rtm1" ? ["ABORTED/INTERRUPTED"] : ["CONNECTED>FAILED/SERVER_REJECT/UNKNOWN"]);
      expect(await tg.admin.sessions.list({ uid })).toEqual([]);
      expect((await tg.admin.journal.query({ uid, op: "renewToken" })).entries).toMatchObject([{ result: "dropped", reason: "fault_injected", faultId: rule.id }]);
    } finally {
      await r.client.close();
    }
  });

  it("drop on login: the login fails as a lost connection", async () => {
    const uid = freshUid();
    await addFault({ op: "login", uid, action: { type: "drop" } });
    const r = recordedClient(tg.url, APP, profile);
    try {
      await expectRtmError(r.client.login({ uid, token: await token(uid) }), { code: codes.loginClosed, reason: "connection_closed" });
      expect(await r.closed()).toBe(1006);
    } finally {
      await r.client.close();
    }
  });

  it("kick on a live session: the ban sequence, then 4502", async () => {
    const uid = freshUid();
    const r = recordedClient(tg.url, APP, profile);
    try {
      await r.client.login({ uid, token: await token(uid) });
      await settle(5);
      r.clear();
      const rule = await addFault({ op: "renewToken", uid, action: { type: "kick" } });
      await expectRtmError(r.client.renewToken(await token(uid)), { code: codes.renewClosed, reason: "connection_closed" });
      expect(await r.closed()).toBe(4502);
      expect(r.states()).toEqual(profile === "rtm1" ? ["ABORTED/BANNED_BY_SERVER"] : ["CONNECTED>FAILED/SERVER_REJECT/KICKED_OUT_BY_SERVER"]);
      expect((await tg.admin.journal.query({ uid, op: "session_end" })).entries).toMatchObject([{ result: "ended", reason: "banned", closeCode: 4502, faultId: rule.id }]);
    } finally {
      await r.client.close();
    }
  });

  it("kick on login: refused as banned (2 / -10012), then 4502", async () => {
    const uid = freshUid();
    await addFault({ op: "login", uid, action: { type: "kick" } });
    const r = recordedClient(tg.url, APP, profile);
    try {
      await expectRtmError(r.client.login({ uid, token: await token(uid) }), { code: codes.loginBanned, reason: "banned" });
      expect(await r.closed()).toBe(4502);
    } finally {
      await r.client.close();
    }
  });

  it("nth: the 2nd renewToken fails with too_often; the 1st and 3rd go through", async () => {
    const uid = freshUid();
    const r = recordedClient(tg.url, APP, profile);
    try {
      await r.client.login({ uid, token: await token(uid) });
      const rule = await addFault({ op: "renewToken", appId: APP, uid, nth: 2, action: { type: "fail", reason: "too_often" } });
      await r.client.renewToken(await token(uid));
      await expectRtmError(r.client.renewToken(await token(uid)), { code: codes.renewTooOften, reason: "too_often" });
      await r.client.renewToken(await token(uid));
      expect((await tg.admin.journal.query({ uid, op: "renewToken" })).entries.map((e) => `${e.result}/${e.faultId}`)).toEqual([
        "accepted/null",
        `refused/${rule.id}`,
        "accepted/null",
      ]);
      // Used up: the rule is gone.
      expect(await tg.admin.faults.list()).toEqual([]);
    } finally {
      await r.client.close();
    }
  });
});

describe("a login still pending when a logout comes (docs/agora-behaviour.md, \"Login\")", () => {
  it("rtm2: the pending (delayed) login fails with -10023 login_canceled; the logout resolves; the login is never made", async () => {
    const uid = freshUid();
    await addFault({ op: "login", uid, action: { type: "delay", ms: 200 } });
    const r = recordedClient(tg.url, APP, "rtm2");
    try {
      const login = r.client.login({ uid, token: await token(uid) });
      await settle(30);
      const logout = r.client.logout();
      await expectRtmError(login, { code: -10023, name: "RTM_ERROR_LOGIN_CANCELED", reason: "login_canceled" });
      await expect(logout).resolves.toBeUndefined();
      await settle(250); // past the delay: the canceled login must not run
      expect((await tg.admin.journal.query({ uid, op: "login" })).entries.map((e) => [e.result, e.reason])).toEqual([["refused", "login_canceled"]]);
      expect(r.states()).toEqual([]);
    } finally {
      await r.client.close();
    }
  });

  it("rtm2: a login the gateway never answers is canceled the same way by a logout", async () => {
    const uid = freshUid();
    await addFault({ op: "login", uid, action: { type: "never_reply" } });
    const r = recordedClient(tg.url, APP, "rtm2", 5_000);
    try {
      const login = r.client.login({ uid, token: await token(uid) });
      await settle(30);
      const logout = r.client.logout();
      await expectRtmError(login, { code: -10023, name: "RTM_ERROR_LOGIN_CANCELED", reason: "login_canceled" });
      await expect(logout).resolves.toBeUndefined();
    } finally {
      await r.client.close();
    }
  });

  it("rtm1: the logout waits for the pending login to settle, then logs out (Web 1.6.0)", async () => {
    const uid = freshUid();
    await addFault({ op: "login", uid, action: { type: "delay", ms: 150 } });
    const r = recordedClient(tg.url, APP, "rtm1");
    try {
      const order: string[] = [];
      const login = r.client.login({ uid, token: await token(uid) }).then(() => order.push("login"));
      await settle(30);
      const logout = r.client.logout().then(() => order.push("logout"));
      await Promise.all([login, logout]);
      expect(order).toEqual(["login", "logout"]);
    } finally {
      await r.client.close();
    }
  });
});

describe.each(["rtm1", "rtm2"] as Profile[])("connect faults, at the upgrade (%s)", (profile) => {
  const codes = CODES[profile];

  it("never reply: the client's login times out", async () => {
    const rule = await addFault({ op: "connect", action: { type: "never_reply" } });
    const r = recordedClient(tg.url, APP, profile, 150);
    try {
      await expectRtmError(r.client.login({ uid: freshUid(), token: null }), { code: codes.loginTimeout, reason: "login_timeout" });
      expect((await tg.admin.journal.query({ op: "connect", faultId: rule.id })).entries).toMatchObject([{ result: "unanswered", reason: "fault_injected" }]);
    } finally {
      await r.client.close();
    }
  });

  it.each([
    [{ type: "fail", reason: "store_unavailable" }, "refused", 1006],
    [{ type: "drop" }, "dropped", 1006],
    [{ type: "kick" }, "refused", 4502],
  ] as const)("%j: the login fails as a lost connection", async (action, result, closeCode) => {
    const rule = await addFault({ op: "connect", count: 1, action });
    const r = recordedClient(tg.url, APP, profile);
    try {
      const uid = freshUid();
      await expectRtmError(r.client.login({ uid, token: await token(uid) }), { code: codes.loginClosed, reason: "connection_closed" });
      expect(await r.closed()).toBe(closeCode);
      expect((await tg.admin.journal.query({ op: "connect", faultId: rule.id })).entries).toMatchObject([{ result }]);
      // count: 1 — the next connection goes through.
      await r.client.login({ uid, token: await token(uid) });
    } finally {
      await r.client.close();
    }
  });

  it("delay: the login succeeds, late", async () => {
    await addFault({ op: "connect", count: 1, action: { type: "delay", ms: 120 } });
    const r = recordedClient(tg.url, APP, profile);
    try {
      const uid = freshUid();
      const t = await token(uid);
      const started = performance.now();
      await r.client.login({ uid, token: t });
      expect(performance.now() - started).toBeGreaterThanOrEqual(110);
    } finally {
      await r.client.close();
    }
  });
});

describe("rule lifecycle and validation", () => {
  it("filters by uid pattern and App ID; GET lists live rules with seen/fired; ttl runs on the simulated clock", async () => {
    const rule = await addFault({ op: "login", appId: APP.toUpperCase(), uid: "bot-*", ttlSeconds: 60, action: { type: "fail" } });
    expect(rule).toMatchObject({ id: expect.stringMatching(/^f\d+$/), createdAt: tg.clock.now(), expiresAt: tg.clock.now() + 60, seen: 0, fired: 0, count: null });
    const bot = createRtmClient({ url: tg.url, appId: APP });
    const human = createRtmClient({ url: tg.url, appId: APP });
    try {
      await expectRtmError(bot.login({ uid: "bot-7", token: await token("bot-7") }), { code: 2, reason: "fault_injected" });
      await human.login({ uid: "human-7", token: await token("human-7") });
      expect(await tg.admin.faults.list()).toMatchObject([{ id: rule.id, seen: 1, fired: 1 }]);
      await tg.clock.advance(60);
      expect(await tg.admin.faults.list()).toEqual([]);
      await bot.login({ uid: "bot-7", token: await token("bot-7") });
    } finally {
      await bot.close();
      await human.close();
      await tg.clock.set(T0);
    }
  });

  it("DELETE /admin/faults/:id removes one rule (404 fault_not_found after); DELETE /admin/faults removes all", async () => {
    const a = await addFault({ op: "login", action: { type: "drop" } });
    const b = await addFault({ op: "logout", action: { type: "drop" } });
    await tg.admin.faults.remove(a.id);
    expect((await tg.admin.faults.list()).map((f) => f.id)).toEqual([b.id]);
    await expect(tg.admin.faults.remove(a.id)).rejects.toMatchObject({ status: 404, code: "fault_not_found" });
    await tg.admin.faults.clear();
    expect(await tg.admin.faults.list()).toEqual([]);
  });

  it.each([
    [{ action: { type: "drop" } }, "op"],
    [{ op: "dance", action: { type: "drop" } }, "op"],
    [{ op: "login" }, "action"],
    [{ op: "login", action: { type: "explode" } }, "action.type"],
    [{ op: "login", action: { type: "delay", ms: 600_001 } }, "action.ms"],
    [{ op: "login", action: { type: "fail", reason: "ok" } }, "action.reason"],
    [{ op: "login", nth: 2, probability: 0.5, action: { type: "drop" } }, "probability"],
    [{ op: "login", seed: 3, action: { type: "drop" } }, "seed"],
    [{ op: "login", probability: 1.5, action: { type: "drop" } }, "probability"],
    [{ op: "login", uid: "/(a+)+$/", action: { type: "drop" } }, "uid"],
    [{ op: "login", uid: "x".repeat(129), action: { type: "drop" } }, "uid"],
    [{ op: "connect", uid: "a*", action: { type: "drop" } }, "uid"],
    [{ op: "login", ttlSeconds: 0, action: { type: "drop" } }, "ttlSeconds"],
    [{ op: "login", count: 0, action: { type: "drop" } }, "count"],
    [{ op: "login", action: { type: "drop" }, extra: true }, "body"],
  ])("400 invalid_request for %j (field %s)", async (body, field) => {
    await expect(tg.admin.faults.add(body as unknown as FaultRuleInput)).rejects.toMatchObject({ status: 400, code: "invalid_request", field });
  });
});

describe("determinism: a seeded 10 % rule", () => {
  /** 200 logins of distinct uids on a fresh gateway with the rule; the journal as (uid, result, reason, fault). */
  async function run(): Promise<string[]> {
    const g = await startGateway({ clock: "manual", now: T0, config: CONFIG, projects: [{ appId: APP, mode: "token", primary: CERT }] });
    try {
      await g.admin.faults.add({ op: "login", probability: 0.1, seed: 20240610, action: { type: "fail", reason: "store_unavailable" } });
      const client = createRtmClient({ url: g.url, appId: APP });
      for (let i = 0; i < 200; i++) {
        const uid = `det-${i}`;
        const t = (await g.admin.tokens.mint({ appId: APP, uid, version: "007", expireSeconds: 600 })).token;
        try {
          await client.login({ uid, token: t });
          await client.logout();
        } catch {
          // A refused login leaves the client logged out; the next one goes on.
        }
      }
      await client.close();
      const entries = (await g.admin.journal.query({ op: "login", limit: 1000 })).entries;
      return entries.map((e) => `${e.seq} ${e.uid} ${e.result} ${e.reason} ${e.faultId}`);
    } finally {
      await g.close();
    }
  }

  it("gives identical journals on two runs with the same traffic", async () => {
    const first = await run();
    const second = await run();
    expect(first).toHaveLength(200);
    expect(second).toEqual(first);
    const faulted = first.filter((e) => e.endsWith(" f1")).length;
    expect(faulted).toBeGreaterThan(5);
    expect(faulted).toBeLessThan(40);
  });
});
