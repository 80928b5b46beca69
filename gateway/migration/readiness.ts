/**
 * Migration readiness per project (docs/migration.md): what the logins of a sliding window of the
 * simulated clock used, and what each step that cannot be undone would do to them.
 *
 * Fed by every decision (a DecisionObserver), for projects that exist only (a refusal with no
 * project, `unknown_app_id`, is not tracked, so random App IDs cannot grow it). Memory is bounded:
 * - counts live in {@link BUCKETS} time buckets per project covering `windowSeconds`;
 * - distinct uids per credential are exact up to `uidCap` uids (1000) (a map of uid → last login;
 *   past the cap the least recently seen go, a 32nd of the cap at a time), and beyond that
 *   estimated from a 256-register HyperLogLog per bucket (about 6.5 % standard error; the answer
 *   says which);
 * - at most `maxProjects` projects are tracked (the least recently active one is dropped).
 *
 * The verdicts derive from what the accepted logins used: deleting "No certificate" refuses every
 * App-ID login (`token_required`), deleting a certificate refuses every token it verified
 * (`invalid_signature`), a swap refuses none. Live sessions come from the session manager.
 *
 * Several gateways (docs/migration.md, "Several gateways"): once {@link ReadinessTracker.share}
 * is given the other gateways ({@link ReadinessPeers}), the tracker remembers which projects
 * changed, a sharer writes their {@link ReadinessTracker.snapshot}s now and then, and
 * {@link ReadinessTracker.clusterReport} merges every gateway's figures: counts add up, distinct
 * uids are the union of the exact sets while it is at most `uidCap` uids and the union of the
 * sketches beyond, the App-ID uids are one list most recent first, last uses the latest, live
 * sessions add up. Recording a decision never waits for anything.
 */
import type { ReadinessReport, ShadowTarget, StepVerdict } from "../../core/protocol/admin.js";
import type { SessionInfo } from "../../core/session/session.js";
import type { Decision, DecisionObserver } from "../sessions/decision.js";
import { DistinctSketch } from "./distinct-sketch.js";
import {
  BUCKETS,
  CREDENTIALS,
  emptyBucket,
  noLive,
  type Bucket,
  type Credential,
  type LiveCounts,
  type ReadinessSnapshot,
  type ReadinessSource,
  type SharedUids,
  type UidSet,
} from "./readiness-snapshot.js";

export { BUCKETS } from "./readiness-snapshot.js";

export interface ReadinessOptions {
  /** The longest window a query may ask for, seconds of the simulated clock. Default 3600. */
  readonly windowSeconds?: number;
  /** Uids kept exactly per credential and project. Default 1000. */
  readonly uidCap?: number;
  /** App-ID uids listed, most recent first. Default 100. */
  readonly recentCap?: number;
  /** Projects tracked at once. Default 1000. */
  readonly maxProjects?: number;
  /**
   * When this gateway started keeping figures (Unix seconds of the simulated clock): a window
   * reaching back before it is said to be partial (`partial`). Absent: never said.
   */
  readonly startedAt?: number;
}

/**
 * The other gateways' figures of one project (docs/migration.md, "Several gateways"): every live
 * gateway's latest snapshot but this one's, or why they could not be had.
 */
export type PeerFigures =
  | {
      readonly ok: true;
      /** Each other gateway's snapshot of the project (a gateway that holds nothing of it is left out). */
      readonly snapshots: readonly ReadinessSnapshot[];
      /** Other live gateways read (those with no figures of the project included). */
      readonly gateways: number;
      /** What could not be merged (a gateway over the read limit, a snapshot in another format, …); empty when all was. */
      readonly warnings: readonly string[];
    }
  | { readonly ok: false; readonly warning: string };

/** Where the other gateways' figures come from (gateway/infra/readiness-redis.ts with Redis). */
export interface ReadinessPeers {
  /** The other gateways' figures of `appId`. Never rejects: a failure is `{ok: false, warning}`. */
  read(appId: string): Promise<PeerFigures>;
}

