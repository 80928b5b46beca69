/**
 * `PUT /admin/projects/:appId/shadow` `{"target":"token_only"}` or
 * `{"target":"delete_certificate","slot":"primary"|"secondary"}` sets the project's shadow
 * target; `GET` reads it (`{"appId", "target": … | null}`); `DELETE` clears it (204; 404
 * `shadow_not_set` when none). Every login and renew is then decided again against the target
 * (docs/migration.md). The target is kept in the project's record: every gateway sharing the store
 * applies it. A store that cannot be written answers 503 as any admin write does.
 */
import type { Router } from "express";
import { z } from "zod";
import type { AdminDeps } from "./admin-deps.js";
import { AdminError } from "./errors.js";

const ShadowBody = z.discriminatedUnion("target", [
  z.object({ target: z.literal("token_only") }).strict(),
  z.object({ target: z.literal("delete_certificate"), slot: z.enum(["primary", "secondary"]) }).strict(),
]);

export function shadowRoutes(router: Router, deps: AdminDeps): void {
  const known = (appId: string): void => {
    if (deps.store.get(appId) === undefined) throw new AdminError(404, "project_not_found", `no project ${appId}`);
  };
  router.get("/projects/:appId/shadow", (req, res) => {
    known(req.params.appId);
    res.json({ appId: req.params.appId, target: deps.sessions.shadows.get(req.params.appId) ?? null });
  });
  router.put("/projects/:appId/shadow", async (req, res) => {
    known(req.params.appId);
    const target = ShadowBody.parse(req.body);
    await deps.sessions.shadows.set(req.params.appId, target);
    res.json({ appId: req.params.appId, target });
  });
  router.delete("/projects/:appId/shadow", async (req, res) => {
    known(req.params.appId);
    if (!(await deps.sessions.shadows.clear(req.params.appId))) throw new AdminError(404, "shadow_not_set", "this project has no shadow target");
    res.status(204).end();
  });
}
