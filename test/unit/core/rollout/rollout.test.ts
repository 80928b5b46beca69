import { describe, expect, it } from "vitest";
import { COHORT_BUCKETS, compileCohort, uidBucket } from "../../../../core/rollout/cohort.js";
import {
  EMPTY_STAGE_COUNTS,
  evaluate,
  MAX_HISTORY,
  operate,
  RolloutError,
  startRollout,
  type RolloutPlan,
  type RolloutRecord,
  type StageCounts,
} from "../../../../core/rollout/rollout.js";

const APP = "0123456789abcdef0123456789abcdef";
const plan: RolloutPlan = {
  target: { target: "token_only" },
  advance: "auto",
  stages: [
    { name: "10%", cohort: { percent: 10 }, minSeconds: 3600, guards: [{ reason: "token_required", maxPercent: 1, minLogins: 200, op: "login" }] },
    { name: "50%", cohort: { percent: 50 }, minSeconds: 3600, guards: [{ reason: "token_required", maxPercent: 1, minLogins: 200, op: "login" }] },
    { name: "all", cohort: { percent: 100 }, minSeconds: 3600, guards: [{ reason: "any", maxPercent: 5, minLogins: 10, op: "any" }] },
  ],
};
const counts = (decisions: number, refused: Record<string, number> = {}, renew = 0): StageCounts => ({
  login: { decisions, refused },
  renewToken: { decisions: renew, refused: {} },
});
const T0 = 1_800_000_000;

describe("cohorts", () => {
  it("buckets are stable, in range, and spread evenly", () => {
    expect(uidBucket(APP, "alice")).toBe(uidBucket(APP, "alice"));
    const hist = new Array(10).fill(0);
    for (let i = 0; i < 20_000; i++) {
      const b = uidBucket(APP, `u-${i}`);
      expect(b).toBeGreaterThanOrEqual(0);
      expect(b).toBeLessThan(COHORT_BUCKETS);
      hist[Math.floor(b / 1000)]++;
    }
    for (const n of hist) expect(Math.abs(n - 2000)).toBeLessThan(250);
  });
  it("a percent cohort holds about that share, and grows by inclusion", () => {
    const ten = compileCohort(APP, { percent: 10 });
    const twenty = compileCohort(APP, { percent: 20 });
    let inTen = 0;
    for (let i = 0; i < 10_000; i++) {
      const uid = `user-${i}`;
      if (ten(uid)) {
        inTen++;
        expect(twenty(uid)).toBe(true);
      }
    }
    expect(inTen).toBeGreaterThan(850);
    expect(inTen).toBeLessThan(1150);
    expect(compileCohort(APP, { percent: 100 })("x")).toBe(true);
  });
  it("a different App ID draws a different cohort", () => {
    const other = "fedcba9876543210fedcba9876543210";
    let same = 0;
    for (let i = 0; i < 1000; i++) if (uidBucket(APP, `u${i}`) === uidBucket(other, `u${i}`)) same++;
    expect(same).toBeLessThan(10);
  });
  it("uid patterns match as fault rules do", () => {
    const legacy = compileCohort(APP, { uidPattern: "legacy-*" });
    expect(legacy("legacy-3")).toBe(true);
    expect(legacy("updated-3")).toBe(false);
  });
});

