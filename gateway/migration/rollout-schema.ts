/**
 * The rollout plan as a client writes it (`PUT /admin/projects/:appId/rollout`, `populate`,
 * `rtm-auth migrate plan`), validated, with defaults filled in; and the stored rollout record as
 * read back from Redis. Shapes and limits: docs/rollouts.md, "The plan".
 */
import { z } from "zod";
import { REASONS } from "../../core/errors.js";
import { uidPatternProblem } from "../../core/fault/uid-pattern.js";
import { FINAL_STEPS, finalStepOf, ROLLOUT_STATUSES, TRANSITION_CAUSES, type RolloutPlan, type RolloutRecord } from "../../core/rollout/rollout.js";

/** At most this many stages per plan, guards per stage. */
export const MAX_STAGES = 20;
export const MAX_GUARDS = 10;
/** The longest `minSeconds` of a stage: one year. */
export const MAX_STAGE_SECONDS = 366 * 86_400;

const Target = z.discriminatedUnion("target", [
  z.object({ target: z.literal("token_only") }).strict(),
  z.object({ target: z.literal("delete_certificate"), slot: z.enum(["primary", "secondary"]) }).strict(),
]);

const PERCENT = "must be above 0 and at most 100";
const COHORT_SHAPE = 'a cohort is {"percent": P} (0 < P ≤ 100, by stable hash) or {"uidPattern": "glob or /regex/"}: exactly one of the two';

/** One object with exactly one of `percent` and `uidPattern` (a typo gets both the unknown key and the shape named). */
const Cohort = z
  .object({ percent: z.number(PERCENT).gt(0, PERCENT).max(100, PERCENT).optional(), uidPattern: z.string().optional() }, { error: (iss) => (iss.code === "invalid_type" ? COHORT_SHAPE : undefined) })
  .strict()
  .superRefine((c, ctx) => {
    if ((c.percent === undefined) === (c.uidPattern === undefined)) {
      ctx.addIssue({ code: "custom", message: COHORT_SHAPE });
      return;
    }
    const problem = c.uidPattern === undefined ? null : uidPatternProblem(c.uidPattern);
    if (problem !== null) ctx.addIssue({ code: "custom", path: ["uidPattern"], message: problem });
  })
  .transform((c): { percent: number } | { uidPattern: string } => (c.percent !== undefined ? { percent: c.percent } : { uidPattern: c.uidPattern as string }));

const GUARD_REASONS = [...REASONS.filter((r) => r !== "ok"), "any"] as const;

const Guard = z
  .object({
    reason: z.enum(GUARD_REASONS),
    maxPercent: z.number().min(0).max(100),
    minLogins: z.number().int().min(1).max(1_000_000_000),
    op: z.enum(["login", "renewToken", "any"]).default("login"),
  })
  .strict();

const Stage = z
  .object({
    name: z.string().min(1).max(64),
    cohort: Cohort,
    minSeconds: z.number().int().min(0).max(MAX_STAGE_SECONDS),
    guards: z.array(Guard).max(MAX_GUARDS).default([]),
  })
  .strict();

/** A plan as written by a client. */
export const RolloutPlanBody = z
  .object({
    target: Target,
    stages: z.array(Stage).min(1).max(MAX_STAGES),
    advance: z.enum(["auto", "manual"]).default("auto"),
    confirm: z.enum(FINAL_STEPS).optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    const step = finalStepOf(p.target);
    if (step === null) {
      ctx.addIssue({ code: "custom", path: ["target"], message: "a primary certificate cannot be deleted (Agora's console refuses it): swap, then roll out deleting the secondary" });
    } else if (p.confirm !== undefined && p.confirm !== step) {
      ctx.addIssue({ code: "custom", path: ["confirm"], message: `this plan's final step is ${step}, not ${p.confirm}` });
    }
    const names = new Set<string>();
    p.stages.forEach((s, i) => {
      if (names.has(s.name)) ctx.addIssue({ code: "custom", path: ["stages", i, "name"], message: `stage name ${JSON.stringify(s.name)} is used twice` });
      names.add(s.name);
    });
  });

/** Validates a plan; throws a ZodError naming the path of each problem. */
export function parseRolloutPlan(body: unknown): RolloutPlan {
  return RolloutPlanBody.parse(body) as RolloutPlan;
}

const Trip = z.object({ guard: z.number(), reason: z.string(), refused: z.number(), decisions: z.number(), percent: z.number(), maxPercent: z.number() });
const Transition = z.object({
  at: z.number(),
  cause: z.enum(TRANSITION_CAUSES),
  by: z.enum(["operator", "controller"]),
  fromStage: z.number().int(),
  toStage: z.number().int(),
  status: z.enum(ROLLOUT_STATUSES),
  revision: z.number().int(),
  trip: Trip.optional(),
  note: z.string().optional(),
});
const State = z.object({
  status: z.enum(ROLLOUT_STATUSES),
  stage: z.number().int().min(-1),
  revision: z.number().int().min(0),
  stageRevision: z.number().int().min(0).optional(),
  startedAt: z.number(),
  stageStartedAt: z.number(),
  updatedAt: z.number(),
  awaitingConfirmation: z.boolean(),
  history: z.array(Transition).max(1000),
});
const StoredRollout = z.object({ plan: RolloutPlanBody, state: State });

/** A stored rollout in its exact shape, or undefined when it is not one (it is then dropped, never fatal). */
export function storedRollout(v: unknown): RolloutRecord | undefined {
  if (v === undefined || v === null) return undefined;
  const r = StoredRollout.safeParse(v);
  if (!r.success) return undefined;
  const data = r.data;
  const rec = { plan: data.plan, state: { ...data.state, stageRevision: data.state.stageRevision ?? data.state.revision } } as RolloutRecord;
  return rec.state.stage < rec.plan.stages.length ? rec : undefined;
}
