/**
 * Staged rollouts through the admin API (docs/rollouts.md), on an in-process gateway with the
 * memory store and a frozen simulated clock: the PUT/GET/action contract and every error code;
 * the cohort enforced on real WebSocket logins (and shown by explain); a guard tripped by real
 * traffic rolling back on the next tick, in the journal and the metric; operator actions; the
 * final step with its confirmation (by hand, and confirmed in the plan); populate with a rollout.
 * The controller's timer is off (ROLLOUT_TICK_MS=0): rollouts are judged on clock jumps only, so
 * every move happens where the test makes it.
 */
import type { AddressInfo } from "node:net";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RolloutPlanInput } from "../../client/admin-client.js";
import { createRtmClient } from "../../client/index.js";
import { startGateway, type TestGateway } from "../../client/testing.js";
import { MemoryCertificateStore } from "../../core/certificate/certificate-store-memory.js";
import type { ProjectRecord } from "../../core/certificate/project.js";
import { StoreUnavailable, WriteOutcomeUnknown } from "../../core/errors.js";
import type { Profile } from "../../core/protocol/wire.js";
import { uidBucket } from "../../core/rollout/cohort.js";
import type { RolloutView } from "../../core/protocol/admin.js";
import { createAdminRouter } from "../../gateway/admin/router.js";
import { SimulatedClock } from "../../gateway/clock/simulated-clock.js";
import { loadConfig } from "../../gateway/config.js";
import { createLogger } from "../../gateway/logger.js";
import { startGateway as startFullGateway, type Gateway } from "../../gateway/main.js";
import { WIRE_CODES } from "../../gateway/protocol/wire-codes.js";
import type { SessionManager } from "../../gateway/sessions/session-manager.js";
import { adminApi, type AdminApi } from "../support/admin-api.js";

const T0 = 1_718_000_000;
/** One App ID per test, so that no rollout of one test is seen by another. */
const app = (n: number): string => `7011007${String(n).padStart(25, "0")}`;

let gw: TestGateway;
let api: AdminApi;

beforeAll(async () => {
  gw = await startGateway({ clock: "manual", now: T0, config: { rolloutTickMs: 0 } });
  api = adminApi(gw.httpUrl);
});
afterAll(() => gw.close());

/** One login on its own connection: null when accepted, else the refusal's code and reason. */
async function login(appId: string, uid: string, token: string | null, profile: Profile = "rtm1"): Promise<{ code: number; reason: string } | null> {
  const c = createRtmClient({ url: gw.url, appId, profile });
  try {
    await c.login({ uid, token });
    await c.logout();
    return null;
  } catch (err) {
    const e = err as { code: number; reason: string };
    return { code: e.code, reason: e.reason };
  } finally {
    await c.close();
  }
}

const mint = async (appId: string, uid: string): Promise<string> => (await gw.admin.tokens.mint({ appId, uid, version: "007", expireSeconds: 86_400 })).token;

/** `count` uids of `appId` inside (or outside) a percent cohort of `percent`. */
function uids(appId: string, percent: number, inside: boolean, count: number, prefix = "u"): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < count; i++) {
    const uid = `${prefix}${i}`;
    if (uidBucket(appId, uid) < percent * 100 === inside) out.push(uid);
  }
  return out;
}

const metricsText = async (): Promise<string> => (await fetch(`${gw.httpUrl}/metrics`)).text();

/** A token-only rollout plan of the given stages (manual advance unless said). */
const plan = (stages: unknown[], extra: Record<string, unknown> = {}): RolloutPlanInput => ({ target: { target: "token_only" }, stages, advance: "manual", ...extra }) as unknown as RolloutPlanInput;

