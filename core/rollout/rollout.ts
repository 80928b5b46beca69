/**
 * Staged rollouts of a migration step (docs/rollouts.md): a plan applies the step's target (token
 * only, or a certificate deleted) to a growing cohort of a project's users, stage by stage, watches
 * each stage's guards, rolls back by itself when one trips, and performs the real step that cannot
 * be undone only at the end, with guards holding and an explicit confirmation.
 *
 * This file holds the shapes (as stored in the project record and served by the admin API) and the
 * state machine, as pure functions: the caller passes the simulated clock's `now` (Unix seconds)
 * and the counts of the current stage. No clock, no I/O.
 */
import type { ShadowTarget } from "../protocol/admin.js";

/** What a rollout applies to its cohort, and the real step at its end: the shadow target shapes. */
export type RolloutTarget = ShadowTarget;

/** The real steps a rollout can end with (`delete_primary` never: Agora's console refuses it). */
export const FINAL_STEPS = ["delete_no_certificate", "delete_secondary"] as const;
export type FinalStep = (typeof FINAL_STEPS)[number];

/** The real step a target ends with, or null when it has none (deleting the primary). */
export function finalStepOf(t: RolloutTarget): FinalStep | null {
  if (t.target === "token_only") return "delete_no_certificate";
  return t.slot === "secondary" ? "delete_secondary" : null;
}

/**
 * Who a stage applies the target to:
 * - `percent`: the uids whose stable bucket (core/rollout/cohort.ts) is below `percent` × 100 of
 *   10 000 buckets. A uid in a 10 % cohort is in every larger one; every gateway computes the same.
 * - `uidPattern`: the uids a pattern matches (a glob or `/regex/`, as fault rules take).
 */
export type Cohort = { readonly percent: number } | { readonly uidPattern: string };

/** The operations a guard counts. */
export type GuardOp = "login" | "renewToken" | "any";

/**
 * A stage's safety condition: it trips when, among the cohort's decisions of the stage (of `op`),
 * at least `minLogins` were made and the share refused with `reason` (or with any reason, `"any"`)
 * is above `maxPercent`. It holds when `minLogins` were made and it did not trip.
 */
export interface Guard {
  readonly reason: string;
  /** Percent, 0–100: the refusal share that is tolerated. */
  readonly maxPercent: number;
  /** Decisions needed before the guard judges (at least 1). */
  readonly minLogins: number;
  /** Default `login`. */
  readonly op: GuardOp;
}

/** One stage of a plan. */
export interface RolloutStage {
  readonly name: string;
  readonly cohort: Cohort;
  /** Least time on the simulated clock before the stage may be left forward, seconds. */
  readonly minSeconds: number;
  readonly guards: readonly Guard[];
}

/** A rollout plan (`PUT /admin/projects/:appId/rollout`; docs/rollouts.md). */
export interface RolloutPlan {
  readonly target: RolloutTarget;
  readonly stages: readonly RolloutStage[];
  /** `auto`: a stage whose time has passed with every guard holding advances by itself. `manual`: only an operator advances. */
  readonly advance: "auto" | "manual";
  /**
   * The final step's confirmation, given in advance: when it names the plan's final step, the
   * rollout performs that step by itself after the last stage. Absent: it waits at the last stage
   * (`awaitingConfirmation`) for `POST …/rollout/advance` with `{"confirm": "<final step>"}`.
   */
  readonly confirm?: FinalStep;
}

export const ROLLOUT_STATUSES = ["running", "paused", "rolled_back", "completed", "aborted"] as const;
export type RolloutStatus = (typeof ROLLOUT_STATUSES)[number];

/** Why a transition happened. */
export const TRANSITION_CAUSES = ["start", "advance", "auto_advance", "guard", "rollback", "pause", "resume", "abort", "complete", "awaiting_confirmation", "final_step_refused"] as const;
export type TransitionCause = (typeof TRANSITION_CAUSES)[number];

/** The guard that tripped, and the counts it judged. */
export interface GuardTrip {
  /** Index in the stage's guards. */
  readonly guard: number;
  readonly reason: string;
  readonly refused: number;
  readonly decisions: number;
  /** `refused / decisions` in percent. */
  readonly percent: number;
  readonly maxPercent: number;
}

