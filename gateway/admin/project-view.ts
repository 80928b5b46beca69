/**
 * The admin API's view of a project (`GET /admin/projects/:appId`; docs/protocol.md, "Admin API"):
 * `{appId, mode, noCertificate, certificates: {primary, secondary}, shadow, rollout}`, each
 * certificate `null` or `{value, status, enabledAt, activeAt}`, at one instant of the simulated
 * clock; `shadow` the shadow target or null (docs/migration.md), `rollout` the staged rollout's
 * `{status, stage, stageName}` or null (docs/rollouts.md).
 */
import { authMode, isActive, type CertificateRecord, type ProjectRecord } from "../../core/certificate/project.js";
import type { CertificateView, ProjectView, RolloutSummary } from "../../core/protocol/admin.js";

export type { CertificateView, ProjectView };

function certificateView(c: CertificateRecord | null, now: number): CertificateView | null {
  if (c === null) return null;
  return { value: c.value, status: isActive(c, now) ? "active" : "pending", enabledAt: c.enabledAt, activeAt: c.activeAt };
}

function rolloutSummary(p: ProjectRecord): RolloutSummary | null {
  const r = p.rollout;
  if (r === undefined) return null;
  const s = r.state;
  return { status: s.status, stage: s.stage, stageName: s.stage >= 0 ? (r.plan.stages[s.stage]?.name ?? null) : null };
}

/** The view of `p` at `now` (Unix seconds). */
export function projectView(p: ProjectRecord, now: number): ProjectView {
  return {
    appId: p.appId,
    mode: authMode(p, now),
    noCertificate: p.noCertificate,
    certificates: { primary: certificateView(p.primary, now), secondary: certificateView(p.secondary, now) },
    shadow: p.shadow ?? null,
    rollout: rolloutSummary(p),
  };
}
