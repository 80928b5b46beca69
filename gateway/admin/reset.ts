/**
 * `POST /admin/reset`: back to the start state (gateway-protocol.md §3), as if the gateway had
 * just been restarted:
 * - every connection is closed with 4002 (the restart code: the client may reconnect; a logged-in
 *   client sees an unexplained drop, rtm1 ABORTED/INTERRUPTED, rtm2 FAILED/SERVER_REJECT);
 * - every fault rule is removed and pending fault delays are cancelled (rule ids restart at f1);
 * - every project is removed;
 * - the simulated clock runs at real time again;
 * - the journal is emptied (its seq restarts at 1).
 */
import type { Router } from "express";
import type { AdminDeps } from "./admin-deps.js";
import { writeOptions } from "./idempotency.js";

export function resetRoutes(router: Router, deps: AdminDeps): void {
  router.post("/reset", async (req, res) => {
    const write = writeOptions(req);
    deps.sessions.closeAll("gateway reset");
    deps.sessions.faults.clearAll();
    await deps.store.clear(write);
    deps.clock.reset();
    deps.journal?.clear();
    deps.readiness?.clear();
    deps.sessions.shadows.clearAll();
    res.status(204).end();
  });
}
