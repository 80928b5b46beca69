/**
 * The counts a rollout's guards judge (docs/rollouts.md, "Guards"): the cohort's logins and renews
 * of the current stage visit (one `stageRevision`), and the refused ones by reason.
 *
 * - {@link MemoryRolloutCounters}: this process only (the in-memory store: one gateway).
 * - {@link RedisRolloutCounters}: every gateway adds its counts to one Redis hash per project and
 *   revision, so each gateway's guards judge the cohort's decisions on all of them. Counting is
 *   local (no round trip on a login); the deltas are written every `flushMs` and before each read.
 *
 * Bounds: one entry per project with a live rollout (the latest revision only), and within it one
 * number per operation and refusal reason (a closed set).
 */
import { EMPTY_STAGE_COUNTS, type OpCounts, type StageCounts } from "../../core/rollout/rollout.js";
import type { RedisConnection } from "../infra/redis-clients.js";
import type { Logger } from "../logger.js";

/** The operations a guard counts. */
export type CountedOp = "login" | "renewToken";

export interface RolloutCounters {
  /** Counts one cohort decision of `appId` in the stage visit `revision` (the state's `stageRevision`) (`refused`: its reason, or null when accepted). */
  add(appId: string, revision: number, op: CountedOp, refused: string | null): void;
  /** The counts of (`appId`, `revision`) across every gateway that counts into the same place. Rejects when they cannot be read. */
  read(appId: string, revision: number): Promise<StageCounts>;
  /** Forgets a project's counts (its rollout was replaced or removed). */
  forget(appId: string): void;
  close(): Promise<void>;
}

/** Mutable counts of one project and revision. */
class Tally {
  revision: number;
  readonly login = { decisions: 0, refused: new Map<string, number>() };
  readonly renewToken = { decisions: 0, refused: new Map<string, number>() };

  constructor(revision: number) {
    this.revision = revision;
  }

  add(op: CountedOp, refused: string | null, n = 1): void {
    const o = this[op];
    o.decisions += n;
    if (refused !== null) o.refused.set(refused, (o.refused.get(refused) ?? 0) + n);
  }

  empty(): boolean {
    return this.login.decisions === 0 && this.renewToken.decisions === 0;
  }

  counts(): StageCounts {
    const op = (o: { decisions: number; refused: Map<string, number> }): OpCounts => ({ decisions: o.decisions, refused: Object.fromEntries(o.refused) });
    return { login: op(this.login), renewToken: op(this.renewToken) };
  }
}

/** Keeps the latest revision's tally per project; an older revision's decision is dropped. */
function tallyFor(map: Map<string, Tally>, appId: string, revision: number): Tally | undefined {
  let t = map.get(appId);
  if (t === undefined || t.revision < revision) map.set(appId, (t = new Tally(revision)));
  return t.revision === revision ? t : undefined;
}

export class MemoryRolloutCounters implements RolloutCounters {
  private readonly tallies = new Map<string, Tally>();

  add(appId: string, revision: number, op: CountedOp, refused: string | null): void {
    tallyFor(this.tallies, appId, revision)?.add(op, refused);
  }

  read(appId: string, revision: number): Promise<StageCounts> {
    const t = this.tallies.get(appId);
    return Promise.resolve(t === undefined || t.revision !== revision ? EMPTY_STAGE_COUNTS : t.counts());
  }

  forget(appId: string): void {
    this.tallies.delete(appId);
  }

  close(): Promise<void> {
    this.tallies.clear();
    return Promise.resolve();
  }
}

/** How long a stage's counts stay in Redis after their last write: 30 days. */
export const COUNTS_TTL_SECONDS = 30 * 86_400;

export interface RedisRolloutCountersOptions {
  /** The key prefix of the gateway's store (REDIS_KEY_PREFIX). */
  readonly keyPrefix: string;
  /** How often the local deltas are written, ms (default 250). */
  readonly flushMs?: number;
  readonly logger?: Logger;
}

/**
 * Key `${prefix}rollout-counts:${appId}:${revision}`, a hash: `login` and `renewToken` hold the
 * decisions, `login:<reason>` and `renewToken:<reason>` the refused ones.
 */
export class RedisRolloutCounters implements RolloutCounters {
  private readonly redis: RedisConnection;
  private readonly prefix: string;
  private readonly logger: Logger | undefined;
  /** Deltas not yet written. */
  private pending = new Map<string, Tally>();
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> | null = null;

  constructor(redis: RedisConnection, options: RedisRolloutCountersOptions) {
    this.redis = redis;
    this.prefix = options.keyPrefix;
    this.logger = options.logger;
    this.timer = setInterval(() => void this.flush().catch(() => undefined), options.flushMs ?? 250);
    this.timer.unref();
  }

  private key(appId: string, revision: number): string {
    return `${this.prefix}rollout-counts:${appId}:${revision}`;
  }

  add(appId: string, revision: number, op: CountedOp, refused: string | null): void {
    tallyFor(this.pending, appId, revision)?.add(op, refused);
  }

  /** Writes the pending deltas; on failure they are kept (merged back) for the next attempt. */
  flush(): Promise<void> {
    this.flushing ??= this.doFlush().finally(() => (this.flushing = null));
    return this.flushing;
  }

  private async doFlush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    // One MULTI per project: its key is one slot, so this works on a Redis Cluster too (a MULTI
    // over several projects' keys would span slots; docs/redis.md, "Redis Cluster").
    const failures: unknown[] = [];
    await Promise.all(
      [...batch].map(async ([appId, t]) => {
        if (t.empty()) return;
        const key = this.key(appId, t.revision);
        const multi = this.redis.multi();
        for (const op of ["login", "renewToken"] as const) {
          const o = t[op];
          if (o.decisions > 0) multi.hincrby(key, op, o.decisions);
          for (const [reason, n] of o.refused) multi.hincrby(key, `${op}:${reason}`, n);
        }
        multi.expire(key, COUNTS_TTL_SECONDS);
        try {
          await multi.exec();
        } catch (err) {
          // Not written: keep this project's deltas (a MULTI is all or nothing).
          failures.push(err);
          for (const op of ["login", "renewToken"] as const) {
            const o = t[op];
            const into = tallyFor(this.pending, appId, t.revision);
            if (into === undefined) continue;
            into[op].decisions += o.decisions;
            for (const [reason, n] of o.refused) into[op].refused.set(reason, (into[op].refused.get(reason) ?? 0) + n);
          }
        }
      }),
    );
    if (failures.length > 0) {
      const err = failures[0];
      this.logger?.warn({ err: err instanceof Error ? err.message : String(err), projects: failures.length }, "rollout counts not written yet");
      throw err;
    }
  }

  async read(appId: string, revision: number): Promise<StageCounts> {
    await this.flush();
    const h = await this.redis.hgetall(this.key(appId, revision));
    const login = { decisions: 0, refused: {} as Record<string, number> };
    const renewToken = { decisions: 0, refused: {} as Record<string, number> };
    for (const [field, raw] of Object.entries(h)) {
      const n = Number(raw);
      if (!Number.isSafeInteger(n) || n < 0) continue;
      const [op, reason] = field.split(":", 2);
      const into = op === "login" ? login : op === "renewToken" ? renewToken : null;
      if (into === null) continue;
      if (reason === undefined) into.decisions = n;
      else into.refused[reason] = n;
    }
    return { login, renewToken };
  }

  forget(appId: string): void {
    this.pending.delete(appId);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush().catch(() => undefined);
  }
}
