/**
 * `GET /admin/projects/:appId/readiness?windowSeconds=N` (docs/migration.md): what the logins of
 * the last N seconds of the simulated clock used (App ID or token, version, certificate slot,
 * distinct uids, the uids still on the App ID), the live sessions, and a verdict for each step
 * that cannot be undone. N defaults to, and is at most, the tracker's window (3600 s).
 * 404 `project_not_found` for an unknown project; 400 `invalid_request` for a bad N.
 */
import type { Router } from "express";
import { z } from "zod";
import type { ReadinessReport } from "../migration/readiness.js";
import type { AdminDeps } from "./admin-deps.js";
import { AdminError } from "./errors.js";

/** The readiness report of a known project, or 404 (shared by the dry-runs). */
export function readinessOf(deps: AdminDeps, appId: string, windowSeconds?: number): ReadinessReport {
  const readiness = deps.readiness;
  if (readiness === undefined) throw new AdminError(409, "readiness_disabled", "this gateway keeps no readiness figures");
  if (deps.store.get(appId) === undefined) throw new AdminError(404, "project_not_found", `no project ${appId}`);
  return readiness.report(appId, deps.clock.nowSeconds(), windowSeconds ?? readiness.maxWindowSeconds, deps.sessions.list({ appId }));
}

export function readinessRoutes(router: Router, deps: AdminDeps): void {
  const max = deps.readiness?.maxWindowSeconds ?? 3600;
  const Query = z.object({
    windowSeconds: z
      .string()
      .regex(/^\d+$/, "must be a whole number of seconds")
      .transform(Number)
      .pipe(z.number().int().min(1).max(max))
      .optional(),
  });
  router.get("/projects/:appId/readiness", (req, res) => {
    const q = Query.parse(req.query);
    res.json(readinessOf(deps, req.params.appId, q.windowSeconds));
  });
}
