/**
 * `GET /admin/sessions?appId=&uid=` lists the live sessions of this gateway;
 * `DELETE /admin/sessions/:sessionId` kicks one: its client sees the ban sequence and the socket
 * closes with 4502 (docs/protocol.md, "Remote login and kicks").
 */
import type { Router } from "express";
import { z } from "zod";
import type { AdminDeps } from "./admin-deps.js";
import { AdminError } from "./errors.js";

const SessionFilter = z.object({
  appId: z.string().max(256).optional(),
  uid: z.string().max(1024).optional(),
});

export function sessionRoutes(router: Router, deps: AdminDeps): void {
  router.get("/sessions", (req, res) => {
    const q = SessionFilter.parse(req.query);
    const filter: { appId?: string; uid?: string } = {};
    if (q.appId !== undefined) filter.appId = q.appId;
    if (q.uid !== undefined) filter.uid = q.uid;
    res.json({ sessions: deps.sessions.list(filter) });
  });

  router.delete("/sessions/:sessionId", (req, res) => {
    if (!deps.sessions.kick(req.params.sessionId)) throw new AdminError(404, "session_not_found", "no such live session");
    res.status(204).end();
  });
}
