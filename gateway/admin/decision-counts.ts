/**
 * `GET /admin/decision-counts` (docs/console.md, "Live updates"): the gateway's cumulative decision
 * counts since it started, by operation, result and reason, with the live sessions now and the
 * gateway's monotonic time. A caller that reads it twice divides the difference of the counts by the
 * difference of `uptimeMs` and gets decisions per second by reason: that is how the console's live
 * chart is drawn.
 *
 * The counts are those of `rtm_auth_attempts_total` (gateway/infra/metrics.ts), read the way a
 * Prometheus scrape reads them, summed over the labels the chart does not show (mode, credential,
 * slot, profile). The login path does no work for this endpoint: it only reads what the metrics
 * already count, and costs nothing while no one calls it. The label values come from closed lists,
 * so the answer holds at most (ops × results × reasons) rows, a few hundred at most.
 *
 * Reply: `{"counts": [{"op", "result", "reason", "count"}…], "activeSessions": n, "uptimeMs": t}`,
 * rows with a count of 0 left out, sorted by op, result and reason. The counts never go down while the
 * gateway runs (`POST /admin/reset` does not reset them); they start at 0 when it restarts. They are
 * this gateway's alone, also when several gateways share a Redis. 409 `decision_counts_unavailable`
 * when the gateway was built without metrics.
 */
import type { Router } from "express";
import type { Registry } from "prom-client";
import { METRICS } from "../infra/metrics.js";
import type { AdminDeps } from "./admin-deps.js";
import { AdminError } from "./errors.js";

/** One row of `GET /admin/decision-counts`: decisions of one op, result and reason since start. */
export interface DecisionCount {
  /** `connect` (a fault decided it), `login`, `renewToken` or `logout`. */
  readonly op: string;
  /** `accepted`, `refused`, `unanswered` or `dropped`. */
  readonly result: string;
  /** `ok` for accepts, else the refusal reason (docs/reasons.md). */
  readonly reason: string;
  /** Decisions since the gateway started (never reset while it runs). */
  readonly count: number;
}

/** The reply of `GET /admin/decision-counts`. */
export interface DecisionCountsView {
  readonly counts: readonly DecisionCount[];
  /** Logged-in sessions on this gateway now. */
  readonly activeSessions: number;
  /** The gateway's monotonic time when the counts were read, milliseconds since the process started. */
  readonly uptimeMs: number;
}

/**
 * Reads the cumulative counts of `rtm_auth_attempts_total` from `registry` (the same collection a
 * scrape does), summed by op, result and reason. Resolves to [] when the metric is not registered.
 */
export async function readDecisionCounts(registry: Registry): Promise<DecisionCount[]> {
  const metric = registry.getSingleMetric(METRICS.attempts.name);
  if (metric === undefined) return [];
  const { values } = await metric.get();
  const sums = new Map<string, { op: string; result: string; reason: string; count: number }>();
  for (const v of values) {
    if (v.value === 0) continue;
    const op = String(v.labels["op"] ?? "none");
    const result = String(v.labels["result"] ?? "none");
    const reason = String(v.labels["reason"] ?? "none");
    const key = `${op} ${result} ${reason}`;
    const row = sums.get(key);
    if (row === undefined) sums.set(key, { op, result, reason, count: v.value });
    else row.count += v.value;
  }
  return [...sums.values()].sort((a, b) => a.op.localeCompare(b.op) || a.result.localeCompare(b.result) || a.reason.localeCompare(b.reason));
}

/** Registers `GET /decision-counts` (the file's header gives its shape) on the admin router. */
export function decisionCountRoutes(router: Router, deps: AdminDeps): void {
  router.get("/decision-counts", async (_req, res) => {
    if (deps.decisionCounts === undefined) throw new AdminError(409, "decision_counts_unavailable", "this gateway keeps no decision counts");
    const counts = await deps.decisionCounts();
    const view: DecisionCountsView = { counts, activeSessions: deps.sessions.sessionCount, uptimeMs: Math.round(performance.now() * 1000) / 1000 };
    res.json(view);
  });
}
