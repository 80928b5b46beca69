/**
 * `/admin/faults` (docs/protocol.md, "Admin API"): protocol-aware fault rules.
 *
 * - `POST /admin/faults` {rule} → 201 the rule with its id (`f1`, `f2`, … per gateway; `DELETE /admin/faults` keeps
 *   counting, `POST /admin/reset` restarts at `f1`)
 * - `GET /admin/faults` → `{faults: [rule…]}`, live rules in creation order (with `seen` and `fired`)
 * - `DELETE /admin/faults` → 204, every rule removed
 * - `DELETE /admin/faults/:id` → 204, or 404 `fault_not_found`
 *
 * The rule schema is validated here with zod (400 `invalid_request` naming the field); what the
 * fields mean is documented on FaultRuleSpec (core/fault/fault-rule.ts).
 */
import type { Router } from "express";
import { z } from "zod";
import { REASONS } from "../../core/errors.js";
import { FAULT_OPS, MAX_FAULT_DELAY_MS, type FaultRuleSpec } from "../../core/fault/fault-rule.js";
import { MAX_UID_PATTERN_LENGTH, uidPatternProblem } from "../../core/fault/uid-pattern.js";
import { TooManyFaultRules } from "../sessions/faults.js";
import type { AdminDeps } from "./admin-deps.js";
import { AdminError } from "./errors.js";

const FaultOp = z.enum(FAULT_OPS);
const FailureReason = z.enum(REASONS).exclude(["ok"]);

const FaultAction = z.discriminatedUnion("type", [
  z.object({ type: z.literal("delay"), ms: z.number().int().min(0).max(MAX_FAULT_DELAY_MS) }).strict(),
  z.object({ type: z.literal("fail"), reason: FailureReason.default("fault_injected") }).strict(),
  z.object({ type: z.literal("never_reply") }).strict(),
  z.object({ type: z.literal("drop") }).strict(),
  z.object({ type: z.literal("kick") }).strict(),
]);

/** The body of `POST /admin/faults`. */
export const FaultRuleBody = z
  .object({
    op: z.union([FaultOp, z.array(FaultOp).min(1).max(FAULT_OPS.length)]),
    appId: z.string().min(1).max(64).optional(),
    uid: z
      .string()
      .max(MAX_UID_PATTERN_LENGTH)
      .superRefine((p, ctx) => {
        const problem = uidPatternProblem(p);
        if (problem !== null) ctx.addIssue({ code: "custom", message: problem });
      })
      .optional(),
    nth: z.number().int().min(1).max(1_000_000_000).optional(),
    probability: z.number().min(0).max(1).optional(),
    seed: z.number().int().min(0).max(0xffff_ffff).optional(),
    count: z.number().int().min(1).max(1_000_000_000).optional(),
    ttlSeconds: z.number().positive().max(0xffff_ffff).optional(),
    action: FaultAction,
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.nth !== undefined && r.probability !== undefined) ctx.addIssue({ code: "custom", path: ["probability"], message: "nth and probability are exclusive" });
    if (r.seed !== undefined && r.probability === undefined) ctx.addIssue({ code: "custom", path: ["seed"], message: "a seed needs a probability" });
    const ops = typeof r.op === "string" ? [r.op] : r.op;
    if (ops.every((o) => o === "connect") && (r.appId !== undefined || r.uid !== undefined)) {
      ctx.addIssue({ code: "custom", path: [r.appId !== undefined ? "appId" : "uid"], message: "a connect has no App ID or uid to match" });
    }
  });

export function faultRoutes(router: Router, deps: AdminDeps): void {
  router.post("/faults", (req, res) => {
    const body = FaultRuleBody.parse(req.body);
    try {
      res.status(201).json(deps.sessions.faults.add(body as FaultRuleSpec));
    } catch (err) {
      if (err instanceof TooManyFaultRules) throw new AdminError(409, "too_many_faults", err.message);
      throw err;
    }
  });

  router.get("/faults", (_req, res) => {
    res.json({ faults: deps.sessions.faults.list() });
  });

  router.delete("/faults", (_req, res) => {
    deps.sessions.faults.clearRules();
    res.status(204).end();
  });

  router.delete("/faults/:id", (req, res) => {
    if (!deps.sessions.faults.remove(req.params.id)) throw new AdminError(404, "fault_not_found", "no such fault rule");
    res.status(204).end();
  });
}