describe("the PUT / GET / action contract", () => {
  const APP = app(1);
  beforeAll(async () => {
    await gw.admin.populate([{ appId: APP, mode: "either" }]);
  });

  it("GET and PUT: 404 for an unknown project or no rollout, 400 naming the plan's path, 201 with the view, 409 while one runs", async () => {
    const unknown = "0123456789abcdef0123456789abcdef";
    expect((await api.call("GET", `/admin/projects/${unknown}/rollout`)).body).toMatchObject({ error: { code: "project_not_found" } });
    expect((await api.call("GET", `/admin/projects/${unknown}/rollout`)).status).toBe(404);
    const putUnknown = await api.call("PUT", `/admin/projects/${unknown}/rollout`, plan([{ name: "a", cohort: { percent: 10 }, minSeconds: 0 }]));
    expect([putUnknown.status, putUnknown.body.error.code]).toEqual([404, "project_not_found"]);
    const none = await api.call("GET", `/admin/projects/${APP}/rollout`);
    expect([none.status, none.body.error.code]).toEqual([404, "rollout_not_found"]);

    const bad = await api.call("PUT", `/admin/projects/${APP}/rollout`, plan([{ name: "a", cohort: { percent: 0 }, minSeconds: 0 }]));
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: "invalid_request", field: "stages.0.cohort.percent" });
    expect(bad.body.error.message).toContain("stages.0.cohort.percent");
    const guard = await api.call("PUT", `/admin/projects/${APP}/rollout`, plan([{ name: "a", cohort: { percent: 5 }, minSeconds: 0, guards: [{ reason: "token_required", maxPercent: 101, minLogins: 1 }] }]));
    expect([guard.status, guard.body.error.field]).toEqual([400, "stages.0.guards.0.maxPercent"]);
    const extra = await api.call("PUT", `/admin/projects/${APP}/rollout`, { ...plan([{ name: "a", cohort: { percent: 5 }, minSeconds: 0 }]), speed: "fast" });
    expect([extra.status, extra.body.error.code]).toEqual([400, "invalid_request"]);
    const primary = await api.call("PUT", `/admin/projects/${APP}/rollout`, { target: { target: "delete_certificate", slot: "primary" }, stages: [{ name: "a", cohort: { percent: 5 }, minSeconds: 0 }] });
    expect([primary.status, primary.body.error.field]).toEqual([400, "target"]);
    const twice = await api.call("PUT", `/admin/projects/${APP}/rollout`, plan([{ name: "a", cohort: { percent: 5 }, minSeconds: 0 }, { name: "a", cohort: { percent: 9 }, minSeconds: 0 }]));
    expect([twice.status, twice.body.error.field]).toEqual([400, "stages.1.name"]);
    const badKey = await api.call("PUT", `/admin/projects/${APP}/rollout`, plan([{ name: "a", cohort: { percent: 5 }, minSeconds: 0 }]), { "idempotency-key": "" });
    expect([badKey.status, badKey.body.error.code]).toEqual([400, "invalid_request"]);
    // Nothing of the refused calls was written.
    expect((await api.call("GET", `/admin/projects/${APP}/rollout`)).status).toBe(404);

    const put = await api.call<RolloutView>("PUT", `/admin/projects/${APP}/rollout`, {
      target: { target: "token_only" },
      stages: [
        { name: "ten", cohort: { percent: 10 }, minSeconds: 86_400, guards: [{ reason: "token_required", maxPercent: 1, minLogins: 200 }] },
        { name: "all", cohort: { percent: 100 }, minSeconds: 86_400 },
      ],
    });
    expect(put.status).toBe(201);
    const v = put.body;
    expect(v).toMatchObject({
      appId: APP,
      status: "running",
      stage: 0,
      stageName: "ten",
      revision: 1,
      startedAt: T0,
      stageStartedAt: T0,
      stageMinUntil: T0 + 86_400,
      awaitingConfirmation: false,
      finalStep: "delete_no_certificate",
      counts: { login: { decisions: 0, refused: {} }, renewToken: { decisions: 0, refused: {} } },
      now: T0,
    });
    // Defaults filled in: auto advance, guard op login, no guards on the last stage.
    expect(v.plan.advance).toBe("auto");
    expect(v.plan.stages[0]?.guards[0]).toEqual({ reason: "token_required", maxPercent: 1, minLogins: 200, op: "login" });
    expect(v.plan.stages[1]?.guards).toEqual([]);
    expect(v.guards).toEqual([{ reason: "token_required", maxPercent: 1, minLogins: 200, op: "login", decisions: 0, refused: 0, percent: 0, holds: false, tripped: false }]);
    expect(v.history).toEqual([{ at: T0, cause: "start", by: "operator", fromStage: -1, toStage: 0, status: "running", revision: 1 }]);
    expect((await api.call("GET", `/admin/projects/${APP}/rollout`)).body).toEqual(v);

    const again = await api.call("PUT", `/admin/projects/${APP}/rollout`, plan([{ name: "a", cohort: { percent: 5 }, minSeconds: 0 }]));
    expect([again.status, again.body.error.code]).toEqual([409, "rollout_in_progress"]);
    // The project view carries the summary (and the shadow target, none here).
    expect(await gw.admin.projects.get(APP)).toMatchObject({ shadow: null, rollout: { status: "running", stage: 0, stageName: "ten" } });
  });

  it("actions: each refusal has its code; pause, resume, rollback, advance and abort move the state, and a new plan continues the revisions", async () => {
    const act = (action: string, body?: unknown) => api.call<RolloutView>("POST", `/admin/projects/${APP}/rollout/${action}`, body);
    const refused = async (action: string, status: number, code: string, body?: unknown) => {
      const r = await act(action, body);
      expect([action, r.status, (r.body as unknown as { error: { code: string } }).error.code]).toEqual([action, status, code]);
    };
    await refused("dance", 404, "unknown_action");
    await refused("advance", 400, "invalid_request", { confirm: "delete_everything" });
    await refused("advance", 400, "invalid_request", { confirm: "delete_no_certificate", force: true });
    expect((await api.call("POST", `/admin/projects/0123456789abcdef0123456789abcdef/rollout/pause`)).body.error.code).toBe("project_not_found");
    expect((await api.call("POST", `/admin/projects/${app(99)}/rollout/pause`)).status).toBe(404);

    // An action names the revision it was decided on: a stale one is refused and changes nothing.
    await refused("pause", 409, "revision_mismatch", { revision: 7 });
    await refused("pause", 400, "invalid_request", { revision: -1 });
    expect((await act("pause", { revision: 1 })).body).toMatchObject({ status: "paused", stage: 0, revision: 2 });
    await refused("pause", 409, "rollout_not_running");
    expect((await act("resume")).body).toMatchObject({ status: "running", stage: 0, revision: 3 });
    await refused("resume", 409, "rollout_not_paused");
    const advanced = (await act("advance")).body;
    expect(advanced).toMatchObject({ status: "running", stage: 1, stageName: "all", revision: 4 });
    expect(advanced.history.at(-1)).toMatchObject({ cause: "advance", by: "operator", fromStage: 0, toStage: 1 });
    // From the last stage the next step is the real one: a confirmation first.
    await refused("advance", 409, "confirmation_required");
    await refused("advance", 409, "confirmation_required", { confirm: "delete_secondary" });
    expect((await act("rollback")).body).toMatchObject({ status: "rolled_back", stage: 0, revision: 5 });
    expect((await act("rollback")).body).toMatchObject({ status: "rolled_back", stage: -1, stageName: null, revision: 6, guards: [], counts: null, stageMinUntil: null });
    await refused("rollback", 409, "nothing_to_roll_back");
    expect((await act("advance")).body).toMatchObject({ status: "running", stage: 0, revision: 7 });
    expect((await act("abort")).body).toMatchObject({ status: "aborted", stage: -1, revision: 8 });
    for (const a of ["advance", "pause", "resume", "rollback", "abort"]) await refused(a, 409, "rollout_finished");
    expect(await gw.admin.projects.get(APP)).toMatchObject({ mode: "either", rollout: { status: "aborted", stage: -1, stageName: null } });

    const next = await gw.admin.migration.rollout.put(APP, plan([{ name: "again", cohort: { percent: 1 }, minSeconds: 0 }]));
    expect(next).toMatchObject({ status: "running", stage: 0, revision: 9, history: [{ cause: "start", revision: 9 }] });
    const journal = await gw.admin.journal.query({ appId: APP, op: "rollout", limit: 100 });
    expect(journal.entries.map((e) => e.rollout?.cause).reverse()).toEqual(["start", "pause", "resume", "advance", "rollback", "rollback", "advance", "abort", "start"]);
    expect(journal.entries.every((e) => e.result === "transition" && e.uid === "")).toBe(true);
    const text = await metricsText();
    expect(text).toContain('rtm_auth_rollout_transitions_total{cause="abort",status="aborted"} 1');
    expect(text).toMatch(/rtm_auth_rollout_transitions_total\{cause="rollback",status="rolled_back"\} 2\n/);
  });
});

