/**
 * Migration readiness per project (docs/migration.md): what the logins of a sliding window of the
 * simulated clock used, and what each step that cannot be undone would do to them.
 *
 * Fed by every decision (a DecisionObserver), for projects that exist only (a refusal with no
 * project, `unknown_app_id`, is not tracked, so random App IDs cannot grow it). Memory is bounded:
 * - counts live in {@link BUCKETS} time buckets per project covering `windowSeconds`;
 * - distinct uids per credential are exact up to `uidCap` uids (1000) (a map of uid → last login, least
 *   recently seen evicted first), and beyond that estimated from a 256-register HyperLogLog per
 *   bucket (about 6.5 % standard error; the answer says which);
 * - at most `maxProjects` projects are tracked (the least recently active one is dropped).
 *
 * The verdicts derive from what the accepted logins used: deleting "No certificate" refuses every
 * App-ID login (`token_required`), deleting a certificate refuses every token it verified
 * (`invalid_signature`), a swap refuses none. Live sessions come from the session manager.
 */
import type { ReadinessReport, ShadowTarget, StepVerdict } from "../../core/protocol/admin.js";
import type { SessionInfo } from "../../core/session/session.js";
import type { Decision, DecisionObserver } from "../sessions/decision.js";
import { DistinctSketch } from "./distinct-sketch.js";

/** Buckets per project window. */
export const BUCKETS = 60;

export interface ReadinessOptions {
  /** The longest window a query may ask for, seconds of the simulated clock. Default 3600. */
  readonly windowSeconds?: number;
  /** Uids kept exactly per credential and project. Default 1000. */
  readonly uidCap?: number;
  /** App-ID uids listed, most recent first. Default 100. */
  readonly recentCap?: number;
  /** Projects tracked at once. Default 1000. */
  readonly maxProjects?: number;
}

type Credential = "appid" | "token";

interface Bucket {
  /** Which bucket of time this is (floor(at / bucketSeconds)); stale when it differs. */
  n: number;
  appid: number;
  token: number;
  v006: number;
  v007: number;
  primary: number;
  secondary: number;
  refused: Map<string, number>;
  /** Logins a shadow target would have refused: "target reason" → count (targets kept apart). */
  shadowRefused: Map<string, number> | null;
  sketch: { appid: DistinctSketch | null; token: DistinctSketch | null };
}

interface UidSet {
  /** uid → last login (Unix seconds), least recent first. */
  readonly last: Map<string, number>;
  /** The most recent last-login of an evicted uid (exact only for windows that start after it). */
  evictedNewest: number;
}

class ProjectReadiness {
  readonly buckets: Array<Bucket | undefined> = new Array(BUCKETS);
  readonly uids: Record<Credential, UidSet> = { appid: { last: new Map(), evictedNewest: -Infinity }, token: { last: new Map(), evictedNewest: -Infinity } };
  readonly lastUse: { appid: number | null; primary: number | null; secondary: number | null } = { appid: null, primary: null, secondary: null };
}

export class ReadinessTracker {
  private readonly windowSeconds: number;
  private readonly bucketSeconds: number;
  private readonly uidCap: number;
  private readonly recentCap: number;
  private readonly maxProjects: number;
  /** Projects by App ID, least recently active first. */
  private readonly projects = new Map<string, ProjectReadiness>();

  constructor(options: ReadinessOptions = {}) {
    this.windowSeconds = options.windowSeconds ?? 3600;
    this.bucketSeconds = Math.max(1, Math.ceil(this.windowSeconds / BUCKETS));
    this.uidCap = options.uidCap ?? 1_000;
    this.recentCap = options.recentCap ?? 100;
    this.maxProjects = options.maxProjects ?? 1000;
    if (!(this.windowSeconds >= 1)) throw new RangeError("windowSeconds must be >= 1");
  }

  /** The longest window a report covers, seconds. */
  get maxWindowSeconds(): number {
    return this.windowSeconds;
  }

  /** Pass to the session manager's observers. */
  readonly observer: DecisionObserver = (d) => this.record(d);

  /** Forgets everything (admin reset). */
  clear(): void {
    this.projects.clear();
  }

