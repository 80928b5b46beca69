/**
 * The certificate lifecycle of a project (docs/agora-behaviour.md, "Certificates"):
 * enable primary / secondary, swap, delete secondary, delete primary (always 409), delete
 * "No certificate". Each step is core's pure function applied in one atomic store update; the
 * reply is the project view after the step. New certificates are 32 lowercase hex from the
 * CSPRNG, pending until now + `certActivationDelaySeconds` on the simulated clock.
 */
import type { Request, Response, Router } from "express";
import { z } from "zod";
import {
  deleteNoCertificate,
  deletePrimary,
  deleteSecondary,
  enablePrimary,
  enableSecondary,
  swapCertificates,
} from "../../core/certificate/project-lifecycle.js";
import type { ProjectUpdate } from "../../core/certificate/certificate-store.js";
import type { MigrationStep } from "../../core/protocol/admin.js";
import type { AdminDeps } from "./admin-deps.js";
import { writeOptions } from "./idempotency.js";
import { projectView } from "./project-view.js";
import { newCertificate, stored } from "./projects.js";
import { readinessOf } from "./readiness.js";

/** The query a step that cannot be undone takes: `dryRun` as `true` or `false`, nothing else. */
const StepQuery = z
  .object({
    // Under `query`, so that an error names it (`field: "query…"`), never the body.
    query: z
      .object({ dryRun: z.enum(["true", "false"], { message: 'must be given once, as "true" or "false"' }).optional() })
      .strict(),
  })
  .transform((q) => ({ dryRun: q.query.dryRun === "true" }));

export function certificateRoutes(router: Router, deps: AdminDeps): void {
  const { store, clock, config } = deps;

  /** Applies one lifecycle step and answers with the project view. */
  const step = (make: (appId: string) => ProjectUpdate) => async (req: Request<{ appId: string }>, res: Response) => {
    const appId = req.params.appId;
    const p = stored(await store.update(appId, make(appId), writeOptions(req)));
    res.json(projectView(p, clock.nowSeconds()));
  };

  /**
   * A step that cannot be undone, with `?dryRun=true` (docs/migration.md): the step's own checks
   * run on the current record (a step that would be refused is refused the same way), then the
   * answer is the readiness verdict of that step and nothing is written.
   */
  const guarded = (what: MigrationStep, make: (appId: string) => ProjectUpdate) => {
    const real = step(make);
    return async (req: Request<{ appId: string }>, res: Response) => {
      // Strict: anything but no query, `dryRun=true` or `dryRun=false` is a 400 (`dryRun=1`,
      // `dryrun=true`, a repeated or empty value), never the real step that cannot be undone.
      if (!StepQuery.parse({ query: req.query }).dryRun) return real(req, res);
      const appId = req.params.appId;
      make(appId)(store.get(appId));
      const report = await readinessOf(deps, appId);
      res.json({ dryRun: true, step: what, ...report.verdicts[what], windowSeconds: report.windowSeconds, readiness: report });
    };
  };

  router.post(
    "/projects/:appId/certificates/primary",
    step((appId) => (current) => enablePrimary(current, appId, newCertificate(deps, config.certActivationDelaySeconds))),
  );
  router.post(
    "/projects/:appId/certificates/secondary",
    step((appId) => (current) => enableSecondary(current, appId, newCertificate(deps, config.certActivationDelaySeconds))),
  );
  router.post(
    "/projects/:appId/certificates/swap",
    guarded("swap", (appId) => (current) => swapCertificates(current, appId)),
  );
  router.delete(
    "/projects/:appId/certificates/secondary",
    guarded("delete_secondary", (appId) => (current) => deleteSecondary(current, appId)),
  );
  router.delete("/projects/:appId/certificates/primary", (req) => {
    // Never allowed (404 for an unknown project, else 409 primary_not_deletable); nothing is
    // written, dry-run or not. The readiness verdict still tells what it would refuse.
    deletePrimary(store.get(req.params.appId), req.params.appId);
  });
  router.delete(
    "/projects/:appId/no-certificate",
    guarded("delete_no_certificate", (appId) => (current) => deleteNoCertificate(current, appId, clock.nowSeconds())),
  );
}