/** What the tracker changed since the last {@link ReadinessTracker.takeChanges} (for sharing). */
export interface ReadinessChanges {
  /** Everything must be written again (the first time, after `clear()`, or too many drops). */
  readonly full: boolean;
  /** Projects with new figures. */
  readonly changed: readonly string[];
  /** Projects no longer tracked (dropped as least recently active). */
  readonly dropped: readonly string[];
}

class ProjectReadiness {
  readonly buckets: Array<Bucket | undefined> = new Array(BUCKETS);
  readonly uids: Record<Credential, UidSet> = { appid: { last: new Map(), evictedNewest: -Infinity }, token: { last: new Map(), evictedNewest: -Infinity } };
  readonly lastUse: { appid: number | null; primary: number | null; secondary: number | null } = { appid: null, primary: null, secondary: null };
}

const NO_UIDS: SharedUids = { last: new Map(), evictedNewest: -Infinity, complete: true, sketched: false };

/** Adds one live session to `counts`. */
export function countLive(counts: LiveCounts, s: SessionInfo): void {
  if (s.credential === "appid") counts.appid++;
  else {
    counts.token++;
    if (s.slot === "primary") counts.primary++;
    else if (s.slot === "secondary") counts.secondary++;
  }
}

export class ReadinessTracker {
  private readonly windowSeconds: number;
  private readonly bucketSeconds: number;
  private readonly uidCap: number;
  /** Uids evicted together once a set is over the cap: a 32nd of it (at least 1). */
  private readonly evictBatch: number;
  private readonly recentCap: number;
  private readonly maxProjects: number;
  /** Projects by App ID, least recently active first. */
  private readonly projects = new Map<string, ProjectReadiness>();
  /** The project {@link project} returned last: already the most recently active, so no reordering. */
  private newestAppId: string | null = null;
  private newest: ProjectReadiness | null = null;
  /** The other gateways, once {@link share} was called (null: this gateway alone). */
  private peers: ReadinessPeers | null = null;
  /** Sharing only: projects changed since the last takeChanges() (at most maxProjects: tracked ones). */
  private readonly changed = new Set<string>();
  /** Sharing only: projects dropped since the last takeChanges() (past maxProjects, `full` instead). */
  private readonly dropped = new Set<string>();
  private full = true;
  private readonly startedAt: number | undefined;

  constructor(options: ReadinessOptions = {}) {
    this.startedAt = options.startedAt;
    this.windowSeconds = options.windowSeconds ?? 3600;
    this.bucketSeconds = Math.max(1, Math.ceil(this.windowSeconds / BUCKETS));
    this.uidCap = options.uidCap ?? 1_000;
    this.evictBatch = Math.max(1, Math.floor(this.uidCap / 32));
    this.recentCap = options.recentCap ?? 100;
    this.maxProjects = options.maxProjects ?? 1000;
    if (!(this.windowSeconds >= 1)) throw new RangeError("windowSeconds must be >= 1");
  }

  /** The longest window a report covers, seconds. */
  get maxWindowSeconds(): number {
    return this.windowSeconds;
  }

  /** Seconds per bucket (`ceil(windowSeconds / 60)`): gateways merge only snapshots with the same. */
  get secondsPerBucket(): number {
    return this.bucketSeconds;
  }

  /** App-ID uids a report lists, at most. */
  get recentUids(): number {
    return this.recentCap;
  }

  /** Pass to the session manager's observers. */
  readonly observer: DecisionObserver = (d) => this.record(d);

  /** Forgets everything (admin reset). */
  clear(): void {
    this.projects.clear();
    this.newestAppId = null;
    this.newest = null;
    this.changed.clear();
    this.dropped.clear();
    this.full = true;
  }

