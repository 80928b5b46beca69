/**
 * Notices when a project's certificates are swapped ("Set as primary"), on this gateway or another
 * sharing its store, so that what is kept by slot can follow the certificates: the readiness
 * figures and the slots of live sessions (docs/migration.md, "Readiness"). A swap is a change after
 * which the primary holds the value the secondary held and the other way round.
 *
 * It keeps, per project, the two certificate values it last saw: the store's own copy holds them
 * anyway, and they are never logged. Bounded by the store's projects.
 */
import type { CertificateStore } from "../../core/certificate/certificate-store.js";
import type { ProjectRecord } from "../../core/certificate/project.js";

interface Seen {
  readonly primary: string | null;
  readonly secondary: string | null;
}

const seen = (p: ProjectRecord): Seen => ({ primary: p.primary?.value ?? null, secondary: p.secondary?.value ?? null });

/** True when `after` holds `before`'s two certificates in swapped slots. */
export function slotsSwapped(before: Seen, after: Seen): boolean {
  return before.primary !== null && before.secondary !== null && after.primary === before.secondary && after.secondary === before.primary;
}

/** Calls `onSwap(appId)` after each swap of a project's certificates. Returns the unsubscribe function. */
export function followSlotSwaps(store: CertificateStore, onSwap: (appId: string) => void): () => void {
  const last = new Map<string, Seen>();
  for (const p of store.list()) last.set(p.appId, seen(p));
  return store.onChange((appId) => {
    const p = store.get(appId);
    if (p === undefined) {
      last.delete(appId);
      return;
    }
    const before = last.get(appId);
    const now = seen(p);
    last.set(appId, now);
    if (before !== undefined && slotsSwapped(before, now)) onSwap(appId);
  });
}