/** One transition of a rollout. */
export interface RolloutTransition {
  /** Simulated clock, Unix seconds. */
  readonly at: number;
  readonly cause: TransitionCause;
  /** `operator` (admin API or CLI) or `controller` (time and guards). */
  readonly by: "operator" | "controller";
  readonly fromStage: number;
  readonly toStage: number;
  readonly status: RolloutStatus;
  /** The state's revision after the transition. */
  readonly revision: number;
  readonly trip?: GuardTrip;
  /** A sentence for a person (the refused final step's error, a guard's figures). */
  readonly note?: string;
}

/** How many transitions a rollout keeps (the oldest are dropped; `revision` still counts them all). */
export const MAX_HISTORY = 100;

/** The state of a rollout. */
export interface RolloutState {
  readonly status: RolloutStatus;
  /** The stage whose cohort is applied: 0-based, -1 none (rolled back before the first stage, aborted, or completed). */
  readonly stage: number;
  /** +1 on every transition: writes compare it. */
  readonly revision: number;
  /**
   * The revision at which the applied stage was entered (start, advance, rollback, a guard's
   * rollback): the cohort's counts are kept per stage visit under this number. A pause, a resume,
   * the wait for a confirmation and a refused final step keep it, and so keep the counts.
   */
  readonly stageRevision: number;
  readonly startedAt: number;
  /** When the current stage was entered (or re-entered), Unix seconds. */
  readonly stageStartedAt: number;
  readonly updatedAt: number;
  /** True at the last stage of a plan without `confirm`, once its time passed with guards holding. */
  readonly awaitingConfirmation: boolean;
  /** The last {@link MAX_HISTORY} transitions, oldest first. */
  readonly history: readonly RolloutTransition[];
}

/** A project's rollout, as stored in its record (`ProjectRecord.rollout`). */
export interface RolloutRecord {
  readonly plan: RolloutPlan;
  readonly state: RolloutState;
}

/** Decisions of one operation: how many, and the refused ones by reason. */
export interface OpCounts {
  readonly decisions: number;
  readonly refused: Readonly<Record<string, number>>;
}

/** The cohort's decisions in the current stage visit (one `stageRevision`), across every gateway that counted them. */
export interface StageCounts {
  readonly login: OpCounts;
  readonly renewToken: OpCounts;
}

export const EMPTY_STAGE_COUNTS: StageCounts = Object.freeze({
  login: Object.freeze({ decisions: 0, refused: Object.freeze({}) }),
  renewToken: Object.freeze({ decisions: 0, refused: Object.freeze({}) }),
});

/** A refused operator action: a stable code and the HTTP status the admin API answers with. */
export const ROLLOUT_ERRORS = {
  rollout_not_found: 404,
  rollout_finished: 409,
  rollout_in_progress: 409,
  rollout_not_running: 409,
  rollout_not_paused: 409,
  rollout_at_last_stage: 409,
  not_at_last_stage: 409,
  confirmation_required: 409,
  guards_not_holding: 409,
  nothing_to_roll_back: 409,
  revision_mismatch: 409,
} as const;
export type RolloutErrorCode = keyof typeof ROLLOUT_ERRORS;

export class RolloutError extends Error {
  readonly code: RolloutErrorCode;
  readonly status: number;

  constructor(code: RolloutErrorCode, message: string) {
    super(message);
    this.code = code;
    this.status = ROLLOUT_ERRORS[code];
  }

  override get name(): string {
    return "RolloutError";
  }
}

/** True while the rollout can still change (not completed, not aborted). */
export function isLive(s: RolloutState): boolean {
  return s.status !== "completed" && s.status !== "aborted";
}

function transition(
  s: RolloutState,
  at: number,
  cause: TransitionCause,
  by: RolloutTransition["by"],
  next: { stage: number; status: RolloutStatus; awaitingConfirmation?: boolean },
  extra: { trip?: GuardTrip; note?: string } = {},
): RolloutState {
  const revision = s.revision + 1;
  const t: RolloutTransition = { at, cause, by, fromStage: s.stage, toStage: next.stage, status: next.status, revision, ...extra };
  const history = s.history.length >= MAX_HISTORY ? [...s.history.slice(s.history.length - MAX_HISTORY + 1), t] : [...s.history, t];
  const newVisit = next.stage !== s.stage || cause === "start";
  return {
    status: next.status,
    stage: next.stage,
    revision,
    stageRevision: newVisit ? revision : s.stageRevision,
    startedAt: s.startedAt,
    stageStartedAt: next.stage !== s.stage || cause === "resume" || cause === "start" ? at : s.stageStartedAt,
    updatedAt: at,
    awaitingConfirmation: next.awaitingConfirmation ?? false,
    history,
  };
}