  /**
   * Merges the figures of `peers` into every {@link clusterReport} from now on, and starts
   * remembering which projects change (read with {@link takeChanges}).
   */
  share(peers: ReadinessPeers): void {
    this.peers = peers;
    this.full = true;
  }

  /** The projects changed and dropped since the last call (sharing only), and forgets them. */
  takeChanges(): ReadinessChanges {
    const out = { full: this.full, changed: [...this.changed], dropped: [...this.dropped] };
    this.full = false;
    this.changed.clear();
    this.dropped.clear();
    return out;
  }

  /**
   * The project's certificates were swapped ("Set as primary"): its figures by slot follow their
   * certificates, so the logins the old primary verified now count for the secondary, which is
   * what deleting the secondary would refuse (docs/migration.md, "Readiness"). Call it on every
   * gateway that sees the swap (each relabels its own figures; the shared ones follow).
   */
  swapSlots(appId: string): void {
    const p = this.projects.get(appId);
    if (p === undefined) return;
    if (this.peers !== null) this.changed.add(appId);
    for (const b of p.buckets) {
      if (b === undefined) continue;
      const primary = b.primary;
      b.primary = b.secondary;
      b.secondary = primary;
    }
    const last = p.lastUse.primary;
    p.lastUse.primary = p.lastUse.secondary;
    p.lastUse.secondary = last;
  }

  /** Every tracked App ID, least recently active first. */
  trackedAppIds(): string[] {
    return [...this.projects.keys()];
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
   * This gateway's figures of `appId` at `now` (Unix seconds of the simulated clock), as shared with
   * the other gateways, with `live` as its live sessions; null when it holds nothing of the project
   * (not tracked, no live session). Only what a window ending at `now` or later can count is kept:
   * buckets of the last {@link BUCKETS}, uids that logged in since `now - windowSeconds -
   * bucketSeconds`. A credential's sketches go along once one of those uids was evicted (the
   * exact list is then short of it). The buckets and sketches are the tracker's own objects: encode
   * the snapshot before the next decision is recorded.
   */
  snapshot(appId: string, now: number, live: LiveCounts): ReadinessSnapshot | null {
    const p = this.projects.get(appId);
    if (p === undefined) {
      if (live.appid === 0 && live.token === 0) return null;
      return { bucketSeconds: this.bucketSeconds, buckets: [], uids: { appid: NO_UIDS, token: NO_UIDS }, lastUse: { appid: null, primary: null, secondary: null }, live };
    }
    const current = Math.floor(now / this.bucketSeconds);
    const buckets = p.buckets.filter((b): b is Bucket => b !== undefined && b.n > current - BUCKETS);
    const since = now - this.windowSeconds - this.bucketSeconds;
    const uids = {} as Record<Credential, SharedUids>;
    for (const c of CREDENTIALS) {
      const set = p.uids[c];
      const last = new Map<string, number>();
      for (const [uid, at] of set.last) if (at > since) last.set(uid, at);
      uids[c] = { last, evictedNewest: set.evictedNewest, complete: true, sketched: set.evictedNewest > since };
    }
    return { bucketSeconds: this.bucketSeconds, buckets, uids, lastUse: { ...p.lastUse }, live };
  }