describe("the rollout state machine", () => {
  const started = (): RolloutRecord => startRollout(plan, T0);

  it("starts running at stage 0 with one transition", () => {
    const r = started();
    expect(r.state).toMatchObject({ status: "running", stage: 0, revision: 1, stageStartedAt: T0, awaitingConfirmation: false });
    expect(r.state.history).toEqual([{ at: T0, cause: "start", by: "operator", fromStage: -1, toStage: 0, status: "running", revision: 1 }]);
  });

  it("waits for the stage time and for every guard's minimum, then advances", () => {
    const r = started();
    expect(evaluate(r, counts(500), T0 + 3599)).toBeNull();
    expect(evaluate(r, counts(199), T0 + 3600)).toBeNull();
    const step = evaluate(r, counts(200, { token_required: 2 }), T0 + 3600);
    expect(step?.state).toMatchObject({ status: "running", stage: 1, revision: 2, stageStartedAt: T0 + 3600 });
    expect(step?.state.history.at(-1)).toMatchObject({ cause: "auto_advance", by: "controller", fromStage: 0, toStage: 1 });
  });

  it("a guard over its share rolls back by itself, before the stage time, with the figures", () => {
    const r = started();
    const step = evaluate(r, counts(200, { token_required: 40 }), T0 + 10);
    expect(step?.state).toMatchObject({ status: "rolled_back", stage: -1, revision: 2 });
    expect(step?.state.history.at(-1)).toMatchObject({
      cause: "guard",
      by: "controller",
      trip: { guard: 0, reason: "token_required", refused: 40, decisions: 200, percent: 20, maxPercent: 1 },
    });
    // Rolled back: nothing more happens by itself.
    expect(evaluate({ plan, state: step!.state }, counts(1000, { token_required: 1000 }), T0 + 99_999)).toBeNull();
  });

  it("a guard at exactly its share holds; below its minimum it neither trips nor holds", () => {
    const r = started();
    expect(evaluate(r, counts(200, { token_required: 2 }), T0 + 1)).toBeNull(); // 1 % is not > 1 %
    expect(evaluate(r, counts(199, { token_required: 199 }), T0 + 1)).toBeNull();
  });

  it("without confirm, the last stage waits for one; advance then needs the exact step and holding guards", () => {
    let r: RolloutRecord = started();
    r = { plan, state: operate(r, "advance", T0, EMPTY_STAGE_COUNTS).state };
    r = { plan, state: operate(r, "advance", T0, EMPTY_STAGE_COUNTS).state };
    expect(r.state.stage).toBe(2);
    const waiting = evaluate(r, counts(10), T0 + 3600);
    expect(waiting?.state).toMatchObject({ status: "running", stage: 2, awaitingConfirmation: true });
    expect(waiting?.finalStep).toBeNull();
    r = { plan, state: waiting!.state };
    expect(evaluate(r, counts(10), T0 + 7200)).toBeNull();
    const refusal = (fn: () => unknown): RolloutError => {
      try {
        fn();
      } catch (e) {
        return e as RolloutError;
      }
      throw new Error("did not throw");
    };
    expect(refusal(() => operate(r, "advance", T0 + 7200, counts(10))).code).toBe("confirmation_required");
    expect(refusal(() => operate(r, "advance", T0 + 7200, counts(10), "delete_secondary")).code).toBe("confirmation_required");
    expect(refusal(() => operate(r, "advance", T0 + 7200, counts(9), "delete_no_certificate")).code).toBe("guards_not_holding");
    const done = operate(r, "advance", T0 + 7200, counts(10), "delete_no_certificate");
    expect(done.finalStep).toBe("delete_no_certificate");
    expect(done.state).toMatchObject({ status: "completed", stage: -1 });
    expect(refusal(() => operate({ plan, state: done.state }, "pause", T0, EMPTY_STAGE_COUNTS)).code).toBe("rollout_finished");
  });

  it("with confirm in the plan, the last stage completes by itself with the final step", () => {
    const confirmed: RolloutPlan = { ...plan, confirm: "delete_no_certificate" };
    let r = startRollout(confirmed, T0);
    r = { plan: confirmed, state: { ...r.state, stage: 2 } };
    const step = evaluate(r, counts(10), T0 + 3600);
    expect(step?.finalStep).toBe("delete_no_certificate");
    expect(step?.state.status).toBe("completed");
  });

  it("pause stops advancing but a guard still rolls back; resume counts the stage time anew", () => {
    const r = started();
    const paused = { plan, state: operate(r, "pause", T0 + 5, EMPTY_STAGE_COUNTS).state };
    expect(paused.state.status).toBe("paused");
    expect(evaluate(paused, counts(300), T0 + 99_999)).toBeNull();
    expect(evaluate(paused, counts(300, { token_required: 100 }), T0 + 10)?.state.status).toBe("rolled_back");
    const resumed = operate(paused, "resume", T0 + 50, EMPTY_STAGE_COUNTS).state;
    expect(resumed).toMatchObject({ status: "running", stage: 0, stageStartedAt: T0 + 50 });
  });

  it("rollback, abort and their refusals", () => {
    const r = started();
    const back = operate(r, "rollback", T0, EMPTY_STAGE_COUNTS).state;
    expect(back).toMatchObject({ status: "rolled_back", stage: -1 });
    expect(() => operate({ plan, state: back }, "rollback", T0, EMPTY_STAGE_COUNTS)).toThrow(expect.objectContaining({ code: "nothing_to_roll_back", status: 409 }));
    expect(() => operate(r, "resume", T0, EMPTY_STAGE_COUNTS)).toThrow(expect.objectContaining({ code: "rollout_not_paused" }));
    const again = operate({ plan, state: back }, "advance", T0, EMPTY_STAGE_COUNTS).state;
    expect(again).toMatchObject({ status: "running", stage: 0 });
    const aborted = operate(r, "abort", T0, EMPTY_STAGE_COUNTS).state;
    expect(aborted).toMatchObject({ status: "aborted", stage: -1 });
  });

  it("counts are kept per stage visit: entering a stage starts one, a pause, resume or wait for confirmation does not", () => {
    const r = started();
    expect(r.state.stageRevision).toBe(1);
    const paused = operate(r, "pause", T0, EMPTY_STAGE_COUNTS).state;
    const resumed = operate({ plan, state: paused }, "resume", T0, EMPTY_STAGE_COUNTS).state;
    expect([paused.stageRevision, resumed.stageRevision, resumed.revision]).toEqual([1, 1, 3]);
    const next = operate({ plan, state: resumed }, "advance", T0, EMPTY_STAGE_COUNTS).state;
    expect(next.stageRevision).toBe(4);
    const back = operate({ plan, state: next }, "rollback", T0, EMPTY_STAGE_COUNTS).state;
    expect(back.stageRevision).toBe(5);
    let last: RolloutRecord = { plan, state: { ...next, stage: 2, stageRevision: 9, revision: 9 } };
    last = { plan, state: evaluate(last, counts(10), T0 + 3600)!.state };
    expect(last.state).toMatchObject({ awaitingConfirmation: true, stageRevision: 9, revision: 10 });
    // The same counts that made the guards hold confirm the final step at once.
    expect(operate(last, "advance", T0 + 3600, counts(10), "delete_no_certificate").state.status).toBe("completed");
  });

  it("keeps at most MAX_HISTORY transitions while the revision counts them all", () => {
    let r: RolloutRecord = started();
    for (let i = 0; i < MAX_HISTORY + 20; i++) r = { plan, state: operate(r, i % 2 === 0 ? "pause" : "resume", T0 + i, EMPTY_STAGE_COUNTS).state };
    expect(r.state.history).toHaveLength(MAX_HISTORY);
    expect(r.state.revision).toBe(MAX_HISTORY + 21);
    expect(r.state.history.at(-1)?.revision).toBe(MAX_HISTORY + 21);
  });
});