describe("the cohort, on real logins", () => {
  const APP = app(2);
  beforeAll(async () => {
    await gw.admin.populate([{ appId: APP, mode: "either" }]);
    await gw.admin.migration.rollout.put(APP, plan([{ name: "half", cohort: { percent: 50 }, minSeconds: 86_400 }, { name: "all", cohort: { percent: 100 }, minSeconds: 0 }]));
  });

  it("a token_only plan at 50 %: the cohort's App-ID logins are refused token_required with the profile's code, the others accepted, token logins accepted", async () => {
    const inside = uids(APP, 50, true, 3);
    const outside = uids(APP, 50, false, 3);
    for (const uid of inside) {
      expect(await login(APP, uid, null, "rtm1")).toEqual({ code: WIRE_CODES.token_required.rtm1Login.code, reason: "token_required" });
      expect(await login(APP, uid, null, "rtm2")).toEqual({ code: WIRE_CODES.token_required.rtm2Login.code, reason: "token_required" });
      expect(await login(APP, uid, await mint(APP, uid))).toBeNull();
    }
    for (const uid of outside) {
      expect(await login(APP, uid, null)).toBeNull();
      expect(await login(APP, uid, await mint(APP, uid))).toBeNull();
    }
    const entry = (await gw.admin.journal.query({ appId: APP, uid: inside[0] as string, op: "login", result: "refused", limit: 1 })).entries[0];
    expect(entry).toMatchObject({ reason: "token_required", cohort: { revision: 1, stage: 0, stageName: "half" } });
    const view = await gw.admin.migration.rollout.get(APP);
    // Only the cohort's decisions are counted: 3 uids × (2 refused App-ID logins + 1 token login).
    expect(view.counts?.login).toEqual({ decisions: 9, refused: { token_required: 6 } });
  });

  it("explain shows the cohort and the check that refused; a uid outside it has no cohort", async () => {
    const [inside] = uids(APP, 50, true, 1, "x");
    const [outside] = uids(APP, 50, false, 1, "x");
    const a = await gw.admin.explain({ appId: APP, uid: inside as string, token: null });
    expect(a).toMatchObject({ decision: "refuse", reason: "token_required", failedCheck: "auth-mode", mode: "token", cohort: { revision: 1, stage: 0, stageName: "half" } });
    const b = await gw.admin.explain({ appId: APP, uid: outside as string, token: null });
    expect(b).toMatchObject({ decision: "accept", mode: "either", cohort: null });
  });
});

