/**
 * Shadow decisions (docs/migration.md): per project, an optional target — "token only" (No
 * certificate deleted) or "certificate X deleted" — against which every login and renew is
 * decided a second time, through the same `decide()`. The client only ever sees the real
 * outcome; the shadow outcome goes into the decision (journal, metrics, readiness).
 *
 * The second decision reuses the first where the certificate set is the same: with "token only",
 * a token login's outcome is the real one (same certificates, same checks), and only App-ID
 * logins are decided again (no HMAC). With "certificate X deleted", only logins whose token
 * reached the token check are decided again, against the remaining certificates. Session and
 * rate refusals are the real ones: the target does not change them, and the rate windows are
 * never counted twice. With no target set anywhere, `armed` is false and a login pays one read.
 *
 * A target lives in its project's record (`ProjectRecord.shadow`), so every gateway sharing a
 * Redis store applies the same target, and it survives a restart.
 */
import type { CertificateSlot } from "../../core/certificate/active-certificate.js";
import type { CertificateStore } from "../../core/certificate/certificate-store.js";
import { targetView } from "../../core/certificate/target-view.js";
import type { ShadowOutcome, ShadowTarget } from "../../core/protocol/admin.js";
import { decide, type AuthContext, type Refusal } from "../../policies/index.js";

export type { ShadowOutcome, ShadowTarget } from "../../core/protocol/admin.js";

/** The checks after which the target can change an outcome (before them it cannot). */
const TARGET_CHECKS: ReadonlySet<string> = new Set(["project-exists", "auth-mode", "token-valid"]);
/** A rate window that never refuses: the shadow run must not count a call twice. */
const NO_RATE = { hit: () => true };

/** The label of a target (the `target` label of rtm_auth_shadow_decisions_total). */
export function targetLabel(t: ShadowTarget): string {
  return t.target === "token_only" ? "token_only" : `delete_${t.slot}`;
}

export class ShadowTargets {
  /** True while any project has a target (a login of a project without one then pays one store read). */
  armed = false;
  private readonly store: CertificateStore;
  /** Projects whose record holds a target, kept current by the store's change events (local or remote). */
  private readonly withTarget = new Set<string>();
  private readonly unsubscribe: () => void;

  /** Targets live in the project records of `store`, so every gateway sharing it applies them. */
  constructor(store: CertificateStore) {
    this.store = store;
    for (const p of store.list()) this.track(p.appId);
    this.unsubscribe = store.onChange((appId) => this.track(appId));
  }

  /** The project's target, or undefined. */
  get(appId: string): ShadowTarget | undefined {
    return this.store.get(appId)?.shadow;
  }

  /** Sets (or replaces) a project's target, in its record. Rejects as a store write does (StoreUnavailable, …). */
  async set(appId: string, target: ShadowTarget): Promise<void> {
    await this.store.update(appId, (p) => (p === undefined ? undefined : { ...p, shadow: target }));
    this.track(appId);
  }

  /** Clears a project's target; false when it had none. */
  async clear(appId: string): Promise<boolean> {
    let had = false;
    await this.store.update(appId, (p) => {
      if (p?.shadow === undefined) return p;
      had = true;
      const { shadow: _cleared, ...rest } = p;
      return rest;
    });
    this.track(appId);
    return had;
  }

  /** Forgets what it knows (admin reset: the store is cleared too). */
  clearAll(): void {
    this.withTarget.clear();
    this.armed = false;
  }

  /** Stops following the store. */
  close(): void {
    this.unsubscribe();
  }

  private track(appId: string): void {
    if (this.store.get(appId)?.shadow !== undefined) this.withTarget.add(appId);
    else this.withTarget.delete(appId);
    this.armed = this.withTarget.size > 0;
  }

  /**
   * The shadow outcome of a decided login or renew (`ctx` after the real `decide()`, `real` its
   * refusal or undefined), or null when the project has no target.
   */
  decide(ctx: AuthContext, real: Refusal | undefined): ShadowOutcome | null {
    const t = this.store.get(ctx.appId)?.shadow;
    if (t === undefined) return null;
    const label = targetLabel(t);
    const same = (): ShadowOutcome => (real === undefined ? outcome(label, "accepted", "ok") : outcome(label, "refused", real.reason));
    if (real !== undefined && !TARGET_CHECKS.has(ctx.failedCheck ?? "")) return same();
    if (ctx.project === undefined) return same();
    if (t.target === "token_only" && ctx.token !== null) return same();
    if (t.target === "delete_certificate") {
      if (ctx.token === null) return same();
      const usedDeleted = real === undefined && ctx.slot === (t.slot as CertificateSlot);
      if (real === undefined && !usedDeleted) return same();
      if (real !== undefined && ctx.failedCheck !== "token-valid") return same();
    }
    const view = targetView(ctx.project, t);
    const again: AuthContext = {
      op: ctx.op,
      profile: ctx.profile,
      appId: ctx.appId,
      uid: ctx.uid,
      token: ctx.token,
      now: ctx.now,
      monotonicMs: ctx.monotonicMs,
      session: { ...ctx.session, rate: NO_RATE },
      settings: ctx.settings,
      lookupProject: () => view,
    };
    const refusal = decide(again);
    return refusal === undefined ? outcome(label, "accepted", "ok") : outcome(label, "refused", refusal.reason);
  }
}

/** Outcomes are interned (targets × results × reasons: a small closed set): none is allocated per login. */
const OUTCOMES = new Map<string, Map<string, ShadowOutcome>>();

function outcome(target: string, result: ShadowOutcome["result"], reason: string): ShadowOutcome {
  let byReason = OUTCOMES.get(target);
  if (byReason === undefined) OUTCOMES.set(target, (byReason = new Map()));
  // "ok" only ever comes with "accepted", every other reason with "refused".
  let o = byReason.get(reason);
  if (o === undefined) byReason.set(reason, (o = Object.freeze({ target, result, reason })));
  return o;
}
