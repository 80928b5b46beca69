/**
 * The simulator control plane through the embedded test helper (client/testing.ts), as a user's
 * own suite would use it: the simulated clock driving a full token lifetime in well under a second
 * of wall time, the journal and waitForDecision, populate and reset (issue 5).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isRtmError } from "../../client/index.js";
import { AdminApiError, startGateway, waitForDecision, type TestGateway } from "../../client/testing.js";
import type { Profile } from "../../core/protocol/wire.js";
import { expectRtmError, recordedClient, settle, type Recorded } from "../support/recorder.js";

const T0 = 1_718_000_000;
const APP = "c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0";
const CERT = "0123456789abcdef0123456789abcdef";

/** Polls until `check` holds (socket frames arrive after the admin reply that caused them). */
async function until(check: () => boolean, ms = 2000): Promise<void> {
  const end = performance.now() + ms;
  while (!check()) {
    if (performance.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 2));
  }
}

let tg: TestGateway;
beforeAll(async () => {
  tg = await startGateway({ clock: "manual", now: T0, projects: [{ appId: APP, mode: "token", primary: CERT }] });
});
afterAll(async () => {
  await tg.close();
});

let n = 0;
const freshUid = () => `cp-${++n}`;

/** §7.5 per profile for a 007 token: what ends the session after the will-expire push. */
const EXPIRY_SEQUENCE: Record<Profile, string[]> = {
  rtm1: ["tokenExpired", "ABORTED/TOKEN_EXPIRED", "closed 4503"],
  rtm2: ["CONNECTED>FAILED/SERVER_REJECT/TOKEN_EXPIRED", "closed 4503"],
};

function observed(r: Recorded): string[] {
  const states = r.states();
  return r.seen.map((o) =>
    o.type === "state" ? (states.shift() as string) : o.type === "willExpire" ? `willExpire ${o.remainingSeconds}` : o.type === "closed" ? `closed ${o.code}` : o.type,
  );
}

describe.each(["rtm1", "rtm2"] as Profile[])("a 1-hour 007 token, start to end, on the manual clock (%s)", (profile) => {
  it("warning at 3570 s, renew, no kick past the old expiry, the profile's expiry sequence past the new one — in < 1 s of wall time", async () => {
    const uid = freshUid();
    const start = await tg.admin.clock.get();
    const r = recordedClient(tg.url, APP, profile);
    try {
      const wallStart = performance.now();
      const first = await tg.admin.tokens.mint({ appId: APP, uid, version: "007", expireSeconds: 3600 });
      const login = await r.client.login({ uid, token: first.token });
      expect(login.expiresAt).toBe(start.now + 3600);
      await settle(5);
      r.clear();

      // T+3570: the will-expire push, 30 s before the end.
      expect(await tg.clock.advance(3570)).toBe(start.now + 3570);
      await until(() => r.seen.length > 0);
      expect(observed(r)).toEqual(["willExpire 30"]);
      r.clear();

      // Renew with a fresh 1-hour token (issued now): the session now ends at T+7170.
      const second = await tg.admin.tokens.mint({ appId: APP, uid, version: "007", expireSeconds: 3600 });
      const renewed = await r.client.renewToken(second.token);
      expect(renewed.expiresAt).toBe(start.now + 3570 + 3600);

      // Past the old expiry: nothing happens.
      await tg.clock.advance(40);
      await settle(5);
      expect(r.seen).toEqual([]);
      expect((await tg.admin.sessions.list({ uid })).map((s) => s.expiresAt)).toEqual([start.now + 7170]);

      // Past the new expiry in one jump: the push and then the profile's expiry sequence, in order
      // (the push's remainingSeconds is counted from the clock after the jump, hence 0).
      await tg.clock.advance(7171 - 3610);
      expect(await r.closed()).toBe(4503);
      expect(observed(r)).toEqual(["willExpire 0", ...EXPIRY_SEQUENCE[profile]]);
      const ended = await waitForDecision(tg.httpUrl, { uid, op: "session_end" }, { timeoutMs: 1000 });
      const wallMs = performance.now() - wallStart;

      expect(ended).toMatchObject({ result: "ended", reason: "session_token_expired", closeCode: 4503, at: start.now + 7171, profile });
      expect(wallMs).toBeLessThan(1000);
      // The journal holds the whole story, newest first.
      const story = (await tg.admin.journal.query({ uid })).entries.map((e) => `${e.op} ${e.result} ${e.reason} @${e.at - start.now}`);
      expect(story).toEqual(["session_end ended session_token_expired @7171", "renewToken accepted ok @3570", "login accepted ok @0"]);
    } finally {
      await r.client.close();
      await tg.clock.set(start.now);
    }
  });
});

