/**
 * `GET /admin/journal?appId=&uid=&op=&result=&reason=&faultId=&since=&limit=`
 * (docs/protocol.md, "Admin API"): the journal's matching decisions, newest first, as
 * `{entries, lastSeq, capacity}`.
 * `since` returns only entries with a larger `seq` (for polling); `limit` defaults to 100.
 * 409 `journal_disabled` when the gateway runs with `journalSize: 0`.
 */
import type { Router } from "express";
import { z } from "zod";
import { REASONS } from "../../core/errors.js";
import type { AdminDeps } from "./admin-deps.js";
import { AdminError } from "./errors.js";

/** Operations and results as the journal records them (gateway/sessions/decision.ts). */
export const JOURNAL_OPS = ["connect", "login", "renewToken", "logout", "session_end", "rollout"] as const;
export const JOURNAL_RESULTS = ["accepted", "refused", "ended", "unanswered", "dropped", "transition"] as const;

const count = (max: number) => z.string().regex(/^\d{1,10}$/, "must be a non-negative integer").transform(Number).pipe(z.number().int().min(0).max(max));

const JournalQuery = z.object({
  appId: z.string().max(256).optional(),
  uid: z.string().max(1024).optional(),
  op: z.enum(JOURNAL_OPS).optional(),
  result: z.enum(JOURNAL_RESULTS).optional(),
  reason: z.enum(REASONS).optional(),
  faultId: z.string().max(32).optional(),
  since: count(Number.MAX_SAFE_INTEGER).optional(),
  limit: count(1_000_000).pipe(z.number().min(1)).default(100),
});

export function journalRoutes(router: Router, deps: AdminDeps): void {
  router.get("/journal", (req, res) => {
    const journal = deps.journal ?? null;
    if (journal === null) throw new AdminError(409, "journal_disabled", "the journal is off (journalSize 0 / JOURNAL_SIZE=0)");
    const q = JournalQuery.parse(req.query);
    res.json({ entries: journal.query(q), lastSeq: journal.lastSeq, capacity: journal.capacity });
  });
}