  /**
   * The report of `appId` over the last `windowSeconds` (rounded up to whole buckets, at most the
   * tracker's window) at `now`, with the live sessions of this gateway: this gateway's figures only
   * (`scope: "local"`), or merged with `peers` when given (see {@link clusterReport}).
   */
  report(appId: string, now: number, windowSeconds: number, live: readonly SessionInfo[], shadowTarget: ShadowTarget | null = null, peers?: PeerFigures): ReadinessReport {
    const window = Math.min(Math.max(1, Math.floor(windowSeconds)), this.windowSeconds);
    const p = this.projects.get(appId);
    const own = noLive();
    for (const s of live) if (s.appId === appId) countLive(own, s);
    const sources: ReadinessSource[] = [
      p === undefined
        ? { buckets: [], uids: { appid: NO_UIDS, token: NO_UIDS }, lastUse: { appid: null, primary: null, secondary: null }, live: own }
        : {
            buckets: p.buckets,
            // This gateway's own sets are complete, and its buckets always hold their sketches.
            uids: { appid: { ...p.uids.appid, complete: true, sketched: true }, token: { ...p.uids.token, complete: true, sketched: true } },
            lastUse: p.lastUse,
            live: own,
          },
    ];
    const warnings: string[] = [];
    let scope: ReadinessReport["scope"] = "local";
    let gateways = 1;
    if (peers !== undefined) {
      if (!peers.ok) warnings.push(peers.warning);
      else {
        scope = "cluster";
        gateways += peers.gateways;
        warnings.push(...peers.warnings);
        let skipped = 0;
        for (const s of peers.snapshots) {
          if (s.bucketSeconds === this.bucketSeconds) sources.push(s);
          else skipped++;
        }
        if (skipped > 0) warnings.push(`${skipped} gateway(s) keep buckets of another size (a different readiness window): their figures are left out`);
      }
    }

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
    const inWindow = (b: Bucket | undefined): b is Bucket => b !== undefined && b.n >= firstBucket && b.n <= lastBucket;
    for (const src of sources) {
      for (const b of src.buckets) {
        if (!inWindow(b)) continue;
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
      }
    }
    // The window's start, rounded down to its first bucket: what the counts above cover.
    const covered = firstBucket * this.bucketSeconds - 1;
    // The window the counts really cover: rounded out to whole buckets.
    const span = now - covered;
    const counted = (at: number) => at > covered && at <= now;
    const distinct = (c: Credential) => {
      // Exact when every gateway's set is whole for the window and together they hold at most uidCap uids.
      if (sources.every((s) => s.uids[c].complete && s.uids[c].evictedNewest <= covered)) {
        const union = new Set<string>();
        for (const s of sources) for (const [uid, at] of s.uids[c].last) if (counted(at)) union.add(uid);
        if (union.size <= this.uidCap) return { count: union.size, exact: true };
      }
      // Else the union of the sketches: a gateway that shared none for the credential never lost
      // a uid of the window, so its exact uids make the same registers.
      const sketch = new DistinctSketch();
      for (const s of sources) {
        if (s.uids[c].sketched) {
          for (const b of s.buckets) {
            const k = inWindow(b) ? b.sketch[c] : null;
            if (k !== null) sketch.merge(k);
          }
        } else for (const [uid, at] of s.uids[c].last) if (counted(at)) sketch.add(uid);
      }
      return { count: sketch.estimate(), exact: false };
    };
    // Each gateway's App-ID uids of the window, most recent first; then one list, a uid once (its latest).
    let recent: Array<{ uid: string; lastLoginAt: number }> = [];
    for (const s of sources) {
      const entries = [...s.uids.appid.last];
      let taken = 0;
      for (let i = entries.length - 1; i >= 0 && taken < this.recentCap; i--) {
        const [uid, at] = entries[i] as [string, number];
        if (!counted(at)) continue;
        recent.push({ uid, lastLoginAt: at });
        taken++;
      }
    }
    if (sources.length > 1) {
      recent.sort((a, b) => b.lastLoginAt - a.lastLoginAt); // stable: this gateway's first on a tie
      const seen = new Set<string>();
      recent = recent.filter((u) => !seen.has(u.uid) && seen.add(u.uid) !== undefined).slice(0, this.recentCap);
    }
    const later = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));
    const lastUse = { appid: null as number | null, primary: null as number | null, secondary: null as number | null };
    const liveSessions = noLive();
    for (const s of sources) {
      lastUse.appid = later(lastUse.appid, s.lastUse.appid);
      lastUse.primary = later(lastUse.primary, s.lastUse.primary);
      lastUse.secondary = later(lastUse.secondary, s.lastUse.secondary);
      liveSessions.appid += s.live.appid;
      liveSessions.token += s.live.token;
      liveSessions.primary += s.live.primary;
      liveSessions.secondary += s.live.secondary;
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
      scope,
      gateways,
      warning: warnings.length === 0 ? null : warnings.join("; "),
      partial:
        this.startedAt !== undefined && now - this.startedAt < window
          ? `this gateway has kept figures for ${Math.max(0, now - this.startedAt)} s of the ${window} s window: they are kept in memory from its start, so earlier logins are not counted; wait, or keep traffic flowing, before an irreversible step`
          : null,
      logins: { appid, token, byVersion: { "006": v006, "007": v007 }, bySlot: { primary, secondary } },
      refused,
      distinctUids: { appid: distinct("appid"), token: distinct("token") },
      appIdUids: recent,
      lastUse,
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

  /**
   * {@link report} with the other gateways' figures when sharing ({@link share}): this gateway's
   * current figures and live sessions, plus every other live gateway's latest snapshot (at most
   * one sharing period old), `scope: "cluster"` and `gateways` counting them. When the others
   * cannot be read (Redis down), this gateway's figures alone with `scope: "local"` and a
   * `warning`. Never rejects for that.
   */
  async clusterReport(appId: string, now: number, windowSeconds: number, live: readonly SessionInfo[], shadowTarget: ShadowTarget | null = null): Promise<ReadinessReport> {
    const peers = this.peers === null ? undefined : await this.peers.read(appId);
    return this.report(appId, now, windowSeconds, live, shadowTarget, peers);
  }

  private project(appId: string): ProjectReadiness {
    if (this.peers !== null) this.changed.add(appId);
    // The same project as last time (a load test's every login) is already last in the order.
    if (appId === this.newestAppId && this.newest !== null) return this.newest;
    let p = this.projects.get(appId);
    if (p !== undefined) {
      // Most recently active last.
      this.projects.delete(appId);
      this.projects.set(appId, p);
      this.newestAppId = appId;
      this.newest = p;
      return p;
    }
    if (this.projects.size >= this.maxProjects) {
      const evicted = this.projects.keys().next().value as string;
      this.projects.delete(evicted);
      if (this.peers !== null) {
        this.changed.delete(evicted);
        this.dropped.add(evicted);
        if (this.dropped.size > this.maxProjects) {
          // Churn through more projects than tracked in one period: rewrite everything instead.
          this.dropped.clear();
          this.full = true;
        }
      }
    }
    p = new ProjectReadiness();
    this.projects.set(appId, p);
    this.newestAppId = appId;
    this.newest = p;
    return p;
  }

  private bucket(p: ProjectReadiness, at: number): Bucket {
    const n = Math.floor(at / this.bucketSeconds);
    const i = ((n % BUCKETS) + BUCKETS) % BUCKETS;
    let b = p.buckets[i];
    if (b === undefined || b.n !== n) {
      b = emptyBucket(n);
      p.buckets[i] = b;
    }
    return b;
  }

  private seen(set: UidSet, uid: string, at: number): void {
    const last = set.last;
    last.delete(uid);
    last.set(uid, at);
    if (last.size > this.uidCap) this.evict(set);
  }

  /**
   * Evicts the least recently seen uids of a set over the cap: down to `uidCap - evictBatch + 1`,
   * oldest first, in one pass. One at a time, each eviction would start a new iterator at the front
   * of the Map's table, where the entries deleted before it stay as holes until V8 rebuilds the
   * table: with a new uid on every login (a load test's case) every login then paid for a walk over
   * up to `uidCap` holes. In batches, that walk is paid once per batch.
   */
  private evict(set: UidSet): void {
    const last = set.last;
    let n = last.size - this.uidCap + this.evictBatch - 1;
    for (const [oldUid, oldAt] of last) {
      last.delete(oldUid);
      if (oldAt > set.evictedNewest) set.evictedNewest = oldAt;
      if (--n <= 0) break;
    }
  }
}