describe("journal", () => {
  it("records simulated and wall time, profile, token version, slot, session id and latency; filters by op, result, reason", async () => {
    const uid = freshUid();
    const before = (await tg.admin.journal.query({ limit: 1 })).lastSeq;
    const r = recordedClient(tg.url, APP, "rtm2");
    try {
      await expectRtmError(r.client.login({ uid, token: null }), { code: -10005, reason: "token_required" });
      const { token } = await tg.admin.tokens.mint({ appId: APP, uid, version: "006", expireSeconds: 600 });
      const s = await r.client.login({ uid, token });
      const page = await tg.admin.journal.query({ uid, since: before });
      expect(page.entries).toHaveLength(2);
      const [ok, refused] = page.entries;
      expect(refused).toMatchObject({ op: "login", result: "refused", reason: "token_required", failedCheck: "auth-mode", credential: "appid", sessionId: null, faultId: null });
      expect(ok).toMatchObject({
        op: "login",
        result: "accepted",
        reason: "ok",
        profile: "rtm2",
        appId: APP,
        uid,
        mode: "token",
        credential: "token",
        tokenVersion: "006",
        slot: "primary",
        sessionId: s.sessionId,
        at: tg.clock.now(),
      });
      expect(ok?.seq).toBe((refused?.seq ?? 0) + 1);
      expect(ok?.latencyMs).toBeGreaterThanOrEqual(0);
      expect(Math.abs((ok?.wallTime ?? 0) - Date.now())).toBeLessThan(5000);
      expect((await tg.admin.journal.query({ uid, result: "refused" })).entries.map((e) => e.reason)).toEqual(["token_required"]);
      expect((await tg.admin.journal.query({ uid, reason: "ok", op: "login" })).entries).toHaveLength(1);
      expect((await tg.admin.journal.query({ uid, limit: 1 })).entries.map((e) => e.result)).toEqual(["accepted"]);
    } finally {
      await r.client.close();
    }
  });

  it("waitForDecision resolves when a matching decision is recorded, and rejects after its timeout", async () => {
    const uid = freshUid();
    const since = (await tg.admin.journal.query({ limit: 1 })).lastSeq;
    const waiting = waitForDecision(tg.httpUrl, { uid, op: "logout" }, { since, timeoutMs: 3000 });
    const r = recordedClient(tg.url, APP, "rtm1");
    const { token } = await tg.admin.tokens.mint({ appId: APP, uid, version: "007", expireSeconds: 600 });
    await r.client.login({ uid, token });
    await r.client.logout();
    expect(await waiting).toMatchObject({ op: "logout", result: "accepted", uid });
    await expect(tg.admin.journal.waitFor({ uid: "nobody-at-all" }, { timeoutMs: 60 })).rejects.toThrow(/no decision matching .* within 60 ms/);
  });

  it("400 for a bad filter; 409 journal_disabled when journalSize is 0", async () => {
    await expect(tg.admin.journal.query({ op: "dance" as never })).rejects.toMatchObject({ status: 400, code: "invalid_request", field: "op" });
    const off = await startGateway({ config: { journalSize: 0 } });
    try {
      expect(off.gateway.journal).toBeNull();
      const err = await off.admin.journal.query().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AdminApiError);
      expect(err).toMatchObject({ status: 409, code: "journal_disabled" });
      await expect(waitForDecision(off.httpUrl, {}, { timeoutMs: 50 })).rejects.toMatchObject({ code: "journal_disabled" });
    } finally {
      await off.close();
    }
  });
});