  private record(d: Decision): void {
    if (d.op !== "login" || d.appId === "") return;
    if (d.shadow?.result === "refused" && (d.result === "accepted" || d.mode !== null)) {
      const b = this.bucket(this.project(d.appId), d.at);
      const m = (b.shadowRefused ??= new Map());
      const key = `${d.shadow.target} ${d.shadow.reason}`;
      m.set(key, (m.get(key) ?? 0) + 1);
    }
    if (d.result === "accepted") {
      const p = this.project(d.appId);
      const b = this.bucket(p, d.at);
      const credential: Credential = d.credential === "token" ? "token" : "appid";
      if (credential === "appid") {
        b.appid++;
        p.lastUse.appid = d.at;
      } else {
        b.token++;
        if (d.tokenVersion === "006") b.v006++;
        else if (d.tokenVersion === "007") b.v007++;
        if (d.slot === "primary") {
          b.primary++;
          p.lastUse.primary = d.at;
        } else if (d.slot === "secondary") {
          b.secondary++;
          p.lastUse.secondary = d.at;
        }
      }
      (b.sketch[credential] ??= new DistinctSketch()).add(d.uid);
      this.seen(p.uids[credential], d.uid, d.at);
    } else if (d.result === "refused" && d.mode !== null) {
      // A refusal with a known project (mode set): tracked; unknown App IDs never are.
      const b = this.bucket(this.project(d.appId), d.at);
      b.refused.set(d.reason, (b.refused.get(d.reason) ?? 0) + 1);
    }
  }

