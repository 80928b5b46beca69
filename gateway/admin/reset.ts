/**
 * `POST /admin/reset`: back to the start state (docs/protocol.md, "Admin API"), as if the gateway had
 * just been restarted:
 * - every connection is closed with 4002 (the restart code: the client may reconnect; a logged-in
 *   client sees an unexplained drop, rtm1 ABORTED/INTERRUPTED, rtm2 FAILED/SERVER_REJECT);
 * - every fault rule is removed and pending fault delays are cancelled (rule ids restart at f1);
 * - every project is removed;
 * - the simulated clock runs at real time again;
 * - the journal is emptied (its seq restarts at 1);
 * - with the dev seed on (`DEV_SEED`, the default of `rtm-auth serve`), the dev projects are
 *   seeded again in their start state (certificates active from the reset), as a restart would.
 *
 * Answer: 204 with the dev seed off; 200 `{devSeed: true, projects: [App ID, …], message}` with it
 * on, naming the dev projects that exist again. A store that cannot be written answers 503 as
 * every write does (gateway/admin/errors.ts).
 */
import type { Router } from "express";
import { DEV_PROJECTS, seedDevProjects } from "../dev-seed.js";
import type { AdminDeps } from "./admin-deps.js";
import { writeOptions } from "./idempotency.js";

/** The 200 answer of a reset with the dev seed on. */
export interface ResetReply {
  readonly devSeed: true;
  /** The dev projects' App IDs, in DEV_PROJECTS order (gateway/dev-seed.ts). */
  readonly projects: readonly string[];
  /** One sentence for a human reading the answer. */
  readonly message: string;
}

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
    if (!deps.config.devSeed) {
      res.status(204).end();
      return;
    }
    await seedDevProjects(deps.store, deps.clock.nowSeconds());
    deps.logger.warn({ projects: DEV_PROJECTS.map((p) => p.appId) }, "reset: the dev projects (public, fixed credentials) are seeded again; start with --no-dev-seed for an empty gateway");
    const reply: ResetReply = {
      devSeed: true,
      projects: DEV_PROJECTS.map((p) => p.appId),
      message: "reset done; the dev seed is on, so the dev projects were seeded again (start with --no-dev-seed or DEV_SEED=0 for none)",
    };
    res.json(reply);
  });
}