describe("guards and the controller", () => {
  it("a guard tripped by real traffic rolls back to the previous stage after the tick, stops advancing, and is in the journal and the metric", async () => {
    const APP = app(3);
    await gw.admin.populate([{ appId: APP, mode: "either" }]);
    await gw.admin.migration.rollout.put(
      APP,
      plan([
        { name: "canary", cohort: { uidPattern: "canary-*" }, minSeconds: 3600 },
        { name: "all", cohort: { percent: 100 }, minSeconds: 3600, guards: [{ reason: "token_required", maxPercent: 1, minLogins: 4 }] },
      ], { advance: "auto" }),
    );
    expect((await gw.admin.migration.rollout.act(APP, "advance")).stage).toBe(1);
    const before = await metricsText();
    expect(before).not.toContain('rtm_auth_rollout_transitions_total{cause="guard"');
    // Three logins: below minLogins, nothing is judged yet, whatever the share.
    for (const uid of ["a", "b", "c"]) expect((await login(APP, uid, null))?.reason).toBe("token_required");
    await gw.clock.advance(1);
    expect((await gw.admin.migration.rollout.get(APP)).guards[0]).toMatchObject({ decisions: 3, refused: 3, percent: 100, holds: false, tripped: false });
    expect((await login(APP, "d", null))?.reason).toBe("token_required");
    expect((await gw.admin.migration.rollout.get(APP)).guards[0]).toMatchObject({ decisions: 4, refused: 4, tripped: true });
    await gw.clock.advance(1); // the jump judges the rollouts before it answers

    const v = await gw.admin.migration.rollout.get(APP);
    expect(v).toMatchObject({ status: "rolled_back", stage: 0, stageName: "canary" });
    const t = v.history.at(-1);
    expect(t).toMatchObject({ cause: "guard", by: "controller", fromStage: 1, toStage: 0, status: "rolled_back", trip: { guard: 0, reason: "token_required", refused: 4, decisions: 4, percent: 100, maxPercent: 1 } });
    expect(t?.note).toContain("4 of 4 refused with token_required");
    const entry = (await gw.admin.journal.query({ appId: APP, op: "rollout", limit: 1 })).entries[0];
    expect(entry).toMatchObject({ op: "rollout", result: "transition", rollout: { cause: "guard", status: "rolled_back", trip: { reason: "token_required" } } });
    expect(await metricsText()).toContain('rtm_auth_rollout_transitions_total{cause="guard",status="rolled_back"} 1');
    // Rolled back: the previous stage's cohort applies again, and nothing advances by itself.
    expect(await login(APP, "e", null)).toBeNull();
    expect((await login(APP, "canary-1", null))?.reason).toBe("token_required");
    await gw.clock.advance(7200);
    expect(await gw.admin.migration.rollout.get(APP)).toMatchObject({ status: "rolled_back", stage: 0 });
    // `resume` runs it again at that stage, its time counted anew; then it advances by itself.
    const resumed = await gw.admin.migration.rollout.act(APP, "resume");
    expect(resumed).toMatchObject({ status: "running", stage: 0, stageMinUntil: gw.clock.now() + 3600 });
    await gw.clock.advance(3600);
    expect(await gw.admin.migration.rollout.get(APP)).toMatchObject({ status: "running", stage: 1, history: expect.arrayContaining([expect.objectContaining({ cause: "auto_advance", by: "controller" })]) });
  });

  it("auto advance waits for the stage's time and for every guard to hold; a paused rollout does not advance", async () => {
    const APP = app(4);
    await gw.admin.populate([{ appId: APP, mode: "either" }]);
    await gw.admin.migration.rollout.put(
      APP,
      plan([
        { name: "tokens", cohort: { uidPattern: "t-*" }, minSeconds: 600, guards: [{ reason: "any", maxPercent: 50, minLogins: 2 }] },
        { name: "all", cohort: { percent: 100 }, minSeconds: 600 },
      ], { advance: "auto" }),
    );
    await gw.clock.advance(600);
    expect(await gw.admin.migration.rollout.get(APP)).toMatchObject({ stage: 0, guards: [{ holds: false, decisions: 0 }] });
    for (const uid of ["t-1", "t-2"]) expect(await login(APP, uid, await mint(APP, uid))).toBeNull();
    await gw.admin.migration.rollout.act(APP, "pause");
    await gw.clock.advance(1);
    expect(await gw.admin.migration.rollout.get(APP)).toMatchObject({ status: "paused", stage: 0 });
    // Resumed: the stage's 600 s count anew; its counts are the stage visit's, kept across the pause.
    expect(await gw.admin.migration.rollout.act(APP, "resume")).toMatchObject({ stage: 0, guards: [{ decisions: 2, holds: true }] });
    for (const uid of ["t-3", "t-4"]) expect(await login(APP, uid, await mint(APP, uid))).toBeNull();
    await gw.clock.advance(599);
    expect(await gw.admin.migration.rollout.get(APP)).toMatchObject({ status: "running", stage: 0, guards: [{ decisions: 4, holds: true }] });
    await gw.clock.advance(1);
    expect(await gw.admin.migration.rollout.get(APP)).toMatchObject({ status: "running", stage: 1 });
  });
});