describe("populate", () => {
  it("states a world in one call; idempotent; generated certificates are kept; active whatever the clock says", async () => {
    const g = await startGateway({ clock: "manual", now: T0 });
    try {
      const world = [
        { appId: "a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0", mode: "appid" },
        { appId: "b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0", mode: "either" },
        { appId: "d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0", mode: "token", primary: CERT, secondary: true },
      ] as const;
      const first = await g.admin.populate(world);
      expect(first.created).toEqual(world.map((p) => p.appId));
      expect(first.projects.map((p) => [p.appId, p.mode, p.noCertificate])).toEqual([
        ["a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0", "appid", true],
        ["b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0", "either", true],
        ["d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0", "token", false],
      ]);
      const token = first.projects[2]?.certificates;
      expect(token?.primary).toEqual({ value: CERT, status: "active", enabledAt: 0, activeAt: 0 });
      expect(token?.secondary?.value).toMatch(/^[0-9a-f]{32}$/);
      expect(first.projects[1]?.certificates.primary?.value).toMatch(/^[0-9a-f]{32}$/);

      // Again: nothing changes (generated certificates kept).
      const again = await g.admin.populate(world);
      expect(again).toMatchObject({ created: [], updated: [], unchanged: world.map((p) => p.appId) });
      expect(again.projects).toEqual(first.projects);

      // A change of shape is an update; other projects are left alone.
      const changed = await g.admin.populate([{ appId: "b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0", mode: "token" }]);
      expect(changed).toMatchObject({ created: [], updated: ["b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0"], unchanged: [] });
      expect(changed.projects[0]?.certificates.primary?.value).toBe(first.projects[1]?.certificates.primary?.value);
      expect((await g.admin.projects.list()).length).toBe(3);

      // Certificates are active from the epoch: a clock far in the past still verifies tokens.
      await g.clock.set(1_000_000);
      const minted = await g.admin.tokens.mint({ appId: "d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0", uid: "x", version: "007", expireSeconds: 60, certificate: "secondary" });
      expect(await g.admin.explain({ appId: "d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0", uid: "x", token: minted.token })).toMatchObject({ decision: "accept", slot: "secondary" });
    } finally {
      await g.close();
    }
  });

  it.each([
    [{ projects: [{ appId: "zz", mode: "token" }] }, "projects.0.appId"],
    [{ projects: [{ appId: APP, mode: "appid", primary: CERT }] }, "projects.0.primary"],
    [{ projects: [{ appId: APP, mode: "token", noCertificate: true }] }, "projects.0.noCertificate"],
    [{ projects: [{ appId: APP, mode: "token", primary: CERT, secondary: CERT }] }, "projects.0.secondary"],
    [{ projects: [{ appId: APP, mode: "token" }, { appId: APP, mode: "either" }] }, "projects.1.appId"],
    [{ projects: [{ appId: APP, mode: "token", extra: 1 }] }, "projects.0"],
    [[{ appId: APP, mode: "token" }], "body"],
  ])("400 invalid_request for %j", async (body, field) => {
    const res = await fetch(`${tg.httpUrl}/admin/populate`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string; field: string } }).error).toMatchObject({ code: "invalid_request", field });
  });

  it("takes a world bigger than the 16 KiB limit of the other admin calls", async () => {
    const g = await startGateway();
    try {
      const projects = Array.from({ length: 300 }, (_, i) => ({ appId: i.toString(16).padStart(32, "0"), mode: "appid" as const }));
      const r = await g.admin.populate(projects);
      expect(r.created).toHaveLength(300);
    } finally {
      await g.close();
    }
  });
});

describe("reset", () => {
  it("closes every connection with 4002, removes faults, projects and the journal, and runs the clock at real time again", async () => {
    const g = await startGateway({ clock: "manual", now: T0, projects: [{ appId: APP, mode: "token", primary: CERT }] });
    const r = recordedClient(g.url, APP, "rtm1");
    try {
      const { token } = await g.admin.tokens.mint({ appId: APP, uid: "alice", version: "007", expireSeconds: 600 });
      await r.client.login({ uid: "alice", token });
      await g.admin.faults.add({ op: "logout", action: { type: "drop" } });
      expect((await g.admin.journal.query()).lastSeq).toBe(1);
      await settle(5);
      r.clear();

      await g.admin.reset();
      expect(await r.closed()).toBe(4002);
      // No gateway event: the client reports an unexplained drop.
      expect(r.states()).toEqual(["ABORTED/INTERRUPTED"]);
      expect(await g.admin.sessions.list()).toEqual([]);
      expect(await g.admin.faults.list()).toEqual([]);
      expect(await g.admin.projects.list()).toEqual([]);
      expect(await g.admin.journal.query()).toMatchObject({ entries: [], lastSeq: 0 });
      const clock = await g.admin.clock.get();
      expect(clock.frozen).toBe(false);
      expect(Math.abs(clock.now - Date.now() / 1000)).toBeLessThan(5);
      // Rule ids restart.
      expect((await g.admin.faults.add({ op: "login", action: { type: "drop" } })).id).toBe("f1");
    } finally {
      await r.client.close();
      await g.close();
    }
  });
});

describe("client/testing startGateway", () => {
  it("clock: 'real' runs; 'manual' stands still; close is idempotent", async () => {
    const real = await startGateway({ clock: "real" });
    const manual = await startGateway({ clock: "manual", now: T0 });
    try {
      expect((await real.admin.clock.get()).frozen).toBe(false);
      expect(await manual.admin.clock.get()).toEqual({ now: T0, frozen: true });
      expect(manual.clock.now()).toBe(T0);
      expect(await manual.clock.set(T0 + 100)).toBe(T0 + 100);
      expect(manual.clock.now()).toBe(T0 + 100);
      expect(real.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/rtm$/);
      expect(real.httpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await real.close();
      await real.close();
      await manual.close();
    }
  });

  it("admin errors reject with AdminApiError (status, stable code)", async () => {
    const err = await tg.admin.projects.get("ffffffffffffffffffffffffffffffff").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AdminApiError);
    expect(err).toMatchObject({ status: 404, code: "project_not_found", name: "AdminApiError" });
    expect(isRtmError(err)).toBe(false);
  });
});
