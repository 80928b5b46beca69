/**
 * Staged rollouts through the admin API (docs/rollouts.md, "Admin API"):
 *
 * - `PUT /admin/projects/:appId/rollout`, body the plan (gateway/migration/rollout-schema.ts):
 *   starts it at its first stage now → 201 with the {@link RolloutView}. 400 `invalid_request`
 *   naming the plan's path (`stages.0.cohort.percent`); 404 `project_not_found`; 409
 *   `rollout_in_progress` while the project's rollout is running or paused (abort it first).
 * - `GET /admin/projects/:appId/rollout` → 200 RolloutView; 404 `project_not_found`,
 *   `rollout_not_found`.
 * - `POST /admin/projects/:appId/rollout/:action`, action `advance`, `pause`, `resume`,
 *   `rollback` or `abort`, optional body `{"confirm": "delete_no_certificate" | "delete_secondary",
 *   "revision": N}` (nothing else; `revision`: act only if the rollout is still at that revision,
 *   else 409 `revision_mismatch` at once) → 200 RolloutView. 404 `unknown_action`, `project_not_found`,
 *   `rollout_not_found`; 409 with the state machine's code (`rollout_finished`,
 *   `rollout_not_running`, `rollout_not_paused`, `confirmation_required`, `guards_not_holding`,
 *   `nothing_to_roll_back`, `revision_mismatch`), or the certificate step's own code when the final
 *   step is refused (`primary_not_active`, `no_certificate_deleted`, `secondary_not_found`, …).
 *
 * Every route answers 409 `rollouts_disabled` when the gateway runs no rollout controller. The
 * writes are store writes: `Idempotency-Key` applies one at most once (a repeat answers with the
 * rollout as it is now), and a store that cannot be written answers 503 `store_unavailable`
 * (nothing changed) or `outcome_unknown` (it may have been), as every admin write does.
 */
import type { Request, Router } from "express";
import { z } from "zod";
import type { RolloutView } from "../../core/protocol/admin.js";
import { FINAL_STEPS, ROLLOUT_ACTIONS, RolloutError, type RolloutAction } from "../../core/rollout/rollout.js";
import type { RolloutController } from "../migration/rollout-controller.js";
import { parseRolloutPlan } from "../migration/rollout-schema.js";
import type { AdminDeps } from "./admin-deps.js";
import { AdminError } from "./errors.js";
import { writeOptions } from "./idempotency.js";
import { requireProject } from "./projects.js";

/** The optional body of an action: the final step's confirmation, and the revision the operator saw. */
const ActionBody = z.object({ confirm: z.enum(FINAL_STEPS).optional(), revision: z.number().int().min(0).optional() }).strict();

const isAction = (s: string): s is RolloutAction => (ROLLOUT_ACTIONS as readonly string[]).includes(s);

/** Registers the three rollout routes (the file's header gives their shapes and errors) on `router`. */
export function rolloutRoutes(router: Router, deps: AdminDeps): void {
  const controller = (): RolloutController => {
    if (deps.rollouts === undefined) throw new AdminError(409, "rollouts_disabled", "this gateway runs no staged rollouts");
    return deps.rollouts;
  };

  /** The view after a write; the rollout exists (it was just written), so undefined is a bug. */
  const viewOf = async (c: RolloutController, appId: string): Promise<RolloutView> => {
    const v = await c.view(appId);
    if (v === undefined) throw new RolloutError("rollout_not_found", `project ${appId} has no rollout`);
    return v;
  };

  router.get("/projects/:appId/rollout", async (req: Request<{ appId: string }>, res) => {
    const c = controller();
    requireProject(deps.store, req.params.appId);
    const v = await c.view(req.params.appId);
    if (v === undefined) throw new RolloutError("rollout_not_found", "this project has no rollout: put a plan first");
    res.json(v);
  });

  router.put("/projects/:appId/rollout", async (req: Request<{ appId: string }>, res) => {
    const c = controller();
    const appId = req.params.appId;
    requireProject(deps.store, appId);
    const plan = parseRolloutPlan(req.body);
    const write = writeOptions(req);
    try {
      await c.put(appId, plan, write.idempotencyKey);
    } catch (err) {
      // The controller says rollout_not_found when the project itself is gone (deleted meanwhile).
      if (err instanceof RolloutError && err.code === "rollout_not_found") requireProject(deps.store, appId);
      throw err;
    }
    res.status(201).json(await viewOf(c, appId));
  });

  router.post("/projects/:appId/rollout/:action", async (req: Request<{ appId: string; action: string }>, res) => {
    const { appId, action } = req.params;
    if (!isAction(action)) throw new AdminError(404, "unknown_action", `no rollout action ${JSON.stringify(action)}: ${ROLLOUT_ACTIONS.join(", ")}`);
    const c = controller();
    requireProject(deps.store, appId);
    const body = ActionBody.parse(req.body ?? {});
    const write = writeOptions(req);
    await c.act(appId, action, {
      ...(body.confirm === undefined ? {} : { confirm: body.confirm }),
      ...(body.revision === undefined ? {} : { revision: body.revision }),
      ...(write.idempotencyKey === undefined ? {} : { idempotencyKey: write.idempotencyKey }),
    });
    res.json(await viewOf(c, appId));
  });
}