  /**
   * The report of `appId` over the last `windowSeconds` (rounded up to whole buckets, at most the
   * tracker's window) at `now`, with the live sessions of this gateway.
   */
  report(appId: string, now: number, windowSeconds: number, live: readonly SessionInfo[], shadowTarget: ShadowTarget | null = null): ReadinessReport {
    const window = Math.min(Math.max(1, Math.floor(windowSeconds)), this.windowSeconds);
    const p = this.projects.get(appId);
    const from = now - window; // the window is (from, now]
    const firstBucket = Math.floor((from + 1) / this.bucketSeconds);
    const lastBucket = Math.floor(now / this.bucketSeconds);
    let appid = 0;
    let token = 0;
    let v006 = 0;
    let v007 = 0;
    let primary = 0;
    let secondary = 0;
    const refused: Record<string, number> = {};
    const shadowRefused: Record<string, number> = {};
    const shadowPrefix = shadowTarget === null ? null : `${shadowTarget.target === "token_only" ? "token_only" : `delete_${shadowTarget.slot}`} `;
    const sketch = { appid: new DistinctSketch(), token: new DistinctSketch() };
    if (p !== undefined) {
      for (const b of p.buckets) {
        if (b === undefined || b.n < firstBucket || b.n > lastBucket) continue;
        appid += b.appid;
        token += b.token;
        v006 += b.v006;
        v007 += b.v007;
        primary += b.primary;
        secondary += b.secondary;
        for (const [reason, n] of b.refused) refused[reason] = (refused[reason] ?? 0) + n;
        if (b.shadowRefused !== null && shadowPrefix !== null) {
          // Only what the current target refused: counts of an earlier target are not mixed in.
          for (const [key, n] of b.shadowRefused) {
            if (!key.startsWith(shadowPrefix)) continue;
            const reason = key.slice(shadowPrefix.length);
            shadowRefused[reason] = (shadowRefused[reason] ?? 0) + n;
          }
        }
        if (b.sketch.appid !== null) sketch.appid.merge(b.sketch.appid);
        if (b.sketch.token !== null) sketch.token.merge(b.sketch.token);
      }
    }
    // The window's start, rounded down to its first bucket: what the counts above cover.
    const covered = firstBucket * this.bucketSeconds - 1;
    // The window the counts really cover: rounded out to whole buckets.
    const span = now - covered;
    const distinct = (c: Credential) => {
      const set = p?.uids[c];
      if (set === undefined) return { count: 0, exact: true };
      if (set.evictedNewest <= covered) {
        let count = 0;
        for (const at of set.last.values()) if (at > covered && at <= now) count++;
        return { count, exact: true };
      }
      return { count: sketch[c].estimate(), exact: false };
    };
    const recent: Array<{ uid: string; lastLoginAt: number }> = [];
    if (p !== undefined) {
      const entries = [...p.uids.appid.last];
      for (let i = entries.length - 1; i >= 0 && recent.length < this.recentCap; i--) {
        const [uid, at] = entries[i] as [string, number];
        if (at > covered && at <= now) recent.push({ uid, lastLoginAt: at });
      }
    }
    const liveSessions = { appid: 0, token: 0, primary: 0, secondary: 0 };
    for (const s of live) {
      if (s.appId !== appId) continue;
      if (s.credential === "appid") liveSessions.appid++;
      else {
        liveSessions.token++;
        if (s.slot === "primary") liveSessions.primary++;
        else if (s.slot === "secondary") liveSessions.secondary++;
      }
    }
    const accepted = appid + token;
    const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;
    const verdict = (wouldRefuse: number, reason: StepVerdict["reason"], affected: number, what: string): StepVerdict => {
      const share = accepted === 0 ? 0 : wouldRefuse / accepted;
      const logins = `the ${plural(accepted, "login", "logins")} of the last ${window} s`;
      return {
        wouldRefuse,
        wouldRefuseShare: share,
        reason,
        liveSessionsAffected: affected,
        summary:
          wouldRefuse === 0 && affected === 0
            ? `${what} now would refuse none of ${logins} and affect no live session`
            : `${what} now would refuse ${wouldRefuse} of ${logins} (${(share * 100).toFixed(1)} %, ${reason}) and leave ${plural(affected, "live session", "live sessions")} that cannot log in again the same way`,
        // Whether the step can be taken is the store's business (the admin layer fills it in).
        allowed: true,
        blockedBy: null,
      };
    };
    return {
      appId,
      windowSeconds: window,
      coveredSeconds: span,
      now,
      logins: { appid, token, byVersion: { "006": v006, "007": v007 }, bySlot: { primary, secondary } },
      refused,
      distinctUids: { appid: distinct("appid"), token: distinct("token") },
      appIdUids: recent,
      lastUse: { ...(p?.lastUse ?? { appid: null, primary: null, secondary: null }) },
      liveSessions,
      verdicts: {
        delete_no_certificate: verdict(appid, appid === 0 ? null : "token_required", liveSessions.appid, 'Deleting "No certificate"'),
        delete_primary: verdict(primary, primary === 0 ? null : "invalid_signature", liveSessions.primary, "Deleting the primary certificate"),
        delete_secondary: verdict(secondary, secondary === 0 ? null : "invalid_signature", liveSessions.secondary, "Deleting the secondary certificate"),
        swap: verdict(0, null, 0, "Swapping the certificates"),
      },
      shadow: { target: shadowTarget, refused: shadowRefused },
    };
  }

  private project(appId: string): ProjectReadiness {
    let p = this.projects.get(appId);
    if (p !== undefined) {
      // Most recently active last.
      this.projects.delete(appId);
      this.projects.set(appId, p);
      return p;
    }
    if (this.projects.size >= this.maxProjects) this.projects.delete(this.projects.keys().next().value as string);
    p = new ProjectReadiness();
    this.projects.set(appId, p);
    return p;
  }

  private bucket(p: ProjectReadiness, at: number): Bucket {
    const n = Math.floor(at / this.bucketSeconds);
    const i = ((n % BUCKETS) + BUCKETS) % BUCKETS;
    let b = p.buckets[i];
    if (b === undefined || b.n !== n) {
      b = { n, appid: 0, token: 0, v006: 0, v007: 0, primary: 0, secondary: 0, refused: new Map(), shadowRefused: null, sketch: { appid: null, token: null } };
      p.buckets[i] = b;
    }
    return b;
  }

  private seen(set: UidSet, uid: string, at: number): void {
    const last = set.last;
    last.delete(uid);
    last.set(uid, at);
    if (last.size > this.uidCap) {
      const [oldUid, oldAt] = last.entries().next().value as [string, number];
      last.delete(oldUid);
      if (oldAt > set.evictedNewest) set.evictedNewest = oldAt;
    }
  }
}