describe("the final step", () => {
  it("advance from the last stage: 409 without confirm, 409 while the guards do not hold, then the real step: mode token, status completed", async () => {
    const APP = app(5);
    await gw.admin.populate([{ appId: APP, mode: "either" }]);
    await gw.admin.migration.rollout.put(APP, plan([{ name: "all", cohort: { percent: 100 }, minSeconds: 86_400, guards: [{ reason: "token_required", maxPercent: 1, minLogins: 2 }] }]));
    const act = (body?: unknown) => api.call("POST", `/admin/projects/${APP}/rollout/advance`, body);
    expect((await act()).body.error.code).toBe("confirmation_required");
    const notHolding = await act({ confirm: "delete_no_certificate" });
    expect([notHolding.status, notHolding.body.error.code]).toEqual([409, "guards_not_holding"]);
    for (const uid of ["p", "q"]) expect(await login(APP, uid, await mint(APP, uid))).toBeNull();
    expect((await gw.admin.projects.get(APP)).mode).toBe("either");
    const done = await act({ confirm: "delete_no_certificate" });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ status: "completed", stage: -1, history: expect.arrayContaining([expect.objectContaining({ cause: "complete", by: "operator", status: "completed" })]) });
    expect(await gw.admin.projects.get(APP)).toMatchObject({ mode: "token", noCertificate: false, rollout: { status: "completed", stage: -1, stageName: null } });
    // The project is token only for everyone now, with no rollout applying anything.
    expect((await login(APP, "anyone", null))?.reason).toBe("token_required");
    expect((await gw.admin.explain({ appId: APP, uid: "anyone", token: null })).cohort).toBeNull();
    expect(await metricsText()).toMatch(/rtm_auth_rollout_transitions_total\{cause="complete",status="completed"\} [1-9]/);
  });

  it("a plan with confirm completes by itself after the last stage's time; without, it waits for the confirmation", async () => {
    const A = app(6);
    const B = app(7);
    await gw.admin.populate([{ appId: A, mode: "either" }, { appId: B, mode: "either" }]);
    const stages = [
      { name: "ten", cohort: { percent: 10 }, minSeconds: 3600 },
      { name: "all", cohort: { percent: 100 }, minSeconds: 3600 },
    ];
    await gw.admin.migration.rollout.put(A, plan(stages, { advance: "auto", confirm: "delete_no_certificate" }));
    await gw.admin.migration.rollout.put(B, plan(stages, { advance: "auto" }));
    await gw.clock.advance(3600);
    expect((await gw.admin.migration.rollout.get(A)).stage).toBe(1);
    expect((await gw.admin.migration.rollout.get(B)).stage).toBe(1);
    await gw.clock.advance(3600);
    expect(await gw.admin.migration.rollout.get(A)).toMatchObject({ status: "completed", stage: -1 });
    expect((await gw.admin.migration.rollout.get(A)).history.at(-1)).toMatchObject({ cause: "complete", by: "controller" });
    expect((await gw.admin.projects.get(A)).mode).toBe("token");
    const waiting = await gw.admin.migration.rollout.get(B);
    expect(waiting).toMatchObject({ status: "running", stage: 1, awaitingConfirmation: true });
    expect(waiting.history.at(-1)).toMatchObject({ cause: "awaiting_confirmation", by: "controller" });
    expect((await gw.admin.projects.get(B)).mode).toBe("either");
    expect(await gw.admin.migration.rollout.act(B, "advance", { confirm: "delete_no_certificate" })).toMatchObject({ status: "completed" });
    expect((await gw.admin.projects.get(B)).mode).toBe("token");
  });

  it("a plan whose final step cannot be taken is refused when put; a final step the lifecycle refuses at the end: the operator gets its code, the controller pauses with the reason", async () => {
    const A = app(8);
    const B = app(9);
    const C = app(14);
    const D = app(15);
    await gw.admin.populate([{ appId: A, mode: "appid" }, { appId: B, mode: "appid" }, { appId: C, mode: "appid" }, { appId: D, mode: "token" }]);
    // Populated certificates are active since the epoch; these two are enabled now.
    await gw.admin.certificates.enablePrimary(A);
    await gw.admin.certificates.enablePrimary(B);
    const all = plan([{ name: "all", cohort: { percent: 100 }, minSeconds: 0 }]);
    const put = (appId: string, body: unknown) => api.call("PUT", `/admin/projects/${appId}/rollout`, body);
    const refusedPut = async (appId: string, body: unknown, code: string, status = 409) => {
      const r = await put(appId, body);
      expect([r.status, r.body.error.code]).toEqual([status, code]);
      expect((await api.call("GET", `/admin/projects/${appId}/rollout`)).status).toBe(404);
    };
    await refusedPut(C, all, "primary_required");
    await refusedPut(D, all, "no_certificate_deleted");
    await refusedPut(A, { ...all, target: { target: "delete_certificate", slot: "secondary" } }, "secondary_not_found", 404);

    // A primary not active yet (the clock put back before its activation): the final step is refused at the end.
    const { now } = await gw.admin.clock.get();
    await gw.admin.clock.set({ now: now - 10 });
    try {
      await gw.admin.migration.rollout.put(A, all);
      const r = await api.call("POST", `/admin/projects/${A}/rollout/advance`, { confirm: "delete_no_certificate" });
      expect([r.status, r.body.error.code]).toEqual([409, "primary_not_active"]);
      expect(await gw.admin.migration.rollout.get(A)).toMatchObject({ status: "running", stage: 0 });
      await gw.admin.migration.rollout.put(B, plan([{ name: "all", cohort: { percent: 100 }, minSeconds: 0 }], { advance: "auto", confirm: "delete_no_certificate" }));
      await gw.clock.advance(1);
      const v = await gw.admin.migration.rollout.get(B);
      expect(v).toMatchObject({ status: "paused", stage: 0 });
      expect(v.history.at(-1)).toMatchObject({ cause: "final_step_refused", by: "controller" });
      expect(v.history.at(-1)?.note).toContain("primary_not_active");
      expect((await gw.admin.projects.get(B)).noCertificate).toBe(true);
    } finally {
      await gw.admin.clock.set({ now: now + 1 });
    }
  });

  it("completing clears a shadow target of the same step; a confirmation before the last stage is refused", async () => {
    const A = app(16);
    await gw.admin.populate([{ appId: A, mode: "either" }]);
    await api.call("PUT", `/admin/projects/${A}/shadow`, { target: "token_only" });
    await gw.admin.migration.rollout.put(A, plan([
      { name: "half", cohort: { percent: 50 }, minSeconds: 0 },
      { name: "all", cohort: { percent: 100 }, minSeconds: 0 },
    ]));
    const early = await api.call("POST", `/admin/projects/${A}/rollout/advance`, { confirm: "delete_no_certificate" });
    expect([early.status, early.body.error.code]).toEqual([409, "not_at_last_stage"]);
    expect(await gw.admin.migration.rollout.get(A)).toMatchObject({ stage: 0 });
    await gw.admin.migration.rollout.act(A, "advance");
    expect(await gw.admin.migration.rollout.act(A, "advance", { confirm: "delete_no_certificate" })).toMatchObject({ status: "completed" });
    expect(await gw.admin.projects.get(A)).toMatchObject({ mode: "token", shadow: null });
  });
});