/**
 * A new rollout of `plan`, running at its first stage from `now`. `fromRevision` is the revision
 * of the rollout it replaces on the project (0 for none): the new one's revisions continue from it,
 * so counts kept per (project, revision) never mix two plans.
 */
export function startRollout(plan: RolloutPlan, now: number, by: RolloutTransition["by"] = "operator", fromRevision = 0): RolloutRecord {
  const initial: RolloutState = { status: "running", stage: -1, revision: fromRevision, stageRevision: fromRevision, startedAt: now, stageStartedAt: now, updatedAt: now, awaitingConfirmation: false, history: [] };
  return { plan, state: transition(initial, now, "start", by, { stage: 0, status: "running" }) };
}

/** How one guard judges `counts`: `trip` when it tripped, `holds` true when it has seen enough and did not trip. */
export function judgeGuard(g: Guard, index: number, counts: StageCounts): { readonly holds: boolean; readonly trip: GuardTrip | null } {
  const ops: readonly OpCounts[] = g.op === "login" ? [counts.login] : g.op === "renewToken" ? [counts.renewToken] : [counts.login, counts.renewToken];
  let decisions = 0;
  let refused = 0;
  for (const o of ops) {
    decisions += o.decisions;
    if (g.reason === "any") for (const n of Object.values(o.refused)) refused += n;
    else refused += o.refused[g.reason] ?? 0;
  }
  if (decisions < g.minLogins) return { holds: false, trip: null };
  const percent = (refused / decisions) * 100;
  if (percent > g.maxPercent) {
    return { holds: false, trip: { guard: index, reason: g.reason, refused, decisions, percent: Math.round(percent * 100) / 100, maxPercent: g.maxPercent } };
  }
  return { holds: true, trip: null };
}

/** The first tripped guard of the current stage, and whether all of them hold. */
export function judgeStage(r: RolloutRecord, counts: StageCounts): { readonly allHold: boolean; readonly trip: GuardTrip | null } {
  const stage = r.plan.stages[r.state.stage];
  if (stage === undefined) return { allHold: true, trip: null };
  let allHold = true;
  for (let i = 0; i < stage.guards.length; i++) {
    const j = judgeGuard(stage.guards[i] as Guard, i, counts);
    if (j.trip !== null) return { allHold: false, trip: j.trip };
    if (!j.holds) allHold = false;
  }
  return { allHold, trip: null };
}

/** What the controller should do now: a new state, with the final step to perform when it completes. */
export interface Step {
  readonly state: RolloutState;
  /** Set when the transition completes the rollout: the real step to apply in the same write. */
  readonly finalStep: FinalStep | null;
}

function completion(r: RolloutRecord, now: number, by: RolloutTransition["by"]): Step {
  const finalStep = finalStepOf(r.plan.target);
  return { state: transition(r.state, now, "complete", by, { stage: -1, status: "completed" }), finalStep };
}

/**
 * The controller's move at `now` given the current stage's counts, or null when there is none:
 * - a tripped guard (running or paused) rolls back to the previous stage: status `rolled_back`;
 * - running, `auto`, the stage's `minSeconds` passed and every guard holding: the next stage, or
 *   after the last one the final step (with `confirm`), or `awaitingConfirmation` (without).
 */
export function evaluate(r: RolloutRecord, counts: StageCounts, now: number): Step | null {
  const s = r.state;
  if (!isLive(s) || s.stage < 0 || s.status === "rolled_back") return null;
  const judged = judgeStage(r, counts);
  if (judged.trip !== null) {
    const t = judged.trip;
    const note = `guard ${t.guard} tripped: ${t.refused} of ${t.decisions} refused with ${t.reason} (${t.percent} % > ${t.maxPercent} %)`;
    return { state: transition(s, now, "guard", "controller", { stage: s.stage - 1, status: "rolled_back" }, { trip: t, note }), finalStep: null };
  }
  if (s.status !== "running" || r.plan.advance !== "auto" || !judged.allHold) return null;
  const stage = r.plan.stages[s.stage] as RolloutStage;
  if (now < s.stageStartedAt + stage.minSeconds) return null;
  if (s.stage + 1 < r.plan.stages.length) return { state: transition(s, now, "auto_advance", "controller", { stage: s.stage + 1, status: "running" }), finalStep: null };
  if (r.plan.confirm !== undefined && r.plan.confirm === finalStepOf(r.plan.target)) return completion(r, now, "controller");
  if (s.awaitingConfirmation) return null;
  return { state: transition(s, now, "awaiting_confirmation", "controller", { stage: s.stage, status: "running", awaitingConfirmation: true }), finalStep: null };
}

