import { projectAuth, type ProjectAuth, type ProjectRecord } from "./project.js";

interface Entry {
  readonly version: number;
  readonly view: ProjectAuth;
  /** The view holds for `validFrom <= now < validUntil` (bounded by certificate activation times). */
  readonly validFrom: number;
  readonly validUntil: number;
}

/**
 * Memoises a project's auth view per record version, for as long as no pending certificate
 * activates. Keeps allocation off the login hot path; a clock that moves back is handled too.
 */
export class ProjectAuthCache {
  private readonly entries = new Map<string, Entry>();

  /** The auth view of `p` at `now`. */
  view(p: ProjectRecord, now: number): ProjectAuth {
    const e = this.entries.get(p.appId);
    if (e !== undefined && e.version === p.version && now >= e.validFrom && now < e.validUntil) return e.view;
    let validFrom = Number.NEGATIVE_INFINITY;
    let validUntil = Number.POSITIVE_INFINITY;
    for (const c of [p.primary, p.secondary]) {
      if (c === null) continue;
      if (c.activeAt > now) validUntil = Math.min(validUntil, c.activeAt);
      else validFrom = Math.max(validFrom, c.activeAt);
    }
    const view = projectAuth(p, now);
    this.entries.set(p.appId, { version: p.version, view, validFrom, validUntil });
    return view;
  }

  /** Forgets a project's view. */
  invalidate(appId: string): void {
    this.entries.delete(appId);
  }

  /** Forgets every view. */
  clear(): void {
    this.entries.clear();
  }
}
