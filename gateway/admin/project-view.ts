/**
 * The admin API's view of a project (gateway-protocol.md §3, `GET /admin/projects/:appId`):
 * `{appId, mode, noCertificate, certificates: {primary, secondary}}`, each certificate `null` or
 * `{value, status, enabledAt, activeAt}`, at one instant of the simulated clock.
 */
import { authMode, isActive, type CertificateRecord, type ProjectRecord } from "../../core/certificate/project.js";
import type { CertificateView, ProjectView } from "../../core/protocol/admin.js";

export type { CertificateView, ProjectView };

function certificateView(c: CertificateRecord | null, now: number): CertificateView | null {
  if (c === null) return null;
  return { value: c.value, status: isActive(c, now) ? "active" : "pending", enabledAt: c.enabledAt, activeAt: c.activeAt };
}

/** The view of `p` at `now` (Unix seconds). */
export function projectView(p: ProjectRecord, now: number): ProjectView {
  return {
    appId: p.appId,
    mode: authMode(p, now),
    noCertificate: p.noCertificate,
    certificates: { primary: certificateView(p.primary, now), secondary: certificateView(p.secondary, now) },
  };
}
