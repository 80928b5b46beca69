import { ZodError } from "zod";
import { describe, expect, it } from "vitest";
import { parseRolloutPlan, storedRollout } from "../../../../gateway/migration/rollout-schema.js";

const SHAPE = 'a cohort is {"percent": P} (0 < P ≤ 100, by stable hash) or {"uidPattern": "glob or /regex/"}: exactly one of the two';
const problems = (body: unknown): string[] => {
  try {
    parseRolloutPlan(body);
  } catch (err) {
    if (err instanceof ZodError) return err.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw err;
  }
  return [];
};
const withCohort = (cohort: unknown) => ({ target: { target: "token_only" }, stages: [{ name: "a", cohort, minSeconds: 0 }] });

describe("the rollout plan schema", () => {
  it.each([
    [{ precent: 50 }, ['stages.0.cohort: Unrecognized key: "precent"', `stages.0.cohort: ${SHAPE}`]],
    [{}, [`stages.0.cohort: ${SHAPE}`]],
    [{ percent: 10, uidPattern: "a*" }, [`stages.0.cohort: ${SHAPE}`]],
    ["10%", [`stages.0.cohort: ${SHAPE}`]],
    [{ percent: 150 }, ["stages.0.cohort.percent: must be above 0 and at most 100"]],
    [{ percent: 0 }, ["stages.0.cohort.percent: must be above 0 and at most 100"]],
    [{ uidPattern: "/(a+)+/" }, ["stages.0.cohort.uidPattern: a quantified group may not hold a quantifier or an alternation"]],
  ])("cohort %j → %j", (cohort, expected) => {
    expect(problems(withCohort(cohort))).toEqual(expected);
  });

  it("fills the defaults and keeps exactly one cohort key", () => {
    const p = parseRolloutPlan(withCohort({ percent: 25 }));
    expect(p).toEqual({ target: { target: "token_only" }, advance: "auto", stages: [{ name: "a", cohort: { percent: 25 }, minSeconds: 0, guards: [] }] });
  });

  it("refuses deleting the primary, a confirm of another step, and a stage name used twice", () => {
    expect(problems({ ...withCohort({ percent: 1 }), target: { target: "delete_certificate", slot: "primary" } })[0]).toMatch(/^target: a primary certificate cannot be deleted/);
    expect(problems({ ...withCohort({ percent: 1 }), confirm: "delete_secondary" })).toEqual(["confirm: this plan's final step is delete_no_certificate, not delete_secondary"]);
    const twice = { target: { target: "token_only" }, stages: [{ name: "a", cohort: { percent: 1 }, minSeconds: 0 }, { name: "a", cohort: { percent: 2 }, minSeconds: 0 }] };
    expect(problems(twice)).toEqual(['stages.1.name: stage name "a" is used twice']);
  });

  it("a stored rollout without stageRevision (older records) reads its revision there; a broken one is dropped", () => {
    const state = { status: "running", stage: 0, revision: 3, startedAt: 1, stageStartedAt: 1, updatedAt: 1, awaitingConfirmation: false, history: [] };
    expect(storedRollout({ plan: withCohort({ percent: 5 }), state })?.state.stageRevision).toBe(3);
    expect(storedRollout({ plan: withCohort({ percent: 5 }), state: { ...state, stage: 4 } })).toBeUndefined();
    expect(storedRollout({ plan: {}, state })).toBeUndefined();
  });
});
