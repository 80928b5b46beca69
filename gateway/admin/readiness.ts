/**
 * `GET /admin/projects/:appId/readiness?windowSeconds=N` (docs/migration.md): what the logins of
 * the last N seconds of the simulated clock used (App ID or token, version, certificate slot,
 * distinct uids, the uids still on the App ID), the live sessions, and a verdict for each step
 * that cannot be undone. N defaults to, and is at most, the tracker's window (3600 s). With Redis,
 * every live gateway's figures (`scope`, `gateways`, `warning`; docs/migration.md "Several gateways").
 * 404 `project_not_found` for an unknown project; 400 `invalid_request` for a bad N.
 */
import type { Router } from "express";
import { z } from "zod";
import { deleteNoCertificate, deletePrimary, deleteSecondary, LifecycleError, swapCertificates } from "../../core/certificate/project-lifecycle.js";
import type { ProjectRecord } from "../../core/certificate/project.js";
import { MIGRATION_STEPS, type MigrationStep, type ReadinessReport } from "../../core/protocol/admin.js";
import type { AdminDeps } from "./admin-deps.js";
import { AdminError } from "./errors.js";

/** Each step's own checks, run on the current record to tell whether it is possible now. */
const STEP_CHECKS: Readonly<Record<MigrationStep, (p: ProjectRecord, appId: string, now: number) => unknown>> = {
  delete_no_certificate: (p, appId, now) => deleteNoCertificate(p, appId, now),
  delete_primary: (p, appId) => deletePrimary(p, appId),
  delete_secondary: (p, appId) => deleteSecondary(p, appId),
  swap: (p, appId) => swapCertificates(p, appId),
};

/**
 * The readiness report of a known project, or 404 (shared by the dry-runs). With Redis, the figures
 * of every live gateway sharing it (`scope: "cluster"`); without, or with Redis unreachable, this
 * gateway's alone (`scope: "local"`, and a `warning` when Redis could not be read): never a 5xx
 * for that (docs/migration.md, "Several gateways"). Each verdict says whether its step is possible
 * now (`allowed`), or the error code the step would get (`blockedBy`, e.g. `secondary_not_found`,
 * `primary_not_deletable`), checked on the record as it is after the figures were read.
 */
export async function readinessOf(deps: AdminDeps, appId: string, windowSeconds?: number): Promise<ReadinessReport> {
  const readiness = deps.readiness;
  if (readiness === undefined) throw new AdminError(409, "readiness_disabled", "this gateway keeps no readiness figures");
  if (deps.store.get(appId) === undefined) throw new AdminError(404, "project_not_found", `no project ${appId}`);
  const now = deps.clock.nowSeconds();
  const report = await readiness.clusterReport(appId, now, windowSeconds ?? readiness.maxWindowSeconds, deps.sessions.list({ appId }), deps.sessions.shadows.get(appId) ?? null);
  // Read again: the project may have changed (or gone) while the other gateways' figures were read.
  const record = deps.store.get(appId);
  if (record === undefined) throw new AdminError(404, "project_not_found", `no project ${appId}`);
  const verdicts = { ...report.verdicts };
  for (const step of MIGRATION_STEPS) {
    // Deleting the last certificate while "No certificate" stays makes the project App ID only:
    // its tokens are then refused as token_not_accepted, not invalid_signature (the shadow agrees).
    const v0 = verdicts[step];
    const other = step === "delete_primary" ? record.secondary : step === "delete_secondary" ? record.primary : undefined;
    if (other === null && record.noCertificate && v0.reason === "invalid_signature") {
      verdicts[step] = { ...v0, reason: "token_not_accepted", summary: v0.summary.replace("invalid_signature", "token_not_accepted") };
    }
    try {
      STEP_CHECKS[step](record, appId, now);
    } catch (err) {
      if (!(err instanceof LifecycleError)) throw err;
      const v = verdicts[step];
      verdicts[step] = { ...v, allowed: false, blockedBy: err.code, summary: `${v.summary}; the step is not possible now (${err.code})` };
    }
  }
  return { ...report, verdicts };
}

export function readinessRoutes(router: Router, deps: AdminDeps): void {
  const max = deps.readiness?.maxWindowSeconds ?? 3600;
  // Parsed under `query` so that an error names it (`field: "query…"`), never the body.
  const Query = z.object({
    query: z
      .object({
        windowSeconds: z
          .string({ error: `must be one whole number of seconds from 1 to ${max}` })
          .regex(/^\d+$/, `must be a whole number of seconds from 1 to ${max}`)
          .transform(Number)
          .pipe(z.number().int().min(1, `must be a whole number of seconds from 1 to ${max}`).max(max, `must be a whole number of seconds from 1 to ${max}`))
          .optional(),
      })
      .strict(),
  });
  router.get("/projects/:appId/readiness", async (req, res) => {
    const q = Query.parse({ query: req.query }).query;
    res.json(await readinessOf(deps, req.params.appId, q.windowSeconds));
  });
}