describe("populate", () => {
  it("starts a project's rollout, keeps it when restated (same plan or none), refuses another plan while it runs, names the plan's path", async () => {
    const A = app(10);
    const B = app(11);
    const p1 = plan([{ name: "ten", cohort: { percent: 10 }, minSeconds: 60 }]);
    const first = await gw.admin.populate([{ appId: A, mode: "either", rollout: p1 }]);
    expect(first.created).toEqual([A]);
    expect(first.projects[0]).toMatchObject({ appId: A, mode: "either", rollout: { status: "running", stage: 0, stageName: "ten" } });
    const started = await gw.admin.migration.rollout.get(A);
    expect(started).toMatchObject({ status: "running", revision: 1, history: [{ cause: "start" }] });

    const same = await gw.admin.populate([{ appId: A, mode: "either", rollout: p1 }]);
    expect(same.unchanged).toEqual([A]);
    expect((await gw.admin.migration.rollout.get(A)).revision).toBe(1);
    const restated = await gw.admin.populate([{ appId: A, mode: "either", secondary: true }]);
    expect(restated.updated).toEqual([A]);
    expect(await gw.admin.migration.rollout.get(A)).toMatchObject({ status: "running", revision: 1 });

    const other = await api.call("POST", "/admin/populate", { projects: [{ appId: B, mode: "either" }, { appId: A, mode: "either", rollout: plan([{ name: "fifty", cohort: { percent: 50 }, minSeconds: 60 }]) }] });
    expect([other.status, other.body.error.code]).toEqual([409, "rollout_in_progress"]);
    expect(other.body.error.message).toContain("projects.1.rollout");
    expect((await api.call("GET", `/admin/projects/${B}`)).status).toBe(404); // checked before anything was written

    const bad = await api.call("POST", "/admin/populate", { projects: [{ appId: B, mode: "either", rollout: plan([{ name: "x", cohort: { percent: 200 }, minSeconds: 60 }]) }] });
    expect([bad.status, bad.body.error.field]).toEqual([400, "projects.0.rollout.stages.0.cohort.percent"]);

    // After an abort, populate with another plan starts it.
    await gw.admin.migration.rollout.act(A, "abort");
    const next = await gw.admin.populate([{ appId: A, mode: "either", secondary: true, rollout: plan([{ name: "fifty", cohort: { percent: 50 }, minSeconds: 60 }]) }]);
    expect(next.updated).toEqual([A]);
    expect(await gw.admin.migration.rollout.get(A)).toMatchObject({ status: "running", stageName: "fifty", revision: 3 });
  });
});