/** Operator actions (`POST /admin/projects/:appId/rollout/{action}`). */
export const ROLLOUT_ACTIONS = ["advance", "pause", "resume", "rollback", "abort"] as const;
export type RolloutAction = (typeof ROLLOUT_ACTIONS)[number];

/**
 * An operator's action at `now`; throws {@link RolloutError} when it cannot be taken.
 * - `advance`: to the next stage (from `running`, `paused` or `rolled_back`; the status becomes
 *   `running`; a `confirm` there is refused, `not_at_last_stage`). From the last stage it performs the final step, which needs `confirm` equal to the
 *   plan's final step (`confirmation_required`) and every guard of the stage holding on `counts`
 *   (`guards_not_holding`); the stage's `minSeconds` is not waited for by hand.
 * - `pause`: `running` → `paused` (guards still roll back; nothing advances by itself).
 * - `resume`: `paused` or `rolled_back` → `running` at the same stage, its time counted anew.
 * - `rollback`: to the previous stage (-1 = no cohort), status `rolled_back`.
 * - `abort`: no cohort any more, status `aborted` (final).
 */
export function operate(r: RolloutRecord, action: RolloutAction, now: number, counts: StageCounts, confirm?: string): Step {
  const s = r.state;
  if (!isLive(s)) throw new RolloutError("rollout_finished", `the rollout is ${s.status}; put a new plan to start again`);
  switch (action) {
    case "advance": {
      if (s.stage + 1 < r.plan.stages.length) {
        // A confirmation names the final step: given before the last stage, it confirms nothing, and saying so beats advancing silently.
        if (confirm !== undefined) {
          const where = s.stage < 0 ? "before its first stage" : `at stage ${s.stage + 1} of ${r.plan.stages.length}`;
          throw new RolloutError("not_at_last_stage", `the rollout is ${where}: a confirmation only applies at the last stage; advance without it`);
        }
        return { state: transition(s, now, "advance", "operator", { stage: s.stage + 1, status: "running" }), finalStep: null };
      }
      const step = finalStepOf(r.plan.target);
      if (step === null || confirm !== step) {
        throw new RolloutError(
          "confirmation_required",
          `the next step is the real ${step ?? "step"}, which cannot be undone: confirm it with {"confirm":"${step ?? ""}"} (rtm-auth migrate advance --confirm ${step ?? ""})`,
        );
      }
      const judged = judgeStage(r, counts);
      if (!judged.allHold) {
        const why = judged.trip === null ? "a guard has not yet seen its minimum of decisions" : `guard ${judged.trip.guard} is tripped`;
        throw new RolloutError("guards_not_holding", `the last stage's guards do not hold (${why}); the final step is only taken when they do`);
      }
      return completion(r, now, "operator");
    }
    case "pause":
      if (s.status !== "running") throw new RolloutError("rollout_not_running", `only a running rollout can be paused; it is ${s.status}`);
      return { state: transition(s, now, "pause", "operator", { stage: s.stage, status: "paused", awaitingConfirmation: s.awaitingConfirmation }), finalStep: null };
    case "resume":
      if (s.status !== "paused" && s.status !== "rolled_back") throw new RolloutError("rollout_not_paused", `only a paused or rolled-back rollout can be resumed; it is ${s.status}`);
      return { state: transition(s, now, "resume", "operator", { stage: s.stage, status: "running" }), finalStep: null };
    case "rollback":
      if (s.stage < 0) throw new RolloutError("nothing_to_roll_back", "no stage is applied");
      return { state: transition(s, now, "rollback", "operator", { stage: s.stage - 1, status: "rolled_back" }), finalStep: null };
    case "abort":
      return { state: transition(s, now, "abort", "operator", { stage: -1, status: "aborted" }), finalStep: null };
  }
}

/** The state after the final step was refused by the certificate lifecycle: paused, with the reason. */
export function finalStepRefused(s: RolloutState, now: number, by: RolloutTransition["by"], note: string): RolloutState {
  return transition(s, now, "final_step_refused", by, { stage: s.stage, status: "paused" }, { note });
}
