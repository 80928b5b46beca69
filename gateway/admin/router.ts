/**
 * The admin API router, mounted at `/admin` (docs/protocol.md, "Admin API"). Order matters: the
 * cross-site guard first (a browser's request on behalf of another site is refused before
 * anything else), then auth (an unauthenticated body is never parsed), then JSON-only (415 for any
 * other body), then a small JSON body limit, then one file per resource, then 404, then the ONE
 * error serialiser. docs/admin-api-security.md says what is refused and why.
 */
import express, { type Router } from "express";
import type { AdminDeps } from "./admin-deps.js";
import { createAdminAuth } from "./admin-auth.js";
import { certificateRoutes } from "./certificates.js";
import { clockRoutes } from "./clock.js";
import { crossSiteGuard } from "./cross-site.js";
import { decisionCountRoutes } from "./decision-counts.js";
import { adminErrorHandler, adminNotFound } from "./errors.js";
import { explainRoutes } from "./explain.js";
import { faultRoutes } from "./faults.js";
import { journalRoutes } from "./journal.js";
import { jsonOnly } from "./json-only.js";
import { openapiRoutes } from "./openapi.js";
import { POPULATE_BODY_LIMIT_BYTES, populateRoutes } from "./populate.js";
import { projectRoutes } from "./projects.js";
import { readinessRoutes } from "./readiness.js";
import { shadowRoutes } from "./shadow.js";
import { resetRoutes } from "./reset.js";
import { rolloutRoutes } from "./rollouts.js";
import { sessionRoutes } from "./sessions.js";
import { tokenRoutes } from "./tokens.js";

/** Largest admin request body. The biggest real one (explain with a 2 KiB token) is far below. */
export const ADMIN_BODY_LIMIT_BYTES = 16 * 1024;

/** Registers every admin route on `router` (no middleware): the route table the OpenAPI test reads. */
export function registerAdminRoutes(router: Router, deps: AdminDeps): void {
  projectRoutes(router, deps);
  certificateRoutes(router, deps);
  readinessRoutes(router, deps);
  shadowRoutes(router, deps);
  rolloutRoutes(router, deps);
  tokenRoutes(router, deps);
  explainRoutes(router, deps);
  sessionRoutes(router, deps);
  clockRoutes(router, deps);
  resetRoutes(router, deps);
  populateRoutes(router, deps);
  faultRoutes(router, deps);
  journalRoutes(router, deps);
  decisionCountRoutes(router, deps);
  openapiRoutes(router);
}

/** The admin router. Throws a TypeError when both ADMIN_JWT_SECRET and ADMIN_JWKS_URL are set. */
export function createAdminRouter(deps: AdminDeps): Router {
  const router = express.Router();
  router.use(crossSiteGuard);
  router.use(createAdminAuth(deps.config, deps.logger));
  router.use(jsonOnly);
  // A world of many projects is bigger than any other admin body; the general parser then skips it.
  router.use("/populate", express.json({ limit: POPULATE_BODY_LIMIT_BYTES, strict: true }));
  router.use(express.json({ limit: ADMIN_BODY_LIMIT_BYTES, strict: true }));
  registerAdminRoutes(router, deps);
  router.use(adminNotFound);
  router.use(adminErrorHandler(deps.logger));
  return router;
}
