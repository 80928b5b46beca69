/**
 * `POST /admin/reset`: back to the start state (gateway-protocol.md §3): every project is
 * removed and the simulated clock runs at real time again. Live sessions are left alone (their
 * projects are gone, so renewals fail) — no kick yet.
 */
import type { Router } from "express";
import type { AdminDeps } from "./admin-deps.js";

export function resetRoutes(router: Router, deps: AdminDeps): void {
  router.post("/reset", async (_req, res) => {
    await deps.store.clear();
    deps.clock.reset();
    res.status(204).end();
  });
}