describe("a gateway without rollouts, and a store that cannot be written", () => {
  it("409 rollouts_disabled on every rollout route and on populate with a rollout", async () => {
    const clock = new SimulatedClock({ frozenAtSeconds: T0 });
    const store = new MemoryCertificateStore();
    const APP = app(12);
    await store.update(APP, (): ProjectRecord => ({ appId: APP, noCertificate: true, primary: { value: "c0ffee00000000000000000000000001", enabledAt: T0, activeAt: T0 }, secondary: null, enabled: true, version: 0 }));
    const logger = createLogger("silent");
    const router = createAdminRouter({ config: loadConfig({ logLevel: "silent" }), store, clock, sessions: {} as SessionManager, logger });
    const server = express().use("/admin", router).listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    try {
      const bare = adminApi(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
      const p = plan([{ name: "a", cohort: { percent: 10 }, minSeconds: 0 }]);
      for (const [method, path, body] of [
        ["GET", `/admin/projects/${APP}/rollout`, undefined],
        ["PUT", `/admin/projects/${APP}/rollout`, p],
        ["POST", `/admin/projects/${APP}/rollout/pause`, undefined],
        ["POST", "/admin/populate", { projects: [{ appId: APP, mode: "appid", rollout: p }] }],
      ] as const) {
        const r = await bare.call(method, path, body);
        expect([path, r.status, r.body.error.code]).toEqual([path, 409, "rollouts_disabled"]);
      }
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it("503 store_unavailable (nothing changed) and outcome_unknown, as every admin write", async () => {
    class FailingStore extends MemoryCertificateStore {
      failWith: Error | null = null;
      override update(...args: Parameters<MemoryCertificateStore["update"]>): ReturnType<MemoryCertificateStore["update"]> {
        if (this.failWith !== null) return Promise.reject(this.failWith);
        return super.update(...args);
      }
    }
    const store = new FailingStore();
    const APP = app(13);
    await store.update(APP, (): ProjectRecord => ({ appId: APP, noCertificate: true, primary: { value: "c0ffee00000000000000000000000001", enabledAt: T0, activeAt: T0 }, secondary: null, enabled: true, version: 0 }));
    const g: Gateway = await startFullGateway({ config: { port: 0, host: "127.0.0.1", logLevel: "silent", devSeed: false, rolloutTickMs: 0 }, clock: new SimulatedClock({ frozenAtSeconds: T0 }), store });
    try {
      const a = adminApi(g.httpUrl);
      const p = plan([{ name: "a", cohort: { percent: 10 }, minSeconds: 0 }]);
      store.failWith = new StoreUnavailable("test: down");
      const down = await a.call("PUT", `/admin/projects/${APP}/rollout`, p);
      expect([down.status, down.body.error.code]).toEqual([503, "store_unavailable"]);
      expect((await a.call("GET", `/admin/projects/${APP}/rollout`)).status).toBe(404);
      store.failWith = null;
      expect((await a.call("PUT", `/admin/projects/${APP}/rollout`, p)).status).toBe(201);
      store.failWith = new WriteOutcomeUnknown("test: reply lost");
      const lost = await a.call("POST", `/admin/projects/${APP}/rollout/pause`);
      expect([lost.status, lost.body.error.code]).toEqual([503, "outcome_unknown"]);
      store.failWith = null;
      expect((await a.call("POST", `/admin/projects/${APP}/rollout/pause`)).body).toMatchObject({ status: "paused" });
    } finally {
      await g.close();
    }
  });
});
